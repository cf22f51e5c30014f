#!/bin/bash
# crash.t - farmd killed with SIGKILL at random moments while jobs run on
# real QEMU machines (lab network in a namespace, OVMF, iPXE), restarted
# each time. After every restart:
#   - every result answered 2xx before the kill is still there: the jobs
#     that were over keep their result, exit code and cases, and each job
#     whose results POST farmd logged as taken has those cases;
#   - the jobs that were in flight (assigned, booting, running) are over,
#     as infra, and none stays in flight without a machine;
#   - no machine stays booting/running without a job;
#   - the QEMU the killed farmd had started is gone (it may die with farmd,
#     which its children follow through PR_SET_PDEATHSIG, or be stopped by
#     the next farmd through its pidfile: either is fine);
#   - sqlite's integrity check says ok (after the kill and after the
#     restart).
# Then a fresh job passes. CRASH_KILLS (5) kills, each CRASH_MAX_WAIT (15)
# s at most after the jobs were queued (odd rounds) or after the round's
# first results POST (even rounds); CRASH_SEED makes a run repeatable.
# An invariant that fails is shown with the farmd log lines around it.
. "$(dirname "$0")/lib.sh"
for f in tests/foreign/foreign.efi guest/x86_64/reporter.efi guest/x86_64/selftest.efi \
    netboot/x86_64/setvar.efi farmd farmctl; do
	[ -e "$BUILD/$f" ] || { echo "Bail out! $BUILD/$f is missing: run make unit-tests"; exit 1; }
done
command -v sqlite3 >/dev/null || { echo "1..0 # SKIP needs sqlite3"; exit 0; }
# This test restarts farmd for minutes: it runs copies of what it needs, so
# a rebuild in the tree meanwhile cannot pull a binary from under it.
mkdir -p "$T/build/guest/x86_64" "$T/build/netboot/x86_64" "$T/build/tests/foreign"
cp "$BUILD/farmd" "$BUILD/farmctl" "$T/build/"
cp "$BUILD"/guest/x86_64/*.efi "$T/build/guest/x86_64/"
cp "$BUILD"/netboot/x86_64/*.efi "$T/build/netboot/x86_64/"
cp "$BUILD/tests/foreign/foreign.efi" "$T/build/tests/foreign/"
BUILD=$T/build
APP=$BUILD/tests/foreign/foreign.efi
KILLS=${CRASH_KILLS:-5}
MAX_WAIT=${CRASH_MAX_WAIT:-15}
SEED=${CRASH_SEED:-$$}
RANDOM=$SEED
echo "# seed $SEED (CRASH_SEED=$SEED repeats this run's kill times)"

# This test's own suite: a test that passes and POSTs, one that hangs.
E2E_SUITE=$T/crash-suite.cfg
cat >"$E2E_SUITE" <<'EOF'
# crash-suite.cfg - written by tests/e2e/crash.t
[selftest]
file = selftest.efi

[report-hang]
file = reporter.efi
extra_params = -append 'pass:before_the_hang hang'
timeout = 40

[report-two]
file = reporter.efi
extra_params = -append 'pass:one pass:two'
EOF
e2e_start "
[machine vm-b]
kind = qemu
arch = x86_64
mac = 52:54:00:f0:00:02
memory = 256
accel = tcg
boot_timeout = 120
"
# FARMD_PID is ip netns exec, which execs farmd in place: wait until the
# process is farmd itself, the one to kill.
for _ in $(seq 1 50); do
	[ "$(readlink "/proc/$FARMD_PID/exe")" = "$BUILD/farmd" ] && break
	sleep 0.1
done
[ "$(readlink "/proc/$FARMD_PID/exe")" = "$BUILD/farmd" ] ||
	{ echo "Bail out! process $FARMD_PID is not farmd"; exit 1; }
DB=$T/state/farm.db
# The farmd log of this test, restarts included, with a line per kill.
LOG=$T/farmd.log

q() { sqlite3 -batch -noheader "$DB" "$@" 2>&1; }

# show_log WHAT: the farmd log lines that explain a failed invariant.
show_log() {
	echo "# farmd log (last 25 lines) after: $1"
	tail -n 25 "$LOG" | sed 's/^/#   /'
}

# check STATUS WHAT: ok, and the log when it failed.
check() {
	local status=$1
	shift
	ok "$status" "$*"
	[ "$status" -eq 0 ] || show_log "$*"
}

restart() {
	local before
	before=$(grep -c 'ready:' "$LOG")
	# Not through in_ns: $! must be farmd itself, for the next SIGKILL.
	ip netns exec "$NS" "$BUILD/farmd" -v -c "$T/farm.conf" >>"$LOG" 2>&1 &
	FARMD_PID=$!
	for _ in $(seq 1 300); do
		[ "$(grep -c 'ready:' "$LOG")" -gt "$before" ] && return 0
		kill -0 "$FARMD_PID" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}

# The done jobs as "id result exit_code ncases", one per line.
done_jobs() {
	q "SELECT j.id, j.state, ifnull(j.result,''), ifnull(j.exit_code,''),
	    (SELECT count(*) FROM testcases t WHERE t.job = j.id)
	    FROM jobs j WHERE j.state IN ('done','cancelled') ORDER BY j.id"
}

# The jobs whose results POST farmd logged as taken: "id ncases", the
# last POST of each.
posted_jobs() {
	sed -n 's/.*job \([0-9]*\): results POST with \([0-9]*\) cases.*/\1 \2/p' "$LOG" |
	    awk '{ last[$1] = $2 } END { for (j in last) print j, last[j] }' | sort -n
}

