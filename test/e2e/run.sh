#!/usr/bin/env bash
# npm run test:e2e: the extension in a real VS Code (code-server on Node 24) driven by headless Debian
# chromium with playwright-core. Installs the tools on first use with ../shared/tools/vscode-e2e/setup.sh
# (E2E_HOME, default /tmp/vscode-e2e; ~5 min, ~1 GB), packages the .vsix, installs it into a fresh
# code-server, opens a workspace made of configs/ and the fixture runs, and runs test/e2e/e2e.cjs.
# Output (screenshots, results.json, server.log) in $1 or test/e2e/out.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SHARED="${E2E_TOOLS:-$ROOT/../shared/tools/vscode-e2e}"
OUT="$(mkdir -p "${1:-$ROOT/test/e2e/out}" && cd "${1:-$ROOT/test/e2e/out}" && pwd)"
. "$SHARED/env.sh"
[ -f "$CS_ENTRY" ] && [ -d "$DRIVER_DIR/node_modules/playwright-core" ] && [ -x "$CHROMIUM" ] || E2E_SKIP_TEST_WEB=1 bash "$SHARED/setup.sh"

RUN="$(mktemp -d /tmp/icl-e2e.XXXXXX)"
cleanup() { bash "$SHARED/stop-server.sh" "$RUN" >/dev/null 2>&1 || true; cp -f "$RUN/server.log" "$OUT/" 2>/dev/null || true; [ -n "${KEEP_RUN:-}" ] || rm -rf "$RUN"; }
trap cleanup EXIT

# The extension, packaged (runtime CLIs and wasm included: the workspace below is not the repository).
(cd "$ROOT" && PATH="/usr/bin:$PATH" npm run build >/dev/null)
(cd "$ROOT" && "$DRIVER_DIR/node_modules/.bin/vsce" package --no-dependencies --allow-missing-repository --skip-license --no-rewrite-relative-links -o "$RUN/icl.vsix" >/dev/null)
node "$CS_ENTRY" --config /dev/null --user-data-dir "$RUN/ud" --extensions-dir "$RUN/exts" --install-extension "$RUN/icl.vsix" --force >/dev/null

# The workspace: configs, the tiny config, the fixture runs as experiments/.
WS="$RUN/ws"
mkdir -p "$WS/experiments"
cp -r "$ROOT/configs" "$WS/configs"
cp "$ROOT/test/e2e/tiny.yaml" "$WS/configs/tiny.yaml"
printf 'model:\n  name: wrn\n  wrn:\n    depth: 24\n' > "$WS/configs/broken.yaml"
cp -r "$ROOT/test/extension/fixtures/runs/." "$WS/experiments/"
# Old files, as in a real experiments/ folder (a fresh copy would look like a live run for 30 s).
find "$WS/experiments" -type f -exec touch -d '2 hours ago' {} +
# The runtime runs on the system's Node 20 (the bundle); code-server itself needs Node 24.
SYS_NODE="$(PATH="${PATH#"$NODE24_DIR/bin:"}" command -v node)"
mkdir -p "$RUN/ud/User"
printf '{"imageClassificationLab.nodePath": "%s", "workbench.startupEditor": "none", "security.workspace.trust.enabled": false, "chat.disableAIFeatures": true, "workbench.secondarySideBar.defaultVisibility": "hidden"}\n' "$SYS_NODE" > "$RUN/ud/User/settings.json"

URL="$(bash "$SHARED/start-server.sh" "$RUN")"
# The e2e also starts runs "from a terminal": the runtime's bundled train CLI on the system's Node.
node "$ROOT/test/e2e/e2e.cjs" --url "$URL" --workspace "$WS" --out "$OUT" --node "$SYS_NODE" --cli "$ROOT/dist/cli/train.js"
