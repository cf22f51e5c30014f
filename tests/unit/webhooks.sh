#!/bin/bash
# webhooks.sh - farm.conf's webhooks reach a receiver on loopback: a
# machine going to maintenance, a job ending (cancelled while queued) and
# its run ending; a receiver that fails at first gets the event again.
# farmd runs on loopback in user mode; no machine is started.
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
t=$(mktemp -d)
n=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
hport=$(free_port)
url=http://127.0.0.1:$port

# The receiver: stores each body as a line; answers 500 to the first POST.
cat >"$t/recv.py" <<'PY'
import http.server, sys
out = open(sys.argv[2], "a", buffering=1)
first = [True]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if first[0]:
            first[0] = False
            self.send_response(500); self.end_headers(); return
        out.write(body.decode() + "\n")
        self.send_response(204); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
python3 "$t/recv.py" "$hport" "$t/events" &
rpid=$!
cat >"$t/farm.conf" <<CONF
[farm]
listen = 127.0.0.1:$port
state_dir = $t/state
suite = $PWD/guest/unittests.cfg
tests_dir = $PWD/$BUILD/guest
webhooks = http://127.0.0.1:$hport/hook
[network]
mode = user
[machine vm-x86]
kind = qemu
arch = x86_64
mac = 52:54:00:f0:00:01
CONF
"$BUILD"/farmd -v -c "$t/farm.conf" >"$t/log" 2>&1 &
pid=$!
trap 'kill $pid $rpid 2>/dev/null; wait $pid $rpid 2>/dev/null; [ -n "$KEEP" ] || rm -rf "$t"' EXIT
for _ in $(seq 1 50); do curl -sf "$url/api/v1/machines" >/dev/null && break; sleep 0.1; done

"$BUILD"/farmctl -s "$url" machine set vm-x86 maintenance --reason "webhook test" >/dev/null
id=$("$BUILD"/farmctl -s "$url" --json schedule --machine vm-x86 selftest | jq -r '.jobs[0].id')
"$BUILD"/farmctl -s "$url" cancel "$id" >/dev/null
# Four events: the start-up one (idle, retried after the 500), maintenance,
# the job's end, the run's end.
for _ in $(seq 1 80); do [ "$(grep -c . "$t/events" 2>/dev/null)" -ge 4 ] && break; sleep 0.1; done
has() { jq -se "any(.[]; $1)" "$t/events" >/dev/null; }

has '.event == "machine.state" and .machine == "vm-x86" and .state == "maintenance" and (.reason | test("webhook test"))'
ok $? "machine to maintenance: a machine.state event with the reason"
has ".event == \"job.end\" and .job == $id and .state == \"cancelled\" and .test == \"selftest\""
ok $? "a job ending: a job.end event with its state"
has '.event == "run.end" and .jobs == 1 and .verdict == "error"'
ok $? "its run ending: a run.end event with the counts and verdict"
grep -q "webhook .* failed (curl status 22), again in 1 s" "$t/log"
ok $? "the receiver's first 500 was retried: $(grep -o 'webhook .* again in 1 s' "$t/log" | head -1)"
kill -0 $pid
ok $? "farmd kept serving"
echo "1..$n"
