#!/bin/bash
# check-qemu.sh - the guest library, the test programs and setvar.efi,
# run for real under QEMU/OVMF (TCG) through scripts/qemu-direct.sh, each
# case checked for its exit code and its console lines.
#
# Usage: guest/check-qemu.sh [-j N] [CASE...]   (make guest-check-qemu)
# Needs `make guest netboot` first. The aa64-* cases run the aarch64
# builds under qemu-system-aarch64 and AAVMF (qemu-direct.sh --arch
# aarch64); they are skipped when the aarch64 build is not there
# (GUEST_ARCHES=x86_64). The results POST cases also need
# python3 (a stand-in for farmd on 127.0.0.1, reached from QEMU's user
# network as 10.0.2.2); without it they are skipped. Prints one line per
# case and exits 1 when any failed.
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
qd=$root/scripts/qemu-direct.sh
bin=$build/guest/x86_64
abin=$build/guest/aarch64
jobs=2

while [ $# -gt 0 ]; do
	case $1 in
	-j) jobs=$2; shift 2 ;;
	*) break ;;
	esac
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/guest-check.XXXXXX")
server_pid=
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# A stand-in for farmd's results route: stores each POST, answers 200 for
# the right token, 403 for any other.
port=
if command -v python3 > /dev/null; then
	cat > "$tmp/server.py" <<'EOF'
