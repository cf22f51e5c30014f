#!/bin/bash
# web_api.sh - how fast the web page's API calls answer on a big farm.
#
#   bench/web_api.sh [JOBS [CASES_PER_JOB]]     (default 100000 jobs, 10 cases)
#
# A benchmark, not a test: it prints figures and exits 0 unless something
# broke. The database is filled DIRECTLY WITH sqlite3, not through farmd's
# API (scheduling 100k jobs through POST /api/v1/runs and finishing each
# through a machine would take hours): farmd first starts once on an empty
# state directory so that its own schema (and indexes) is there, stops,
# the rows are inserted with SQL, and farmd starts again on the filled
# database. Then each route the pages call is asked N times over loopback
# with curl; the median and the slowest answer are printed, in ms, against
# the 50 ms budget of issue 5.
#
# Rows: 20 machines (x86_64 and aarch64), 50 tests, runs of 20 jobs, JOBS
# finished jobs with mixed outcomes and CASES_PER_JOB test cases each,
# 100 queued jobs, 10k machine state changes, a 64 KiB console log for one
# job. Needs sqlite3 and curl; uses build/farmd. KEEP=1 keeps the state.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
JOBS=${1:-100000}
CASES=${2:-10}
N=${N:-20}
FARMD=$BUILD/farmd
for t in sqlite3 curl; do
	command -v $t >/dev/null || { echo "web_api.sh: needs $t" >&2; exit 2; }
done
[ -x "$FARMD" ] || { echo "web_api.sh: $FARMD is missing: run make" >&2; exit 2; }

T=$(mktemp -d /tmp/farm-bench-web.XXXXXX)
PORT=$((20000 + $$ % 20000))
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	if [ -n "${KEEP:-}" ]; then echo "state kept in $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT

cat >"$T/farm.conf" <<CONF
# farm.conf for bench/web_api.sh: no machine ever boots (no job targets one)
[farm]
listen = 127.0.0.1:$PORT
state_dir = $T/state
suite = $PWD/guest/unittests.cfg
[network]
mode = user
[machine m00]
kind = qemu
arch = x86_64
mac = 52:54:00:be:00:00
tags = fast
[machine m01]
kind = qemu
arch = aarch64
mac = 52:54:00:be:00:01
tags = big
CONF

start_farmd() {
	"$FARMD" -c "$T/farm.conf" >>"$T/farmd.log" 2>&1 &
	PID=$!
	for _ in $(seq 1 100); do
		curl -sf "http://127.0.0.1:$PORT/api/v1/machines" >/dev/null && return 0
		sleep 0.1
	done
	echo "web_api.sh: farmd did not start:" >&2
	cat "$T/farmd.log" >&2
	exit 1
}
stop_farmd() {
	kill "$PID"
	wait "$PID" 2>/dev/null || true
	PID=
}

start_farmd
stop_farmd

t0=$(date +%s.%N)
sqlite3 "$T/state/farm.db" <<SQL
PRAGMA journal_mode=WAL;
PRAGMA synchronous=OFF;
BEGIN;
WITH RECURSIVE m(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM m WHERE i < 19)
INSERT OR REPLACE INTO machines (name, arch, kind, mac, tags, state, reason, last_seen, boots)
SELECT printf('m%02d', i), CASE WHEN i % 2 THEN 'aarch64' ELSE 'x86_64' END, 'qemu',
  printf('52:54:00:be:00:%02x', i),
  CASE WHEN i % 2 THEN '["arch=aarch64","big"]' ELSE '["arch=x86_64","fast"]' END,
  'idle', 'ready', 1700000000000 + i, 100 + i FROM m;

WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < ($JOBS + 19) / 20 + 5)
INSERT INTO runs (id, created_at) SELECT i, 1700000000000 + i * 1200000 FROM r;

WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < $JOBS - 1)
INSERT INTO jobs (id, run, test, app, app_name, args, env, target_machine, tags, machine,
  priority, timeout, state, result, exit_code, reason, queued_at, started_at,
  finished_at, boot_ms, log_size, token_hash, attempt)
SELECT i + 1, i / 20 + 1, printf('test-%02d', (i * 7) % 50), printf('%064x', i % 50),
  'app.efi', '[]', '["FARM_SUITE=bench"]', printf('m%02d', (i / 3) % 20), '[]',
  printf('m%02d', (i / 3) % 20), 0, 300, 'done',
  CASE WHEN abs(random()) % 100 < 80 THEN 'pass' WHEN abs(random()) % 5 = 0 THEN 'skip'
       WHEN abs(random()) % 4 = 0 THEN 'error' WHEN abs(random()) % 3 = 0 THEN 'infra'
       WHEN abs(random()) % 2 = 0 THEN 'timeout' ELSE 'fail' END,
  0, 'bench row', 1700000000000 + i * 60000, 1700000000000 + i * 60000 + 7000,
  1700000000000 + i * 60000 + 7000 + abs(random()) % 30000, 6500 + abs(random()) % 500,
  4096, NULL, 1 FROM s;
