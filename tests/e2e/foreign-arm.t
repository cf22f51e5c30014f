#!/bin/bash
# foreign-arm.t - an EFI program NOT built with farm's guest library on an
# aarch64 machine without iPXE (vm-arm: virt, AAVMF, TCG, farmboot.efi
# over UEFI HTTP boot). It finds its device tree as kvm-unit-tests' EFI
# programs do: the `fdtfile` variable names a file on its own device
# (tests/e2e/foreign/foreign_dt.c). farmboot sets fdtfile (from the job
# script) and makes that device: a read-only volume holding the job's DTB
# (netboot/farmboot_fs.c), removed when the program returns, so that the
# next job chained in the same boot gets a fresh one.
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh
APP=$BUILD/tests/foreign/foreign-aa64.efi
for f in "$APP" "$BUILD/netboot/aarch64/farmboot.efi"; do
	[ -e "$f" ] || { echo "Bail out! $f is missing: run make all unit-tests"; exit 1; }
done

e2e_start "$VM_ARM"

# passes ID: the names of the job's passing cases, one a line.
passes() {
	jq_job "$1" '.testcases[] | select(.status == "pass") | .name'
}

# 1. The program as it is, ending with ResetSystem after its EXIT: line.
t0=$(date +%s)
out=$(farmctl --json schedule --efi "$APP" --machine vm-arm --wait)
rc=$?
t=$(( $(date +%s) - t0 ))
id=$(echo "$out" | jq -r '.jobs[0].id // empty')
echo "$out" | jq -r '.jobs[] | "# \(.id) \(.machine) \(.test): \(.result) \(.reason // "") boot \(.boot_ms) ms"'
ok $rc "foreign-aa64.efi passes on vm-arm ($t s)"
p=$(passes "${id:-0}")
echo "$p" | sed 's/^/# pass: /'
for c in "fdtfile is set" "farm.dtb opened" "FDT magic" "/chosen has farm,job"; do
	echo "$p" | grep -qxF "$c"
	ok $? "its case '$c' passed"
done
[ "$(jq_job "${id:-0}" .exit_code)" = 0 ] &&
    [ "$(jq_job "${id:-0}" '[.testcases[] | select(.status != "pass" and .status != "info")] | length')" = 0 ]
ok $? "exit code 0 from its EXIT: line, no other cases"
log=$(farmctl log "${id:-0}")
echo "$log" | grep -q "farmboot: job $id: dtb is file farm.dtb on the app's device"
ok $? "farmboot offered the DTB as farm.dtb on the app's device"
echo "$log" | grep -q "^INFO: fdtfile is farm.dtb"
ok $? "the program read fdtfile = farm.dtb"

# 2. Two jobs in one boot: the first checks the volume itself and returns
# to farmboot with its files still open; the second, chained without a
# reboot, must find a volume of its own and no leftover of the first.
out=$(farmctl --json schedule --efi "$APP" --machine vm-arm -- volume return)
a=$(echo "$out" | jq -r '.jobs[0].id // empty')
out=$(farmctl --json schedule --efi "$APP" --machine vm-arm --wait -- volume)
rc=$?
b=$(echo "$out" | jq -r '.jobs[0].id // empty')
for j in "${a:-0}" "${b:-0}"; do
	jq_job "$j" '"# \(.id) \(.test): \(.result) \(.reason // "") boot \(.boot_ms) ms"'
done
[ "$(jq_job "${a:-0}" .result)" = pass ] && [ $rc = 0 ]
ok $? "both jobs pass (the first returned to farmboot, the second reset)"
for j in "${a:-0}" "${b:-0}"; do
	p=$(passes "$j")
	[ "$(echo "$p" | grep -c '^volume: ')" = 6 ] && [ "$(echo "$p" | wc -l)" = 10 ]
	ok $? "job $j: the four cases and the six volume checks passed"
done
[ "$(jq_job "${b:-0}" .boot_ms)" = 0 ]
ok $? "the second was chained without a reboot (boot_ms 0)"
passes "${b:-0}" | grep -qx 'volume: no other volume like it'
ok $? "the second found no volume left over from the first"
logs=$(farmctl log "${a:-0}"; farmctl log "${b:-0}")
echo "$logs" | grep -qE "farmboot: job $a: foreign-aa64 returned 0(\s|$)" &&
    ! echo "$logs" | grep -q "cannot remove the DTB's volume"
ok $? "the first returned to farmboot, which removed its volume"

e2e_done
