#!/bin/bash
# snapshot.sh - the snapshot_resume benchmark of bench/run (issue 7, item
# 3; root: a network namespace made by tests/e2e/lib.sh's e2e_start,
# sourced: the real farmd, dnsmasq, QEMU with OVMF and the iPXE ROM, TCG).
#
# vm-x86 has snapshot = yes (the default): one priming job cold-boots it
# and saves its state in the iPXE poll loop; then SNAP_RUNS (3) times,
# alternating: `farmctl schedule --machine vm-x86 --wait bench-pass` (the
# machine resumes from its state) to the stored result, and
# scripts/qemu-direct.sh booting the same .efi with the same argument from
# a FAT disk. Medians; one JSON line on stdout (the keys of bench/run);
# progress on stderr.
cd "$(dirname "$0")/.."
BENCH_NAME=snapshot
. bench/lab.sh
RUNS=${SNAP_RUNS:-3}
bench_lab_start "snapshot = yes"
MDIR=$T/state/machines/vm-x86

# machine_off: waits until vm-x86's QEMU is off again.
machine_off() {
	for _ in $(seq 1 100); do
		[ -e "$MDIR/qemu.pid" ] || return 0
		sleep 0.1
	done
}
# job: one bench-pass job to its result; prints its wall time.
job() {
	local t0 t1 out rc id
	machine_off
	t0=$(now)
	out=$(farmctl --json schedule --machine vm-x86 --wait bench-pass)
	rc=$?
	t1=$(now)
	id=$(echo "$out" | jq -r '.jobs[0].id // empty' 2>/dev/null)
	[ "$rc" = 0 ] && [ "$(jq_job "$id" .result)" = pass ] ||
		{ say "farm job ${id:-?} did not pass (exit $rc)"; return 1; }
	say "job $id: $(echo "$t1 - $t0" | bc) s, boot_ms $(jq_job "$id" .boot_ms)"
	echo "$t1 - $t0" | bc
}

cold=$(job) || { nfail=1; exit 1; }
grep -q 'vm-x86: snapshot saved' "$T/farmd.log" ||
	{ say "the priming job saved no state"; nfail=1; exit 1; }
say "priming job (cold boot + save): $cold s"
a=() b=()
for r in $(seq 1 "$RUNS"); do
	v=$(job) || { nfail=1; exit 1; }
	a+=("$v")
	t0=$(now)
	scripts/qemu-direct.sh -t 120 "$APP" pass:x >"$T/direct.$r.log" 2>&1
	rc=$?
	t1=$(now)
	[ "$rc" = 0 ] || { say "qemu-direct.sh exited $rc"; cat "$T/direct.$r.log" >&2; nfail=1; exit 1; }
	b+=("$(echo "$t1 - $t0" | bc)")
	say "round $r: farm (resumed) ${a[-1]} s, direct ${b[-1]} s"
done
resumed=$(grep -c 'vm-x86: resumed from snapshot' "$T/farmd.log")
[ "$resumed" -ge "$RUNS" ] || say "warning: only $resumed of $RUNS jobs resumed from the state"
A=$(printf '%s\n' "${a[@]}" | median)
B=$(printf '%s\n' "${b[@]}" | median)
jq -cn --argjson v "$A" --argjson av "$B" --arg runs "${a[*]} / ${b[*]}" \
	--arg cmd "scripts/qemu-direct.sh -t 120 $APP pass:x" --arg n "$RUNS" \
	--arg cold "$cold" --arg resumed "$resumed" '
	{name: "snapshot_resume", value: $v, unit: "s", anchor: "direct boot of the same .efi from a FAT disk (same QEMU, OVMF, TCG)",
	 anchor_value: $av, ratio: ((($v / $av) * 1000 | round) / 1000), anchor_cmd: $cmd,
	 note: "farmctl schedule --machine vm-x86 --wait bench-pass with vm-x86 resumed from its saved state (QEMU -incoming), to the stored result; medians of \($n) alternating runs (farm s / direct s: \($runs)); \($resumed) jobs resumed; the priming job (cold boot + save) took \($cold) s"}'
