# farmd-lo.sh - a farmd on loopback for the tests that talk to it over
# HTTP without a lab network: tests/unit/hostile-http.sh and
# tests/unit/load.sh. Sourced; needs no root and no namespace: farmd runs
# in mode = user and its machines' QEMU is a stand-in script that only
# waits (it never boots anything), so jobs can be scheduled safely.
#
#   lo_start N [EXTRA-FARM-LINES]   farm.conf with N machines m1..mN (MAC
#                                   lo_mac I) + farmd; sets LO_PORT,
#                                   LO_URL, LO_PID, LO_DIR
#   lo_mac I                        machine I's MAC, 52:54:00:xx:xx:xx
#   lo_stop                         stops farmd, removes LO_DIR
#
# LO_FARMD picks the binary (default $BUILD/farmd); LO_TOKEN is the API
# token written into farm.conf (empty: none).

LO_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LO_BUILD=${BUILD:-$LO_REPO/build}
case "$LO_BUILD" in /*) ;; *) LO_BUILD=$LO_REPO/$LO_BUILD ;; esac
LO_FARMD=${LO_FARMD:-$LO_BUILD/farmd}
LO_TOKEN=${LO_TOKEN-lo-test-token}
LO_DIR=
LO_PID=
LO_PORT=
LO_URL=

lo_mac() {
	printf '52:54:00:%02x:%02x:%02x' $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255))
}

# lo_conf_machine NAME MAC: a QEMU machine whose "QEMU" is the stand-in.
lo_conf_machine() {
	cat <<EOF
[machine $1]
kind = qemu
arch = x86_64
mac = $2
accel = tcg
qemu = $LO_DIR/fake-qemu
vars = $LO_DIR/vars.fd
boot_timeout = ${LO_BOOT_TIMEOUT:-60}
EOF
}

# lo_start N [EXTRA [farm] LINES]: starts farmd on a free port.
lo_start() {
	local n=$1 extra=${2:-} tries port i machines
	LO_DIR=$(mktemp -d /tmp/farm-lo.XXXXXX)
	machines=$(for i in $(seq 1 "$n"); do
		lo_conf_machine "m$i" "$(lo_mac "$i")"
		echo
	done)
	# The stand-in for QEMU: it is "on" until farmd stops it.
	cat >"$LO_DIR/fake-qemu" <<'EOF'
#!/bin/sh
# fake-qemu: stands in for qemu-system-x86_64 in loopback tests; it waits
# until farmd stops it (SIGTERM) and never boots anything.
exec sleep 600
EOF
	chmod +x "$LO_DIR/fake-qemu"
	# The firmware variables each boot copies: a small file will do.
	head -c 4096 /dev/zero >"$LO_DIR/vars.fd"
	cat >"$LO_DIR/suite.cfg" <<'EOF'
# suite.cfg written by tests/load/farmd-lo.sh
[selftest]
file = selftest.efi
EOF
	mkdir -p "$LO_DIR/tests/x86_64"
	for tries in 1 2 3 4 5 6 7 8; do
		port=$((20000 + (RANDOM * 7 + $$ + tries * 101) % 12000))  # below the ephemeral range
		cat >"$LO_DIR/farm.conf" <<EOF
# farm.conf written by tests/load/farmd-lo.sh
[farm]
listen = 127.0.0.1:$port
state_dir = $LO_DIR/state
api_token = $LO_TOKEN
suite = $LO_DIR/suite.cfg
tests_dir = $LO_DIR/tests
netboot_dir = $LO_BUILD/netboot
$extra

[network]
mode = user

$machines
EOF
		"$LO_FARMD" -c "$LO_DIR/farm.conf" >"$LO_DIR/farmd.log" 2>&1 &
		LO_PID=$!
		for _ in $(seq 1 300); do
			grep -q 'ready:' "$LO_DIR/farmd.log" && break
			kill -0 "$LO_PID" 2>/dev/null || break
			sleep 0.1
		done
		if grep -q 'ready:' "$LO_DIR/farmd.log" && kill -0 "$LO_PID" 2>/dev/null; then
			LO_PORT=$port
			LO_URL=http://127.0.0.1:$port
			return 0
		fi
		kill -KILL "$LO_PID" 2>/dev/null
		wait "$LO_PID" 2>/dev/null
		LO_PID=
		# Another port only when this one was taken.
		grep -q 'in use' "$LO_DIR/farmd.log" || break
	done
	echo "# farmd did not start:"
	sed 's/^/#   /' "$LO_DIR/farmd.log"
	return 1
}

lo_stop() {
	if [ -n "$LO_PID" ] && kill -0 "$LO_PID" 2>/dev/null; then
		kill -TERM "$LO_PID"
		for _ in $(seq 1 100); do
			kill -0 "$LO_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$LO_PID" 2>/dev/null && kill -KILL "$LO_PID"
		wait "$LO_PID" 2>/dev/null
	fi
	LO_PID=
	if [ -n "$LO_DIR" ]; then
		if [ -n "${KEEP:-}" ]; then
			echo "# farmd log and state kept in $LO_DIR" >&2
		else
			rm -rf "$LO_DIR"
		fi
	fi
}
