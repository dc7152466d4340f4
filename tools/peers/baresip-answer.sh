#!/usr/bin/env bash
# baresip-answer.sh - headless baresip that auto-answers audio+video calls to
# sip:bridge@127.0.0.1:PORT for SECONDS, then exits (hangs up any call).
# Video source: the fixture test.mp4 (generated on first use, see fixture.sh) via avformat (VIDSRC overrides), display discarded.
# Prints the same report as baresip-call.sh at the end (log-based codec lines and
# tshark RTP counts for its own ports).
# Usage: baresip-answer.sh [PORT=5060] [SECONDS=15]
# Env: AOR_USER (default bridge), LOGDIR (default /tmp/baresip-answer-$$), VIDSRC,
#      plus the env of baresip-run.sh. Exit status 0 if a call was established.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PORT=${1:-5060}
SECS=${2:-15}
exec "$HERE/baresip-session.sh" answer "$PORT" "$SECS" "" "${LOGDIR:-/tmp/baresip-answer-$$}"
