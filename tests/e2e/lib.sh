# lib.sh - the end-to-end harness. Each test file makes its own network
# namespace, writes a farm.conf for it and runs the real farmd (lab mode:
# bridge, tap, dnsmasq, QEMU with OVMF and the iPXE ROM) inside it, so no
# packet leaves the namespace. Tests talk TAP.
#
#   e2e_start [MACHINE-CONF-LINES]   namespace + farm.conf + farmd
#                                    (E2E_PRE_FARMD=FUNCTION: runs in between,
#                                    once the namespace is up; E2E_NETWORK:
#                                    the [network] section instead of lab's)
#   in_ns CMD...                     runs CMD inside the namespace
#   farmctl ARGS...                  farmctl against that farmd
#   ok COND-EXIT-STATUS "what"       one TAP line
#   e2e_stop                         (trap) stops farmd, removes the namespace
#   need FILE...                     bails out unless each file under
#                                    $BUILD exists
#   VM_ARM                           the [machine vm-arm] section (aarch64,
#                                    AAVMF, farmboot; add keys after it)
#   wait_for SECONDS CMD...          polls CMD every 0.2 s; its status

set -u
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$REPO/build}
case "$BUILD" in /*) ;; *) BUILD=$REPO/$BUILD ;; esac
NS=farm-e2e-$$
T=$(mktemp -d /tmp/farm-e2e.XXXXXX)
FARMD_PID=
PORT=8080
n=0
nfail=0

ok() {
	local status=$1
	shift
	n=$((n + 1))
	if [ "$status" -eq 0 ]; then
		echo "ok $n - $*"
	else
		echo "not ok $n - $*"
		nfail=$((nfail + 1))
	fi
}

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

in_ns() {
	ip netns exec "$NS" "$@"
}

farmctl() {
	in_ns "$BUILD/farmctl" -s "http://127.0.0.1:$PORT" "$@"
}

# api PATH: GET a JSON API path inside the namespace.
api() {
	in_ns curl -s "http://127.0.0.1:$PORT$1"
}

e2e_stop() {
	if [ -n "$FARMD_PID" ] && kill -0 "$FARMD_PID" 2>/dev/null; then
		kill -TERM "$FARMD_PID"
		for _ in $(seq 1 100); do
			kill -0 "$FARMD_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$FARMD_PID" 2>/dev/null && kill -KILL "$FARMD_PID"
	fi
	FARMD_PID=
	ip netns del "$NS" 2>/dev/null
	if [ "$nfail" -gt 0 ] || [ -n "${KEEP:-}" ]; then
		echo "# farmd log and state kept in $T" >&2
		tail -n 40 "$T/farmd.log" | sed 's/^/# /' >&2
	else
		rm -rf "$T"
	fi
}

# e2e_start [machine sections] [[farm] keys]: starts farmd in a new
# namespace with machine vm-x86 (and the extra machines given).
e2e_start() {
	[ "$(id -u)" = 0 ] || skip_all "end-to-end tests need root (network namespaces)"
	for f in "$BUILD/farmd" "$BUILD/farmctl" "$BUILD/guest/x86_64/selftest.efi" \
	    "$BUILD/netboot/x86_64/setvar.efi"; do
		[ -e "$f" ] || { echo "Bail out! $f is missing: run make"; exit 1; }
	done
	ip netns add "$NS" || { echo "Bail out! cannot make a network namespace"; exit 1; }
	trap e2e_stop EXIT
	in_ns ip link set lo up
	[ -n "${E2E_PRE_FARMD:-}" ] && "$E2E_PRE_FARMD"
	cat >"$T/farm.conf" <<CONF
# farm.conf written by tests/e2e/lib.sh for namespace $NS
[farm]
listen = 127.0.0.1:$PORT
state_dir = $T/state
suite = ${E2E_SUITE:-$REPO/guest/unittests.cfg}
tests_dir = $BUILD/guest
netboot_dir = $BUILD/netboot
${2:-}

${E2E_NETWORK:-[network]
mode = lab
bridge = farm0
address = 10.99.0.1/24
dhcp_range = 10.99.0.100,10.99.0.199}

[machine vm-x86]
kind = qemu
arch = x86_64
mac = 52:54:00:f0:00:01
memory = 256
accel = tcg
boot_timeout = 120
tags = fast smoke
${1:-}
CONF
	# Not through in_ns: a backgrounded function is a subshell and $! would
	# be its PID, not farmd's. ip netns exec execs farmd in place.
	ip netns exec "$NS" "$BUILD/farmd" -v -c "$T/farm.conf" >"$T/farmd.log" 2>&1 &
	FARMD_PID=$!
	for _ in $(seq 1 100); do
		grep -q 'ready:' "$T/farmd.log" && return 0
		kill -0 "$FARMD_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "Bail out! farmd did not start:"
	sed 's/^/# /' "$T/farmd.log"
	exit 1
}

# need FILE...: each file (relative to $BUILD) must be built.
need() {
	local f
	for f in "$@"; do
		[ -e "$BUILD/$f" ] || { echo "Bail out! $BUILD/$f is missing: run make all unit-tests"; exit 1; }
	done
}

# The shipped farm's aarch64 machine, for e2e_start's machine lines.
VM_ARM="
[machine vm-arm]
kind = qemu
arch = aarch64
mac = 52:54:00:f0:00:02
memory = 256
accel = tcg
boot_timeout = 180"

# wait_for SECONDS CMD...: polls CMD every 0.2 s; its status.
wait_for() {
	local i n=$(($1 * 5))
	shift
	for i in $(seq 1 "$n"); do
		"$@" && return 0
		sleep 0.2
	done
	return 1
}

# jq_job ID FILTER: a field of a job as JSON.
jq_job() {
	farmctl --json show "$1" | jq -r "$2"
}

e2e_done() {
	echo "1..$n"
	[ "$nfail" -eq 0 ]
}
