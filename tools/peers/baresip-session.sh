#!/usr/bin/env bash
# baresip-session.sh - what baresip-call.sh and baresip-answer.sh share: a tshark capture of
# loopback UDP, one baresip-run.sh (MODE call or answer), then baresip-report.sh on that capture.
# Usage: baresip-session.sh MODE SIP_PORT SECONDS TARGET LOGDIR   (TARGET "" for answer)
# Video source: VIDSRC, default the fixture test.mp4 (generated on first use, see fixture.sh).
# Exit status: baresip-report.sh's (0 if a call was established).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
MODE=${1:?usage: $0 MODE SIP_PORT SECONDS TARGET LOGDIR}
SPORT=${2:?sip port}
SECS=${3:?seconds}
TARGET=${4-}
LOGDIR=${5:?log dir}
mkdir -p "$LOGDIR"; rm -f "$LOGDIR/baresip.log" "$LOGDIR/capture.pcap"
export VIDSRC=${VIDSRC:-avformat,$("$HERE/fixture.sh" test.mp4)}
C=$LOGDIR/capture.pcap
timeout -k 3 $((SECS + 30)) tshark -i lo -F pcap -w "$C" -f "udp and host 127.0.0.1" \
  >/dev/null 2>"$LOGDIR/tshark.err" &
CAP=$!
for _ in $(seq 50); do grep -q 'Capturing on' "$LOGDIR/tshark.err" 2>/dev/null && break; sleep 0.1; done
"$HERE/baresip-run.sh" "$MODE" "$SPORT" "$SECS" "$TARGET" "$LOGDIR/baresip.log"
sleep 0.5; kill -INT $CAP 2>/dev/null; wait $CAP 2>/dev/null
"$HERE/baresip-report.sh" "$LOGDIR/baresip.log" "$C" "$SPORT"
