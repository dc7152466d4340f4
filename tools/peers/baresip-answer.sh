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
LOGDIR=${LOGDIR:-/tmp/baresip-answer-$$}
mkdir -p "$LOGDIR"; rm -f "$LOGDIR/baresip.log" "$LOGDIR/capture.pcap"
export VIDSRC=${VIDSRC:-avformat,$("$HERE/fixture.sh" test.mp4)}
C=$LOGDIR/capture.pcap
timeout -k 3 $((SECS + 30)) tshark -i lo -F pcap -w "$C" -f "udp and host 127.0.0.1" \
  >/dev/null 2>"$LOGDIR/tshark.err" &
CAP=$!
for _ in $(seq 50); do grep -q 'Capturing on' "$LOGDIR/tshark.err" 2>/dev/null && break; sleep 0.1; done
"$HERE/baresip-run.sh" answer "$PORT" "$SECS" "" "$LOGDIR/baresip.log"
sleep 0.5; kill -INT $CAP 2>/dev/null; wait $CAP 2>/dev/null
"$HERE/baresip-report.sh" "$LOGDIR/baresip.log" "$C" "$PORT"
