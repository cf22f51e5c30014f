#!/bin/bash
# demo.sh - runs the shipped farm: starts farmd on farm.conf, schedules the
# sample suite (the tests of guest/unittests.cfg in group "sample") on every
# machine, prints each job's outcome and the web address, then serves until
# Ctrl-C. With --once it stops when the suite is done and exits 0 only when
# every job passed.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
CONF=${FARM_CONF:-farm.conf}
once=0
[ "${1:-}" = --once ] && once=1

listen=$(awk -F= '/^[[:space:]]*listen[[:space:]]*=/ { gsub(/[[:space:]]|#.*/, "", $2); print $2; exit }' "$CONF")
server="http://${listen:-127.0.0.1:8080}"
export FARM_SERVER=$server

if [ "$(id -u)" != 0 ]; then
	echo "demo: not root: farmd will use QEMU user networking instead of its lab bridge"
fi

"$BUILD"/farmd -n -c "$CONF" || exit 1
"$BUILD"/farmd -c "$CONF" &
farmd=$!
stop() {
	if kill -0 "$farmd" 2>/dev/null; then
		kill -TERM "$farmd"
		wait "$farmd"
	fi
}
trap 'stop; exit 130' INT TERM

for i in $(seq 1 100); do
	if ! kill -0 "$farmd" 2>/dev/null; then
		echo "demo: farmd did not start"
		exit 1
	fi
	curl -sf "$server/api/v1/machines" >/dev/null && break
	sleep 0.2
done

tests=$(awk '
	/^\[/ { name = substr($0, 2, index($0, "]") - 2); next }
	/^[[:space:]]*groups[[:space:]]*=/ { if ($0 ~ /[= ]sample([[:space:]]|$)/) print name }
' guest/unittests.cfg)
# Without root there is no lab network, and machines that boot farmboot.efi
# (vm-arm) need it: their firmware's own network boot has nothing to talk
# to on QEMU's user networking.
if [ "$(id -u)" = 0 ]; then
	machines=$("$BUILD"/farmctl machines --json | jq -r '.machines[].name')
else
	machines=$("$BUILD"/farmctl machines --json | jq -r '.machines[] | select(.kind != "qemu" or .boot == "ipxe") | .name')
	skipped=$("$BUILD"/farmctl machines --json | jq -r '.machines[] | select(.kind == "qemu" and .boot != "ipxe") | .name')
	[ -n "$skipped" ] && echo "demo: not root: skipping $(echo $skipped) (boots farmboot.efi, which needs the lab network)"
fi
margs=()
for m in $machines; do margs+=(--machine "$m"); done

echo "demo: web page: $server/"
echo "demo: running the sample suite ($(echo $tests)) on: $(echo $machines)"
"$BUILD"/farmctl schedule "${margs[@]}" --wait $tests
status=$?
echo "demo: web page: $server/"

if [ $once = 1 ]; then
	stop
	exit $status
fi
echo "demo: farmd serves until Ctrl-C"
wait "$farmd"
