#!/usr/bin/env bash
# make-fixtures.sh - (re)build the committed H.264/RTP reference files in <repo>/fixtures/
# (a maintainer's tool: the committed files are what the tests check; see fixtures/README.md).
#   test.h264      10 s Annex-B H.264 (libx264 constrained baseline, 640x360, 30 fps,
#                  IDR every 30 frames, 2 slices per frame, ~1 Mbit/s, SPS+PPS before each IDR;
#                  so the RTP has single-NAL, STAP-A and FU-A packets)
#   test-rtp.pcap  the RTP packets of test.h264 as FFmpeg's RTP muxer sends them
#                  (PT 96, SSRC 0x12345678, first seq 1000, real-time paced), captured
#                  with tshark on lo; only UDP 127.0.0.1 -> 127.0.0.1:PORT (no RTCP)
#   test.sdp       the SDP FFmpeg wrote for that stream
#   test.framecrc  per-frame CRC32 of the decoded pictures of test.h264 (FFmpeg)
#   pcmu-tone.pcap 10 s 440 Hz PCMU RTP (PT 0, 20 ms = 160-byte payloads, 500 packets,
#                  SSRC 0x11223344, first seq 2000) to 127.0.0.1:PORT+2
#   pcmu-tone.ulaw the same tone as raw 8 kHz mu-law (80000 bytes; SIPp rtp_stream)
#   (test.mp4 is not made here: the project's own code generates it from test.h264 on first use,
#   see fixture.sh)
#   MANIFEST.txt   counts and checksums (frames, IDRs, packets, STAP-A/FU-A, sha256)
# Usage: make-fixtures.sh [PORT=5004]   (needs ffmpeg, tshark; about 15 s)
set -euo pipefail
PORT=${1:-5004}
HERE=$(cd "$(dirname "$0")" && pwd)
FX=$(cd "$HERE/../.." && pwd)/fixtures; mkdir -p "$FX"
H264="$FX/test.h264"; PCAP="$FX/test-rtp.pcap"; SDP="$FX/test.sdp"

timeout 120 ffmpeg -hide_banner -nostdin -loglevel error -y \
  -f lavfi -i "testsrc2=size=640x360:rate=30" -t 10 -an \
  -c:v libx264 -threads 1 -profile:v baseline -level:v 3.1 -pix_fmt yuv420p -preset veryfast \
  -tune zerolatency -x264-params sliced-threads=0:slices=2 -g 30 -keyint_min 30 -sc_threshold 0 \
  -b:v 1M -maxrate 1M -bufsize 1M -f h264 "$H264"

APORT=$((PORT + 2))
"$HERE/rtp-capture.sh" "$PCAP.tmp" 14 "udp and dst host 127.0.0.1 and dst port $PORT" 2>/dev/null &
CAP=$!
"$HERE/rtp-capture.sh" "$FX/pcmu.tmp" 14 "udp and dst host 127.0.0.1 and dst port $APORT" 2>/dev/null &
CAPA=$!
sleep 2   # let tshark start capturing
timeout 30 ffmpeg -hide_banner -nostdin -loglevel error -re -framerate 30 -i "$H264" \
  -c:v copy -an -f rtp -payload_type 96 -ssrc 305419896 -seq 1000 -sdp_file "$SDP" \
  "rtp://127.0.0.1:$PORT" &
timeout 30 ffmpeg -hide_banner -nostdin -loglevel error -re \
  -f lavfi -i "sine=frequency=440:sample_rate=8000:duration=10:samples_per_frame=160" \
  -c:a pcm_mulaw -f rtp -payload_type 0 -ssrc 287454020 -seq 2000 -sdp_file /dev/null \
  "rtp://127.0.0.1:$APORT"
wait
mv "$PCAP.tmp" "$PCAP"; mv "$FX/pcmu.tmp" "$FX/pcmu-tone.pcap"; chmod 644 "$PCAP" "$FX/pcmu-tone.pcap"
echo >>"$SDP"   # FFmpeg leaves the last line unterminated

ffmpeg -hide_banner -nostdin -loglevel error -i "$H264" -f framecrc -y "$FX/test.framecrc"
ffmpeg -hide_banner -nostdin -loglevel error -f lavfi -i "sine=frequency=440:sample_rate=8000:duration=10" \
  -c:a pcm_mulaw -f mulaw -y "$FX/pcmu-tone.ulaw"
FRAMES=$(grep -vc '^#' "$FX/test.framecrc")
IDRS=$(ffprobe -v error -show_frames -show_entries frame=key_frame -of csv=p=0 "$H264" | grep -c '^1')
# NAL units of the Annex-B file by type (scan for 00 00 01 start codes, byte-aligned)
NALS=$(xxd -p -c1 "$H264" | awk 'BEGIN{H="0123456789abcdef"}
  { if(want){h=index(H,substr($1,1,1))-1; l=index(H,substr($1,2,1))-1; c[(h%2)*16+l]++; n++; want=0}
    if($1=="01" && z>=2) want=1; if($1=="00") z++; else z=0 }
  END{printf "nal_units=%d", n; for(t=1;t<=23;t++) if(c[t]) printf " type%d=%d", t, c[t]}')
{
  echo "# Made by tools/peers/make-fixtures.sh (FFmpeg 5.1, tshark 4.0, Debian 12); see README.md for each file."
  echo "# generated/test.mp4 is not listed: the project's own code makes it from test.h264 on first use."
  echo "test.h264: $(stat -c %s "$H264") bytes, $FRAMES frames, $IDRS IDR frames, 640x360 @30 fps"
  echo "test.h264 NALs: $NALS (1=non-IDR slice 5=IDR slice 6=SEI 7=SPS 8=PPS)"
  echo "depacketizing test-rtp.pcap (single NAL + STAP-A + FU-A) gives exactly the NAL units"
  echo "of test.h264 in the same order (checked when the fixture was made)."
  echo "test-rtp.pcap: $(stat -c %s "$PCAP") bytes; $("$HERE/rtp-stats.sh" "$PCAP" "$PORT")"
  echo "rtp: dst 127.0.0.1:$PORT pt=96 ssrc=0x12345678 first_seq=1000 clock=90000 (3000 ticks/frame)"
  echo "first_rtp_timestamp=$(tshark -r "$PCAP" -d udp.port==$PORT,rtp -T fields -e rtp.timestamp -c 1 2>/dev/null)"
  echo "pcmu-tone.pcap: $(stat -c %s "$FX/pcmu-tone.pcap") bytes; $("$HERE/rtp-stats.sh" "$FX/pcmu-tone.pcap" "$APORT" pcmu 0)"
  (cd "$FX" && sha256sum test.h264 test-rtp.pcap test.sdp test.framecrc pcmu-tone.pcap pcmu-tone.ulaw)
} >"$FX/MANIFEST.txt"
cat "$FX/MANIFEST.txt"
