#!/bin/sh
# deps.sh - install the Debian packages farm needs to build, run and test.
#
# Usage: scripts/deps.sh [build|run|check|all]   (default: all)
# Installs only what is missing; prints nothing more when all is there.
# Needs root to install; without it, names the missing packages and fails.
set -eu

build="build-essential pkg-config gnu-efi libfdt-dev libmicrohttpd-dev
libsqlite3-dev sqlite3 nettle-dev libjansson-dev libcurl4-openssl-dev libcmocka-dev
gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu"
run="qemu-system-x86 qemu-system-arm qemu-utils ovmf qemu-efi-aarch64 ipxe curl
ipxe-qemu dnsmasq-base iproute2 mtools dosfstools"
check="curl jq procps python3 chromium nodejs npm groff-base man-db"

case "${1:-all}" in
build) want="$build" ;;
run) want="$run" ;;
check) want="$build $run $check" ;;
all) want="$build $run $check" ;;
*) echo "deps.sh: unknown set '$1' (build, run, check, all)" >&2; exit 2 ;;
esac

# Commands that may come from outside Debian's packages (the machine's own
# Node.js with its npm): when the command is there, the package is not needed.
have_command() {
	case "$1" in
	nodejs) command -v node >/dev/null 2>&1 ;;
	npm) command -v npm >/dev/null 2>&1 ;;
	*) return 1 ;;
	esac
}

missing=""
for p in $want; do
	have_command "$p" && continue
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "farm needs these Debian packages:$missing" >&2
	echo "run as root: apt-get install$missing   (or: sudo $0 ${1:-all})" >&2
	exit 1
fi

echo "deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends $missing >/dev/null 2>&1; then
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends $missing
fi
