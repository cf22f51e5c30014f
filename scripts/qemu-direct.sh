#!/bin/bash
# qemu-direct.sh - boots one EFI program straight from a virtual FAT disk
# under QEMU and OVMF, the way kvm-unit-tests' EFI runner does, and exits
# with the program's code.
#
# Usage: scripts/qemu-direct.sh [options] APP.efi [ARGS...]
#
#   -e NAME=VALUE  set an EFI variable for the program (repeatable), under
#                  the farm's GUID, through setvar.efi (or the shell's setvar)
#   -x LINE        run LINE before the program, as a line of launch.txt
#                  or startup.nsh (repeatable; setvar.efi is on the disk),
#                  e.g. -x 'setvar.efi -k A=%41'
#   --shell        run through the EFI shell's startup.nsh, as kvm-unit-tests
#                  does (the shell counts down 5 s before it starts)
#   --net          add a virtio NIC on QEMU user networking (10.0.2.15/24,
#                  the host is 10.0.2.2), without iPXE: OVMF's own network
#                  stack, for the results POST
#   --mac MAC      the NIC's MAC (implies --net; default QEMU's 52:54:00:12:34:56)
#   -t SECONDS     give up after this long (default 60): exit 124
#   --arch ARCH    x86_64 (the default) or aarch64: see "aarch64" below
#   --acpi         aarch64: describe the machine by ACPI (QEMU's default)
#                  instead of a device tree
#
# How the program is started: with no ARGS and no -e, the disk's
# \EFI\BOOT\BOOTX64.EFI is the program itself, booted by OVMF's boot
# manager (no command line: argv[0] is "BOOTX64.EFI"). Otherwise
# BOOTX64.EFI is build/guest/x86_64/tools/launch.efi, which runs the lines
# of \launch.txt as iPXE's chain would (setvar.efi with the variables, then
# the program with "APP.efi ARGS..." as its command line) without the
# shell's countdown. QEMU: TCG (QEMU_ACCEL=kvm to change), q35, 256 MiB,
# OVMF_CODE_4M.fd and a temporary copy of OVMF_VARS_4M.fd, isa-debug-exit
# at 0xf4, the serial port on stdout, no display, -no-reboot; QEMU_ARGS
# adds more.
#
# aarch64: qemu-system-aarch64, virt with acpi=off (the firmware then gives
# the program QEMU's device tree, where the library finds its PL011), -cpu
# max, TCG, 256 MiB, AAVMF_CODE.fd and a temporary copy of AAVMF_VARS.fd
# (AAVMF_CODE, AAVMF_VARS to change), the disk's BOOTAA64.EFI, and the
# aarch64 builds of launch.efi and setvar.efi (--acpi: acpi=on, so AAVMF
# gives ACPI tables and no device tree). arm has no isa-debug-exit:
# the program's code always comes from its "EXIT: STATUS=" line.
#
# Exit status: the program's code, from isa-debug-exit (QEMU's status s is
# (code << 1) | 1, so s >> 1), or from the program's "EXIT: STATUS=" line
# when QEMU ended another way (a reset or firmware shutdown); 124 on the
# timeout; 125 when QEMU or the launcher failed; 126 when the machine
# stopped without an exit code. A line on stderr tells QEMU's own status.
set -u

GUID=97ef3e03-7329-4a6a-b9ba-6c1fdcc5f823
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
arch=x86_64
acpi=off

usage() {
	echo "usage: $0 [-e NAME=VALUE]... [-x LINE]... [--shell] [--net] [-t SECONDS] [--arch x86_64|aarch64] [--acpi] APP.efi [ARGS...]" >&2
	exit 2
}

vars=()
lines=()
shell=0
net=0
mac=
timeout_s=60
while [ $# -gt 0 ]; do
	case $1 in
	-e) [ $# -ge 2 ] || usage; vars+=("$2"); shift 2 ;;
	-x) [ $# -ge 2 ] || usage; lines+=("$2"); shift 2 ;;
	--shell) shell=1; shift ;;
	--net) net=1; shift ;;
	--mac) [ $# -ge 2 ] || usage; mac=$2; net=1; shift 2 ;;
	-t) [ $# -ge 2 ] || usage; timeout_s=$2; shift 2 ;;
	--arch) [ $# -ge 2 ] || usage; arch=$2; shift 2 ;;
	--acpi) acpi=on; shift ;;
	--) shift; break ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || usage

# What each architecture boots with. debug_exit: QEMU has a test-exit
# device whose status carries the code.
case $arch in
x86_64)
	ovmf_code=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}
	ovmf_vars=${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}
	fw_pkg=ovmf
	boot_name=BOOTX64.EFI
	debug_exit=1
	machine=(qemu-system-x86_64 -accel "${QEMU_ACCEL:-tcg}" -machine q35)
	;;
aarch64)
	ovmf_code=${AAVMF_CODE:-/usr/share/AAVMF/AAVMF_CODE.fd}
	ovmf_vars=${AAVMF_VARS:-/usr/share/AAVMF/AAVMF_VARS.fd}
	fw_pkg="qemu-efi-aarch64"
	boot_name=BOOTAA64.EFI
	debug_exit=0
	machine=(qemu-system-aarch64 -accel "${QEMU_ACCEL:-tcg}"
		-machine "virt,acpi=$acpi" -cpu max)
	;;
