#!/bin/bash
# guest-lib.sh - the guest library's pure parts (printf, UTF-16, JSON,
# argument splitting, percent-decoding) built as a host program under
# ASan/UBSan (guest/unit/test_lib.c, `make guest-check`), as one TAP line.
cd "$(dirname "$0")/../.."
bin=${BUILD:-build}/guest/unit/test_lib
out=$("$bin" 2>&1)
rc=$?
echo "$out" | sed 's/^/# /'
if [ $rc -eq 0 ]; then
	echo "ok 1 - $(echo "$out" | tail -1)"
else
	echo "not ok 1 - $(echo "$out" | tail -1)"
fi
echo "1..1"
