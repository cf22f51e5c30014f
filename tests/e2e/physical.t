#!/bin/bash
# physical.t - a "physical" machine, driven the way farmd drives a real
# server: power commands (tests/e2e/physical/power.sh, which starts and
# stops a QEMU with OVMF and the iPXE ROM on a tap of the lab bridge) and a
# serial console over TCP from a console server that is always there
# (tests/e2e/physical/serial-server.py, as ser2net serves a serial port).
# Checks: selftest passes on it through power_cycle/power_on/power_off and
# the TCP console; a console server that restarts while the machine idles
# is reconnected and the next job's console comes through it; a failing
# power command ends the job as infra, naming the command and its output.
. "$(dirname "$0")/lib.sh"
HERE=$REPO/tests/e2e/physical
SIM=$T/rack1            # the simulated machine: config, firmware vars, pidfile
CPORT=7010
SERVER_PID=
E2E_SUITE=$HERE/unittests.cfg

mkdir -p "$SIM"
cat >"$SIM/config" <<CONF
MAC=52:54:00:f0:00:10
TAP=rack1tap
BRIDGE=farm0
SERIAL=$SIM/serial.sock
CONF

# serial_server_start: the console server, inside the namespace (ip netns
# exec execs it, so $! is its PID); returns once it listens.
serial_server_start() {
	ip netns exec "$NS" python3 "$HERE/serial-server.py" --listen "127.0.0.1:$CPORT" \
	    --line "$SIM/serial.sock" >>"$T/serial-server.log" 2>&1 &
	SERVER_PID=$!
	wait_for 10 in_ns bash -c "echo >/dev/tcp/127.0.0.1/$CPORT" 2>/dev/null
}

serial_server_stop() {
	if [ -n "$SERVER_PID" ]; then
		kill -TERM "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
	SERVER_PID=
}

physical_stop() {
	# The simulated machine outlives farmd (it is "hardware"): stop it.
	"$HERE/power.sh" off "$SIM" >/dev/null 2>&1
	serial_server_stop
	e2e_stop
}


# schedule ARGS...: farmctl schedule --wait --json on rack1; sets rc, id.
schedule() {
	local out
	out=$(farmctl --json schedule --machine rack1 --wait "$@")
	rc=$?
	id=$(echo "$out" | jq -r '.jobs[0].id // empty' 2>/dev/null)
	echo "# schedule $* -> exit $rc, job ${id:-?}: $(jq_job "${id:-0}" '"\(.result) \(.reason // "")"' 2>/dev/null)"
}

power_log() { cat "$T/state/machines/rack1/power.log" 2>/dev/null; }
console_log() { grep -c "machine rack1: console tcp:127.0.0.1:$CPORT: $1" "$T/farmd.log"; }
qemu_off() { ! [ -e "$SIM/qemu.pid" ]; }

E2E_PRE_FARMD=serial_server_start
e2e_start "
[machine rack1]
kind = physical
arch = x86_64
mac = 52:54:00:f0:00:10
power_on = $HERE/power.sh on $SIM
power_off = $HERE/power.sh off $SIM
power_cycle = $HERE/power.sh cycle $SIM
console = tcp:127.0.0.1:$CPORT
boot_timeout = 120
tags = physical
"
trap physical_stop EXIT

wait_for 10 grep -q "machine rack1: console tcp:127.0.0.1:$CPORT: connected$" "$T/farmd.log"
ok $? "farmd connects to rack1's console server over TCP"

schedule selftest
ok $rc "selftest on rack1: farmctl schedule --wait exits 0"
[ "$(jq_job "$id" .result)" = pass ]
ok $? "selftest on rack1: the job's result is pass"
farmctl log "$id" | grep -q '^SUMMARY:'
ok $? "selftest on rack1: its console came over TCP (the log has the SUMMARY line)"
npass=$(jq_job "$id" '[.testcases[] | select(.status == "pass")] | length')
[ "${npass:-0}" -ge 3 ]
ok $? "selftest on rack1: its cases are stored ($npass passed)"
power_log | grep -q "power_cycle: $HERE/power.sh cycle $SIM"
ok $? "the first boot after farmd started used power_cycle (the machine may have been on)"
wait_for 20 eval 'power_log | grep -q "power_off: exited with status 0"'
ok $? "after the job farmd ran power_off, and it succeeded"
wait_for 5 qemu_off
ok $? "the simulated machine is off"

# The console server restarts while the machine idles; it stays away
# long enough for farmd's attempts at 1 and 3 s to fail.
serial_server_stop
wait_for 10 eval '[ "$(console_log "the server closed the connection; trying again")" = 1 ]'
ok $? "farmd notices the console server went away, and says so"
sleep 4
serial_server_start
wait_for 15 eval '[ "$(console_log "connected again after")" = 1 ]'
ok $? "farmd reconnects to the restarted console server"
[ "$(console_log ".*trying again")" = 1 ] && [ "$(console_log ".*next try in")" -ge 2 ]
ok $? "the outage is logged once ($(console_log ".*next try in") more failed attempts only at debug level)"

schedule selftest
ok $rc "selftest after the console server restarted: passes"
farmctl log "$id" | grep -q '^SUMMARY:'
ok $? "its console came through the new connection"
power_log | grep -q "power_on: $HERE/power.sh on $SIM"
ok $? "a machine farmd turned off is started with power_on, not power_cycle"
wait_for 20 qemu_off
ok $? "the simulated machine is off again"

# A power command that fails.
touch "$SIM/fail"
schedule selftest
[ "$rc" = 2 ]
ok $? "a failing power command: farmctl exits 2"
[ "$(jq_job "$id" .result)" = infra ]
ok $? "a failing power command: the job is infra"
reason=$(jq_job "$id" .reason)
echo "# reason: $reason"
case "$reason" in
*"$HERE/power.sh"*"status 3"*"does not answer (simulated failure)"*) true ;;
*) false ;;
esac
ok $? "the reason names the command, its status and its last line of output"
rm -f "$SIM/fail"

schedule selftest
ok $rc "after the failure the machine works again"
power_log | tail -n 20 | grep -q "power_cycle: $HERE/power.sh cycle"
ok $? "after a failed power on, the next boot uses power_cycle"

e2e_done
