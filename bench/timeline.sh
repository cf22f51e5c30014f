#!/bin/bash
# timeline.sh - where a cold job's time goes, from its console log and the
# log's index (<state>/logs/<job>.log and <job>.log.idx: "<byte offset>
# <wall ms>" per chunk) and the job's JSON (farmctl --json show <job>).
#
#   bench/timeline.sh LOG IDX JOB.json
#
# Prints one line per milestone: ms since the job was queued, ms since the
# previous milestone, what. A milestone is the first console byte, or the
# first chunk holding a marker text (the chunk's wall time, so the time
# the text had reached farmd; ±1 chunk).
set -eu
log=$1 idx=$2 job=$3
q=$(jq -r .queued_at "$job")
boot=$(jq -r '.queued_at + .boot_ms' "$job")
started=$(jq -r .started_at "$job")
fin=$(jq -r .finished_at "$job")
# at OFFSET: the wall ms of the chunk holding byte OFFSET.
at() { awk -v o="$1" '$1 <= o { t = $2 } END { print t }' "$idx"; }
# off TEXT: the byte offset of TEXT's first occurrence in the log.
off() { grep -a -b -o -F -m 1 -- "$1" "$log" | head -n 1 | cut -d: -f1; }
{
	echo "$q job queued (farmctl schedule; QEMU is started)"
	echo "$(at 0) first console byte (OVMF is up: firmware, from QEMU start)"
	for m in "iPXE 1.:iPXE banner (OVMF has loaded the NIC's iPXE ROM)" \
	    "Configuring (net0:iPXE starts DHCP" \
	    "Next server:DHCP done (address, next server, boot file)" \
	    "boot.ipxe :boot.ipxe fetched"; do
		o=$(off "${m%%:*}") || true
		[ -n "$o" ] && echo "$(at "$o") ${m#*:}"
	done
	echo "$boot GET /ipxe/<mac>: the job's boot script (farmd's clock, boot_ms)"
	o=$(off "setvar.efi... ok") || true
	[ -n "$o" ] && echo "$(at "$o") setvar.efi downloaded and run"
	echo "$started GET /apps/<sha>.efi: the app is fetched (job running)"
	for m in "PASS:" "farm: results POST"; do
		o=$(off "$m") || true
		[ -n "$o" ] && echo "$(at "$o") console: $m"
	done
	echo "$fin result stored (results POST; finished_at)"
} | awk -v q="$q" '{ t = $1; $1 = ""; printf "%8d ms  %+7d ms %s\n", t - q, (NR > 1 ? t - p : 0), $0; p = t }'
