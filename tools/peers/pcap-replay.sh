#!/usr/bin/env bash
# pcap-replay.sh - replay the UDP payloads (RTP packets) of a pcap to 127.0.0.1:PORT
# with GStreamer (filesrc ! pcapparse ! udpsink), keeping the captured timing
# (or as fast as possible with FAST=1). Packets are sent unchanged (same SSRC,
# seq, timestamps), from an ephemeral source port.
# Usage: pcap-replay.sh PCAP PORT [PCAP_DST_PORT=5004]
#   default PCAP: the repository fixture fixtures/test-rtp.pcap (1253 RTP packets, 10 s)
# Env: FAST=1 (no pacing). Stops at end of file (guard: 120 s).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PCAP=${1:-$HERE/../../fixtures/test-rtp.pcap}
PORT=${2:?usage: $0 PCAP PORT [PCAP_DST_PORT]}
SRCPORT=${3:-5004}
SYNC=$([ "${FAST:-0}" = 1 ] && echo false || echo true)
timeout -k 5 120 gst-launch-1.0 -q filesrc location="$PCAP" \
  ! pcapparse dst-port="$SRCPORT" \
  ! udpsink host=127.0.0.1 port="$PORT" sync="$SYNC"
echo "pcap-replay: done $PCAP -> 127.0.0.1:$PORT" >&2
