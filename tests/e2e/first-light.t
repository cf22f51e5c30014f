#!/bin/bash
# first-light.t - the whole path on an x86_64 QEMU machine: farmd makes the
# lab network in a namespace, dnsmasq answers the iPXE ROM, the boot script
# sets the EFI variables through setvar.efi and chains the test, the console
# and the results POST reach farmd, the result lands in sqlite.
. "$(dirname "$0")/lib.sh"
e2e_start

# schedule ARGS...: runs farmctl schedule --wait --json; sets rc, out, id.
schedule() {
	out=$(farmctl --json schedule --machine vm-x86 --wait "$@")
	rc=$?
	id=$(echo "$out" | jq -r '.jobs[0].id // empty' 2>/dev/null)
	echo "# schedule $* -> exit $rc, job ${id:-?}: $(jq_job "${id:-0}" '"\(.result) \(.reason // "")"' 2>/dev/null)"
}

metric() { # NAME{LABELS}: its value from GET /metrics
	api /metrics | awk -v k="$1" '$1 == k { print $2 }'
}
m_pass0=$(metric 'farm_jobs_finished_total{result="pass"}')
m_boot0=$(metric farm_boot_seconds_count)
m_bytes0=$(metric farm_console_bytes_total)

schedule selftest
ok $rc "selftest: farmctl schedule --wait exits 0"
[ "$(jq_job "$id" .result)" = pass ]
ok $? "selftest: the job's result is pass"
[ "$(jq_job "$id" .exit_code)" = 0 ]
ok $? "selftest: exit code 0"
npass=$(jq_job "$id" '[.testcases[] | select(.status == "pass")] | length')
[ "${npass:-0}" -ge 3 ]
ok $? "selftest: its cases are stored ($npass passed)"
jq_job "$id" '.testcases[] | select(.status == "pass") | .name' | grep -q FARM_SUITE
ok $? "selftest: the suite's variable reached the program (case names FARM_SUITE)"
boot=$(jq_job "$id" .boot_ms)
[ "${boot:-null}" != null ] && [ "$boot" -gt 0 ]
ok $? "selftest: boot time recorded (${boot} ms to the boot script request)"
farmctl log "$id" | grep -q 'SUMMARY:'
ok $? "selftest: farmctl log shows the console with the SUMMARY line"
grep -q "job $id: results POST" "$T/farmd.log"
ok $? "selftest: the results came by POST too"

[ "$(metric 'farm_jobs_finished_total{result="pass"}')" = $((m_pass0 + 1)) ] &&
    [ "$(metric farm_boot_seconds_count)" = $((m_boot0 + 1)) ] &&
    [ "$(metric farm_console_bytes_total)" -gt "$m_bytes0" ]
ok $? "GET /metrics: the pass counter, the boot histogram and console bytes moved with the job"
api /metrics | grep -q '^farm_http_requests_total{method="GET",route="/ipxe/\*",status="200"} [1-9]' &&
    [ "$(api /metrics | awk '/^farm_machines\{state=/ { n += $2 } END { print n }')" = 1 ]
ok $? "GET /metrics: HTTP requests by route and status, machines by state"

schedule report-fail
[ "$rc" = 1 ]
ok $? "report-fail: farmctl exits 1 on a failing test"
[ "$(jq_job "$id" .result)" = fail ]
ok $? "report-fail: the job's result is fail"
jq_job "$id" '.testcases[] | select(.status == "fail") | .name' | grep -q 'broken thing'
ok $? "report-fail: the failing case is named"

schedule report-hang
[ "$rc" = 2 ]
ok $? "report-hang: farmctl exits 2 on a timeout"
[ "$(jq_job "$id" .result)" = timeout ]
ok $? "report-hang: the job's result is timeout"

schedule --env FARM_POST=0 selftest
ok $rc "selftest without the POST: passes, after a timeout on the same machine"
npass=$(jq_job "$id" '[.testcases[] | select(.status == "pass")] | length')
[ "${npass:-0}" -ge 3 ]
ok $? "selftest without the POST: its cases came from the console ($npass)"
! grep -q "job $id: results POST" "$T/farmd.log"
ok $? "selftest without the POST: no POST was made"

script=$(api /ipxe/52-54-00-ff-ff-ff)
echo "$script" | grep -q '^exit' && ! echo "$script" | grep -q chain
ok $? "a MAC farmd does not know gets the idle script"

# A wrong job token: 403, nothing stored.
run=$(farmctl --json schedule --machine vm-x86 report-hang)
id=$(echo "$run" | jq -r '.jobs[0].id')
for _ in $(seq 1 600); do
	[ "$(jq_job "$id" .state)" = running ] && break
	sleep 0.2
done
code=$(in_ns curl -s -o "$T/forged.out" -w '%{http_code}' -X POST \
    -H 'Authorization: Bearer 0000000000000000000000000000000000000000000000000000000000000000' \
    -H 'Content-Type: application/json' \
    --data '{"tests":[{"name":"forged","status":"pass"}],"exit_code":0}' \
    "http://127.0.0.1:$PORT/api/v1/jobs/$id/results")
[ "$code" = 403 ]
ok $? "a results POST with a wrong job token gets 403 (got $code)"
! jq_job "$id" '.testcases[].name' | grep -q forged && [ "$(jq_job "$id" .state)" = running ]
ok $? "the forged POST stored nothing and did not end the job"
farmctl log -f "$id" >"$T/follow.out" 2>&1 &
follow=$!
sleep 1
farmctl cancel "$id" >/dev/null
for _ in $(seq 1 50); do
	[ "$(jq_job "$id" .state)" = cancelled ] && break
	sleep 0.1
done
[ "$(jq_job "$id" .state)" = cancelled ]
ok $? "a running job can be cancelled"
for _ in $(seq 1 50); do kill -0 "$follow" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$follow" 2>/dev/null && wait "$follow" && grep -q 'PASS: before hang' "$T/follow.out"
ok $? "farmctl log -f followed the console live and ended with the job"

e2e_done
