#!/bin/bash
# sched.t - the scheduler on real machines: maintenance and the health check
# that brings a machine back, priorities, retry after infra, a machine sent
# to maintenance by consecutive infra results, discovery of unknown MACs,
# cancel, and several tests chained in one boot.
. "$(dirname "$0")/lib.sh"
e2e_start "
[machine vm-bad]
kind = qemu
arch = x86_64
mac = 52:54:00:f0:00:02
accel = tcg
firmware = /nonexistent/OVMF_CODE.fd
tags = broken
" "max_infra = 2
health_check = selftest"

state_of() { farmctl --json machines | jq -r ".machines[] | select(.name == \"$1\") | .$2"; }
wait_job() { # ID STATE...
	local id=$1 s
	shift
	for _ in $(seq 1 900); do
		s=$(jq_job "$id" .state)
		for want in "$@"; do [ "$s" = "$want" ] && return 0; done
		sleep 0.2
	done
	return 1
}
job_of() { echo "$1" | jq -r ".jobs[$2].id"; }
wait_machine() { # NAME STATE [HEALTH]
	for _ in $(seq 1 300); do
		[ "$(state_of "$1" state)" = "$2" ] &&
		    { [ -z "${3:-}" ] || [ "$(state_of "$1" health)" = "$3" ]; } && return 0
		sleep 0.1
	done
	return 1
}

# Warm chaining: three tests, one boot.
boots0=$(state_of vm-x86 boots)
out=$(farmctl --json schedule --machine vm-x86 --wait selftest memmap report-mixed)
ok $? "three sample tests pass in one run"
boots1=$(state_of vm-x86 boots)
[ $((boots1 - boots0)) = 1 ]
ok $? "they ran in one boot (boots $boots0 -> $boots1)"
[ "$(echo "$out" | jq '[.jobs[1:][] | select(.boot_ms == 0)] | length')" = 2 ]
ok $? "the second and third were chained without a reboot (boot_ms 0)"

# The run's results for CI.
run=$(echo "$out" | jq -r .id)
farmctl results "$run" --junit >"$T/junit.xml"
python3 - "$T/junit.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
assert root.tag in ("testsuites", "testsuite"), root.tag
assert len(suites) == 3, len(suites)
for s in suites:
    for a in ("name", "tests", "failures"):
        assert a in s.attrib, (s.tag, a)
    cases = s.findall("testcase")
    assert cases and all("name" in c.attrib and "classname" in c.attrib for c in cases)
PY
ok $? "farmctl results --junit: a testsuite per job with name/tests/failures, testcases with name/classname"
tap=$(farmctl results "$run" --tap)
echo "$tap" | head -1 | grep -q '^TAP version 13' && echo "$tap" | grep -q '^1\.\.[0-9]' &&
    ! echo "$tap" | grep -q '^not ok'
ok $? "farmctl results --tap: TAP 13 with a plan, every job ok"

# Maintenance: no jobs until online; then the health check runs first.
farmctl machine set vm-x86 maintenance --reason "cable swap" >/dev/null
ok $? "farmctl machine set vm-x86 maintenance"
wait_machine vm-x86 maintenance
ok $? "the machine is in maintenance (once its last job has ended)"
low=$(job_of "$(farmctl --json schedule --machine vm-x86 --priority 1 report-mixed)" 0)
high=$(job_of "$(farmctl --json schedule --machine vm-x86 --priority 9 selftest)" 0)
sleep 3
[ "$(jq_job "$low" .state)" = queued ] && [ "$(jq_job "$high" .state)" = queued ]
ok $? "a machine in maintenance takes no jobs"
farmctl machine set vm-x86 online >/dev/null
[ "$(state_of vm-x86 health)" = checking ]
ok $? "online with a health_check: the machine checks its health first"
wait_job "$low" done
hc=$(farmctl --json jobs --machine vm-x86 --limit 20 | jq -r '[.jobs[] | select(.priority == 1000)][0].id')
[ "$(jq_job "$hc" .result)" = pass ] && [ "$(jq_job "$hc" .test)" = selftest ]
ok $? "the health check (job $hc) passed"
[ "$(jq_job "$hc" .finished_at)" -le "$(jq_job "$high" .started_at)" ] &&
    [ "$(jq_job "$high" .finished_at)" -le "$(jq_job "$low" .started_at)" ]
ok $? "then the jobs ran, higher priority first"
wait_machine vm-x86 idle ok
ok $? "the machine is back online"

# Infra: retried once, and two in a row send the machine to maintenance.
run=$(farmctl --json schedule --machine vm-bad selftest)
first=$(job_of "$run" 0)
wait_job "$first" done
[ "$(jq_job "$first" .result)" = infra ]
ok $? "a machine that cannot start gives infra: $(jq_job "$first" .reason)"
retry=$(farmctl --json jobs --machine vm-bad | jq -r "[.jobs[] | select(.retry_of == $first)][0].id")
[ -n "$retry" ] && [ "$retry" != null ] && wait_job "$retry" done
ok $? "the infra job was retried once (job $retry)"
for _ in $(seq 1 50); do [ "$(state_of vm-bad state)" = maintenance ] && break; sleep 0.1; done
[ "$(state_of vm-bad state)" = maintenance ] && [ "$(state_of vm-bad health)" = failing ]
ok $? "two infra results in a row: vm-bad went to maintenance"
[ "$(farmctl --json jobs --machine vm-bad | jq '[.jobs[] | select(.retry_of == '"$retry"')] | length')" = 0 ]
ok $? "a retry is not retried again"
farmctl machine set vm-bad online >/dev/null
for _ in $(seq 1 300); do [ "$(state_of vm-bad health)" = failing ] && [ "$(state_of vm-bad state)" = maintenance ] && break; sleep 0.2; done
[ "$(state_of vm-bad health)" = failing ] && [ "$(state_of vm-bad state)" = maintenance ]
ok $? "its health check fails too: it stays in maintenance"

# Cancel a queued job.
farmctl machine set vm-x86 maintenance >/dev/null
q=$(job_of "$(farmctl --json schedule --machine vm-x86 selftest)" 0)
farmctl cancel "$q" >/dev/null && [ "$(jq_job "$q" .state)" = cancelled ]
ok $? "a queued job can be cancelled"
farmctl machine set vm-x86 online >/dev/null

# Discovery.
api "/ipxe/52-54-00-aa-bb-cc?arch=x86_64&platform=efi" | grep -q '^exit'
ok $? "an unknown MAC gets the idle script"
farmctl --json machines --discovered | jq -e '.discovered[] | select(.mac == "52:54:00:aa:bb:cc" and .arch == "x86_64")' >/dev/null
ok $? "and is listed by farmctl machines --discovered"

e2e_done
