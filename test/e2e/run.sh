#!/usr/bin/env bash
# npm run test:e2e: the extension in a real VS Code (code-server on Node 24) driven by headless Debian
# chromium with playwright-core. Installs the tools on first use with test/e2e/setup.sh (E2E_HOME, default
# /tmp/vscode-e2e; ~5 min, ~1 GB), packages the .vsix, installs it into a fresh code-server on
# 127.0.0.1, opens a workspace made of configs/ and the fixture runs, and runs test/e2e/e2e.cjs.
# Output (screenshots, results.json, server.log) in $1 or test/e2e/out. Exit status: 0 all checks passed.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
OUT="$(mkdir -p "${1:-$HERE/out}" && cd "${1:-$HERE/out}" && pwd)"
. "$HERE/env.sh"
bash "$HERE/setup.sh"

RUN="$(mktemp -d /tmp/icl-e2e.XXXXXX)"
stop_server() {
  # code-server runs in its own process group (setsid): stop the group (extension hosts, watchers too).
  [ -f "$RUN/server.pid" ] || return 0
  local pgid; pgid="$(cat "$RUN/server.pid")"
  kill -TERM -- "-$pgid" 2>/dev/null || return 0
  for _ in $(seq 1 20); do kill -0 -- "-$pgid" 2>/dev/null || return 0; sleep 0.5; done
  kill -KILL -- "-$pgid" 2>/dev/null || true
}
cleanup() { stop_server; cp -f "$RUN/server.log" "$OUT/" 2>/dev/null || true; [ -n "${KEEP_RUN:-}" ] || rm -rf "$RUN"; }
trap cleanup EXIT

# The extension, packaged (runtime CLIs and wasm included: the workspace below is not the repository).
(cd "$ROOT" && PATH="$(dirname "$SYS_NODE"):$PATH" npm run build >/dev/null)
(cd "$ROOT" && "$DRIVER_DIR/node_modules/.bin/vsce" package --no-dependencies --allow-missing-repository --skip-license --no-rewrite-relative-links -o "$RUN/icl.vsix" >/dev/null)
node "$CS_ENTRY" --config /dev/null --user-data-dir "$RUN/ud" --extensions-dir "$RUN/exts" --install-extension "$RUN/icl.vsix" --force >/dev/null

# The workspace: configs, the tiny config, the fixture runs as experiments/.
WS="$RUN/ws"
mkdir -p "$WS/experiments"
cp -r "$ROOT/configs" "$WS/configs"
cp "$HERE/tiny.yaml" "$WS/configs/tiny.yaml"
printf 'model:\n  name: wrn\n  wrn:\n    depth: 24\n' > "$WS/configs/broken.yaml"
cp -r "$ROOT/test/extension/fixtures/runs/." "$WS/experiments/"
# Old files, as in a real experiments/ folder (a fresh copy would look like a live run for 30 s).
find "$WS/experiments" -type f -exec touch -d '2 hours ago' {} +
# The runtime runs on the system's Node (the bundle); code-server itself needs Node 24.
mkdir -p "$RUN/ud/User"
printf '{"imageClassificationLab.nodePath": "%s", "workbench.startupEditor": "none", "security.workspace.trust.enabled": false, "chat.disableAIFeatures": true, "workbench.secondarySideBar.defaultVisibility": "hidden"}\n' "$SYS_NODE" > "$RUN/ud/User/settings.json"

# code-server on 127.0.0.1, a free port, its own config file (never ~/.config/code-server).
printf 'bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n' > "$RUN/config.yaml"
setsid bash -c 'echo $$ > "$0/server.pid"; exec "$@"' "$RUN" \
  node "$CS_ENTRY" --config "$RUN/config.yaml" --bind-addr 127.0.0.1:0 --auth none \
    --disable-telemetry --disable-update-check --disable-workspace-trust --disable-getting-started-override \
    --reconnection-grace-time 30 --user-data-dir "$RUN/ud" --extensions-dir "$RUN/exts" \
  > "$RUN/server.log" 2>&1 < /dev/null &
URL=""
for _ in $(seq 1 120); do
  URL="$(sed -n 's/.*HTTP server listening on \(http:[^ ]*\).*/\1/p' "$RUN/server.log" | head -1)"
  [ -n "$URL" ] && break
  sleep 0.5
done
[ -n "$URL" ] || { echo "code-server did not start:" >&2; cat "$RUN/server.log" >&2; exit 1; }

# The e2e also starts runs "from a terminal": the runtime's bundled train CLI on the system's Node.
node "$HERE/e2e.cjs" --url "${URL%/}" --workspace "$WS" --out "$OUT" --node "$SYS_NODE" --cli "$ROOT/dist/cli/train.js"
