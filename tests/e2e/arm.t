#!/bin/bash
# arm.t - machines without iPXE, the way farm.conf ships them: an aarch64
# QEMU machine (virt, AAVMF, TCG) that UEFI-HTTP-boots farmboot.efi from
# the URL dnsmasq gives it, and an x86_64 QEMU machine set to
# `boot = farmboot`, whose firmware PXE loads farmboot.efi over TFTP and
# finds farmd in DHCP option 224. Both through the real dnsmasq in the
# test's network namespace.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh

need guest/aarch64/selftest.efi netboot/aarch64/farmboot.efi netboot/x86_64/farmboot.efi

e2e_start "$VM_ARM
tags = fast

[machine vm-x86-fb]
kind = qemu
arch = x86_64
mac = 52:54:00:f0:00:03
memory = 256
accel = tcg
boot = farmboot
boot_timeout = 180

# Firmware that asks for arm 32-bit UEFI (client arch 10): farm has no
# loader for it. Its power command is the DHCP half of a PXE boot.
[machine board-arm32]
kind = physical
arch = aarch64
mac = 52:54:00:f0:00:04
power_on = ip netns exec $NS-fw $REPO/tests/e2e/tools/pxe-client.py fakefw 52:54:00:f0:00:04 10
power_off = true
boot_timeout = 120"

# A port on the lab bridge for simulated firmware, in a namespace of its
# own (see tests/e2e/tools/pxe-client.py).
ip netns add "$NS-fw" && trap 'ip netns del "$NS-fw" 2>/dev/null; e2e_stop' EXIT
in_ns ip link add fakefw type veth peer name fakefw-br &&
    in_ns ip link set fakefw-br master farm0 up && in_ns ip link set fakefw netns "$NS-fw" &&
    ip netns exec "$NS-fw" ip link set fakefw up
ok $? "a veth port on the lab bridge for simulated PXE clients"

# 0. What dnsmasq answers each client architecture (a MAC farm does not
# know: it is recorded as discovered).
pxe() { ip netns exec "$NS-fw" "$REPO/tests/e2e/tools/pxe-client.py" fakefw 52:54:00:aa:00:01 "$@"; }
a=$(pxe 7); echo "# arch 7: $a"
[[ $a == *"file=x86_64/ipxe.efi server=http://10.99.0.1:$PORT" ]]
ok $? "x86_64 UEFI PXE (arch 7) gets iPXE over TFTP"
a=$(pxe 11); echo "# arch 11: $a"
[[ $a == *"file=aarch64/farmboot.efi server=http://10.99.0.1:$PORT" ]]
ok $? "aarch64 UEFI PXE (arch 11) gets farmboot.efi over TFTP, farmd's URL in option 224"
a=$(pxe 19 --http); echo "# arch 19 HTTP: $a"
[[ $a == *"file=http://10.99.0.1:$PORT/netboot/aarch64/farmboot.efi server="* ]]
ok $? "aarch64 UEFI HTTP boot (arch 19) gets the farmboot.efi URL"
a=$(pxe 16 --http); echo "# arch 16 HTTP: $a"
[[ $a == *"file=http://10.99.0.1:$PORT/netboot/x86_64/farmboot.efi server="* ]]
ok $? "x86_64 UEFI HTTP boot (arch 16) gets the farmboot.efi URL"
in_ns curl -sfI "http://10.99.0.1:$PORT/netboot/aarch64/farmboot.efi" | grep -qi "content-length: [1-9]"
ok $? "that URL answers HEAD with the size, as UEFI HTTP boot asks"
for _ in $(seq 1 20); do
	farmctl --json machines --discovered | jq -e '.discovered[] | select(.mac == "52:54:00:aa:00:01")' >/dev/null && break
	sleep 0.2
done
farmctl machines --discovered | grep "52:54:00:aa:00:01" | grep -q "aarch64 UEFI\|x86_64 UEFI"
ok $? "the unknown MAC is listed as discovered, with its firmware's architecture"

