#!/usr/bin/env bash
# baresip-call.sh - headless baresip places ONE audio+video call to TARGET, keeps it
# up until SECONDS after start, then hangs up (BYE) and exits.
# Video source: the fixture test.mp4 (generated on first use, see fixture.sh) via baresip's avformat module (re-encoded by
# baresip with libx264, ~1 Mbit/s, 640x360@30; loops). Audio: 440 Hz sine (PCMU/PCMA).
# Offer: m=audio PCMU/PCMA/telephone-event; m=video H264 mode 0 (PT 96), H264 mode 1
# (PT 97), H263, MP4V-ES, H265, VP8 (VIDEO_CODECS=H264 offers only H264 mode 0).
# Prints: call_established=0|1, codec lines from the log, and tshark counts of RTP
# on loopback per direction (audio/video sent from / received on baresip's ports).
# Usage: baresip-call.sh [TARGET=sip:bridge@127.0.0.1:5060] [SECONDS=10]
# Env: SIP_PORT (local, default 15070), LOGDIR (default /tmp/baresip-call-$$),
#      VIDSRC (default avformat,<repo>/fixtures/generated/test.mp4; "fakevideo,nil" = static pattern),
#      plus the env of baresip-run.sh (VIDEO_CODECS, RTP_PORTS, ...).
# Exit status 0 if the call was established.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TARGET=${1:-sip:bridge@127.0.0.1:5060}
SECS=${2:-10}
SIP_PORT=${SIP_PORT:-15070}
LOGDIR=${LOGDIR:-/tmp/baresip-call-$$}
mkdir -p "$LOGDIR"; rm -f "$LOGDIR/baresip.log" "$LOGDIR/capture.pcap"
export VIDSRC=${VIDSRC:-avformat,$("$HERE/fixture.sh" test.mp4)}
C=$LOGDIR/capture.pcap
timeout -k 3 $((SECS + 30)) tshark -i lo -F pcap -w "$C" -f "udp and host 127.0.0.1" \
  >/dev/null 2>"$LOGDIR/tshark.err" &
CAP=$!
for _ in $(seq 50); do grep -q 'Capturing on' "$LOGDIR/tshark.err" 2>/dev/null && break; sleep 0.1; done
"$HERE/baresip-run.sh" call "$SIP_PORT" "$SECS" "$TARGET" "$LOGDIR/baresip.log"
sleep 0.5; kill -INT $CAP 2>/dev/null; wait $CAP 2>/dev/null
"$HERE/baresip-report.sh" "$LOGDIR/baresip.log" "$C" "$SIP_PORT"
