#!/bin/bash
# web-live.t - the web page follows a real job live: a QEMU machine boots
# through OVMF and iPXE and runs selftest while chromium shows the job's
# page; its console lines appear (Server-Sent Events) before the job ends,
# then the page shows the result. Screenshots: build/web-shots/e2e-live*.png.
. "$(dirname "$0")/lib.sh"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || skip_all "$CHROMIUM is missing (scripts/deps.sh check)"
command -v node >/dev/null || skip_all "node is missing (scripts/deps.sh check)"
[ -d "$BUILD/web/node_modules/playwright-core" ] || skip_all "playwright-core is missing: make web"
e2e_start

id=$(farmctl --json schedule --machine vm-x86 selftest | jq -r '.jobs[0].id')
[ -n "$id" ] && [ "$id" != null ]
ok $? "selftest scheduled (job $id)"
mkdir -p "$BUILD/web-shots"
out=$(BUILD=$BUILD in_ns node "$REPO/tests/web/live.mjs" "http://127.0.0.1:$PORT" "$id" \
    "$BUILD/web-shots/e2e-live.png" 2>&1)
echo "# page: $out"
lines=$(echo "$out" | jq -r '.liveLines // 0' 2>/dev/null)
[ "${lines:-0}" -gt 0 ]
ok $? "console lines showed while the job was still $(echo "$out" | jq -r '.liveState // "?"' 2>/dev/null) ($lines lines)"
[ "$(echo "$out" | jq -r '.sawLive' 2>/dev/null)" = true ]
ok $? "the page said its stream was live"
[ "$(echo "$out" | jq -r '.final' 2>/dev/null)" = pass ]
ok $? "the page shows the result once the job ended (pass)"
[ "$(echo "$out" | jq -r '.summary' 2>/dev/null)" = true ]
ok $? "the whole console arrived (SUMMARY line)"
[ "$(echo "$out" | jq -r '.errors | length' 2>/dev/null)" = 0 ]
ok $? "no script errors on the page"
[ "$(jq_job "$id" .result)" = pass ]
ok $? "the API agrees: pass"
e2e_done
