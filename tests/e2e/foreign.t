#!/bin/bash
# foreign.t - `farmctl schedule --efi` runs any EFI binary, also one not
# built with farm's guest library: here a plain gnu-efi program that prints
# the kvm-unit-tests protocol on the firmware console and ends through
# isa-debug-exit or ResetSystem, as upstream binaries do.
. "$(dirname "$0")/lib.sh"
APP=$BUILD/tests/foreign/foreign.efi
[ -e "$APP" ] || { echo "Bail out! $APP is missing: run make unit-tests"; exit 1; }
e2e_start

efi() {
	out=$(farmctl --json schedule --efi "$APP" --machine vm-x86 --wait -- "$@")
	rc=$?
	id=$(echo "$out" | jq -r '.jobs[0].id // empty' 2>/dev/null)
	echo "# --efi foreign.efi $* -> exit $rc: $(jq_job "${id:-0}" '"\(.result) \(.reason // "")"' 2>/dev/null)"
}

efi ok
ok $rc "an uploaded binary ending through isa-debug-exit passes"
[ "$(jq_job "$id" .test)" = foreign ] && [ "$(jq_job "$id" .exit_code)" = 0 ]
ok $? "its job is named after the file, exit code 0 from QEMU's status"
[ "$(jq_job "$id" '[.testcases[] | select(.status == "pass")] | length')" = 2 ]
ok $? "its two cases came from the firmware console"

efi fail
[ "$rc" = 1 ] && [ "$(jq_job "$id" .result)" = fail ]
ok $? "the same binary told to fail gives fail (farmctl exit 1)"
jq_job "$id" '.testcases[] | select(.status == "fail") | .name' | grep -q 'asked to fail'
ok $? "the failing case is named"

efi reset
ok $rc "an uploaded binary ending with ResetSystem after EXIT: passes"

out=$(farmctl --json schedule --efi "$APP" --machine vm-x86 -- 'a${x}' 2>&1)
[ $? = 2 ] && echo "$out" | grep -q 'args\[0\]'
ok $? "an argument iPXE would expand is refused, naming it: $(echo "$out" | head -1)"

e2e_done
