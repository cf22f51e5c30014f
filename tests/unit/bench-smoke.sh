#!/bin/bash
# bench-smoke.sh - make check runs every benchmark of bench/run once, in
# its tiny size (BENCH_SMALL=1: 20 machines, 1 s of load, 1000 jobs, 16
# results POSTs), so that `make bench` cannot rot. Not a benchmark: no
# ratio is judged, only that each benchmark printed one valid JSON line
# with its keys and numbers. The QEMU benchmarks (cold_job, warm_chain)
# are not here: the e2e tests cover that path.
cd "$(dirname "$0")/../.."
n=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
NAMES="boot_script_rps app_download storm rss ingest"
for t in nginx:/usr/sbin/nginx wrk:/usr/bin/wrk sqlite3:/usr/bin/sqlite3 jq:/usr/bin/jq curl:/usr/bin/curl; do
	command -v "${t%%:*}" >/dev/null || [ -x "${t#*:}" ] ||
		{ echo "1..0 # SKIP needs ${t%%:*} (scripts/deps.sh bench set: nginx-light wrk)"; exit 0; }
done
out=$(mktemp)
trap 'rm -f "$out" "$out.err"' EXIT
echo "1..$(($(echo $NAMES | wc -w) + 1))"
BENCH_SMALL=1 bench/run >"$out" 2>"$out.err"
rc=$?
[ "$rc" = 0 ] || sed 's/^/# /' "$out.err" | tail -n 20
ok $rc "bench/run (BENCH_SMALL=1) exits 0"
for name in $NAMES; do
	line=$(jq -c --arg n "$name" 'select(.name == $n)' "$out" 2>/dev/null)
	echo "$line" | jq -e '(.value | type) == "number" and (.anchor_value | type) == "number"
		and (.unit | type) == "string" and (.anchor | type) == "string"
		and (.anchor_cmd | type) == "string" and has("ratio")' >/dev/null 2>&1 &&
		[ "$(echo "$line" | wc -l)" = 1 ]
	ok $? "$name printed one valid JSON line${line:+ # $(echo "$line" | jq -r '"\(.value) \(.unit), ratio \(.ratio)"')}"
done
