#!/bin/bash
# hostile-http.sh - what farmd answers to hostile HTTP: path traversal on
# every file route, bad ids, oversized and malformed bodies, deep JSON,
# unknown fields, wrong methods, missing and wrong tokens, junk MACs and
# query strings, forged log lines. Each case states the answer expected and
# checks it; afterwards farmd must still be alive and answer.
#
# farmd runs on loopback (tests/load/farmd-lo.sh: mode = user, one machine
# whose QEMU is a stand-in that only waits), with an API token. It is the
# AddressSanitizer build ($BUILD/tests/farmd-asan, made by make unit-tests)
# when there is one, so a memory error on any of these requests fails the
# last case even when the answer looked right.
#
# A case that fails in the way a reported bug predicts is shown as
# "ok N # SKIP known bug <id>" (docs/reliability.md, "Open bugs"), so make
# check stays usable until the fix lands; STRICT=1 makes those failures.
set -u
. "$(dirname "$0")/../load/farmd-lo.sh"
command -v curl >/dev/null && command -v jq >/dev/null ||
	{ echo "1..0 # SKIP needs curl and jq"; exit 0; }
[ -x "$LO_BUILD/tests/farmd-asan" ] && LO_FARMD=$LO_BUILD/tests/farmd-asan
[ -x "$LO_FARMD" ] || { echo "Bail out! $LO_FARMD is missing: run make"; exit 1; }
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=0
LO_TOKEN=hostile-api-token-$$
MAC=52-54-00-00-00-01
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

# known ID STATUS WHAT: a case that a reported bug makes fail.
known() {
	local id=$1 status=$2
	shift 2
	if [ "$status" -eq 0 ] || [ -n "${STRICT:-}" ]; then
		ok "$status" "$*"
	else
		n=$((n + 1))
		echo "ok $n # SKIP known bug $id: $*"
	fi
}

# req ARGS...: curl; sets code and body (file $LO_DIR/body).
req() {
	code=$(curl -s -o "$LO_DIR/body" -w '%{http_code}' --path-as-is \
	    --max-time 20 "$@")
	[ -n "$code" ] || code=000
}

# expect CODE WHAT ARGS...: the answer is CODE; a 4xx is a JSON error.
expect() {
	local want=$1 what=$2 good=0
	shift 2
	req "$@"
	[ "$code" = "$want" ] || good=1
	case "$want" in
	4*) jq -e '.error | strings | length > 0' "$LO_DIR/body" >/dev/null 2>&1 || good=1 ;;
	esac
	ok $good "$what -> $want (got $code$( [ $good = 0 ] || printf ': %.120s' "$(tr -d '\n' <"$LO_DIR/body")"))"
}

auth=(-H "Authorization: Bearer $LO_TOKEN")
json=(-H "Content-Type: application/json")

lo_start 1 "max_upload = 1048576" || { echo "Bail out! farmd did not start"; exit 1; }
U=$LO_URL
echo "# farmd $LO_FARMD on $U, state in $LO_DIR"

# --- The routes work at all (so a 404 below means something). ---
expect 200 "GET /api/v1/machines without a token (reading is open)" "$U/api/v1/machines"
if [ -e "$LO_BUILD/netboot/x86_64/setvar.efi" ]; then
	expect 200 "GET /netboot/x86_64/setvar.efi" "$U/netboot/x86_64/setvar.efi"
fi

# --- Path traversal on every file route: 404 and never a file's bytes. ---
for p in \
    '/netboot/x86_64/../../etc/passwd' \
    '/netboot/x86_64/..%2f..%2f..%2f..%2fetc%2fpasswd' \
    '/netboot/..%2f..%2f..%2fetc/passwd' \
    '/netboot/x86_64/%2e%2e%2f%2e%2e%2fetc%2fpasswd' \
    '/netboot/x86_64/.hidden' \
    '/netboot/x86_64/%2e%2e' \
    '/netboot/../../../../etc/passwd' \
    '/apps/../x.efi' \
    '/apps/..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd.efi' \
    "/apps/$(printf '../%.0s' $(seq 1 21))x.efi" \
    '/apps/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd%00.efi' \
    '/static/..%2f..%2f..%2fetc%2fpasswd' \
    '/static/../../etc/passwd' \
    '/static/.htaccess' \
    '/static/%2e%2e' \
    '/static/..%5c..%5cetc%5cpasswd' \
    '/%2e%2e/%2e%2e/etc/passwd' \
    '//etc/passwd' \
    '/jobs/1/../../../etc/passwd'; do
	req "$U$p"
	good=0
	[ "$code" = 404 ] || [ "$code" = 400 ] || good=1
	grep -q 'root:' "$LO_DIR/body" && good=1
	ok $good "traversal $p -> 404 (got $code)"
