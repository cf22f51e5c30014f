#!/bin/bash
# farmboot.t - farmd drives farmboot.efi, farm's UEFI HTTP loader for
# firmware without iPXE: GET /farmboot/<mac> answers the job script, the
# app runs and POSTs its results, /farmboot/<mac>/done chains the next job
# without a reboot, then the idle answer ends the boot. The machine is a
# "physical" one whose power command boots OVMF + farmboot.efi under QEMU
# user networking, so farmd is reached on loopback only.
cd "$(dirname "$0")/../.." || exit 1
REPO=$PWD
BUILD=${BUILD:-$REPO/build}
case "$BUILD" in /*) ;; *) BUILD=$REPO/$BUILD ;; esac
n=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
[ -f "$BUILD/netboot/x86_64/farmboot.efi" ] || { echo "Bail out! no farmboot.efi: run make"; exit 1; }
t=$(mktemp -d /tmp/farm-fb.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
cat >"$t/farm.conf" <<CONF
[farm]
listen = 127.0.0.1:$port
state_dir = $t/state
suite = $REPO/guest/unittests.cfg
tests_dir = $BUILD/guest
netboot_dir = $BUILD/netboot
[network]
mode = user
[machine fb-x86]
kind = physical
arch = x86_64
mac = 52:54:00:12:34:56
power_on = $REPO/tests/e2e/farmd-farmboot/power.sh on x86_64 $t/fb-x86 http://10.0.2.2:$port 52:54:00:12:34:56
power_off = $REPO/tests/e2e/farmd-farmboot/power.sh off $t/fb-x86
boot_timeout = 180
[machine fb-arm]
kind = physical
arch = aarch64
mac = 52:54:00:12:34:57
power_on = $REPO/tests/e2e/farmd-farmboot/power.sh on aarch64 $t/fb-arm http://10.0.2.2:$port 52:54:00:12:34:57
power_off = $REPO/tests/e2e/farmd-farmboot/power.sh off $t/fb-arm
boot_timeout = 180
CONF
"$BUILD"/farmd -v -c "$t/farm.conf" >"$t/farmd.log" 2>&1 &
pid=$!
cleanup() {
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	"$REPO/tests/e2e/farmd-farmboot/power.sh" off "$t/fb-x86"
	"$REPO/tests/e2e/farmd-farmboot/power.sh" off "$t/fb-arm"
	if [ -n "${KEEP:-}" ]; then echo "# kept $t" >&2; else rm -rf "$t"; fi
}
trap cleanup EXIT
for _ in $(seq 1 50); do curl -sf "$url/api/v1/machines" >/dev/null && break; sleep 0.1; done
farmctl() { "$BUILD/farmctl" -s "$url" "$@"; }

out=$(farmctl --json schedule --machine fb-x86 --wait selftest report-mixed)
rc=$?
echo "$out" | jq -r '.jobs[] | "# \(.id) \(.test): \(.result) \(.reason // "") boot \(.boot_ms)"'
ok $rc "two tests on a machine booting farmboot.efi: farmctl exits 0"
id=$(echo "$out" | jq -r '.jobs[0].id')
show=$(farmctl --json show "$id")
[ "$(echo "$show" | jq '[.testcases[] | select(.status == "pass")] | length')" -ge 3 ] &&
    echo "$show" | jq -r '.testcases[].name' | grep -q FARM_SUITE
ok $? "selftest's cases arrived by POST, the suite's variable set by farmboot"
grep -q "boot script for job $id" "$t/farmd.log" && grep -q "job $id: results POST" "$t/farmd.log"
ok $? "farmd answered GET /farmboot/<mac> and got the results POST"
[ "$(echo "$out" | jq -r '.jobs[1].boot_ms')" = 0 ]
ok $? "the second job was chained through /farmboot/<mac>/done without a reboot"
out=$(farmctl --json schedule --tag arch=aarch64 --wait selftest)
rc=$?
echo "$out" | jq -r '.jobs[] | "# \(.id) \(.machine) \(.test): \(.result) \(.reason // "")"'
ok $rc "selftest on an aarch64 machine (AAVMF) through farmboot.efi, by --tag arch=aarch64"
[ "$(echo "$out" | jq -r '.jobs[0].machine')" = fb-arm ]
ok $? "it ran on the arm64 machine"
for _ in $(seq 1 100); do
	[ "$(farmctl --json machines | jq -r '.machines[0].state')" = idle ] && break
	sleep 0.2
done
[ "$(farmctl --json machines | jq -r '.machines[0].state')" = idle ]
ok $? "after the idle answer the machine is powered off and idle"
echo "1..$n"