import http.server, json, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        with open(sys.argv[1], 'a') as f:
            f.write(json.dumps({'path': self.path, 'headers': dict(self.headers),
                                'body': body.decode()}) + '\n')
        ok = self.headers.get('Authorization') == 'Bearer s3cret'
        out = b'{"ok": true}' if ok else b'{"error": "token"}'
        self.send_response(200 if ok else 403)
        self.send_header('Content-Length', str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(('127.0.0.1', 0), H)
print(s.server_port, flush=True)
s.serve_forever()
EOF
	python3 "$tmp/server.py" "$tmp/posts.jsonl" > "$tmp/port" 2>/dev/null &
	server_pid=$!
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		port=$(cat "$tmp/port" 2>/dev/null)
		[ -n "$port" ] && break
		sleep 0.2
	done
fi
farm_env="-e FARM_SERVER=http://10.0.2.2:$port -e FARM_JOB=12 -e FARM_MACHINE=vm-x86
	-e FARM_IP=10.0.2.15 -e FARM_NETMASK=255.255.255.0"

# case NAME EXPECTED_CODE 'grep -E patterns, one per line' qemu-direct args...
# Runs one case into $tmp/NAME.{out,rc}; check_case judges it.
cases=()
declare -A want_code want_lines args_of
add() {
	local name=$1
	cases+=("$name")
	want_code[$name]=$2
	want_lines[$name]=$3
	shift 3
	args_of[$name]=$(printf '%q ' "$@")
}

add selftest 0 '^PASS: selftest: argv\[0\] present$
^SKIP: selftest: farm: FARM_JOB numeric$
^SUMMARY: 4 tests, 3 skipped$
^EXIT: STATUS=1$' "$bin/selftest.efi"
add selftest-env 0 '^PASS: selftest: env: FARM_SUITE$
^PASS: selftest: env: UTF$
^INFO: selftest: argv\[0\] = selftest.efi, argc = 3$' \
	-e FARM_SUITE=sample -e UTF=ü€ "$bin/selftest.efi" FARM_SUITE=sample UTF=ü€
add selftest-shell 0 '^PASS: selftest: env: FARM_SUITE$
^INFO: selftest: argv\[0\] = selftest.efi, argc = 2$' \
	--shell -e FARM_SUITE=sample "$bin/selftest.efi" FARM_SUITE=sample
add report-mixed 0 '^PASS: first$
^SKIP: mixed: not here$
^XFAIL: mixed: known bug$
^INFO: mixed: some detail$
^PASS: last$
^SUMMARY: 4 tests, 1 expected failures, 1 skipped$' \
	"$bin/reporter.efi" pass:first push:mixed skip:not_here xfail:known_bug \
	info:some_detail pop pass:last
add report-fail 1 '^FAIL: broken thing$
^SUMMARY: 2 tests, 1 unexpected failures$
^EXIT: STATUS=3$' "$bin/reporter.efi" pass:works fail:broken_thing
add report-xpass 1 '^XPASS: surprise$
^SUMMARY: 1 tests, 1 unexpected failures$' "$bin/reporter.efi" xpass:surprise
add report-abort 63 '^ABORT: abort\(\) called$
^EXIT: STATUS=127$' "$bin/reporter.efi" pass:before_abort abort
add report-skip 38 '^SUMMARY: 1 tests, 1 skipped$
^EXIT: STATUS=77$' "$bin/reporter.efi" skip:nothing_to_do
add report-exit 5 '^EXIT: STATUS=11$' "$bin/reporter.efi" pass:a exit:5
add report-hang 124 '^PASS: before hang$' -t 30 "$bin/reporter.efi" pass:before_hang hang
add exit-reset 1 '^EXIT: STATUS=3$' -e FARM_EXIT=reset "$bin/reporter.efi" fail:x
add exit-return 1 '^EXIT: STATUS=3$' -e FARM_EXIT=return "$bin/reporter.efi" fail:x
add crlf 0 $'^PASS: a\r$' -e FARM_CRLF=1 "$bin/reporter.efi" pass:a
add console-efi 0 $'^PASS: a\r$' -e FARM_CONSOLE=efi "$bin/reporter.efi" pass:a
add memmap 0 '^PASS: memmap: descriptors do not overlap$
^PASS: memmap: conventional memory >= 16 MiB$
^PASS: memmap: image in loader code$
^SUMMARY: 7 tests$' "$bin/memmap.efi"
add memmap-ebs 0 '^PASS: memmap: ExitBootServices$
^PASS: memmap: UART after ExitBootServices' "$bin/memmap.efi" ebs
add setvar-replace 1 '^PASS: selftest: env: KEEP$
^PASS: selftest: env: EMPTY$
^INFO: selftest: OLD is not set$
^FAIL: selftest: env: OLD$' \
	-x 'setvar.efi OLD=1' -x 'setvar.efi A=1 EMPTY=' -x 'setvar.efi -k KEEP=%41%2f' \
	"$bin/selftest.efi" KEEP=A/ EMPTY= OLD=1
add setvar-bad 1 '^setvar: X: bad percent-encoding in the value' \
	-x 'setvar.efi GOOD=1 X=%zz' "$bin/selftest.efi"
if [ -n "$port" ]; then
	# shellcheck disable=SC2086
	add post 1 '^farm: results POST: HTTP 200$
^EXIT: STATUS=3$' --net $farm_env -e FARM_TOKEN=s3cret \
		"$bin/reporter.efi" pass:one push:g 'fail:quote_"x"' info:i pop
	# shellcheck disable=SC2086
	add post-403 0 '^farm: results POST failed: HTTP 403$' \
		--net $farm_env -e FARM_TOKEN=wrong "$bin/reporter.efi" pass:a
	add post-timeout 0 '^farm: results POST failed: timeout' \
		--net -e FARM_SERVER=http://192.0.2.1:80 -e FARM_JOB=1 \
		-e FARM_TOKEN=t -e FARM_IP=10.0.2.15 -e FARM_NETMASK=255.255.255.0 \
		"$bin/reporter.efi" pass:a
fi

# aarch64 (AAVMF on virt, TCG): no isa-debug-exit, so every code comes
# from the EXIT: line; the PL011 comes from the device tree.
aa64=(--arch aarch64)
if [ -f "$abin/selftest.efi" ]; then
	add aa64-selftest 0 '^PASS: selftest: argv\[0\] present$
^INFO: selftest: argv\[0\] = BOOTAA64.EFI, argc = 1$
^SUMMARY: 4 tests, 3 skipped$
^EXIT: STATUS=1$' "${aa64[@]}" "$abin/selftest.efi"
	add aa64-selftest-env 0 '^PASS: selftest: env: FARM_SUITE$
^PASS: selftest: env: UTF$
^INFO: selftest: argv\[0\] = selftest.efi, argc = 3$' \
		"${aa64[@]}" -e FARM_SUITE=sample -e UTF=ü€ "$abin/selftest.efi" \
		FARM_SUITE=sample UTF=ü€
	add aa64-report-fail 1 '^PASS: works$
^FAIL: broken thing$
^SUMMARY: 2 tests, 1 unexpected failures$
^EXIT: STATUS=3$' "${aa64[@]}" "$abin/reporter.efi" pass:works fail:broken_thing
	add aa64-report-abort 63 '^ABORT: abort\(\) called$
^EXIT: STATUS=127$' "${aa64[@]}" "$abin/reporter.efi" pass:before_abort abort
	add aa64-exit-return 1 '^EXIT: STATUS=3$' \
		"${aa64[@]}" -e FARM_EXIT=return "$abin/reporter.efi" fail:x
	add aa64-memmap 0 '^PASS: memmap: descriptors do not overlap$
^PASS: memmap: image in loader code$
^SUMMARY: 7 tests$' "${aa64[@]}" "$abin/memmap.efi"
	add aa64-memmap-ebs 0 '^PASS: memmap: ExitBootServices$
^PASS: memmap: UART after ExitBootServices' "${aa64[@]}" "$abin/memmap.efi" ebs
	add aa64-setvar-replace 1 '^PASS: selftest: env: KEEP$
^INFO: selftest: OLD is not set$
^FAIL: selftest: env: OLD$' \
		"${aa64[@]}" -x 'setvar.efi OLD=1' -x 'setvar.efi A=1 EMPTY=' \
		-x 'setvar.efi -k KEEP=%41%2f' "$abin/selftest.efi" KEEP=A/ EMPTY= OLD=1
	if [ -n "$port" ]; then
		# AAVMF's HTTP stack: the POST reaches the stand-in server (a
		# token other than "post"'s, which post-body reads).
		# shellcheck disable=SC2086
		add aa64-post-403 0 '^farm: results POST failed: HTTP 403$
^EXIT: STATUS=1$' "${aa64[@]}" --net $farm_env -e FARM_TOKEN=arm \
			"$abin/reporter.efi" pass:a
	fi
	# ACPI instead of a device tree: the PL011 from SPCR, PSCI from the FADT
	# (no "\r": the UART, not ConOut).
	add aa64-acpi-ebs 0 '^PASS: memmap: ExitBootServices$
^PASS: memmap: UART after ExitBootServices, [0-9]+ descriptors$
^EXIT: STATUS=1$' "${aa64[@]}" --acpi "$abin/memmap.efi" ebs
else
	echo "skip aa64 cases: no $abin/selftest.efi (make guest netboot)"
fi

run_case() {
	local name=$1
	eval "set -- ${args_of[$name]}"
	"$qd" "$@" > "$tmp/$name.out" 2> "$tmp/$name.err" < /dev/null
	echo $? > "$tmp/$name.rc"
}

selected=("$@")
[ ${#selected[@]} -eq 0 ] && selected=("${cases[@]}")
pids=()
for name in "${selected[@]}"; do
	[ -n "${want_code[$name]+x}" ] || { echo "no case $name" >&2; exit 2; }
	# At most $jobs at once: wait for the oldest (not for the server).
	if [ ${#pids[@]} -ge "$jobs" ]; then
		wait "${pids[0]}"
		pids=("${pids[@]:1}")
	fi
	run_case "$name" &
	pids+=($!)
done
for p in "${pids[@]}"; do
	wait "$p"
done

failed=0
for name in "${selected[@]}"; do
	rc=$(cat "$tmp/$name.rc")
	why=
	[ "$rc" = "${want_code[$name]}" ] || why="exit code $rc, want ${want_code[$name]}"
	while IFS= read -r pat; do
		[ -z "$pat" ] && continue
		if ! sed 's/\x1b\[[0-9;=]*[A-Za-z]//g' "$tmp/$name.out" | grep -Eq -- "$pat"; then
			why="${why:+$why; }no line matching '$pat'"
		fi
	done <<< "${want_lines[$name]}"
	if [ -z "$why" ]; then
		echo "ok   $name ($(sed -n 's/.*, \([0-9]*\) ms$/\1 ms/p' "$tmp/$name.err"))"
	else
		echo "FAIL $name: $why"
		sed 's/^/    | /' "$tmp/$name.out" "$tmp/$name.err" | tail -n 15
		failed=$((failed + 1))
	fi
done

# The POST's body, as farmd would get it.
if [ -n "$port" ] && [[ " ${selected[*]} " == *" post "* ]]; then
	if python3 - "$tmp/posts.jsonl" <<'EOF'
import json, sys
posts = [json.loads(l) for l in open(sys.argv[1])]
p = [p for p in posts if p['headers'].get('Authorization') == 'Bearer s3cret'][0]
b = json.loads(p['body'])
assert p['path'] == '/api/v1/jobs/12/results', p['path']
assert p['headers']['Content-Type'] == 'application/json'
assert b['tests'] == [
    {'name': 'one', 'status': 'pass', 'message': ''},
    {'name': 'g: quote "x"', 'status': 'fail', 'message': ''},
    {'name': 'g: i', 'status': 'info', 'message': ''}], b['tests']
assert b['summary'] == {'total': 2, 'failed': 1, 'xfailed': 0, 'skipped': 0}, b['summary']
assert b['exit_code'] == 1 and b['aborted'] is False
EOF
	then
		echo "ok   post-body"
	else
		echo "FAIL post-body"
		failed=$((failed + 1))
	fi
fi
[ -n "$port" ] || echo "skip post cases: no python3"
echo "guest-check-qemu: $((${#selected[@]} - failed)) of ${#selected[@]} cases passed"
[ "$failed" = 0 ]
