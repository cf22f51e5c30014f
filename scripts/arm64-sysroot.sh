#!/bin/sh
# arm64-sysroot.sh - unpacks Debian's arm64 gnu-efi and libfdt into a
# folder of the build tree, for the aarch64 guest build
# (guest/arch/aarch64/arch.mk).
#
# Usage: scripts/arm64-sysroot.sh SYSROOT [PACKAGE...]
#        (default packages: gnu-efi libfdt-dev)
#
# Gives SYSROOT/usr/include/efi/..., SYSROOT/usr/lib/libefi.a,
# SYSROOT/usr/include/libfdt.h, SYSROOT/usr/lib/aarch64-linux-gnu/libfdt.a
# and the rest of each package, from `apt-get download PACKAGE:arm64` into
# SYSROOT/debs and `dpkg -x`. Idempotent: when SYSROOT/.done names the
# same packages, it does nothing (and needs no network). The first run
# needs the arm64 architecture in dpkg; as root it adds it
# (`dpkg --add-architecture arm64`, then `apt-get update`), otherwise it
# says what to run. Any failure ends with a line saying what failed and
# exit status 1; nothing half-unpacked is left marked as done.
set -eu

die() {
	echo "arm64-sysroot: $*" >&2
	echo "arm64-sysroot: the aarch64 guest build needs Debian's gnu-efi and libfdt for arm64" \
		"in $sysroot (make GUEST_ARCHES=x86_64 builds x86_64 alone)" >&2
	exit 1
}

[ $# -ge 1 ] || { echo "usage: $0 SYSROOT [PACKAGE...]" >&2; exit 2; }
sysroot=$1
if [ -z "$sysroot" ] || [ "$sysroot" = / ]; then
	echo "arm64-sysroot: bad SYSROOT '$sysroot'" >&2
	exit 2
fi
shift
[ $# -gt 0 ] || set -- gnu-efi libfdt-dev
want="$*"

# Touched, so that make sees it newer than the script and arch.mk.
if [ -f "$sysroot/.done" ] && [ "$(cat "$sysroot/.done")" = "$want" ]; then
	touch "$sysroot/.done"
	exit 0
fi

if ! command -v apt-get > /dev/null || ! command -v dpkg > /dev/null; then
	die "needs Debian's apt-get and dpkg to fetch $want for arm64"
fi

root=no
[ "$(id -u)" = 0 ] && root=yes

# The arm64 architecture: without it apt knows no arm64 packages.
updated=no
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	[ $root = yes ] || die "dpkg has no arm64 architecture; run as root:" \
		"dpkg --add-architecture arm64 && apt-get update"
	echo "arm64-sysroot: adding the arm64 architecture to dpkg" >&2
	dpkg --add-architecture arm64 || die "dpkg --add-architecture arm64 failed"
	apt-get -q -o DPkg::Lock::Timeout=120 update > /dev/null ||
		die "apt-get update failed (is the Debian archive reachable?)"
	updated=yes
fi

# Only what this script puts there is removed.
rm -rf "${sysroot:?}/.done" "${sysroot:?}/debs" "${sysroot:?}/usr"
mkdir -p "$sysroot/debs" || die "cannot create $sysroot/debs"

# Downloads each package; after one failure, an apt-get update (the lists
# may not know arm64 yet, or be stale) and one more try.
fetch() {
	(cd "$sysroot/debs" && apt-get -q -o DPkg::Lock::Timeout=120 download "$@") \
		> "$sysroot/debs/download.log" 2>&1
}
pkgs=
for p in $want; do
	pkgs="$pkgs $p:arm64"
done
# shellcheck disable=SC2086
if ! fetch $pkgs; then
	if [ $updated = no ] && [ $root = yes ]; then
		echo "arm64-sysroot: apt-get download failed; apt-get update, then again" >&2
		apt-get -q -o DPkg::Lock::Timeout=120 update > /dev/null ||
			die "apt-get update failed (is the Debian archive reachable?)"
		# shellcheck disable=SC2086
		fetch $pkgs || {
			sed 's/^/  /' "$sysroot/debs/download.log" >&2
			die "apt-get download$pkgs failed (see above)"
		}
	else
		sed 's/^/  /' "$sysroot/debs/download.log" >&2
		[ $root = yes ] || die "apt-get download$pkgs failed; as root," \
			"apt-get update may help"
		die "apt-get download$pkgs failed (see above)"
	fi
fi

for deb in "$sysroot"/debs/*.deb; do
	[ -f "$deb" ] || die "apt-get download$pkgs gave no .deb"
	dpkg -x "$deb" "$sysroot" || die "dpkg -x $deb failed"
done

# What the aarch64 build reads from each package it knows.
need() {
	case " $want " in
	*" $1 "*)
		pkg=$1
		shift
		for f in "$@"; do
			[ -f "$sysroot/$f" ] || die "$pkg:arm64 has no $f"
		done ;;
	esac
}
need gnu-efi usr/include/efi/aarch64/efibind.h usr/lib/libefi.a usr/lib/libgnuefi.a
need libfdt-dev usr/include/libfdt.h usr/include/fdt.h \
	usr/lib/aarch64-linux-gnu/libfdt.a
printf '%s\n' "$want" > "$sysroot/.done"
echo "arm64-sysroot: $want for arm64 in $sysroot" >&2