done

# --- Ids: strictly positive decimal integers up to 2^53. ---
for id in abc 0 -1 99999999999999999999 9007199254740993 1e3 0x10 '%201' '1%20' '1.0'; do
	expect 400 "GET /api/v1/jobs/$id" "$U/api/v1/jobs/$id"
done
# libmicrohttpd ends the path at a decoded NUL: no id segment is left.
expect 404 "GET /api/v1/jobs/%00 (the path ends at the NUL)" "$U/api/v1/jobs/%00"
for id in +1 01; do
	req "$U/api/v1/jobs/$id"
	[ "$code" = 400 ]
	known B4 $? "GET /api/v1/jobs/$id -> 400 (got $code)"
done
expect 400 "GET /api/v1/runs/abc" "$U/api/v1/runs/abc"
expect 400 "GET /api/v1/jobs/abc/log" "$U/api/v1/jobs/abc/log"
expect 400 "POST /api/v1/jobs/-5/cancel (with the token)" -X POST "${auth[@]}" "$U/api/v1/jobs/-5/cancel"
expect 400 "POST /api/v1/jobs/x/results" -X POST "${json[@]}" --data '{}' "$U/api/v1/jobs/x/results"
expect 404 "GET /api/v1/jobs/424242 (no such job)" "$U/api/v1/jobs/424242"
expect 404 "GET /api/v1/runs/424242 (no such run)" "$U/api/v1/runs/424242"
expect 404 "GET /api/v1/machines/nosuch" "$U/api/v1/machines/nosuch"

# --- Missing and wrong API tokens: 401 on every mutating route. ---
run_body='{"tests":["selftest"],"machines":["m1"]}'
expect 401 "POST /api/v1/runs without Authorization" -X POST "${json[@]}" --data "$run_body" "$U/api/v1/runs"
expect 401 "POST /api/v1/runs with a wrong token" -X POST -H 'Authorization: Bearer wrong' "${json[@]}" --data "$run_body" "$U/api/v1/runs"
expect 401 "POST /api/v1/runs with the token as Basic" -X POST -H "Authorization: Basic $LO_TOKEN" "${json[@]}" --data "$run_body" "$U/api/v1/runs"
expect 401 "POST /api/v1/runs with 'bearer' in lower case" -X POST -H "Authorization: bearer $LO_TOKEN" "${json[@]}" --data "$run_body" "$U/api/v1/runs"
expect 401 "POST /api/v1/runs with a prefix of the token" -X POST -H "Authorization: Bearer ${LO_TOKEN%?}" "${json[@]}" --data "$run_body" "$U/api/v1/runs"
expect 401 "POST /api/v1/runs with the token and more" -X POST -H "Authorization: Bearer ${LO_TOKEN}x" "${json[@]}" --data "$run_body" "$U/api/v1/runs"
expect 401 "POST /api/v1/apps without Authorization" -X POST --data-binary 'MZ' "$U/api/v1/apps"
expect 401 "POST /api/v1/jobs/1/cancel without Authorization" -X POST "$U/api/v1/jobs/1/cancel"

# --- Wrong methods: 405. ---
expect 405 "DELETE /api/v1/jobs" -X DELETE "$U/api/v1/jobs"
expect 405 "PUT /api/v1/runs" -X PUT "${auth[@]}" "$U/api/v1/runs"
expect 405 "GET /api/v1/jobs/1/results" "$U/api/v1/jobs/1/results"
expect 405 "GET /api/v1/jobs/1/cancel" "$U/api/v1/jobs/1/cancel"
expect 405 "POST /boot.ipxe" -X POST "$U/boot.ipxe"
expect 405 "PATCH /api/v1/machines" -X PATCH "$U/api/v1/machines"
expect 405 "OPTIONS /api/v1/apps" -X OPTIONS "$U/api/v1/apps"
expect 405 "GET /api/v1/apps" "$U/api/v1/apps"
expect 404 "GET /api/v2/jobs (no such page)" "$U/api/v2/jobs"

