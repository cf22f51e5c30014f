#!/bin/bash
# farmd-check.sh - `farmd -n` checks a configuration: the shipped farm.conf
# passes, a broken one fails with file:line for each error and exit 1.
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
n=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }

"$BUILD"/farmd -n -c farm.conf >"$t/out" 2>&1
ok $? "the shipped farm.conf passes farmd -n: $(head -1 "$t/out")"

cat >"$t/bad.conf" <<'CONF'
[farm]
listen = 127.0.0.1:99999
[network]
mode = lab
[machine vm-x86]
kind = qemu
arch = sparc
mac = 52:54:00:f0:00:01
colour = blue
CONF
"$BUILD"/farmd -n -c "$t/bad.conf" >"$t/out" 2>&1
[ $? = 1 ]
ok $? "a broken farm.conf makes farmd -n exit 1"
grep -q "bad.conf:2:" "$t/out"
ok $? "the bad port is reported at its line: $(grep 'bad.conf:2:' "$t/out")"
grep -q "bad.conf:7:" "$t/out"
ok $? "the bad arch is reported at its line: $(grep 'bad.conf:7:' "$t/out")"
grep -q "bad.conf:9:" "$t/out"
ok $? "the unknown key is reported at its line: $(grep 'bad.conf:9:' "$t/out")"

"$BUILD"/farmd -n -c "$t/missing.conf" >"$t/out" 2>&1
[ $? = 1 ] && grep -q missing.conf "$t/out"
ok $? "a missing farm.conf is named: $(head -1 "$t/out")"
echo "1..$n"
