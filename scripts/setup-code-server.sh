#!/usr/bin/env bash
# Installs code-server (VS Code's workbench served to a browser) into .e2e/code-server,
# outside the project's dependencies, following ../shared/docs/e2e-code-server.md.
# Idempotent: does nothing when the pinned version is already there.
# System packages (chromium, ripgrep, libkrb5-dev, pkg-config) are installed with
# apt-get when missing and we are root; otherwise we say what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION="${CODE_SERVER_VERSION:-4.100.3}"
DIR="${CODE_SERVER_DIR:-.e2e/code-server}"

installed_version() {
  node -p "require('./$DIR/node_modules/code-server/package.json').version" 2>/dev/null || true
}

if [ "$(installed_version)" = "$VERSION" ] && [ -x "$DIR/node_modules/.bin/code-server" ]; then
  echo "code-server $VERSION already in $DIR"
  exit 0
fi

missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v rg >/dev/null || missing+=(ripgrep)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
command -v pkg-config >/dev/null || missing+=(pkg-config)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=900 update -qq
    apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" ca-certificates
  else
    echo "missing system packages: ${missing[*]} (install them, e.g. sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi

# @vscode/ripgrep's postinstall downloads rg from GitHub unless this cache holds the
# archive it wants: seed it from the system's rg so the install works offline.
cache="$(node -p 'require("os").tmpdir()')/vscode-ripgrep-cache-1.15.11"
archive="$cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
if [ ! -f "$archive" ]; then
  mkdir -p "$cache"
  tar czf "$archive" -C "$(dirname "$(command -v rg)")" rg
fi

mkdir -p "$DIR"
cd "$DIR"
[ -f package.json ] || echo '{"name":"e2e-code-server","private":true}' > package.json
start=$(date +%s)
# code-server 4.100.x needs Node 20 exactly; as root npm needs unsafe-perm for the
# postinstall, and node-pty's install runs `npx node-gyp`, which needs npm_config_yes.
npm_config_yes=true npm_config_unsafe_perm=true npm install --no-audit --no-fund --no-save "code-server@$VERSION"
echo "code-server $VERSION installed in $DIR in $(( $(date +%s) - start )) s"
