#!/bin/sh
# farmctl-fake.sh - farmctl's own test: runs build/farmctl against a fake of
# farmd's JSON API (farmctl-fake.py beside this file, a canned stand-in for
# this test only, not farmd) and checks farmctl's output and exit codes.
# Prints TAP. The fake listens on 127.0.0.1 on a free port; only its PID is
# ever killed.
#
# Usage: tests/e2e/farmctl-fake.sh      (FARMCTL=path overrides the binary)
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
FARMCTL=${FARMCTL:-$top/build/farmctl}
if [ ! -x "$FARMCTL" ]; then
	echo "Bail out! no $FARMCTL (make build/farmctl)"
	exit 1
fi

tmp=$(mktemp -d)
fake=
cleanup() {
	if [ -n "$fake" ]; then
		kill "$fake" 2>/dev/null
		wait "$fake" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

python3 "$here/farmctl-fake.py" "$tmp/port" "$tmp/requests" 2>"$tmp/fake.err" &
fake=$!
i=0
while [ ! -s "$tmp/port" ] && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
if [ ! -s "$tmp/port" ]; then
	echo "Bail out! the fake API did not start: $(cat "$tmp/fake.err")"
	exit 1
fi
port=$(cat "$tmp/port")
FARM_SERVER=http://127.0.0.1:$port
TZ=UTC
export FARM_SERVER TZ
unset FARM_API_TOKEN

n=0
failed=0
rc=0

# Runs farmctl with the arguments; keeps stdout, stderr and the exit status.
fc() {
	"$FARMCTL" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
}

# Reports one TAP test: "ok" when every check since the last one held.
bad=0
check() {
	if ! "$@"; then
		echo "# check failed: $*"
		bad=1
	fi
}
report() {
	n=$((n + 1))
	if [ $bad -eq 0 ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		echo "# exit status $rc; stdout:"
		sed 's/^/#   /' "$tmp/out"
		echo "# stderr:"
		sed 's/^/#   /' "$tmp/err"
		failed=$((failed + 1))
	fi
	bad=0
}
rc_is() { [ "$rc" -eq "$1" ]; }
out_has() { grep -qF -- "$1" "$tmp/out"; }
err_has() { grep -qF -- "$1" "$tmp/err"; }
req_has() { grep -qF -- "$1" "$tmp/requests"; }
json_ok() { python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/out"; }

# A 4 KiB stand-in for an EFI binary; the fake only hashes it.
head -c 4096 /dev/urandom >"$tmp/hello.efi"
cp "$tmp/hello.efi" "$tmp/failer.efi"
printf 'x' >>"$tmp/failer.efi"
cp "$tmp/hello.efi" "$tmp/infra-box.efi"
printf 'y' >>"$tmp/infra-box.efi"
sha=$(sha256sum "$tmp/hello.efi" | cut -d' ' -f1)
export FARM_API_TOKEN=s3cret

fc --version
check rc_is 0
check out_has "farmctl "
report "--version"

fc schedule --machine vm-x86 --efi "$tmp/hello.efi" --wait
check rc_is 0
check out_has "app $tmp/hello.efi: 4096 bytes, sha256 $sha (uploaded)"
check out_has "job 20 vm-x86 hello: queued"
check out_has "job 20 vm-x86 hello: booting"
check out_has "job 20 vm-x86 hello: running"
check out_has "job 20 vm-x86 hello: pass (exit 0) in 8.2 s, boot 5.1 s"
check out_has "run 4: passed (1 job: 1 pass)"
check req_has "POST /api/v1/apps Bearer s3cret <4096 bytes sha256 $sha>"
check req_has "\"app\":\"$sha\",\"name\":\"hello\""
check req_has "GET /api/v1/jobs/20 "
report "schedule --efi --wait, job passes: exit 0"

fc schedule -m vm-x86 -m rack3-seattle --efi "$tmp/failer.efi" --wait
check rc_is 1
check out_has "job 21 vm-x86 failer: fail (exit 1) in 3.0 s, boot 2.0 s: exit code 1"
check out_has "  fail  selftest: argc  expected 2, got 1"
check out_has "run 5: FAILED (2 jobs: 2 fail)"
check out_has "21   vm-x86         failer  fail    1     3.0 s     2.0 s"
report "schedule --efi --wait, job fails: exit 1, failing testcase named"

fc schedule -t fast --efi "$tmp/infra-box.efi" --name infra-box --wait
check rc_is 2
check out_has "job 23 tags=fast infra-box: queued"
check out_has "infra: no boot request within 30 s"
check out_has "run 6: ERROR, not a test verdict"
report "schedule --efi --wait, infra: exit 2, says it is not a test verdict"

fc --json schedule --machine vm-x86 --efi "$tmp/hello.efi" --wait
check rc_is 0
check json_ok
check out_has '"name": "selftest: argc"'
check err_has "(already stored)"
check err_has "run 7: passed (1 job: 1 pass)"
report "schedule --json --wait: final run with testcases on stdout, exit 0"

fc schedule --machine vm-x86 --tag fast --env K=V --timeout 60 --priority 3 selftest memmap -- a --b
check rc_is 0
check out_has "run 8: 2 jobs"
check out_has "job 25 vm-x86 selftest: queued"
check out_has "job 26 vm-x86 memmap: queued"
check req_has '{"tests":["selftest","memmap"],"machines":["vm-x86"],"tags":["fast"],"args":["a","--b"],"env":{"K":"V"},"timeout":60,"priority":3}'
report "schedule TEST... -- ARGS: request body, run and job ids"

fc schedule --machine vm-x86 x
check rc_is 2
check test "$(cat "$tmp/err")" = 'farmctl: schedule: 400: tests[0]: no test "x" in suite'
report "HTTP 400: the server's error text with the status, exit 2"

FARM_API_TOKEN= fc cancel 15
check rc_is 2
check err_has "farmctl: cancel: 401: missing or wrong API token (set \$FARM_API_TOKEN or --token)"
report "401 without a token: exit 2 and a hint"

fc cancel 15
check rc_is 0
check out_has "job 15: cancelled"
report "cancel"

fc jobs --state done --machine vm-x86 --limit 5
check rc_is 0
check out_has "ID  STATE  RESULT  MACHINE  TEST      DURATION  QUEUED"
check out_has "12  done   pass    vm-x86   selftest  8.2 s     2023-11-14 22:13:20"
check req_has "GET /api/v1/jobs?state=done&machine=vm-x86&limit=5 "
report "jobs with filters: table"

fc jobs
check rc_is 0
check out_has "15  queued   -       tags=fast"
report "jobs: a queued job shows its target"

fc show 13
check rc_is 0
check out_has "job 13 (run 3): selftest"
check out_has "  result     fail (exit 1) in 3.0 s, boot 2.0 s: exit code 1"
check out_has "  args       a b"
check out_has "  env        K=V"
check out_has "STATUS  NAME            MESSAGE"
check out_has "fail    selftest: argc  expected 2, got 1"
report "show: details and testcases table"

fc show 13 --json
check rc_is 0
check json_ok
check python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(not (j["id"]==13 and j["testcases"][1]["status"]=="fail"))' "$tmp/out"
report "show --json: the job object as the server gives it"

fc show 999
check rc_is 2
check err_has "farmctl: show: 404: no job 999"
report "show of an unknown job: 404 text, exit 2"

fc log 12
check rc_is 0
printf '\033[2J\033[01;01HBdsDxe: loading Boot0001\r\nPASS: selftest: argc\r\nSUMMARY: 1 tests\r\nEXIT: STATUS=1\r\n' >"$tmp/want12"
check cmp -s "$tmp/out" "$tmp/want12"
report "log: raw console bytes, escapes kept"

fc log -f 14
check rc_is 0
printf 'iPXE 1.21.1 -- booting\r\nPASS: memmap: entries\r\nFAIL: memmap: holes\r\nSUMMARY: 2 tests, 1 unexpected failures\r\n' >"$tmp/want14"
check cmp -s "$tmp/out" "$tmp/want14"
check req_has "GET /api/v1/jobs/14/log?offset=0 "
check req_has "GET /api/v1/jobs/14/log?offset=47 "
report "log -f: follows across two polls until the job is done"

fc machines
check rc_is 0
check out_has "NAME           ARCH     KIND      STATE    HEALTH  JOB  TAGS"
check out_has "vm-x86         x86_64   qemu      idle     ok      -    arch=x86_64,fast,smoke"
check out_has "rack3-seattle  aarch64  physical  running  ok      14   arch=aarch64"
report "machines: table"

fc machines --json
check rc_is 0
check json_ok
check out_has '"machines": ['
report "machines --json"

fc runs
check rc_is 0
check out_has "3    2023-11-14 22:13:20  4     1 pass, 1 fail, 1 queued, 1 running"
report "runs: table"

fc -s http://127.0.0.1:$port/ schedule --machine vm-x86 --efi "$tmp/missing.efi"
check rc_is 2
check err_has "farmctl: schedule: $tmp/missing.efi: No such file or directory"
report "schedule --efi with a missing file: exit 2"

# A port nothing listens on: bind one, then let it go.
dead=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
fc -s "http://127.0.0.1:$dead" jobs
check rc_is 2
check err_has "farmctl: jobs: http://127.0.0.1:$dead/api/v1/jobs: "
report "connection refused: names the URL, exit 2"

fc jobs --bogus
check rc_is 2
check err_has "farmctl: jobs: unknown option '--bogus'"
check err_has "usage: farmctl jobs"
report "unknown option: exit 2, names it, usage"

fc show abc
check rc_is 2
check err_has "bad JOB 'abc'"
report "bad job id: exit 2"

fc schedule selftest
check rc_is 2
check err_has "at least one --machine or --tag"
report "schedule without a target: exit 2"

fc schedule -m vm-x86 --timeout 0 selftest
check rc_is 2
check err_has "bad --timeout '0'"
report "schedule --timeout 0: exit 2"

fc schedule -m vm-x86 --efi "$tmp/hello.efi" selftest
check rc_is 2
check err_has "no TEST with it ('selftest')"
report "schedule --efi with TEST: exit 2"

fc frobnicate
check rc_is 2
check err_has "unknown command 'frobnicate'"
report "unknown command: exit 2"

fc
check rc_is 2
check err_has "no command given"
report "no command: exit 2"

fc show
check rc_is 2
check err_has "missing JOB"
report "missing operand: exit 2"

fc schedule --help
check rc_is 0
check out_has "usage: farmctl schedule"
report "command --help: exit 0"

# Ctrl-C stops waiting: exit 130, the jobs keep running.
"$FARMCTL" schedule -m vm-x86 --efi "$tmp/hello.efi" --name slow-one --wait \
	>"$tmp/out" 2>"$tmp/err" </dev/null &
pid=$!
i=0
while ! grep -q "slow-one: running" "$tmp/out" && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
kill -INT "$pid"
wait "$pid"
rc=$?
check rc_is 130
check err_has "stopped waiting; run 9 keeps running"
report "Ctrl-C during --wait: exit 130"

echo "1..$n"
[ $failed -eq 0 ]