*) echo "qemu-direct: --arch $arch: not x86_64 or aarch64" >&2; exit 2 ;;
esac
launch_efi=$build/guest/$arch/tools/launch.efi
setvar_efi=$build/netboot/$arch/setvar.efi

app=$1
shift
[ -f "$app" ] || { echo "qemu-direct: $app: no such file" >&2; exit 2; }
for f in "$ovmf_code" "$ovmf_vars"; do
	[ -f "$f" ] || { echo "qemu-direct: $f missing (apt-get install $fw_pkg)" >&2; exit 2; }
done
for v in "${vars[@]+"${vars[@]}"}"; do
	case $v in
	[A-Za-z0-9_.-]*=*) ;;
	*) echo "qemu-direct: -e $v: not NAME=VALUE" >&2; exit 2 ;;
	esac
done

# Percent-encodes $1 for setvar.efi: all but letters, digits and "_.~-".
pct() {
	local LC_ALL=C s=$1 out= c i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in
		[A-Za-z0-9_.~-]) out+=$c ;;
		*) out+=$(printf '%%%02X' "'$c") ;;
		esac
	done
	printf '%s' "$out"
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/qemu-direct.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fat=$tmp/fat
mkdir -p "$fat/EFI/BOOT"
name=$(basename "$app")
cp "$app" "$fat/$name"
cp "$ovmf_vars" "$tmp/vars.fd"

if [ $shell = 1 ]; then
	# No BOOTX64.EFI: OVMF's boot manager falls through to the shell.
	[ -f "$setvar_efi" ] && cp "$setvar_efi" "$fat/setvar.efi"
	{
		printf '@echo -off\r\n'
		for v in "${vars[@]+"${vars[@]}"}"; do
			printf 'setvar %s -guid %s -rt =L"%s"\r\n' "${v%%=*}" "$GUID" "${v#*=}"
		done
		for l in "${lines[@]+"${lines[@]}"}"; do
			printf '%s\r\n' "$l"
		done
		printf '%s\r\n' "$name${*:+ $*}"
	} > "$fat/startup.nsh"
elif [ $# -eq 0 ] && [ ${#vars[@]} -eq 0 ] && [ ${#lines[@]} -eq 0 ]; then
	cp "$app" "$fat/EFI/BOOT/$boot_name"
else
	for f in "$launch_efi" "$setvar_efi"; do
		[ -f "$f" ] || { echo "qemu-direct: $f missing (make guest netboot)" >&2; exit 2; }
	done
	cp "$launch_efi" "$fat/EFI/BOOT/$boot_name"
	cp "$setvar_efi" "$fat/setvar.efi"
	{
		if [ ${#vars[@]} -gt 0 ]; then
			line=setvar.efi
			for v in "${vars[@]}"; do
				line+=" ${v%%=*}=$(pct "${v#*=}")"
			done
			printf '%s\n' "$line"
		fi
		for l in "${lines[@]+"${lines[@]}"}"; do
			printf '%s\n' "$l"
		done
		printf '%s\n' "$name${*:+ $*}"
	} > "$fat/launch.txt"
fi

qemu=("${machine[@]}" -m 256
	-smp 1 -nodefaults -display none -no-reboot
	-drive "if=pflash,format=raw,unit=0,readonly=on,file=$ovmf_code"
	-drive "if=pflash,format=raw,unit=1,file=$tmp/vars.fd"
	-drive "file=fat:rw:$fat,format=raw,if=virtio")
if [ $debug_exit = 1 ]; then
	qemu+=(-device isa-debug-exit,iobase=0xf4,iosize=0x4)
fi
qemu+=(-chardev stdio,id=ser0,signal=off -serial chardev:ser0)
if [ $net = 1 ]; then
	qemu+=(-netdev user,id=n0 -device "virtio-net-pci,netdev=n0,romfile=${mac:+,mac=$mac}")
fi
# shellcheck disable=SC2206
qemu+=(${QEMU_ARGS:-})

start=$(date +%s%N)
timeout -k 5 "$timeout_s" "${qemu[@]}" < /dev/null | tee "$tmp/out"
status=${PIPESTATUS[0]}
ms=$(( ($(date +%s%N) - start) / 1000000 ))

exit_line=$(tr -d '\r' < "$tmp/out" | sed -n 's/^EXIT: STATUS=\(-\{0,1\}[0-9][0-9]*\).*/\1/p' | tail -n 1)
# timeout(1) says 124, or 137 when QEMU needed its KILL.
if [ "$status" = 124 ] || { [ "$status" = 137 ] && [ "$ms" -ge $((timeout_s * 1000)) ]; }; then
	code=124
	why="timeout after ${timeout_s}s"
elif [ $debug_exit = 1 ] && [ $((status % 2)) = 1 ] && [ -s "$tmp/out" ]; then
	code=$((status >> 1))
	why="isa-debug-exit"
elif [ "$status" = 0 ] && [ -n "$exit_line" ]; then
	code=$(( (exit_line >> 1) & 255 ))
	why="EXIT: line (QEMU ended without isa-debug-exit)"
elif [ "$status" = 0 ]; then
	code=126
	why="the machine stopped without an exit code"
else
	code=125
	why="QEMU failed"
fi
echo "qemu-direct: QEMU status $status, program code $code ($why), ${ms} ms" >&2
exit "$code"
