#!/usr/bin/env bash
# bootstrap.sh - make a fresh machine (Node 20 + npm only) ready to run Framewire.
#   1. pnpm 10.34.9 (the version in package.json "packageManager"), installed into
#      .tools/ with npm, so no global install or root is needed;
#   2. `pnpm install --frozen-lockfile` of the workspace;
#   3. with --peers: the third-party peers (ffmpeg, GStreamer, sipp, baresip, tshark, and
#      chromium for the dashboard test) with the repository's tools/peers/install-peers.sh
#      (Debian packages), when one of them is missing.
#      Needs root (apt-get). With CI=true a failure here fails the run.
# Usage: bash scripts/bootstrap.sh [--peers]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PNPM_VERSION=$(node -p "require('./package.json').packageManager.split('@')[1]")
TOOLS="$ROOT/.tools"
if [ ! -x "$TOOLS/node_modules/.bin/pnpm" ] || [ "$("$TOOLS/node_modules/.bin/pnpm" --version)" != "$PNPM_VERSION" ]; then
  echo "bootstrap: installing pnpm $PNPM_VERSION into .tools/" >&2
  npm install --prefix "$TOOLS" --no-audit --no-fund --loglevel=error "pnpm@$PNPM_VERSION" >&2
fi
export PATH="$TOOLS/node_modules/.bin:$PATH"
# npm scripts run with this PATH too: write a shim so `pnpm` resolves in the calling script
mkdir -p "$ROOT/node_modules/.bin"
ln -sf "$TOOLS/node_modules/.bin/pnpm" "$ROOT/node_modules/.bin/pnpm"
echo "bootstrap: pnpm install" >&2
CI=${CI:-} pnpm install --frozen-lockfile --reporter=append-only >&2
ln -sf "$TOOLS/node_modules/.bin/pnpm" "$ROOT/node_modules/.bin/pnpm"

if [ "${1:-}" = "--peers" ]; then
  PEERS="$ROOT/tools/peers"
  # shellcheck source=../tools/peers/peer-programs.sh
  . "$PEERS/peer-programs.sh"
  missing=$(missing_peer_programs)
  if [ -n "$missing" ]; then
    echo "bootstrap: peers missing:$missing; running tools/peers/install-peers.sh" >&2
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      "$PEERS/install-peers.sh" >&2 || { echo "bootstrap: install-peers.sh failed" >&2; [ "${CI:-}" = true ] && exit 1; }
    else
      echo "bootstrap: cannot install peers (need root and apt-get: run tools/peers/install-peers.sh as root)" >&2
      [ "${CI:-}" = true ] && exit 1
      echo "bootstrap: real-peer tests will be skipped (they fail instead when CI=true)" >&2
    fi
  fi
  # the generated fixtures (test.mp4 for baresip), made once here rather than by the first test
  "$PEERS/fixture.sh" test.mp4 >/dev/null || { echo "bootstrap: cannot generate fixtures/generated/test.mp4" >&2; [ "${CI:-}" = true ] && exit 1; }
fi
