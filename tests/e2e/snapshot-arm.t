#!/bin/bash
# snapshot-arm.t - machines that boot farmboot.efi resume from a saved
# state too: the aarch64 machine vm-arm (virt, AAVMF, TCG, UEFI HTTP boot)
# and an x86_64 machine set to `boot = farmboot` (OVMF, firmware PXE). The
# first job cold-boots and saves the state while farmboot waits in its
# `poll 1`; later jobs start QEMU with -incoming and farmboot asks for its
# job from the firmware's network stack as it was at save time. The dt
# test after a resume shows that the DTB is the new job's (farm,job).
cd "$(dirname "$0")/../.." || exit 1
. tests/e2e/lib.sh

need guest/aarch64/selftest.efi netboot/aarch64/farmboot.efi netboot/x86_64/farmboot.efi

e2e_start "$VM_ARM

[machine vm-x86-fb]
kind = qemu
arch = x86_64
mac = 52:54:00:f0:00:03
memory = 256
accel = tcg
boot = farmboot
boot_timeout = 180"

# schedule MACHINE ARGS...: farmctl schedule --wait --json; sets rc, out,
# id, secs (wall time of the command).
schedule() {
	local m=$1 t0
	shift
	t0=$(date +%s.%N)
	out=$(farmctl --json schedule --machine "$m" --wait "$@")
	rc=$?
	secs=$(echo "$(date +%s.%N) - $t0" | bc)
	id=$(echo "$out" | jq -r '.jobs[0].id // empty' 2>/dev/null)
	echo "# $m: schedule $* -> exit $rc, job ${id:-?} in ${secs} s: $(jq_job "${id:-0}" '"\(.result) boot_ms \(.boot_ms) \(.reason // "")"' 2>/dev/null)"
}
# passes WHAT: the job passed with its cases.
passes() {
	[ "$rc" = 0 ] && [ "$(jq_job "$id" .result)" = pass ] &&
	    [ "$(jq_job "$id" '[.testcases[] | select(.status == "pass")] | length')" -ge 3 ]
	ok $? "$1: the job passes with its cases"
}
# machine_off M: waits until the machine's QEMU has ended.
machine_off() {
	for _ in $(seq 1 100); do
		[ -e "$T/state/machines/$1/qemu.pid" ] || return 0
		sleep 0.1
	done
}
states() { ls "$T/state/machines/$1"/snapshot-*.state 2>/dev/null; }
logcount() { grep -c "$1" "$T/farmd.log"; }

# 1. vm-arm: cold boot that saves its state.
schedule vm-arm selftest
passes "vm-arm, first job (cold boot)"
cold_ms=$(jq_job "$id" .boot_ms)
cold_s=$secs
grep -q 'vm-arm: cold boot reached farmboot: saving its state' "$T/farmd.log" &&
    grep -q 'vm-arm: snapshot saved: snapshot-' "$T/farmd.log"
ok $? "vm-arm, first job: farmd saved the machine's state in farmboot's poll"
[ "$(states vm-arm | wc -l)" = 1 ] && [ -s "$(states vm-arm | sed 's/\.state$/.vars/')" ]
ok $? "vm-arm, first job: one state file and its vars copy"
farmctl log "$id" | grep -q "farmboot: poll: asking again in 1 s"
ok $? "vm-arm, first job: farmboot got a 1 s poll while the state was saved"
state1=$(states vm-arm)

# 2. resumed.
machine_off vm-arm
schedule vm-arm selftest
passes "vm-arm, second job (resumed)"
warm_ms=$(jq_job "$id" .boot_ms)
warm_s=$secs
[ "$(logcount 'vm-arm: resumed from snapshot')" = 1 ]
ok $? "vm-arm, second job: farmd resumed the machine from its snapshot"
[ "${warm_ms:-99999}" -lt $((cold_ms / 3)) ]
ok $? "vm-arm, second job: boot script after $warm_ms ms, cold boot took $cold_ms ms"
[ "$(states vm-arm)" = "$state1" ]
ok $? "vm-arm, second job: the same state is kept for the next"
echo "# vm-arm: cold job ${cold_s} s (boot_ms $cold_ms), resumed job ${warm_s} s (boot_ms $warm_ms)"

# 3. dt after a resume: the DTB farmboot fetched is this job's.
machine_off vm-arm
schedule vm-arm dt -- alpha beta=2
ok $rc "vm-arm: dt passes after a resume"
[ "$(logcount 'vm-arm: resumed from snapshot')" = 2 ]
ok $? "vm-arm: the dt job was resumed too"
show=$(farmctl --json show "$id")
for c in "dt: farm,job = FARM_JOB" "dt: farm,server = FARM_SERVER" "dt: bootargs = arguments"; do
	[ "$(echo "$show" | jq -r --arg c "$c" '.testcases[] | select(.name == $c) | .status')" = pass ]
	ok $? "dt case '$c' passed after a resume"
done
farmctl log "$id" | grep -q "farmboot: job $id: dtb installed"
ok $? "farmboot fetched job $id's DTB after the resume"

# 4. three more resumed jobs in a row, for the figures.
for i in 1 2 3; do
	machine_off vm-arm
	schedule vm-arm selftest
	passes "vm-arm, resumed job $i of 3"
done
[ "$(logcount 'vm-arm: resumed from snapshot')" = 5 ] &&
    [ "$(logcount 'resume from snapshot failed')" = 0 ]
ok $? "vm-arm: every later job resumed, none failed to"

# 5. x86_64 with boot = farmboot.
schedule vm-x86-fb selftest
passes "vm-x86-fb, first job (cold boot)"
fcold_ms=$(jq_job "$id" .boot_ms)
grep -q 'vm-x86-fb: snapshot saved: snapshot-' "$T/farmd.log"
ok $? "vm-x86-fb, first job: farmd saved the machine's state"
machine_off vm-x86-fb
schedule vm-x86-fb selftest
passes "vm-x86-fb, second job (resumed)"
fwarm_ms=$(jq_job "$id" .boot_ms)
[ "$(logcount 'vm-x86-fb: resumed from snapshot')" = 1 ] &&
    [ "${fwarm_ms:-99999}" -lt $((fcold_ms / 2)) ]
ok $? "vm-x86-fb, second job: resumed, boot script after $fwarm_ms ms (cold: $fcold_ms ms)"
machine_off vm-x86-fb
schedule vm-x86-fb selftest
passes "vm-x86-fb, third job (resumed again)"
[ "$(logcount 'vm-x86-fb: resumed from snapshot')" = 2 ]
ok $? "vm-x86-fb, third job: resumed again"
[ "$(logcount 'resume from snapshot failed')" = 0 ]
ok $? "no resume failed"

e2e_done
