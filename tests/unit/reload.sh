#!/bin/bash
# reload.sh - SIGHUP reloads farm.conf: a good file takes effect, a file
# with errors or one that changes a machine's identity leaves the running
# configuration in force, and farmd keeps serving throughout. farmd runs
# on loopback in user mode; no machine is started.
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
t=$(mktemp -d)
n=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url=http://127.0.0.1:$port
conf() { # TOKEN TAGS MAC
	cat >"$t/farm.conf" <<CONF
[farm]
listen = 127.0.0.1:$port
state_dir = $t/state
api_token = $1
[network]
mode = user
[machine vm-x86]
kind = qemu
arch = x86_64
mac = $3
tags = $2
CONF
}
post_status() { curl -s -o /dev/null -w '%{http_code}' -X POST "$@" --data '{}' "$url/api/v1/runs"; }
tags() { curl -s "$url/api/v1/machines" | jq -r '.machines[0].tags | join(" ")'; }

conf "" "fast" 52:54:00:f0:00:01
"$BUILD"/farmd -c "$t/farm.conf" >"$t/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$t"' EXIT
for _ in $(seq 1 50); do curl -sf "$url/api/v1/machines" >/dev/null && break; sleep 0.1; done

[ "$(post_status)" = 400 ]
ok $? "without api_token a schedule request needs no token (400: empty request)"

conf "s3cret" "fast nightly" 52:54:00:f0:00:01
kill -HUP $pid
for _ in $(seq 1 50); do grep -q 'reload: .* applied' "$t/log" && break; sleep 0.1; done
[ "$(post_status)" = 401 ] && [ "$(post_status -H 'Authorization: Bearer s3cret')" = 400 ]
ok $? "after SIGHUP the new api_token is required"
[ "$(tags)" = "arch=x86_64 fast nightly" ]
ok $? "and the machine's new tags show: $(tags)"

echo "[farm" >>"$t/farm.conf"
kill -HUP $pid
for _ in $(seq 1 50); do grep -q 'has errors' "$t/log" && break; sleep 0.1; done
grep -q "reload: $t/farm.conf has errors" "$t/log" && grep -q "farm.conf:[0-9]*:" "$t/log"
ok $? "a file with errors is refused, naming file:line"
kill -0 $pid && [ "$(post_status)" = 401 ] && [ "$(tags)" = "arch=x86_64 fast nightly" ]
ok $? "farmd still runs with the previous configuration"

conf "" "fast" 52:54:00:f0:00:99
kill -HUP $pid
for _ in $(seq 1 50); do grep -q 'restart farmd to apply' "$t/log" && break; sleep 0.1; done
grep -q "machine vm-x86: kind, arch, mac, boot or console changed; restart farmd" "$t/log"
ok $? "a changed MAC needs a restart, and the log says so"
[ "$(post_status)" = 401 ] && [ "$(curl -s "$url/api/v1/machines" | jq -r '.machines[0].mac')" = 52:54:00:f0:00:01 ]
ok $? "the running configuration stays whole"

kill -TERM $pid
wait $pid
ok $? "farmd stops cleanly after the reloads"
echo "1..$n"
