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
exec "$HERE/baresip-session.sh" call "$SIP_PORT" "$SECS" "$TARGET" "${LOGDIR:-/tmp/baresip-call-$$}"
