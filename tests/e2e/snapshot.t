#!/bin/bash
# snapshot.t - QEMU machines boot from a saved state (issue 7, item 3):
# the first job cold-boots and saves the machine's state while it waits in
# the iPXE poll loop; the next job resumes from it in a fraction of the
# time; a state that no longer loads means a cold boot (the job still
# passes) and a new state; a change of the machine's QEMU configuration
# (memory, through a SIGHUP reload) gives a new state.
. "$(dirname "$0")/lib.sh"
e2e_start
MDIR=$T/state/machines/vm-x86

# schedule ARGS...: runs farmctl schedule --wait --json; sets rc, out, id.
schedule() {
	out=$(farmctl --json schedule --machine vm-x86 --wait "$@")
	rc=$?
	id=$(echo "$out" | jq -r '.jobs[0].id // empty' 2>/dev/null)
	echo "# schedule $* -> exit $rc, job ${id:-?}: $(jq_job "${id:-0}" '"\(.result) boot_ms \(.boot_ms) \(.reason // "")"' 2>/dev/null)"
}
# passes WHAT: the job passed with its cases.
passes() {
	[ "$rc" = 0 ] && [ "$(jq_job "$id" .result)" = pass ] &&
	    [ "$(jq_job "$id" '[.testcases[] | select(.status == "pass")] | length')" -ge 3 ]
	ok $? "$1: the job passes with its cases"
}
# machine_off: waits until the machine's QEMU has ended.
machine_off() {
	for _ in $(seq 1 100); do
		[ -e "$MDIR/qemu.pid" ] || return 0
		sleep 0.1
	done
}
states() { ls "$MDIR"/snapshot-*.state 2>/dev/null; }
logcount() { grep -c "$1" "$T/farmd.log"; }

schedule selftest
passes "first job (cold boot)"
cold_ms=$(jq_job "$id" .boot_ms)
grep -q 'vm-x86: snapshot saved: snapshot-' "$T/farmd.log"
ok $? "first job: farmd saved the machine's state (log says so)"
[ "$(states | wc -l)" = 1 ] && [ -s "$(states | sed 's/\.state$/.vars/')" ]
ok $? "first job: one state file and its vars copy"
state1=$(states)

machine_off
schedule selftest
passes "second job (resumed)"
warm_ms=$(jq_job "$id" .boot_ms)
[ "$(logcount 'vm-x86: resumed from snapshot')" = 1 ]
ok $? "second job: farmd resumed the machine from its snapshot"
[ "${warm_ms:-99999}" -lt $((cold_ms / 2)) ]
ok $? "second job: boot script after $warm_ms ms, cold boot took $cold_ms ms"
[ "$(states)" = "$state1" ]
ok $? "second job: the same state is kept for the next"

machine_off
schedule selftest
passes "third job (resumed again)"
[ "$(logcount 'vm-x86: resumed from snapshot')" = 2 ]
ok $? "third job: resumed again from the same file"

# A state that does not load: cold boot, the job passes, a new state.
machine_off
head -c 100000 /dev/urandom >"$state1"
schedule selftest
passes "corrupt state"
grep -q 'vm-x86: resume from snapshot failed' "$T/farmd.log"
ok $? "corrupt state: the failed resume is logged"
[ "$(logcount 'vm-x86: snapshot saved')" = 2 ] && [ "$(states)" = "$state1" ] &&
    [ "$(jq_job "$id" .attempt)" = 1 ]
ok $? "corrupt state: rebuilt in the same job, no retry needed"

# The machine's configuration changes: another key, a new state.
machine_off
sed -i 's/^memory = 256$/memory = 320/' "$T/farm.conf"
kill -HUP "$FARMD_PID"
for _ in $(seq 1 50); do grep -q 'reload' "$T/farmd.log" && break; sleep 0.1; done
schedule selftest
passes "memory changed"
[ "$(logcount 'vm-x86: snapshot saved')" = 3 ] && [ "$(states | wc -l)" = 1 ] &&
    [ "$(states)" != "$state1" ]
ok $? "memory changed: the state was rebuilt under a new key, the old one deleted"
grep -q -- '-m 320 ' "$MDIR/qemu.log"
ok $? "memory changed: QEMU ran with the new memory size"
machine_off
schedule selftest
passes "after the change"
[ "$(logcount 'vm-x86: resumed from snapshot')" = 3 ]
ok $? "after the change: resumed from the new state"
[ "$(logcount 'resume from snapshot failed')" = 1 ]
ok $? "no resume failed but the corrupt state's"

e2e_done
