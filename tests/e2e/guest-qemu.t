#!/bin/bash
# guest-qemu.t - every guest program, setvar.efi and the results POST under
# QEMU + OVMF, booted straight from a FAT disk (guest/check-qemu.sh), one
# TAP line per case; then the dt program's cases (below).
# GUEST_QEMU_ONLY=dt runs the dt cases alone; KEEP=1 keeps their files.
cd "$(dirname "$0")/../.." || exit 1
REPO=$PWD
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$REPO/$BUILD ;; esac
export BUILD
n=0
if [ "${GUEST_QEMU_ONLY:-}" != dt ]; then
	while IFS= read -r line; do
		case "$line" in
		"ok   "*) n=$((n + 1)); echo "ok $n - ${line#ok   }" ;;
		"FAIL "*) n=$((n + 1)); echo "not ok $n - ${line#FAIL }" ;;
		*) echo "# $line" ;;
		esac
	done < <(guest/check-qemu.sh 2>&1)
fi

# dt.efi (guest/tests/dt.c): the device tree through dt_fdt() and
# Debian's libfdt, run through scripts/qemu-direct.sh one case at a time.
# On aarch64 the firmware's own tree passes with the farm's three checks
# skipped; with ACPI (no tree), and on x86_64, the program skips (code 38,
# status 77). fdtfile cases: a missing file and a file that is no tree
# fail; a tree made here (python3) with the farm's /chosen properties
# passes every check, and fails the ones whose values differ.
qd=$REPO/scripts/qemu-direct.sh
xbin=$BUILD/guest/x86_64
abin=$BUILD/guest/aarch64
t=$(mktemp -d "${TMPDIR:-/tmp}/guest-qemu-dt.XXXXXX")
trap '[ -n "${KEEP:-}" ] && echo "# kept $t" >&2 || rm -rf "$t"' EXIT

# dt_case NAME CODE 'grep -E patterns, one a line' qemu-direct args...
dt_case() {
	local name=$1 want=$2 pats=$3 rc why='' pat
	shift 3
	n=$((n + 1))
	"$qd" "$@" >"$t/$name.out" 2>"$t/$name.err" </dev/null
	rc=$?
	[ "$rc" = "$want" ] || why="exit code $rc, want $want"
	while IFS= read -r pat; do
		[ -z "$pat" ] && continue
		sed 's/\x1b\[[0-9;=]*[A-Za-z]//g' "$t/$name.out" | grep -Eq -- "$pat" ||
			why="${why:+$why; }no line matching '$pat'"
	done <<<"$pats"
	if [ -z "$why" ]; then
		echo "ok $n - $name ($(sed -n 's/.*, \([0-9]*\) ms$/\1 ms/p' "$t/$name.err"))"
	else
		echo "not ok $n - $name: $why"
		sed 's/^/# | /' "$t/$name.out" "$t/$name.err" | tail -n 25
	fi
}

# dt_skip NAME REASON
dt_skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}

# mkdtb FILE JOB SERVER BOOTARGS: a flattened device tree (version 17) for
# QEMU's virt machine as the farm would serve it: memory, a PL011 that
# stdout-path names through an alias with options, and /chosen's farm,job,
# farm,server and bootargs.
mkdtb() {
	python3 - "$@" <<'EOF'
import struct, sys
path, job, server, bootargs = sys.argv[1:5]
strings, offs = bytearray(), {}
def name_off(k):
    if k not in offs:
        offs[k] = len(strings)
        strings.extend(k.encode() + b'\0')
    return offs[k]
def pad(b):
    return b + b'\0' * (-len(b) % 4)
def val(v):
    if isinstance(v, str):
        return v.encode() + b'\0'
    if isinstance(v, list):
        return b''.join(s.encode() + b'\0' for s in v)
    return struct.pack('>%dI' % len(v), *v)
def node(name, props, *children):
    out = struct.pack('>I', 1) + pad(name.encode() + b'\0')
    for k, v in props:
        v = val(v)
        out += struct.pack('>III', 3, len(v), name_off(k)) + pad(v)
    return out + b''.join(children) + struct.pack('>I', 2)
tree = node('', [('#address-cells', (2,)), ('#size-cells', (2,)),
                 ('compatible', 'linux,dummy-virt')],
    node('chosen', [('stdout-path', 'serial0:115200n8'), ('farm,job', job),
                    ('farm,server', server), ('bootargs', bootargs)]),
    node('aliases', [('serial0', '/pl011@9000000')]),
    node('memory@40000000', [('device_type', 'memory'),
                             ('reg', (0, 0x40000000, 0, 0x10000000))]),
    node('pl011@9000000', [('compatible', ['arm,pl011', 'arm,primecell']),
                           ('reg', (0, 0x09000000, 0, 0x1000))]))
struct_block = tree + struct.pack('>I', 9)
rsv = bytes(16)
off_rsv = 40
off_struct = off_rsv + len(rsv)
off_strings = off_struct + len(struct_block)
total = off_strings + len(strings)
hdr = struct.pack('>10I', 0xd00dfeed, total, off_struct, off_strings, off_rsv,
                  17, 16, 0, len(strings), len(struct_block))
open(path, 'wb').write(hdr + rsv + struct_block + bytes(strings))
EOF
}

