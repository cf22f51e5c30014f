#!/bin/bash
# fuzz-replay.sh - every fuzz harness of tests/fuzz/<name>/ replays its
# seed corpus and its kept crashers, built as a plain program with
# AddressSanitizer and UndefinedBehaviorSanitizer (mk/fuzz.mk: replay_<name>,
# made by `make unit-tests`). One TAP line per harness. No libFuzzer or
# clang needed; `make fuzz` is the long form that looks for new inputs.
#
# A harness that states a contract the controller does not keep yet says
# "known bug <id>" on stderr and goes on (tests/fuzz/include/known_bug.h);
# those lines are shown here as comments, the bugs are in
# docs/reliability.md.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
out=$(mktemp)
trap 'rm -f "$out"' EXIT
n=0
fails=0

for h in tests/fuzz/*/fuzz_*.c; do
	name=$(basename "$(dirname "$h")")
	bin=$BUILD/tests/fuzz/replay_$name
	n=$((n + 1))
	if [ ! -x "$bin" ]; then
		echo "not ok $n - fuzz/$name: $bin is missing (make unit-tests builds it)"
		fails=$((fails + 1))
		continue
	fi
	start=$(date +%s%N)
	"$bin" "tests/fuzz/$name/corpus" "tests/fuzz/$name/crashers" >"$out" 2>&1
	rc=$?
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	count=$(sed -n 's/^replayed \([0-9]*\) inputs$/\1/p' "$out")
	if [ "$rc" -eq 0 ] && [ -n "$count" ] && [ "$count" -gt 0 ]; then
		echo "ok $n - fuzz/$name: $count corpus and crasher inputs replayed in $ms ms"
		sed -n 's/^known bug \(.*\)/# known bug \1/p' "$out"
	else
		echo "not ok $n - fuzz/$name: replay failed (exit $rc)"
		# The sanitizer's report names the input (replay -v) and the line.
		"$bin" -v "tests/fuzz/$name/corpus" "tests/fuzz/$name/crashers" 2>&1 |
		    grep -E '^replay:|ERROR|SUMMARY|runtime error|fuzz_|#[0-9] ' |
		    tail -n 30 | sed 's/^/# /'
		fails=$((fails + 1))
	fi
done
echo "1..$n"
[ "$fails" -eq 0 ]
