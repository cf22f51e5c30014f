#!/bin/bash
# farmboot-direct.t - farmboot.efi (netboot/farmboot.c) for x86_64 under
# OVMF and aarch64 under AAVMF, without farmd: booted from a FAT disk by
# scripts/qemu-direct.sh with "farmboot.efi http://10.0.2.2:PORT" as its
# command line, on QEMU user networking, against a stand-in server on
# 127.0.0.1 (tests/e2e/farmboot/server.py). Per arch: job 12 (selftest.efi
# with arguments, variables and, on aarch64, a DTB) passes and POSTs its
# results with the job token; done comes with rc=0x0; job 13 (reporter.efi,
# failing on purpose) chained through the done answer runs and reports
# its OEM status; job 14's bad line is named on the console and reported
# with stage=setup; "idle" returns to the firmware. Then the failure
# paths on x86_64: a server that is not there (bounded retries, then back
# to the firmware) and a command line without a server. Last, a real
# firmware HTTP boot (see http_boot; FARMBOOT_HTTP_BOOT=0 skips it).
#
# Needs `make guest netboot`, python3, qemu-system-x86_64/aarch64, OVMF,
# AAVMF. Prints TAP.
cd "$(dirname "$0")/../.." || exit 1
root=$PWD
build=${BUILD:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
qd=$root/scripts/qemu-direct.sh
n=0

ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}
skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/farmboot-direct.XXXXXX")
server_pid=
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# start_server LOG APPDIR [DTB]: sets $port and $server_pid.
start_server() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
	: > "$tmp/port"
	python3 "$root/tests/e2e/farmboot/server.py" "$@" > "$tmp/port" \
		2> "$tmp/server.err" &
	server_pid=$!
	port=
	for _ in $(seq 50); do
		port=$(cat "$tmp/port")
		[ -n "$port" ] && break
		sleep 0.1
	done
}

# has FILE PATTERN: the console (escapes and CR removed) has a matching line.
has() {
	sed 's/\x1b\[[0-9;=]*[A-Za-z]//g' "$1" | tr -d '\r' | grep -Eq -- "$2"
}

# posts LOG JOB: a results POST for JOB with its token arrived (check.py).
check_log() {
	python3 - "$@" <<'PY'
import json, sys
log, what = sys.argv[1], sys.argv[2]
reqs = [json.loads(l) for l in open(log)]
def find(method, prefix):
    return [r for r in reqs if r['method'] == method and r['path'].startswith(prefix)]
if what.startswith('post:'):
    job = what[5:]
    p = find('POST', '/api/v1/jobs/%s/results' % job)
    assert p, 'no POST for job %s' % job
    assert p[0]['auth'] == 'Bearer tok%s' % job, p[0]['auth']
    body = json.loads(p[0]['body'])
    want = {'12': 0, '13': 1}[job]
    assert body['exit_code'] == want, body
elif what.startswith('done:'):
    path = what[5:]
    assert any(r['path'].endswith(path) for r in find('GET', '/farmboot/')), \
        [r['path'] for r in reqs]
elif what == 'order':
    paths = [r['path'].split('?')[0] for r in reqs]
    i12, i13 = paths.index('/apps/selftest.efi'), paths.index('/apps/reporter.efi')
    assert i12 < i13, paths
PY
}

command -v python3 > /dev/null || { echo "1..0 # SKIP no python3"; exit 0; }

