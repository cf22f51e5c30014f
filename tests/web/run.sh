#!/bin/bash
# tests/web/run.sh - the browser tests: farmd on loopback, Debian's
# chromium driven by playwright-core (installed by `make web` into
# build/web/node_modules). Prints TAP; screenshots go to build/web-shots/.
# Skips (TAP "1..0 # SKIP") when chromium, node or playwright-core is not
# there, and says which.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
export BUILD
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export CHROMIUM
skip() { echo "1..0 # SKIP $*"; exit 0; }
command -v node >/dev/null || skip "node is missing (scripts/deps.sh check installs nodejs)"
[ -x "$CHROMIUM" ] || skip "$CHROMIUM is missing (scripts/deps.sh check installs chromium)"
[ -d "$BUILD/web/node_modules/playwright-core" ] || skip "playwright-core is missing: run make web (needs npm)"
[ -x "$BUILD/farmd" ] || { echo "Bail out! $BUILD/farmd is missing: run make"; exit 1; }
[ -f "$BUILD/web/index.html" ] || { echo "Bail out! $BUILD/web is not built: run make web"; exit 1; }
command -v sqlite3 >/dev/null || { echo "Bail out! sqlite3 is missing (scripts/deps.sh)"; exit 1; }
exec node tests/web/run.mjs
