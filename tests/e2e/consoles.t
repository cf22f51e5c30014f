#!/bin/bash
# consoles.t - the telnet: and command: consoles of physical machines, end
# to end. Two simulated machines, as in physical.t (power.sh starts QEMU
# with OVMF and iPXE on a tap of the lab bridge; serial-server.py serves
# the serial line):
#   rack-t  console = telnet:127.0.0.1:PORT - serial-server.py --telnet,
#           a console server that negotiates options (WILL/DO, RFC 2217's
#           COM-PORT), puts IAC NOP before every chunk, escapes 0xFF as
#           IAC IAC and, after the SUMMARY line, sends a line holding
#           0xFF bytes as if the guest had printed it;
#   rack-c  console = command:python3 serial-client.py SOCKET - a program
#           farmd runs whose output is the serial line, as ipmitool's SOL.
# Checks, for each: farmd connects, selftest passes and its console log
# has the SUMMARY line; for telnet: farmd answered the negotiation, the
# telnet commands are gone from the log and the 0xFF bytes are kept. Then
# each console drops while a job is in flight (the telnet server is
# restarted, the console command killed): farmd says so in its log and in
# the job's log, connects again, and the job still passes.
. "$(dirname "$0")/lib.sh"
HERE=$REPO/tests/e2e/physical
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
SIMT=$T/rack-t
SIMC=$T/rack-c
TPORT=7020
TSERVER_PID=
CSERVER_PID=
E2E_SUITE=$HERE/unittests.cfg
TSPEC="telnet:127.0.0.1:$TPORT"
CSPEC="command:$PY $HERE/serial-client.py $SIMC/console.sock --pidfile $SIMC/client.pid"

# sim DIR MAC TAP: the config of a simulated machine for power.sh.
sim() {
	mkdir -p "$1"
	cat >"$1/config" <<CONF
MAC=$2
TAP=$3
BRIDGE=farm0
SERIAL=$1/serial.sock
CONF
}
sim "$SIMT" 52:54:00:f0:00:11 ctel0
sim "$SIMC" 52:54:00:f0:00:12 ccmd0


# The console servers, inside the namespace (ip netns exec execs them, so
# $! is the server's PID); each returns once it listens.
tserver_start() {
	local before
	before=$(grep -c "listening on" "$T/tserver.log" 2>/dev/null)
	ip netns exec "$NS" "$PY" "$HERE/serial-server.py" --telnet \
	    --listen "127.0.0.1:$TPORT" --line "$SIMT/serial.sock" \
	    --mark-after SUMMARY: >>"$T/tserver.log" 2>&1 &
	TSERVER_PID=$!
	wait_for 10 eval '[ "$(grep -c "listening on" "$T/tserver.log")" -gt "${before:-0}" ]'
}

cserver_start() {
	ip netns exec "$NS" "$PY" "$HERE/serial-server.py" \
	    --listen "$SIMC/console.sock" --line "$SIMC/serial.sock" \
	    >>"$T/cserver.log" 2>&1 &
	CSERVER_PID=$!
	wait_for 10 test -S "$SIMC/console.sock"
}

# stop_pid PID: stops one process this test started.
stop_pid() {
	if [ -n "$1" ]; then
		kill -TERM "$1" 2>/dev/null
		wait "$1" 2>/dev/null
	fi
}

servers_start() {
	tserver_start && cserver_start
}

consoles_stop() {
	"$HERE/power.sh" off "$SIMT" >/dev/null 2>&1
	"$HERE/power.sh" off "$SIMC" >/dev/null 2>&1
	stop_pid "$TSERVER_PID"
	stop_pid "$CSERVER_PID"
	e2e_stop
}

# schedule MACHINE: selftest there, waiting; sets rc and id.
schedule() {
	local out
	out=$(farmctl --json schedule --machine "$1" --wait selftest)
	rc=$?
	id=$(echo "$out" | jq -r '.jobs[0].id // empty' 2>/dev/null)
	echo "# selftest on $1 -> exit $rc, job ${id:-?}: $(jq_job "${id:-0}" '"\(.result) \(.reason // "")"' 2>/dev/null)"
}

# schedule_nowait MACHINE: selftest there; sets id.
schedule_nowait() {
	id=$(farmctl --json schedule --machine "$1" selftest | jq -r '.jobs[0].id // empty')
}

job_state_in() {
	case "$(jq_job "$1" .state)" in "$2" | "$3") return 0 ;; esac
	return 1
}

# joblog ID: the job's console log, as stored.
joblog() {
	farmctl log "$1" >"$T/job$1.log"
	cat "$T/job$1.log"
}

# has_bytes FILE PYTHON-BYTES: 0 when the file holds those bytes.
has_bytes() {
	"$PY" -c 'import sys; sys.exit(0 if eval(sys.argv[2]) in open(sys.argv[1], "rb").read() else 1)' "$1" "$2"
}

farmd_says() {
	grep -cF "$1" "$T/farmd.log"
}

E2E_PRE_FARMD=servers_start
e2e_start "
[machine rack-t]
kind = physical
arch = x86_64
mac = 52:54:00:f0:00:11
power_on = $HERE/power.sh on $SIMT
power_off = $HERE/power.sh off $SIMT
power_cycle = $HERE/power.sh cycle $SIMT
console = $TSPEC
boot_timeout = 120