for arch in x86_64 aarch64; do
	fb=$build/netboot/$arch/farmboot.efi
	apps=$build/guest/$arch
	if [ ! -f "$fb" ] || [ ! -f "$apps/selftest.efi" ]; then
		skip "farmboot $arch" "no $fb (make guest netboot)"
		continue
	fi
	qemu=qemu-system-$arch
	command -v "$qemu" > /dev/null || { skip "farmboot $arch" "no $qemu"; continue; }
	log=$tmp/$arch.log
	out=$tmp/$arch.out
	: > "$log"
	dtb=()
	if [ "$arch" = aarch64 ]; then
		# QEMU's own device tree for the machine qemu-direct.sh makes,
		# served as the job's DTB and installed by farmboot.
		qemu-system-aarch64 -machine "virt,acpi=off,dumpdtb=$tmp/virt.dtb" \
			-cpu max -m 256 -smp 1 -nodefaults -display none 2> /dev/null
		[ -s "$tmp/virt.dtb" ] && dtb=("$tmp/virt.dtb")
	fi
	start_server "$log" "$apps" "${dtb[@]}"
	"$qd" --arch "$arch" --net -t 300 "$fb" "http://10.0.2.2:$port" \
		> "$out" 2> "$tmp/$arch.err" < /dev/null
	rc=$?
	# farmboot returned, so launch.efi ended the machine: on x86_64 with
	# farmboot's code (0), on aarch64 by a firmware shutdown (status 0).
	if [ "$arch" = x86_64 ]; then
		[ "$rc" = 0 ]
	else
		grep -q '^qemu-direct: QEMU status 0,' "$tmp/$arch.err"
	fi
	ok $? "farmboot $arch: the machine ended after farmboot returned ($(tail -n 1 "$tmp/$arch.err"))"
	has "$out" '^farmboot: server http://10\.0\.2\.2:[0-9]+, mac 52-54-00-12-34-56, address 10\.0\.2\.15, gateway 10\.0\.2\.2$'
	ok $? "farmboot $arch: server from the command line, MAC from SNP, address by DHCP"
	has "$out" '^SUMMARY: 8 tests$' && has "$out" '^PASS: selftest: env: UTF$' &&
		has "$out" '^PASS: selftest: env: FARM_IP$' &&
		has "$out" '^PASS: selftest: env: FARM_GATEWAY$' &&
		has "$out" '^PASS: selftest: farm: FARM_JOB numeric$' &&
		has "$out" '^INFO: selftest: argv\[0\] = selftest.efi, argc = 6$'
	ok $? "farmboot $arch: job 12 selftest passes (variables, FARM_IP/GATEWAY, LoadOptions)"
	has "$out" '^EXIT: STATUS=1$' && has "$out" '^farm: results POST: HTTP 200$' &&
		check_log "$log" post:12
	ok $? "farmboot $arch: job 12 EXIT line and results POST with the job token"
	has "$out" '^farmboot: job 12: selftest.efi returned 0$' &&
		check_log "$log" 'done:/done?job=12&token=tok12&rc=0x0'
	ok $? "farmboot $arch: done for job 12 with rc=0x0"
	if [ ${#dtb[@]} -gt 0 ]; then
		has "$out" '^farmboot: job 12: dtb installed \([0-9]+ bytes\)$'
		ok $? "farmboot $arch: the job's DTB fetched and installed"
	fi
	has "$out" '^FAIL: on purpose$' && has "$out" '^EXIT: STATUS=3$' &&
		check_log "$log" post:13 && check_log "$log" order &&
		check_log "$log" 'done:/done?job=13&token=tok13&rc=0xc000000000000001'
	ok $? "farmboot $arch: job 13 chained through done runs, its OEM status reported"
	has "$out" "^farmboot: line 4: unknown directive 'frobnicate'$" &&
		check_log "$log" 'done:/done?job=14&rc=0x8000000000000002&stage=setup' &&
		! has "$out" 'start x\.efi'
	ok $? "farmboot $arch: a bad script named by line, reported with stage=setup"
	has "$out" '^farmboot: idle: back to the firmware$'
	ok $? "farmboot $arch: idle returns to the firmware"
done

# The failure paths, on x86_64 alone (they do not depend on the arch).
fb=$build/netboot/x86_64/farmboot.efi
if [ -f "$fb" ]; then
	dead=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	start=$(date +%s)
	"$qd" --net -t 120 "$fb" "http://10.0.2.2:$dead/ignored/path" \
		> "$tmp/dead.out" 2> "$tmp/dead.err" < /dev/null
	secs=$(( $(date +%s) - start ))
	has "$tmp/dead.out" '^farmboot: no script: connection (refused|reset)' &&
		has "$tmp/dead.out" '^farmboot: 5 failures in a row: back to the firmware$' &&
		[ "$secs" -lt 100 ]
	ok $? "farmboot: no server: bounded retries, then back to the firmware (${secs} s)"
	"$qd" -t 60 "$fb" not-a-url > "$tmp/nourl.out" 2>&1 < /dev/null
	has "$tmp/nourl.out" '^farmboot: no server: not HTTP-booted, no http:// URL in the command line'
	ok $? "farmboot: no server named: a clear message"
else
	skip "farmboot failure paths" "no $fb"
fi

# A real firmware HTTP boot (x86_64, OVMF): in a network namespace of its
# own, dnsmasq answers the HTTPClient vendor class with the loader's URL,
# OVMF downloads farmboot.efi from the stand-in server and starts it
# without a command line, so the server comes from the URI device-path
# node. OVMF tries PXE first, so this takes about two minutes under TCG.
# Needs root (ip netns) and dnsmasq.
http_boot() {
	local ns=fbboot$$ q pid=
	ip netns add "$ns" || return 1
	ns_up=$ns
	ip netns exec "$ns" sh -c 'ip link set lo up &&
		ip tuntap add tap0 mode tap && ip addr add 10.98.0.1/24 dev tap0 &&
		ip link set tap0 up' || return 1
	ip netns exec "$ns" dnsmasq --keep-in-foreground --interface=tap0 \
		--bind-interfaces --port=0 --no-resolv --no-hosts \
		--dhcp-range=10.98.0.100,10.98.0.150 \
		--dhcp-vendorclass=set:http,HTTPClient \
		--dhcp-option-force=tag:http,60,HTTPClient \
		--dhcp-boot=tag:http,http://10.98.0.1:8080/netboot/farmboot.efi \
		--dhcp-leasefile="$tmp/leases" --log-facility="$tmp/dnsmasq.log" &
	dnsmasq_pid=$!
	: > "$tmp/boot.log"
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
	ip netns exec "$ns" env FB_LISTEN=10.98.0.1:8080 \
		FB_LOADER="$build/netboot/x86_64/farmboot.efi" \
		python3 "$root/tests/e2e/farmboot/server.py" "$tmp/boot.log" \
		"$build/guest/x86_64" > /dev/null 2> "$tmp/server.err" &
	server_pid=$!
	cp "${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}" "$tmp/boot-vars.fd"
	ip netns exec "$ns" timeout 300 qemu-system-x86_64 -accel tcg -machine q35 \
		-m 256 -smp 1 -nodefaults -display none -no-reboot \
		-drive "if=pflash,format=raw,unit=0,readonly=on,file=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}" \
		-drive "if=pflash,format=raw,unit=1,file=$tmp/boot-vars.fd" \
		-serial "file:$tmp/boot.out" \
		-netdev tap,id=n0,ifname=tap0,script=no,downscript=no \
		-device virtio-net-pci,netdev=n0,romfile= > /dev/null 2>&1 &
	pid=$!
	qemu_pid=$pid
	# After idle the firmware moves on to its next boot option: stop there.
	for _ in $(seq 280); do
		grep -aq 'farmboot: idle: back to the firmware' "$tmp/boot.out" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 1
	done
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	qemu_pid=
	return 0
}
ns_up=
dnsmasq_pid=
qemu_pid=
cleanup_ns() {
	[ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null
	[ -n "$dnsmasq_pid" ] && kill "$dnsmasq_pid" 2>/dev/null
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
	server_pid=
	sleep 0.2
	[ -n "$ns_up" ] && ip netns del "$ns_up" 2>/dev/null
	ns_up=
}
trap 'cleanup_ns; cleanup' EXIT
if [ "${FARMBOOT_HTTP_BOOT:-1}" = 0 ]; then
	skip "farmboot x86_64 HTTP boot" "FARMBOOT_HTTP_BOOT=0"
elif [ "$(id -u)" != 0 ] || ! command -v dnsmasq > /dev/null || [ ! -f "$fb" ]; then
	skip "farmboot x86_64 HTTP boot" "needs root, dnsmasq and $fb"
else
	start=$(date +%s)
	http_boot
	secs=$(( $(date +%s) - start ))
	cleanup_ns
	has "$tmp/boot.out" '^farmboot: server http://10\.98\.0\.1:8080, mac 52-54-00-12-34-56, address 10\.98\.0\.1[0-9][0-9], gateway 10\.98\.0\.1$' &&
		check_log "$tmp/boot.log" 'done:/farmboot/52-54-00-12-34-56'
	ok $? "farmboot x86_64 HTTP boot: the server from the firmware's boot URI (${secs} s)"
	has "$tmp/boot.out" '^SUMMARY: 6 tests$' && check_log "$tmp/boot.log" post:12 &&
		check_log "$tmp/boot.log" 'done:/done?job=12&token=tok12&rc=0x0' &&
		check_log "$tmp/boot.log" 'done:/done?job=13&token=tok13&rc=0xc000000000000001' &&
		has "$tmp/boot.out" '^farmboot: idle: back to the firmware$'
	ok $? "farmboot x86_64 HTTP boot: jobs 12 and 13 ran and reported, then idle"
fi
echo "1..$n"