UPDATE jobs SET exit_code = 1 WHERE result = 'fail';

WITH RECURSIVE q(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM q WHERE i < 99)
INSERT INTO jobs (run, test, app, app_name, args, env, target_machine, tags, machine,
  priority, timeout, state, queued_at, boot_ms, attempt)
SELECT ($JOBS + 19) / 20 + 1 + i / 20, printf('test-%02d', i % 50), printf('%064x', 1), 'app.efi',
  '[]', '[]', NULL, '["arch=riscv64"]', NULL, i % 3, 300, 'queued',
  1800000000000 + i, -1, 1 FROM q;

WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < $CASES)
INSERT INTO testcases (job, seq, name, status, message)
SELECT j.id, c.n, printf('%s: case %d', j.test, c.n),
  CASE WHEN j.result = 'fail' AND c.n = 3 THEN 'fail' WHEN c.n = 9 THEN 'skip'
       WHEN c.n = 10 THEN 'info' ELSE 'pass' END, ''
FROM jobs j, c WHERE j.state = 'done';

WITH RECURSIVE e(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM e WHERE i < 9999)
INSERT INTO machine_events (machine, at, state, reason)
SELECT printf('m%02d', i % 20), 1700000000000 + i * 1000,
  CASE i % 3 WHEN 0 THEN 'booting' WHEN 1 THEN 'running' ELSE 'idle' END, 'bench' FROM e;
COMMIT;
SQL
t1=$(date +%s.%N)
mkdir -p "$T/state/logs"
head -c 49152 /dev/urandom | base64 >"$T/state/logs/1000.log"
njobs=$(sqlite3 "$T/state/farm.db" "SELECT count(*) FROM jobs")
ncases=$(sqlite3 "$T/state/farm.db" "SELECT count(*) FROM testcases")
printf 'filled %s jobs, %s test cases in %.1f s (sqlite3, directly)\n' "$njobs" "$ncases" \
    "$(echo "$t1 - $t0" | bc)"

start_farmd
run=$(( (JOBS + 19) / 20 / 2 ))
routes=(
	"/api/v1/overview"
	"/api/v1/overview/runs?limit=50"
	"/api/v1/overview/runs?limit=50&before=$run"
	"/api/v1/runs/$run"
	"/api/v1/runs/$run/junit"
	"/api/v1/runs/$run/tap"
	"/api/v1/runs/$run/json"
	"/api/v1/runs/$run/json?cases=0"
	"/api/v1/jobs/1000"
	"/api/v1/jobs/1000/log"
	"/api/v1/tests/test-07/history?limit=500"
	"/api/v1/tests/test-07/history?limit=200&machine=m05"
	"/api/v1/matrix"
	"/api/v1/machines/m05/health"
	"/api/v1/machines/m05/jobs?limit=50"
	"/api/v1/machines/m05/jobs?limit=50&before=$((JOBS / 2))"
	"/api/v1/machines/m05/events?limit=50"
)
printf '\n%-58s %8s %8s %8s\n' "route ($N calls each)" "median" "max" "bytes"
worst=0
for r in "${routes[@]}"; do
	times=()
	for _ in $(seq 1 "$N"); do
		out=$(curl -s -o "$T/body" -w '%{http_code} %{time_total} %{size_download}' \
		    "http://127.0.0.1:$PORT$r")
		set -- $out
		[ "$1" = 200 ] || { echo "web_api.sh: $r answered $1: $(head -c 200 "$T/body")" >&2; exit 1; }
		times+=("$(echo "$2 * 1000" | bc)")
		size=$3
	done
	sorted=$(printf '%s\n' "${times[@]}" | sort -n)
	med=$(echo "$sorted" | sed -n "$(( (N + 1) / 2 ))p")
	max=$(echo "$sorted" | tail -n 1)
	printf '%-58s %8.2f %8.2f %8s\n' "$r" "$med" "$max" "$size"
	worst=$(echo "if ($med > $worst) $med else $worst" | bc)
done
printf '\nslowest median: %.2f ms (budget 50 ms): %s\n' "$worst" \
    "$(echo "$worst < 50" | bc | sed 's/1/within/;s/0/OVER/')"
