#!/bin/bash
# load.sh - the load test: a farmd on loopback with LOAD_MACHINES (1000)
# QEMU machines whose QEMU is a stand-in (tests/load/farmd-lo.sh), and
# loadgen acting as all of them for LOAD_SECONDS (10): boot script requests,
# app fetches and results POSTs, over and over. LOAD_JOBS (100) jobs are
# queued first, so some machines get a real job script, fetch the app for
# it, POST its results with the job token and report done.
#
# Checks: zero errors (every answer as expected, no connection failed, no
# request over 15 s); every results POST that was answered 200 is stored
# (its cases, result pass); farmd's memory is flat (RSS after a warm-up
# run, then after the measured run: at most 10 % or 8 MiB more); farmd is
# alive and answers. The figures (requests/s, latency percentiles, RSS)
# are printed as TAP comments. `make soak` is the long form.
set -u
. "$(dirname "$0")/../load/farmd-lo.sh"
N=${LOAD_MACHINES:-1000}
SECS=${LOAD_SECONDS:-10}
JOBS=${LOAD_JOBS:-100}
CASES=5
LOADGEN=$LO_BUILD/tests/load/loadgen
n=0
nfail=0
trap 'lo_stop' EXIT

ok() {
	local status=$1
	shift
	n=$((n + 1))
	if [ "$status" -eq 0 ]; then
		echo "ok $n - $*"
	else
		echo "not ok $n - $*"
		nfail=$((nfail + 1))
	fi
}

command -v curl >/dev/null && command -v jq >/dev/null ||
	{ echo "1..0 # SKIP needs curl and jq"; exit 0; }
[ -x "$LOADGEN" ] || { echo "Bail out! $LOADGEN is missing: run make unit-tests"; exit 1; }
[ "$JOBS" -le "$N" ] || JOBS=$N

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$LO_PID/status"; }

t=$(date +%s%N)
lo_start "$N" || { echo "Bail out! farmd did not start with $N machines"; exit 1; }
ok 0 "farmd started with $N machines in $(( ($(date +%s%N) - t) / 1000000 )) ms"
auth=(-H "Authorization: Bearer $LO_TOKEN")

# The app every machine fetches: a minimal PE image.
printf 'MZ%058d\x40\x00\x00\x00PE\x00\x00\x64\x86%0120d' 0 0 >"$LO_DIR/app.efi"
sha=$(curl -s "${auth[@]}" --data-binary @"$LO_DIR/app.efi" "$LO_URL/api/v1/apps" | jq -r .sha256)
[ ${#sha} = 64 ]
ok $? "the app is uploaded ($sha)"

# Warm-up: every machine once or twice, idle; then memory is measured.
"$LOADGEN" -q -u "$LO_URL" -a "$sha" -n "$N" -d 2 -k "$CASES" >"$LO_DIR/warmup.out" 2>&1
warm=$?
sed 's/^/# warm-up: /' "$LO_DIR/warmup.out" | grep -v '^# warm-up: #' | head -n 3
[ "$warm" = 0 ]
ok $? "warm-up run: no errors"

# The jobs, one per machine m1..m$JOBS, all queued at once.
machines=$(seq 1 "$JOBS" | sed 's/.*/"m&"/' | paste -sd,)
code=$(curl -s -o "$LO_DIR/run.json" -w '%{http_code}' "${auth[@]}" \
    -H 'Content-Type: application/json' \
    --data "{\"app\":\"$sha\",\"name\":\"load.efi\",\"machines\":[$machines]}" \
    "$LO_URL/api/v1/runs")
run=$(jq -r .id "$LO_DIR/run.json" 2>/dev/null)
[ "$code" = 201 ] && [ "$(jq '.jobs | length' "$LO_DIR/run.json")" = "$JOBS" ]
ok $? "$JOBS jobs queued (run $run, got $code)"
# farmd assigns the jobs (and starts their stand-in QEMU) on its loop: the
# first answer after that says when it is done.
t=$(date +%s%N)
curl -s -o /dev/null --max-time 600 "$LO_URL/api/v1/machines"
echo "# the $JOBS jobs were assigned in $(( ($(date +%s%N) - t) / 1000000 )) ms (farmd answered nothing meanwhile)"
sleep 1
rss0=$(rss_kb)

"$LOADGEN" -u "$LO_URL" -a "$sha" -n "$N" -d "$SECS" -k "$CASES" -o "$LO_DIR/posted" \
    >"$LO_DIR/load.out" 2>"$LO_DIR/load.err"
# loadgen's own TAP lines are numbered here.
while IFS= read -r line; do
	case "$line" in
	"ok - "*) ok 0 "${line#ok - }" ;;
	"not ok - "*) ok 1 "${line#not ok - }" ;;
	*) echo "$line" ;;
	esac
done <"$LO_DIR/load.out"
sed 's/^/# /' "$LO_DIR/load.err" | head -n 10
rss1=$(rss_kb)

# Every results POST answered 200 is stored: its cases, result pass.
posted=$(sort -un "$LO_DIR/posted" 2>/dev/null | wc -l)
lost=0
for id in $(sort -un "$LO_DIR/posted"); do
	j=$(curl -s "$LO_URL/api/v1/jobs/$id")
	if [ "$(echo "$j" | jq -r .result)" != pass ] ||
	    [ "$(echo "$j" | jq '.testcases | length')" != "$CASES" ]; then
		lost=$((lost + 1))
		[ "$lost" -le 5 ] && echo "# job $id: $(echo "$j" | jq -c '{state,result,reason,n:(.testcases|length)}')"
	fi
done
[ "$posted" -gt 0 ] && [ "$lost" = 0 ]
ok $? "every results POST answered 200 is stored: $posted jobs, $lost lost"
done_jobs=$(curl -s "$LO_URL/api/v1/runs/$run" | jq '[.jobs[] | select(.state == "done")] | length')
echo "# run $run: $done_jobs of $JOBS jobs done when the load stopped"

grow=$((rss1 - rss0))
limit=$((rss0 / 10 > 8192 ? rss0 / 10 : 8192))
[ -n "$rss0" ] && [ -n "$rss1" ] && [ "$grow" -le "$limit" ]
ok $? "farmd's memory is flat: RSS $((rss0 / 1024)) MiB before, $((rss1 / 1024)) MiB after (+$grow KiB, at most +$limit KiB)"

kill -0 "$LO_PID" 2>/dev/null && [ "$(curl -s -o /dev/null -w '%{http_code}' "$LO_URL/api/v1/machines")" = 200 ]
ok $? "farmd is alive and answers"
! grep -qE 'fatal|AddressSanitizer' "$LO_DIR/farmd.log"
ok $? "no fatal error in farmd's log ($(grep -c 'warning' "$LO_DIR/farmd.log") warnings)"
grep 'warning' "$LO_DIR/farmd.log" | sort | uniq -c | sort -rn | head -n 5 | sed 's/^/# /'
echo "1..$n"
[ "$nfail" -eq 0 ]
