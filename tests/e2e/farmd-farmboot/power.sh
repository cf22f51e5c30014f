#!/bin/bash
# power.sh - the power commands of a simulated machine whose firmware
# HTTP-boots farmboot.efi from farmd: "on" starts QEMU + OVMF booting
# farmboot.efi (QEMU user networking reaches farmd on the host's loopback
# as 10.0.2.2) in a process group of its own; "off" ends that group.
#   power.sh on ARCH STATE_DIR SERVER_URL MAC | power.sh off STATE_DIR
repo=$(cd "$(dirname "$0")/../../.." && pwd)
build=${BUILD:-$repo/build}
case "$1" in
on)
	arch=$2 state=$3 url=$4 mac=$5
	mkdir -p "$state"
	setsid "$repo/scripts/qemu-direct.sh" --arch "$arch" --mac "$mac" -t 600 \
	    "$build/netboot/$arch/farmboot.efi" "$url" >"$state/console.log" 2>&1 </dev/null &
	echo $! >"$state/qemu.pgid"
	;;
off)
	state=$2
	[ -f "$state/qemu.pgid" ] && kill -TERM -- "-$(cat "$state/qemu.pgid")" 2>/dev/null
	rm -f "$state/qemu.pgid"
	;;
*)
	echo "usage: power.sh on ARCH STATE URL | off STATE" >&2
	exit 2
	;;
esac
exit 0
