#!/bin/bash
# guest-lib.sh - the guest library's pure parts (printf, UTF-16, JSON,
# argument splitting, percent-decoding; the arm64 device-tree reader) built
# as host programs under ASan/UBSan (`make guest-check`), a TAP line each.
cd "$(dirname "$0")/../.."
n=0
for t in test_lib test_fdt; do
	bin=${BUILD:-build}/guest/unit/$t
	[ -x "$bin" ] || continue
	out=$("$bin" 2>&1)
	rc=$?
	n=$((n + 1))
	echo "$out" | sed 's/^/# /'
	if [ $rc -eq 0 ]; then
		echo "ok $n - $t: $(echo "$out" | tail -1)"
	else
		echo "not ok $n - $t: $(echo "$out" | tail -1)"
	fi
done
echo "1..$n"
