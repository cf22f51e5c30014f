# lab.sh - what bench/cold.sh and bench/snapshot.sh share, sourced from the
# repository's top folder: tests/e2e/lib.sh's harness (a network namespace,
# the real farmd, dnsmasq and QEMU), a suite of one passing test, the app
# both sides boot, and medians. BENCH_NAME prefixes progress lines.
. tests/e2e/lib.sh
APP=$BUILD/guest/x86_64/reporter.efi
say() { echo "$BENCH_NAME: $*" >&2; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
now() { date +%s.%N; }

# bench_lab_start MACHINE-LINES: the suite (bench-pass: reporter.efi
# 'pass:x', one case), then farmd with vm-x86 (and MACHINE-LINES).
bench_lab_start() {
	[ -e "$APP" ] || { say "$APP is missing: run make"; exit 1; }
	cat >"$T/bench-suite.cfg" <<CFG
# bench-suite.cfg written by bench/$BENCH_NAME.sh: one passing case
[bench-pass]
file = reporter.efi
extra_params = -append 'pass:x'
CFG
	E2E_SUITE=$T/bench-suite.cfg e2e_start "$1" >&2
}