[machine rack-c]
kind = physical
arch = x86_64
mac = 52:54:00:f0:00:12
power_on = $HERE/power.sh on $SIMC
power_off = $HERE/power.sh off $SIMC
power_cycle = $HERE/power.sh cycle $SIMC
console = $CSPEC
boot_timeout = 120
"
trap consoles_stop EXIT

# ---- telnet ----

wait_for 10 grep -q "machine rack-t: console $TSPEC: connected$" "$T/farmd.log"
ok $? "farmd connects to rack-t's telnet console server"
wait_for 5 grep -q "DO BINARY" "$T/tserver.log"
for answer in "DO BINARY" "DO SGA" "DONT ECHO" "WONT TTYPE" "DONT COM-PORT-OPTION"; do
	grep -q "telnet client [0-9]*: $answer$" "$T/tserver.log"
	ok $? "farmd answers the server's telnet negotiation: $answer"
done

t0=$SECONDS
schedule rack-t
ok $rc "selftest on rack-t (telnet console): farmctl schedule --wait exits 0 ($((SECONDS - t0)) s)"
[ "$(jq_job "$id" .result)" = pass ]
ok $? "selftest on rack-t: the job's result is pass"
joblog "$id" | grep -qa '^SUMMARY:'
ok $? "its console came through telnet: the log has the SUMMARY line"
has_bytes "$T/job$id.log" 'b"\n\xffFARM-FF-MARK\xff\r\n"'
ok $? "0xFF bytes the machine printed (IAC IAC on the wire) are kept as 0xFF"
! has_bytes "$T/job$id.log" 'b"\xff\xf1"' && ! has_bytes "$T/job$id.log" 'b"\xff\xff"'
ok $? "the telnet commands (IAC NOP before every chunk) are not in the log"
npass=$(jq_job "$id" '[.testcases[] | select(.status == "pass")] | length')
[ "${npass:-0}" -ge 3 ]
ok $? "selftest on rack-t: its cases are stored ($npass passed)"

# ---- command ----

wait_for 10 grep -qF "machine rack-c: console $CSPEC: connected" "$T/farmd.log"
ok $? "farmd runs rack-c's console command"
t0=$SECONDS
schedule rack-c
ok $rc "selftest on rack-c (command console): farmctl schedule --wait exits 0 ($((SECONDS - t0)) s)"
[ "$(jq_job "$id" .result)" = pass ]
ok $? "selftest on rack-c: the job's result is pass"
joblog "$id" | grep -qa '^SUMMARY:'
ok $? "its console came through the command's output: the log has the SUMMARY line"

# ---- a console that drops while a job is in flight ----

# The telnet console server restarts while the machine boots.
t0=$SECONDS
schedule_nowait rack-t
wait_for 30 job_state_in "$id" booting running
ok $? "rack-t has a job in flight (job $id)"
stop_pid "$TSERVER_PID"
tserver_start
wait_for 15 eval '[ "$(farmd_says "machine rack-t: console $TSPEC: connected again after")" = 1 ]'
ok $? "farmd connects again to the restarted telnet server"
[ "$(farmd_says "machine rack-t: console $TSPEC: the server closed the connection; trying again")" = 1 ]
ok $? "farmd's log says once that the telnet console was lost"
wait_for 240 job_state_in "$id" done cancelled
[ "$(jq_job "$id" .result)" = pass ]
ok $? "the job goes on and passes ($(jq_job "$id" .result), $((SECONDS - t0)) s)"
joblog "$id" | grep -qa '^\[farm: console lost; the job goes on'
ok $? "the job's log notes the console was lost"
grep -qa '^\[farm: console back' "$T/job$id.log" && grep -qa '^SUMMARY:' "$T/job$id.log"
ok $? "... and that it came back, and has the SUMMARY line from the new connection"

# The console command is killed while the machine boots.
t0=$SECONDS
schedule_nowait rack-c
wait_for 30 job_state_in "$id" booting running
ok $? "rack-c has a job in flight (job $id)"
pid=$(cat "$SIMC/client.pid" 2>/dev/null)
[ -n "$pid" ] && kill -TERM "$pid"
ok $? "the console command (pid $pid) is killed"
wait_for 15 eval '[ "$(farmd_says "machine rack-c: console $CSPEC: connected again after")" = 1 ]'
ok $? "farmd runs the console command again"
[ "$(farmd_says "machine rack-c: console $CSPEC: the command was killed by signal 15")" = 1 ]
ok $? "farmd's log says once that the command was killed"
wait_for 5 eval '[ "$(cat "$SIMC/client.pid" 2>/dev/null)" != "$pid" ]'
ok $? "a new console command runs (pid $(cat "$SIMC/client.pid" 2>/dev/null))"
wait_for 240 job_state_in "$id" done cancelled
[ "$(jq_job "$id" .result)" = pass ]
ok $? "the job goes on and passes ($(jq_job "$id" .result), $((SECONDS - t0)) s)"
joblog "$id" | grep -qa '^\[farm: console lost; the job goes on'
ok $? "the job's log notes the console was lost"
grep -qa '^\[farm: console back' "$T/job$id.log" && grep -qa '^SUMMARY:' "$T/job$id.log"
ok $? "... and that it came back, and has the SUMMARY line"

kill -0 "$FARMD_PID"
ok $? "farmd still runs"

e2e_done
