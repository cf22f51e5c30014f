#!/bin/bash
# faults.t - the lab's parts failing under a running farm (real farmd,
# dnsmasq, QEMU/OVMF/iPXE in the test's network namespace):
#   - QEMU killed from outside in the middle of a job: the job is infra
#     with the reason, retried once, and the machine is usable at once;
#   - dnsmasq killed: farmd restarts it (logged) and the next job boots;
#   - the disk under the state directory full: the API answers a clear
#     error, nothing stored is lost, farmd keeps running, and service
#     resumes when space returns;
#   - the database locked by another process (sqlite busy): a clear error,
#     then service resumes.
. "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || { echo "1..0 # SKIP needs sqlite3"; exit 0; }
[ "$(id -u)" = 0 ] || skip_all "needs root (network namespace, tmpfs)"

# The state directory on a small tmpfs of its own, so that "disk full"
# touches nothing else. Mounted before farmd starts, removed at the end.
mkdir -p "$T/state"
mount -t tmpfs -o size=48m farm-e2e-faults "$T/state" ||
	{ echo "Bail out! cannot mount a tmpfs"; exit 1; }
# e2e_stop stops farmd and removes $T; the tmpfs goes after it.
cleanup() {
	local t=$T
	e2e_stop 2>/dev/null
	umount "$t/state" 2>/dev/null
	if [ "$nfail" -eq 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$t"; fi
}
# snapshot = no: a saved VM state (43 MB) would fill the small tmpfs by itself.
e2e_start "snapshot = no"
trap cleanup EXIT

# 1. QEMU killed mid-job.
farmctl --json schedule --machine vm-x86 --timeout 600 report-hang >"$T/hang.json"
id=$(jq -r '.jobs[0].id' "$T/hang.json")
for _ in $(seq 1 600); do
	[ "$(jq_job "$id" .state)" = running ] && farmctl log "$id" | grep -q "before hang" && break
	sleep 0.2
done
qpid=$(cat "$T/state/machines/vm-x86/qemu.pid" 2>/dev/null)
[ -n "$qpid" ] && kill -KILL "$qpid"
ok $? "QEMU (pid $qpid) killed with SIGKILL while job $id runs"
for _ in $(seq 1 100); do
	[ "$(jq_job "$id" .state)" = done ] && break
	sleep 0.2
done
echo "# job $id: $(jq_job "$id" '"\(.result): \(.reason)"')"
[ "$(jq_job "$id" .result)" = infra ]
ok $? "the job is infra (the farm's VM died, not the test)"
jq_job "$id" .reason | grep -qi "qemu"
ok $? "its reason says QEMU ended"
# The retry (infra is retried once) and a fresh job both run.
farmctl cancel "$((id + 1))" >/dev/null 2>&1
out=$(farmctl --json schedule --machine vm-x86 --wait selftest)
ok $? "the machine runs the next job at once: $(echo "$out" | jq -r '.jobs[0].result')"

# 2. dnsmasq killed.
dpid=$(cat "$T/state/dnsmasq.pid")
kill -KILL "$dpid"
ok $? "dnsmasq (pid $dpid) killed"
for _ in $(seq 1 50); do
	grep -q "dnsmasq exited (status 137).*restarting" "$T/farmd.log" && break
	sleep 0.2
done
grep -q "dnsmasq exited (status 137).*; restarting in 1 s" "$T/farmd.log"
ok $? "farmd saw it and restarts it with back-off (logged)"
out=$(farmctl --json schedule --machine vm-x86 --wait selftest)
rc=$?
ok $rc "the next job boots through the new dnsmasq: $(echo "$out" | jq -r '.jobs[0].result')"
npid=$(sed -n "s/.*dnsmasq started on farm0 (pid \([0-9]*\)).*/\1/p" "$T/farmd.log" | tail -1)
[ -n "$npid" ] && [ "$npid" != "$dpid" ] && kill -0 "$npid"
ok $? "a new dnsmasq runs (pid $npid)"

# 3. Disk full.
before=$(farmctl --json jobs | jq '[.jobs[] | select(.state == "done")] | length')
dd if=/dev/zero of="$T/state/filler" bs=1M count=100 2>/dev/null
df -k "$T/state" | tail -1 | sed 's/^/# /'
err=$(farmctl --json schedule --machine vm-x86 selftest 2>&1)
rc=$?
echo "# schedule on a full disk: rc $rc: $err" | head -3
[ $rc = 2 ] && echo "$err" | grep -qi "full\|space"
ok $? "scheduling on a full disk fails with a clear error (exit 2, says the disk is full)"
kill -0 "$FARMD_PID"
ok $? "farmd keeps running"
after=$(farmctl --json jobs | jq '[.jobs[] | select(.state == "done")] | length')
[ "$before" = "$after" ]
ok $? "nothing stored is lost ($after finished jobs before and after)"
rm -f "$T/state/filler"
out=$(farmctl --json schedule --machine vm-x86 --wait selftest)
ok $? "space back: the next job runs ($(echo "$out" | jq -r '.jobs[0].result'))"

# 4. The database locked by another process.
sqlite3 "$T/state/farm.db" "BEGIN EXCLUSIVE; SELECT 1;" >/dev/null &
python3 - "$T/state/farm.db" <<'PY' &
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=1, isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
time.sleep(12)
db.execute("COMMIT")
PY
locker=$!
sleep 1
t0=$(date +%s)
err=$(farmctl --json schedule --machine vm-x86 selftest 2>&1)
rc=$?
echo "# schedule while locked: rc $rc after $(( $(date +%s) - t0 )) s: $err" | head -3
[ $rc = 2 ] && echo "$err" | grep -qi "busy\|locked"
ok $? "scheduling while another process holds the database fails clearly (busy)"
kill -0 "$FARMD_PID"
ok $? "farmd keeps running"
wait "$locker"
out=$(farmctl --json schedule --machine vm-x86 --wait selftest)
ok $? "lock released: the next job runs ($(echo "$out" | jq -r '.jobs[0].result'))"
echo "PRAGMA integrity_check;" | sqlite3 "$T/state/farm.db" | grep -qx ok
ok $? "sqlite integrity check: ok"

e2e_done