# --- Oversized bodies: 413, decided before the token or the JSON. ---
head -c $((256 * 1024 + 1)) /dev/zero | tr '\0' ' ' >"$LO_DIR/big-runs"
expect 413 "POST /api/v1/runs of 256 KiB + 1" -X POST "${auth[@]}" "${json[@]}" --data-binary @"$LO_DIR/big-runs" "$U/api/v1/runs"
expect 413 "POST /api/v1/runs of 256 KiB + 1, chunked" -X POST "${auth[@]}" "${json[@]}" -H 'Transfer-Encoding: chunked' --data-binary @"$LO_DIR/big-runs" "$U/api/v1/runs"
{ printf '{"tests":["nosuch"],"machines":["m1"]}'; head -c $((256 * 1024 - 38)) /dev/zero | tr '\0' ' '; } >"$LO_DIR/runs-limit"
expect 400 "POST /api/v1/runs of exactly 256 KiB is read (400: no such test)" -X POST "${auth[@]}" "${json[@]}" --data-binary @"$LO_DIR/runs-limit" "$U/api/v1/runs"
head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' ' ' >"$LO_DIR/big-results"
expect 413 "POST results of 1 MiB + 1" -X POST "${json[@]}" --data-binary @"$LO_DIR/big-results" "$U/api/v1/jobs/1/results"
expect 413 "POST /api/v1/apps over max_upload (1 MiB)" -X POST "${auth[@]}" --data-binary @"$LO_DIR/big-results" "$U/api/v1/apps"
expect 413 "a body on a GET route" -X GET --data 'x=1' "$U/api/v1/machines"

# --- Bad JSON on POST /api/v1/runs: 400 naming what is wrong. ---
runs() { expect 400 "POST /api/v1/runs $1" -X POST "${auth[@]}" "${json[@]}" --data-binary "$2" "$U/api/v1/runs"; }
runs "empty body" ''
runs "not JSON" '{'
runs "a JSON array" '[]'
runs "JSON null" 'null'
runs "not UTF-8" $'{"tests":["\xff\xfe"]}'
runs "tests not an array" '{"tests":"selftest","machines":["m1"]}'
runs "tests[0] not a string" '{"tests":[1],"machines":["m1"]}'
runs "unknown field" '{"tests":["selftest"],"machines":["m1"],"colour":"red"}'
runs "unknown machine" '{"tests":["selftest"],"machines":["../../m1"]}'
runs "unknown test" '{"tests":["../../etc/passwd"],"machines":["m1"]}'
runs "app that is no sha256" '{"app":"../../etc/passwd","machines":["m1"]}'
runs "huge number" '{"tests":["selftest"],"machines":["m1"],"timeout":1e400}'
runs "timeout out of range" '{"tests":["selftest"],"machines":["m1"],"timeout":99999999999}'
runs "argument with a space" '{"tests":["selftest"],"machines":["m1"],"args":["a b"]}'
runs "argument iPXE would expand" '{"tests":["selftest"],"machines":["m1"],"args":["${x}"]}'
runs "variable name with a space" '{"tests":["selftest"],"machines":["m1"],"env":{"A B":"x"}}'
runs "variable farmd sets itself" '{"tests":["selftest"],"machines":["m1"],"env":{"FARM_TOKEN":"x"}}'
runs "1001 tests" "{\"tests\":[$(printf '"t",%.0s' $(seq 1 1000))\"t\"],\"machines\":[\"m1\"]}"
printf '%*s' 100000 '' | tr ' ' '[' >"$LO_DIR/deep"
expect 400 "POST /api/v1/runs with JSON nested 100000 deep" -X POST "${auth[@]}" "${json[@]}" --data-binary @"$LO_DIR/deep" "$U/api/v1/runs"
{ printf '%.0s{"a":' $(seq 1 20000); echo 1; printf '%.0s}' $(seq 1 20000); } >"$LO_DIR/deep-obj"
expect 400 "POST /api/v1/runs with objects nested 20000 deep" -X POST "${auth[@]}" "${json[@]}" --data-binary @"$LO_DIR/deep-obj" "$U/api/v1/runs"

