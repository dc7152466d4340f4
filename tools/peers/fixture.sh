#!/usr/bin/env bash
# fixture.sh NAME - print the absolute path of the repository fixture NAME (fixtures/NAME).
# A generated fixture (test.mp4, see fixtures/README.md) is made on first use by the project's
# own code (node-av, FFmpeg in-process) into fixtures/generated/ and cached there.
# Needs the workspace installed (npm test / npm run demo bootstrap it).
set -euo pipefail
NAME=${1:?usage: $0 NAME}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if [ -f "$ROOT/fixtures/$NAME" ]; then echo "$ROOT/fixtures/$NAME"; exit 0; fi
if [ -s "$ROOT/fixtures/generated/$NAME" ]; then echo "$ROOT/fixtures/generated/$NAME"; exit 0; fi
cd "$ROOT/packages/test-support"
exec node --import tsx src/fixture-cli.ts "$NAME"