restarts=0
for round in $(seq 1 "$KILLS"); do
	# Jobs on both machines: a test that POSTs, one that hangs, a foreign
	# binary; and a queue behind them.
	farmctl schedule --machine vm-x86 --machine vm-b selftest report-hang report-two >/dev/null
	farmctl schedule --efi "$APP" --machine vm-x86 -- ok >/dev/null
	# Odd rounds kill while machines boot; even rounds first wait for a
	# results POST (a boot takes about 20 s under TCG), so there are
	# acknowledged results to lose, and kill while the next jobs run.
	when="after the jobs were queued"
	if [ $((round % 2)) = 0 ]; then
		posts=$(grep -c 'results POST with' "$LOG")
		for _ in $(seq 1 900); do
			[ "$(grep -c 'results POST with' "$LOG")" -gt "$posts" ] && break
			sleep 0.1
		done
		when="after a results POST"
	fi
	wait_ms=$((RANDOM % (MAX_WAIT * 10 + 1) * 100))
	sleep "$((wait_ms / 1000)).$(printf '%03d' $((wait_ms % 1000)))"

	# What the QEMU processes are, just before the kill.
	qemu_pids=()
	for pf in "$T"/state/machines/*/qemu.pid; do
		[ -e "$pf" ] || continue
		pid=$(head -n 1 "$pf")
		name=$(basename "$(dirname "$pf")")
		if [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "farm-$name"; then
			qemu_pids+=("$pid:$name")
		fi
	done
	kill -KILL "$FARMD_PID"
	for _ in $(seq 1 50); do
		kill -0 "$FARMD_PID" 2>/dev/null || break
		sleep 0.1
	done
	wait "$FARMD_PID" 2>/dev/null
	echo "--- crash.t: SIGKILL $round after $wait_ms ms ---" >>"$LOG"
	echo "# round $round: SIGKILL $wait_ms ms $when; QEMU running: ${qemu_pids[*]:-none}"

	# The state at the kill, as the next farmd will find it.
	integ=$(q 'PRAGMA integrity_check')
	[ "$integ" = ok ]
	check $? "round $round: integrity_check after the kill: $integ"
	done_before=$(done_jobs)
	inflight=$(q "SELECT id FROM jobs WHERE state IN ('assigned','booting','running') ORDER BY id" | tr '\n' ' ')
	echo "# round $round: in flight at the kill: ${inflight:-none}; $(echo "$done_before" | grep -c .) jobs over"

	restart
	check $? "round $round: farmd starts again after SIGKILL"
	restarts=$((restarts + 1))
	sleep 1

	# Nothing acknowledged is lost: jobs that were over are as they were.
	done_after=$(done_jobs)
	missing=$(comm -23 <(echo "$done_before") <(echo "$done_after"))
	[ -z "$missing" ]
	check $? "round $round: every job that was over keeps its result and cases${missing:+ (changed: $(echo $missing))}"
	bad=""
	while read -r id ncases; do
		[ -n "$id" ] || continue
		have=$(q "SELECT count(*) FROM testcases WHERE job = $id")
		[ "$have" = "$ncases" ] || bad="$bad $id($have/$ncases)"
	done < <(posted_jobs)
	[ -z "$bad" ]
	check $? "round $round: every results POST farmd took ($(posted_jobs | wc -l) so far) is stored${bad:+; missing:$bad}"

	# The jobs that were in flight are over, as infra.
	bad=""
	for id in $inflight; do
		row=$(q "SELECT state || '/' || ifnull(result,'') FROM jobs WHERE id = $id")
		[ "$row" = done/infra ] || bad="$bad $id:$row"
	done
	[ -z "$bad" ]
	check $? "round $round: the jobs in flight at the kill (${inflight:-none}) are done/infra${bad:+; not:$bad}"

	# No machine is busy without a job, no job in flight without a machine.
	machines=$(api /api/v1/machines)
	busy_without=$(echo "$machines" | jq -r '.machines[] | select((.state == "booting" or .state == "running") and .job == null) | .name')
	[ -n "$machines" ] && [ -z "$busy_without" ]
	check $? "round $round: no machine is booting/running without a job${busy_without:+: $busy_without}"
	held=$(echo "$machines" | jq -r '.machines[].job | select(. != null)' | sort -n | tr '\n' ' ')
	orphans=""
	for id in $(q "SELECT id FROM jobs WHERE state IN ('assigned','booting','running')"); do
		case " $held " in *" $id "*) ;; *) orphans="$orphans $id" ;; esac
	done
	[ -z "$orphans" ]
	check $? "round $round: every job in flight now is on a machine (machines hold: ${held:-none})${orphans:+; orphans:$orphans}"

	# The QEMU the killed farmd started is gone.
	left=""
	for pn in "${qemu_pids[@]}"; do
		pid=${pn%%:*}
		name=${pn#*:}
		for _ in $(seq 1 50); do
			tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "farm-$name" || break
			sleep 0.1
		done
		if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "farm-$name"; then
			left="$left $pid($name)"
		fi
	done
	[ -z "$left" ]
	check $? "round $round: the QEMU the killed farmd ran (${qemu_pids[*]:-none}) is gone${left:+; still running:$left}"

	integ=$(q 'PRAGMA integrity_check')
	[ "$integ" = ok ]
	check $? "round $round: integrity_check after the restart: $integ"
done

# Retried once (issue 6): each job in flight at a kill comes back as one
# new attempt, and a retry that is cut short again is not retried again.
# Until sched.c retries at all this is said, not failed.
victims=$(q "SELECT count(*) FROM jobs WHERE attempt = 1 AND reason LIKE 'farmd restarted%'")
retries=$(q "SELECT count(*) FROM jobs WHERE attempt = 2")
beyond=$(q "SELECT count(*) FROM jobs WHERE attempt > 2")
if [ "${retries:-0}" -gt 0 ]; then
	[ "$retries" = "$victims" ] && [ "$beyond" = 0 ]
	check $? "each job cut short by a kill was retried once: $victims cut short, $retries retries, $beyond beyond a second attempt"
else
	n=$((n + 1))
	echo "ok $n # SKIP not implemented yet: jobs in flight at a kill become infra but are not retried (issue 6)"
fi

# A clean slate, then a fresh job passes.
for id in $(q "SELECT id FROM jobs WHERE state IN ('queued','assigned','booting','running')"); do
	farmctl cancel "$id" >/dev/null 2>&1
done
for _ in $(seq 1 100); do
	[ "$(api /api/v1/machines | jq '[.machines[] | select(.state == "idle")] | length')" = 2 ] && break
	sleep 0.2
done
out=$(farmctl --json schedule --machine vm-x86 --wait selftest)
rc=$?
id=$(echo "$out" | jq -r '.jobs[0].id // empty' 2>/dev/null)
[ "$rc" = 0 ] && [ "$(jq_job "$id" .result)" = pass ]
check $? "after $restarts restarts a fresh selftest passes (exit $rc, job ${id:-?}: $(jq_job "${id:-0}" '"\(.result) \(.reason // "")"' 2>/dev/null))"
echo "# figures: restarts=$restarts seed=$SEED jobs=$(q 'SELECT count(*) FROM jobs') infra_by_restart=$(q "SELECT count(*) FROM jobs WHERE reason LIKE 'farmd restarted%'")"
e2e_done
