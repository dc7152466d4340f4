#!/usr/bin/env bash
# sipp-av-uas.sh - SIPp UAS on 127.0.0.1:PORT that answers ONE audio+video call
# (sipp-av-uas.xml): 200 OK with PCMU + H264 SDP, then plays the fixture pcaps
# (H.264 video + PCMU audio) to the caller's SDP ports until BYE.
# Usage: sipp-av-uas.sh [PORT=5060] [MAX_SECONDS=60]
# Env: MEDIA_PORT (audio, video = +2; default 26000), LOGDIR (default /tmp/sipp-av-uas-$$).
# Exits after the call (rc 0 = call completed) or after MAX_SECONDS. Needs root.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PORT=${1:-5060}
MAXS=${2:-60}
MP=${MEDIA_PORT:-26000}
LOGDIR=${LOGDIR:-/tmp/sipp-av-uas-$$}
mkdir -p "$LOGDIR"; rm -f "$LOGDIR"/*.log
cd "$ROOT"   # the scenario names its media files relative to the repository root (fixtures/)
timeout -k 5 $((MAXS + 5)) sipp -sf "$HERE/sipp-av-uas.xml" -i 127.0.0.1 -p "$PORT" \
  -mi 127.0.0.1 -mp "$MP" -t u1 -m 1 -timeout "${MAXS}s" -timeout_error -nostdin \
  -trace_msg -message_file "$LOGDIR/messages.log" -trace_err -error_file "$LOGDIR/errors.log" \
  -trace_screen -screen_file "$LOGDIR/screen.log" >"$LOGDIR/stdout.log" 2>&1
RC=$?
echo "sipp-av-uas: rc=$RC logs=$LOGDIR" >&2
exit $RC
