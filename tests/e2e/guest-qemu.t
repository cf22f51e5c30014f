#!/bin/bash
# guest-qemu.t - every guest program, setvar.efi and the results POST under
# QEMU + OVMF, booted straight from a FAT disk (guest/check-qemu.sh), one
# TAP line per case.
cd "$(dirname "$0")/../.."
n=0
while IFS= read -r line; do
	case "$line" in
	"ok   "*) n=$((n + 1)); echo "ok $n - ${line#ok   }" ;;
	"FAIL "*) n=$((n + 1)); echo "not ok $n - ${line#FAIL }" ;;
	*) echo "# $line" ;;
	esac
done < <(guest/check-qemu.sh 2>&1)
echo "1..$n"