# 1. selftest on vm-arm.
out=$(farmctl --json schedule --machine vm-arm --wait selftest)
rc=$?
echo "$out" | jq -r '.jobs[] | "# \(.id) \(.machine) \(.test): \(.result) \(.reason // "") boot \(.boot_ms) ms"'
ok $rc "selftest passes on vm-arm (aarch64 QEMU, AAVMF, farmboot.efi)"
id=$(echo "$out" | jq -r '.jobs[0].id')
grep -q "machine vm-arm: DHCP 10\.99\.0\.[0-9]*, client arch 19 (aarch64 UEFI HTTP), UEFI HTTP boot" "$T/farmd.log"
ok $? "vm-arm's firmware UEFI-HTTP-booted (client arch 19, vendor class HTTPClient)"
show=$(farmctl --json show "$id")
[ "$(echo "$show" | jq '[.testcases[] | select(.status == "pass")] | length')" -ge 3 ]
ok $? "its cases are stored"
log=$(farmctl log "$id")
echo "$log" | grep -q "farmboot: job $id: dtb installed"
ok $? "farmboot installed the job's device tree (QEMU's, /chosen filled in by farmd)"

# 2. dt: the device tree the job got, read with libfdt by the guest.
out=$(farmctl --json schedule --machine vm-arm --wait dt -- alpha beta=2)
rc=$?
echo "$out" | jq -r '.jobs[] | "# \(.id) \(.machine) \(.test): \(.result) \(.reason // "")"'
ok $rc "dt passes on vm-arm"
id=$(echo "$out" | jq -r '.jobs[0].id')
show=$(farmctl --json show "$id")
for c in "dt: farm,job = FARM_JOB" "dt: farm,server = FARM_SERVER" "dt: bootargs = arguments" \
    "dt: stdout-path is a known UART"; do
	[ "$(echo "$show" | jq -r --arg c "$c" '.testcases[] | select(.name == $c) | .status')" = pass ]
	ok $? "dt case '$c' passed (not skipped): farmd filled /chosen"
done
echo "$show" | jq -r '.testcases[].name' | grep -q "^dt: memory@40000000: 256 MiB$"
ok $? "dt saw the 256 MiB memory node of QEMU's virt board"

# 3. by tag.
out=$(farmctl --json schedule --tag arch=aarch64 --tag fast --wait selftest)
rc=$?
[ $rc = 0 ] && [ "$(echo "$out" | jq -r '.jobs[0].machine')" = vm-arm ]
ok $? "--tag arch=aarch64 --tag fast runs on vm-arm"

# 4. an x86_64 machine set to farmboot.
out=$(farmctl --json schedule --machine vm-x86-fb --wait selftest)
rc=$?
echo "$out" | jq -r '.jobs[] | "# \(.id) \(.machine) \(.test): \(.result) \(.reason // "") boot \(.boot_ms) ms"'
ok $rc "selftest passes on an x86_64 machine with boot = farmboot"
id=$(echo "$out" | jq -r '.jobs[0].id')
grep -q "machine vm-x86-fb: DHCP 10\.99\.0\.[0-9]*, client arch 7 (x86_64 UEFI), firmware PXE$" "$T/farmd.log"
ok $? "its firmware PXE-booted (client arch 7) and got farmboot.efi over TFTP"
farmctl log "$id" | grep -q "farmboot: server http://10.99.0.1:$PORT"
ok $? "farmboot found farmd in DHCP option 224"

# 5. firmware asking for an architecture farm has no loader for.
t0=$(date +%s)
out=$(farmctl --json schedule --machine board-arm32 --wait selftest)
rc=$?
t=$(( $(date +%s) - t0 ))
echo "$out" | jq -r '.jobs[] | "# \(.id) \(.machine) \(.test): \(.result) \(.reason // "")"'
[ $rc = 2 ] && [ "$(echo "$out" | jq -r '.jobs[0].result')" = infra ]
ok $? "a machine whose firmware asks for arm 32-bit UEFI: infra, farmctl exits 2"
echo "$out" | jq -r '.jobs[0].reason' | grep -q "client architecture 10 (arm 32-bit UEFI), which the farm has no loader for"
ok $? "the job's reason names the architecture"
grep -q "machine board-arm32 (52:54:00:f0:00:04): its firmware asked to PXE-boot client architecture 10 (arm 32-bit UEFI); the farm has no loader for that" "$T/farmd.log"
ok $? "farmd's log says so"
[ "$t" -lt 60 ]
ok $? "known at once, not at the 120 s boot deadline (the job and its retry: $t s)"

e2e_done
