#!/bin/bash
# cold.sh - the QEMU benchmarks of bench/run (root; a network namespace
# made by tests/e2e/lib.sh's e2e_start, sourced: the real farmd, dnsmasq,
# QEMU with OVMF and the iPXE ROM, TCG):
#
#   cold_job    `farmctl schedule --machine vm-x86 --wait bench-pass` to
#               its stored result (reporter.efi 'pass:x', one case) against
#               scripts/qemu-direct.sh booting the same .efi with the same
#               argument from a FAT disk; COLD_RUNS (3) each, alternating,
#               medians. Each farm job is a cold boot: farmd turns a QEMU
#               machine off once it gets its idle script.
#   warm_chain  WARM_N (20) bench-pass jobs in one run on vm-x86: they chain
#               without a reboot; (the run's wall time / WARM_N) against the
#               median direct boot above.
#
# One JSON line each on stdout (the keys of bench/run); progress on stderr.
# The boot timeline of the last cold job (its console log index,
# <state>/logs/<job>.log.idx) is written to $COLD_TIMELINE when set.
cd "$(dirname "$0")/.."
BENCH_NAME=cold
. bench/lab.sh
RUNS=${COLD_RUNS:-3}
WARM_N=${WARM_N:-20}
# snapshot = no: every job is a cold boot (snapshot_resume is bench/snapshot.sh).
bench_lab_start "snapshot = no"

# machine_off: waits until vm-x86's QEMU is off again (a cold next boot).
machine_off() {
	for _ in $(seq 1 100); do
		pgrep -P "$FARMD_PID" -f qemu-system >/dev/null || return 0
		sleep 0.1
	done
}

a=() b=() ids=()
for r in $(seq 1 "$RUNS"); do
	machine_off
	t0=$(now)
	out=$(farmctl --json schedule --machine vm-x86 --wait bench-pass)
	rc=$?
	t1=$(now)
	id=$(echo "$out" | jq -r '.jobs[0].id // empty' 2>/dev/null)
	[ "$rc" = 0 ] && [ "$(jq_job "$id" .result)" = pass ] ||
		{ say "farm job ${id:-?} did not pass (exit $rc)"; nfail=1; exit 1; }
	ids+=("$id")
	a+=("$(echo "$t1 - $t0" | bc)")
	t0=$(now)
	scripts/qemu-direct.sh -t 120 "$APP" pass:x >"$T/direct.$r.log" 2>&1
	rc=$?
	t1=$(now)
	[ "$rc" = 0 ] || { say "qemu-direct.sh exited $rc"; cat "$T/direct.$r.log" >&2; nfail=1; exit 1; }
	b+=("$(echo "$t1 - $t0" | bc)")
	say "cold round $r: farm job $id ${a[-1]} s, direct ${b[-1]} s"
done
A=$(printf '%s\n' "${a[@]}" | median)
B=$(printf '%s\n' "${b[@]}" | median)
jq -cn --argjson v "$A" --argjson av "$B" --arg runs "${a[*]} / ${b[*]}" \
	--arg cmd "scripts/qemu-direct.sh -t 120 $APP pass:x" --arg n "$RUNS" '
	{name: "cold_job", value: $v, unit: "s", anchor: "direct boot of the same .efi from a FAT disk (same QEMU, OVMF, TCG)",
	 anchor_value: $av, ratio: ((($v / $av) * 1000 | round) / 1000), anchor_cmd: $cmd,
	 note: "farmctl schedule --machine vm-x86 --wait bench-pass (reporter.efi pass:x) to the stored result; medians of \($n) alternating runs (farm s / direct s: \($runs))"}'

if [ -n "${COLD_TIMELINE:-}" ]; then
	id=${ids[-1]}
	cp "$T/state/logs/$id.log" "$COLD_TIMELINE.log" 2>/dev/null
	cp "$T/state/logs/$id.log.idx" "$COLD_TIMELINE.idx" 2>/dev/null
	farmctl --json show "$id" >"$COLD_TIMELINE.job.json" 2>/dev/null
	grep -E "job $id[: ]" "$T/farmd.log" >"$COLD_TIMELINE.farmd.log" 2>/dev/null
fi

# warm_chain: WARM_N jobs of one run on one machine.
[ "$WARM_N" -gt 0 ] || exit 0
machine_off
tests=$(for _ in $(seq 1 "$WARM_N"); do printf 'bench-pass '; done)
t0=$(now)
# shellcheck disable=SC2086
out=$(farmctl --json schedule --machine vm-x86 --wait $tests)
rc=$?
t1=$(now)
[ "$rc" = 0 ] || { say "the warm chain did not pass (exit $rc)"; nfail=1; exit 1; }
W=$(echo "($t1 - $t0) / $WARM_N" | bc -l)
jq -cn --argjson v "$(printf '%.3f' "$W")" --argjson av "$B" --arg n "$WARM_N" \
	--arg total "$(echo "$t1 - $t0" | bc)" \
	--arg cmd "scripts/qemu-direct.sh -t 120 $APP pass:x" '
	{name: "warm_chain", value: $v, unit: "s per test", anchor: "one direct boot of the same .efi (the cold_job anchor median)",
	 anchor_value: $av, ratio: ((($v / $av) * 1000 | round) / 1000), anchor_cmd: $cmd,
	 note: "farmctl schedule --machine vm-x86 --wait with bench-pass \($n) times (one run, one machine, chained): \($total) s in all"}'
exit 0
