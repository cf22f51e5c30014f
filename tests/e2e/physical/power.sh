#!/bin/bash
# power.sh - the power controller of a simulated physical machine, for
# tests/e2e/physical.t: what ipmitool or a PDU script is to a real one.
# farmd runs it as farm.conf's power_on / power_off / power_cycle command.
#
#   power.sh on|off|cycle DIR
#
# DIR/config says what the machine is (MAC, TAP, BRIDGE, SERIAL: the unix
# socket of its serial line, served over TCP by serial-server.py; ROMFILE:
# its NIC's option ROM, the iPXE ROM unless it says otherwise; empty: the
# firmware's own PXE). "On"
# starts QEMU with OVMF and the iPXE ROM the way farmd's own QEMU machines
# boot, daemonized, its PID in DIR/qemu.pid; "off" stops that PID. With
# DIR/fail present, on and cycle fail the way a dead BMC does.
set -u
action=${1:-}
dir=${2:-}
if [ -z "$dir" ] || [ ! -r "$dir/config" ]; then
	echo "usage: power.sh on|off|cycle DIR (with DIR/config)" >&2
	exit 2
fi
. "$dir/config"
ROMFILE=${ROMFILE-/usr/lib/ipxe/qemu/efi-virtio.rom}
name=$(basename "$dir")
pidfile=$dir/qemu.pid

# running: 0 when the machine's QEMU runs (its pidfile names a process
# whose command line carries our -name).
running() {
	local pid
	[ -r "$pidfile" ] || return 1
	pid=$(cat "$pidfile")
	[ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
	    grep -q -- "-name physical-$name "
}

off() {
	local pid i
	if ! running; then
		rm -f "$pidfile"
		echo "$name: already off"
		return 0
	fi
	pid=$(cat "$pidfile")
	kill -TERM "$pid"
	for i in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
	rm -f "$pidfile"
	echo "$name: off (qemu $pid stopped)"
}

on() {
	if [ -e "$dir/fail" ]; then
		echo "$name: BMC at 10.99.7.7 does not answer (simulated failure)"
		exit 3
	fi
	if running; then
		echo "$name: already on"
		return 0
	fi
	# The machine's network cable: a tap on the lab bridge farmd made.
	if ! ip link show "$TAP" >/dev/null 2>&1; then
		ip tuntap add dev "$TAP" mode tap || exit 1
		ip link set "$TAP" master "$BRIDGE" up || exit 1
	fi
	cp /usr/share/OVMF/OVMF_VARS_4M.fd "$dir/vars.fd" || exit 1
	qemu-system-x86_64 -name "physical-$name" -machine q35 -accel tcg -cpu max \
		-m 256 -smp 1 -nodefaults -no-user-config -display none \
		-drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd \
		-drive "if=pflash,format=raw,unit=1,file=$dir/vars.fd" \
		-netdev "tap,id=n0,ifname=$TAP,script=no,downscript=no" \
		-device "virtio-net-pci,netdev=n0,mac=$MAC,romfile=$ROMFILE,bootindex=0" \
		-chardev "socket,id=c0,path=$SERIAL,reconnect=1" -serial chardev:c0 \
		-daemonize -pidfile "$pidfile" || exit 1
	echo "$name: on (qemu $(cat "$pidfile"))"
}

case "$action" in
on) on ;;
off) off ;;
cycle)
	[ -e "$dir/fail" ] || off
	on
	;;
*)
	echo "power.sh: unknown action '$action' (on, off, cycle)" >&2
	exit 2
	;;
esac