# --- A job: an app uploaded, scheduled on m1 (its QEMU only waits). ---
printf 'MZ%058d\x40\x00\x00\x00PE\x00\x00\x64\x86%0120d' 0 0 >"$LO_DIR/app.efi"
req -X POST "${auth[@]}" -H 'Content-Type: application/octet-stream' --data-binary @"$LO_DIR/app.efi" "$U/api/v1/apps"
sha=$(jq -r .sha256 "$LO_DIR/body" 2>/dev/null)
[ "$code" = 201 ] && [ ${#sha} = 64 ]
ok $? "an app is uploaded with the token (got $code, sha $sha)"
expect 400 "POST /api/v1/apps of something that is not an EFI app" -X POST "${auth[@]}" --data-binary 'hello' "$U/api/v1/apps"
req -X POST "${auth[@]}" "${json[@]}" --data "{\"app\":\"$sha\",\"name\":\"hostile.efi\",\"machines\":[\"m1\"]}" "$U/api/v1/runs"
job=$(jq -r '.jobs[0].id' "$LO_DIR/body" 2>/dev/null)
[ "$code" = 201 ] && [ -n "$job" ] && [ "$job" != null ]
ok $? "a job is scheduled with the token (got $code, job $job)"
for _ in $(seq 1 100); do
	[ "$(curl -s "$U/api/v1/jobs/$job" | jq -r .state)" = booting ] && break
	sleep 0.1
done
[ "$(curl -s "$U/api/v1/jobs/$job" | jq -r .state)" = booting ]
ok $? "the job is booting (the stand-in QEMU runs)"

# Results from someone without the job's token: 403, nothing stored.
good_post='{"tests":[{"name":"forged","status":"pass"}],"exit_code":0}'
expect 403 "results POST without Authorization" -X POST "${json[@]}" --data "$good_post" "$U/api/v1/jobs/$job/results"
expect 403 "results POST with a wrong job token" -X POST -H "Authorization: Bearer $(printf '0%.0s' $(seq 1 64))" "${json[@]}" --data "$good_post" "$U/api/v1/jobs/$job/results"
expect 403 "results POST with the API token instead of the job's" -X POST "${auth[@]}" "${json[@]}" --data "$good_post" "$U/api/v1/jobs/$job/results"
expect 403 "results POST with an empty Bearer" -X POST -H 'Authorization: Bearer ' "${json[@]}" --data "$good_post" "$U/api/v1/jobs/$job/results"
[ "$(curl -s "$U/api/v1/jobs/$job" | jq '[.testcases[]] | length')" = 0 ] &&
    [ "$(curl -s "$U/api/v1/jobs/$job" | jq -r .state)" = booting ]
ok $? "the refused POSTs stored nothing and did not end the job"

# The machine asks for its script, as iPXE would: the token is in it.
req "$U/ipxe/$MAC"
token=$(sed -n 's/.* FARM_TOKEN=\([^ ]*\).*/\1/p' "$LO_DIR/body")
[ "$code" = 200 ] && [ ${#token} -ge 32 ]
ok $? "GET /ipxe/<mac> answers the job script with its token (got $code)"
jt=(-H "Authorization: Bearer $token")

# The done query with junk: the idle script, the job goes on.
for q in 'job=abc&token=x&rc=0' "job=$job&token=wrong&rc=0" "job=$job&rc=0" \
    "job=$job&token=${token%?}&rc=0" "job=$job&token=${token}0&rc=0" \
    "job=$((job + 1))&token=$token&rc=0" 'job=99999999999999999999999&token=&rc='; do
	req "$U/ipxe/$MAC/done?$q"
	[ "$code" = 200 ] && head -1 "$LO_DIR/body" | grep -q '^#!ipxe' &&
	    [ "$(curl -s "$U/api/v1/jobs/$job" | jq -r .state)" != done ]
	ok $? "done?$q -> 200, a script, the job not ended (got $code)"
done

# Bad results bodies with the right token: 400, nothing stored.
results() { expect "$1" "results POST (job token) $2" -X POST "${jt[@]}" "${json[@]}" --data-binary "$3" "$U/api/v1/jobs/$job/results"; }
results 400 "not JSON" '{"tests":'
results 400 "empty" ''
results 400 "a JSON string" '"pass"'
results 400 "unknown field" '{"tests":[],"exit_code":0,"verdict":"pass"}'
results 400 "unknown case field" '{"tests":[{"name":"a","status":"pass","x":1}],"exit_code":0}'
results 400 "bad status" '{"tests":[{"name":"a","status":"great"}],"exit_code":0}'
results 400 "exit_code a string" '{"tests":[],"exit_code":"0"}'
results 400 "nested 20 deep" "{\"tests\":$(printf '[%.0s' $(seq 1 20))$(printf ']%.0s' $(seq 1 20))}"
printf '%*s' 200000 '' | tr ' ' '[' >"$LO_DIR/deep-results"
expect 400 "results POST (job token) nested 200000 deep" -X POST "${jt[@]}" "${json[@]}" --data-binary @"$LO_DIR/deep-results" "$U/api/v1/jobs/$job/results"
{ printf '{"tests":['; for i in $(seq 1 10000); do printf '{"name":"c%d","status":"pass"},' "$i"; done; printf '{"name":"last","status":"pass"}],"exit_code":0}'; } >"$LO_DIR/many-cases"
expect 400 "results POST (job token) with 10001 cases" -X POST "${jt[@]}" "${json[@]}" --data-binary @"$LO_DIR/many-cases" "$U/api/v1/jobs/$job/results"
[ "$(curl -s "$U/api/v1/jobs/$job" | jq '[.testcases[]] | length')" = 0 ]
ok $? "the refused bodies stored nothing"

results 400 "a NUL in a case name" '{"tests":[{"name":"a\u0000b","status":"pass"}],"exit_code":0}'

# A good POST: 200, stored; the job is over.
req -X POST "${jt[@]}" "${json[@]}" --data '{"tests":[{"name":"hostile: one","status":"pass"},{"name":"hostile: two \u00e9","status":"fail","message":"<script>"}],"exit_code":1}' "$U/api/v1/jobs/$job/results"
[ "$code" = 200 ] && [ "$(curl -s "$U/api/v1/jobs/$job" | jq -r '.result')" = fail ] &&
    [ "$(curl -s "$U/api/v1/jobs/$job" | jq '[.testcases[]] | length')" = 2 ]
ok $? "a good results POST with the job token -> 200, 2 cases stored, result fail (got $code)"

# Once the machine has let go of the job (a few seconds), no more results.
for _ in $(seq 1 100); do
	[ "$(curl -s "$U/api/v1/machines/m1" | jq -r .state)" = idle ] && break
	sleep 0.1
done
expect 409 "results POST (job token) for a job that is over" -X POST "${jt[@]}" "${json[@]}" --data "$good_post" "$U/api/v1/jobs/$job/results"
expect 404 "results POST for a job that does not exist" -X POST "${jt[@]}" "${json[@]}" --data "$good_post" "$U/api/v1/jobs/424242/results"
[ "$(curl -s "$U/api/v1/jobs/$job" | jq -r '[.testcases[].name] | join(",")')" != forged ] &&
    [ "$(curl -s "$U/api/v1/jobs/$job" | jq '[.testcases[]] | length')" = 2 ]
ok $? "the late POST changed nothing"
expect 409 "cancel a job that is over" -X POST "${auth[@]}" "$U/api/v1/jobs/$job/cancel"

# A cancelled job takes no results either (B5: while the machine is still
# stopping, it did).
req -X POST "${auth[@]}" "${json[@]}" --data "{\"app\":\"$sha\",\"machines\":[\"m1\"]}" "$U/api/v1/runs"
job2=$(jq -r '.jobs[0].id' "$LO_DIR/body" 2>/dev/null)
for _ in $(seq 1 100); do
	[ "$(curl -s "$U/api/v1/jobs/$job2" | jq -r .state)" = booting ] && break
	sleep 0.1
done
token2=$(curl -s "$U/ipxe/$MAC" | sed -n 's/.* FARM_TOKEN=\([^ ]*\).*/\1/p')
expect 200 "cancel a booting job with the token" -X POST "${auth[@]}" "$U/api/v1/jobs/$job2/cancel"
req -X POST -H "Authorization: Bearer $token2" "${json[@]}" --data "$good_post" "$U/api/v1/jobs/$job2/results"
[ "$code" = 409 ] && [ "$(curl -s "$U/api/v1/jobs/$job2" | jq '[.testcases[]] | length')" = 0 ]
known B5 $? "results POST right after a cancel -> 409, nothing stored (got $code)"

# --- Junk MACs on /ipxe/<mac>: 200 and the idle script, nothing else. ---
for m in zz 52-54-00-f0-00-0g 52-54-00-00-00-01-02 52:54:00:ff:ff:ff \
    '%0a%23!ipxe%0achain%20evil.efi%0a' '$%7Bnet0%7D' '52-54-00-00-00-01%0a' \
    "$(printf 'A%.0s' $(seq 1 4000))" '%ff%fe%00'; do
	req "$U/ipxe/$m"
	[ "$code" = 200 ] && [ "$(cat "$LO_DIR/body")" = $'#!ipxe\nexit' ]
	ok $? "GET /ipxe/$(printf '%.40s' "$m") -> 200, the idle script (got $code)"
done
req "$U/ipxe/zz/done?job=1&token=x&rc=0"
[ "$code" = 200 ] && [ "$(cat "$LO_DIR/body")" = $'#!ipxe\nexit' ]
ok $? "GET /ipxe/<junk>/done -> 200, the idle script (got $code)"
req "$U/ipxe/%0achain%20http:%2f%2fevil.example%2fx"
[ "$code" = 404 ] && ! grep -q "^#!ipxe" "$LO_DIR/body"
ok $? "GET /ipxe/<MAC with a '/' in it> -> 404, no script (got $code)"

# --- Query junk. ---
expect 400 "GET /api/v1/jobs?limit=abc" "$U/api/v1/jobs?limit=abc"
expect 400 "GET /api/v1/jobs?limit=0" "$U/api/v1/jobs?limit=0"
expect 400 "GET /api/v1/jobs?limit=1001" "$U/api/v1/jobs?limit=1001"
expect 400 "GET /api/v1/jobs?limit=%00" "$U/api/v1/jobs?limit=%00"
expect 400 "GET /api/v1/jobs?run=-1" "$U/api/v1/jobs?run=-1"
expect 400 "GET /api/v1/jobs?before=x" "$U/api/v1/jobs?before=x"
expect 400 "GET /api/v1/runs?limit=-5" "$U/api/v1/runs?limit=-5"
expect 400 "GET /api/v1/jobs/$job/log?offset=-1" "$U/api/v1/jobs/$job/log?offset=-1"
expect 400 "GET /api/v1/jobs/$job/log?offset=99999999999999999999" "$U/api/v1/jobs/$job/log?offset=99999999999999999999"
req "$U/api/v1/jobs?state=%27%20OR%201=1%20--"
[ "$code" = 200 ] && [ "$(jq '.jobs | length' "$LO_DIR/body")" = 0 ]
ok $? "GET /api/v1/jobs?state=' OR 1=1 -- -> 200 and no jobs (got $code)"
req "$U/api/v1/jobs?machine=%00&test=%ff&state=done"
[ "$code" = 200 ]
ok $? "GET /api/v1/jobs with NUL and non-UTF-8 filters -> 200 (got $code)"
req "$U/apps/$sha.efi?job=%00&job=-1"
[ "$code" = 200 ] && cmp -s "$LO_DIR/body" "$LO_DIR/app.efi"
ok $? "GET /apps/<sha>.efi?job=<junk> -> 200, the app (got $code)"
req "$U/api/v1/jobs?limit=5&$(printf 'x%.0s' $(seq 1 70000))=1"
case "$code" in 2* | 4*) good=0 ;; *) good=1 ;; esac
ok $good "a 70 kB query string -> an answer, 200 or 4xx (got $code)"

# --- Errors that quote what they were sent stay JSON. ---
req "$U/api/v1/jobs/%ff%fe"
jq -e '.error | strings' "$LO_DIR/body" >/dev/null 2>&1
known B2 $? "GET /api/v1/jobs/%ff%fe -> {\"error\": ...} (got $code: $(head -c 60 "$LO_DIR/body"))"

# --- Nothing a client sends makes a log line of its own. ---
curl -s -o /dev/null "$U/ipxe/x%0afarmd:%20forged-log-line%20$$"
sleep 0.2
! grep -q "^farmd: forged-log-line $$" "$LO_DIR/farmd.log"
known B6 $? "a newline in a URL does not forge a farmd log line"

# --- farmd is alive, answers, and saw no memory error. ---
kill -0 "$LO_PID" 2>/dev/null
ok $? "farmd is still running"
expect 200 "farmd still answers GET /api/v1/machines" "$U/api/v1/machines"
req "$U/ipxe/$MAC"
[ "$code" = 200 ]
ok $? "farmd still answers the machine's boot request"
! grep -qE 'AddressSanitizer|runtime error|LeakSanitizer|fatal' "$LO_DIR/farmd.log"
ok $? "no sanitizer report or fatal error in farmd's log ($(basename "$LO_FARMD"))"
if [ "$nfail" -gt 0 ]; then
	grep -E 'AddressSanitizer|runtime error|warning|fatal' "$LO_DIR/farmd.log" | head -n 20 | sed 's/^/# /'
fi
echo "1..$n"
[ "$nfail" -eq 0 ]