# dt_farm NAME CODE PATTERNS 'VAR=VALUE ...' ARGS: dt.efi on aarch64 from a
# disk of its own that also holds farm.dtb - the files iPXE would show the
# program - booted first (bootindex=0; qemu-direct.sh's own disk, with a
# bare dt.efi, comes after and must not be what ran: the patterns say
# "from file farm.dtb").
dt_farm() {
	local name=$1 code=$2 pats=$3 vars=$4 args=$5 d=$t/$1
	mkdir -p "$d/EFI/BOOT"
	cp "$abin/tools/launch.efi" "$d/EFI/BOOT/BOOTAA64.EFI"
	cp "$BUILD/netboot/aarch64/setvar.efi" "$abin/dt.efi" "$d/"
	cp "$t/farm.dtb" "$d/farm.dtb"
	printf 'setvar.efi %s\ndt.efi %s\n' "$vars" "$args" >"$d/launch.txt"
	QEMU_ARGS="-drive file=fat:ro:$d,format=raw,if=none,id=dt0,readonly=on
		-device virtio-blk-pci,drive=dt0,bootindex=0" \
		dt_case "$name" "$code" "$pats" --arch aarch64 "$abin/dt.efi"
}

if [ ! -f "$xbin/dt.efi" ]; then
	n=$((n + 1))
	echo "not ok $n - dt: no $xbin/dt.efi (make guest netboot)"
else
	dt_case dt-x86-skip 38 '^INFO: dt: no devicetree table .*; the firmware describes the machine by ACPI$
^SKIP: dt: no device tree$
^EXIT: STATUS=77$' "$xbin/dt.efi"
	dt_case dt-fdtfile-missing 1 '^INFO: dt: fdtfile nonexistent.dtb: no such file
^FAIL: dt: the device tree fdtfile names$' \
		-e fdtfile=nonexistent.dtb "$xbin/dt.efi"
	dt_case dt-fdtfile-not-a-tree 1 '^INFO: dt: the device tree from file launch.txt \(fdtfile\)
^FAIL: dt: fdt_check_header$
^SUMMARY: 1 tests, 1 unexpected failures$' \
		-e fdtfile=launch.txt "$xbin/dt.efi"
fi

if [ ! -f "$abin/dt.efi" ]; then
	dt_skip dt-aa64 "no $abin/dt.efi (GUEST_ARCHES=x86_64?)"
else
	dt_case dt-aa64 0 '^INFO: dt: the device tree from the EFI configuration table
^PASS: dt: fdt_check_header$
^PASS: dt: fdt_check_full$
^PASS: dt: /chosen exists$
^PASS: dt: stdout-path is a known UART$
^SKIP: dt: farm,job = FARM_JOB$
^SKIP: dt: bootargs = arguments$
^PASS: dt: memory@40000000: 256 MiB$
^PASS: dt: memory: the tree has >= 90% of the EFI conventional memory$
^SUMMARY: 10 tests, 3 skipped$
^EXIT: STATUS=1$' --arch aarch64 "$abin/dt.efi"
	dt_case dt-aa64-acpi 38 '^INFO: dt: .*the firmware describes the machine by ACPI$
^SKIP: dt: no device tree$
^SUMMARY: 1 tests, 1 skipped$
^EXIT: STATUS=77$' --arch aarch64 --acpi "$abin/dt.efi"
	if ! command -v python3 >/dev/null; then
		dt_skip dt-aa64-farm "no python3 to make a tree"
		dt_skip dt-aa64-farm-mismatch "no python3 to make a tree"
	else
		mkdtb "$t/farm.dtb" 12 http://10.99.0.1:8080 'a b=c'
		dt_farm dt-aa64-farm 0 '^INFO: dt: the device tree from file farm.dtb \(fdtfile\)
^INFO: dt: stdout-path serial0:115200n8: pl011@9000000, arm,pl011$
^PASS: dt: farm,job = FARM_JOB$
^PASS: dt: farm,server = FARM_SERVER$
^PASS: dt: bootargs = arguments$
^PASS: dt: memory@40000000: 256 MiB$
^SUMMARY: 10 tests$
^EXIT: STATUS=1$' 'fdtfile=farm.dtb FARM_JOB=12 FARM_SERVER=http://10.99.0.1:8080 FARM_EXIT=shutdown' 'a b=c'
		dt_farm dt-aa64-farm-mismatch 1 '^INFO: dt: the device tree from file farm.dtb \(fdtfile\)
^INFO: dt: farm,job is .12., FARM_JOB is .13.$
^FAIL: dt: farm,job = FARM_JOB$
^PASS: dt: farm,server = FARM_SERVER$
^FAIL: dt: bootargs = arguments$
^SUMMARY: 10 tests, 2 unexpected failures$' 'fdtfile=farm.dtb FARM_JOB=13 FARM_SERVER=http://10.99.0.1:8080 FARM_EXIT=shutdown' 'a  b=c x'
	fi
fi
echo "1..$n"
