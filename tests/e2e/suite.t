#!/bin/bash
# suite.t - farmctl schedule --suite: the sample unittests.cfg fanned out to
# two machines as one run, each test with the outcome it should have; the
# binaries uploaded from an --efi-dir laid out as <dir>/<arch>/<file>.
. "$(dirname "$0")/lib.sh"
e2e_start "
[machine vm-x86b]
kind = qemu
arch = x86_64
mac = 52:54:00:f0:00:03
accel = tcg
boot_timeout = 120
tags = fast
"

out=$(farmctl --json schedule --suite "$REPO/guest/unittests.cfg" --efi-dir "$BUILD/guest" --tag fast --wait)
rc=$?
echo "$out" | jq -r '.jobs[] | "# \(.id) \(.machine) \(.test): \(.result)"'
ok $rc "the sample suite on every machine tagged fast: farmctl exits 0"
[ "$(echo "$out" | jq '.jobs | length')" = 6 ] &&
    [ "$(echo "$out" | jq '[.jobs[] | .machine] | unique | length')" = 2 ]
ok $? "one run: 3 default tests x 2 machines"
[ "$(echo "$out" | jq '[.jobs[] | select(.result == "pass")] | length')" = 6 ]
ok $? "every one passed"
echo "$out" | jq -e '[.jobs[] | select(.test == "selftest")] | length == 2' >/dev/null
ok $? "nodefault tests stayed out"

out=$(farmctl --json schedule --suite "$REPO/guest/unittests.cfg" --efi-dir "$BUILD/guest" \
    --machine vm-x86 --machine vm-x86b --wait report-fail report-abort)
rc=$?
echo "$out" | jq -r '.jobs[] | "# \(.id) \(.machine) \(.test): \(.result) \(.reason)"'
[ "$rc" = 2 ]
ok $? "named tests of the suite, failing and aborting: farmctl exits 2 (an error is not a test verdict)"
[ "$(echo "$out" | jq '[.jobs[] | select(.test == "report-fail" and .result == "fail")] | length')" = 2 ] &&
    [ "$(echo "$out" | jq '[.jobs[] | select(.test == "report-abort" and .result == "error")] | length')" = 2 ]
ok $? "report-fail is fail and report-abort is error, on both machines"

cat >"$T/sized.cfg" <<'CFG'
[sized]
file = selftest.efi
extra_params = -smp 2 -m 320 -append 'FARM_SIZED=yes'
env = FARM_SIZED=yes
CFG
out=$(farmctl --json schedule --suite "$T/sized.cfg" --efi-dir "$BUILD/guest" --machine vm-x86 --wait)
ok $? "a suite test with -smp 2 -m 320 passes"
head -1 "$T/state/machines/vm-x86/qemu.log" | grep -q -- '-m 320 -smp 2'
ok $? "and QEMU was started with them: $(head -1 "$T/state/machines/vm-x86/qemu.log" | grep -o -- '-m [0-9]* -smp [0-9]*')"

out=$(farmctl schedule --suite "$REPO/guest/unittests.cfg" --efi-dir /nonexistent --tag fast 2>&1)
[ $? = 2 ] && echo "$out" | grep -q 'unittests.cfg:[0-9]*: selftest: no selftest.efi'
ok $? "a missing binary is named with the suite's file:line: $(echo "$out" | head -1)"

e2e_done
