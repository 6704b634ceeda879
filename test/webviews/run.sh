#!/usr/bin/env bash
# npm run test:webviews: the Curves and Results webviews in headless Debian chromium driven by playwright-core
# (test/webviews/webviews.cjs), on the bundles of dist/webviews (rebuilt when older than webviews/).
# Reuses the e2e tools of test/e2e/setup.sh under $E2E_HOME (/tmp/vscode-e2e): it installs nothing itself.
# Without them: a skip (exit 0) outside CI, a failure when CI or ICL_REQUIRE_WEBVIEWS is set.
# Output (curves.png, results.png, results.json) in $1 or test/webviews/out. Exit status: 0 all checks passed.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="$(mkdir -p "${1:-$HERE/out}" && cd "${1:-$HERE/out}" && pwd)"
. "$ROOT/test/e2e/env.sh"

missing=""
[ -x "$CHROMIUM" ] || missing="chromium ($CHROMIUM)"
[ -f "$DRIVER_DIR/node_modules/playwright-core/package.json" ] || missing="${missing:+$missing and }playwright-core ($DRIVER_DIR)"
if [ -n "$missing" ]; then
  if [ -n "${CI:-}${ICL_REQUIRE_WEBVIEWS:-}" ]; then
    echo "ERROR: test:webviews: no $missing; run bash test/e2e/setup.sh first" >&2
    exit 1
  fi
  echo "SKIP test:webviews: no $missing (run bash test/e2e/setup.sh to install them; required in CI)"
  exit 0
fi

# The shipped webview bundles, rebuilt only when a webview source is newer (or one is missing).
stale=""
for p in curves results evaluation experiments; do
  for f in js css; do [ -f "$ROOT/dist/webviews/$p.$f" ] || stale=1; done
done
[ -z "$stale" ] && [ -n "$(find "$ROOT/webviews" -type f -newer "$ROOT/dist/webviews/curves.js" -print -quit)$(find "$ROOT/webviews" -type f -newer "$ROOT/dist/webviews/results.js" -print -quit)" ] && stale=1
if [ -n "$stale" ]; then
  echo "test:webviews: building dist/webviews"
  (cd "$ROOT" && "$SYS_NODE" scripts/build_extension.mjs)
fi

cd "$ROOT"
"$SYS_NODE" --import tsx "$HERE/webviews.cjs" --out "$OUT"
