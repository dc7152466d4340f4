#!/usr/bin/env bash
# selftest.sh - check that the peer scripts work on this machine by pointing them at
# each other (loopback only, ports 15060-15090 and 25000-25020). About 80 s.
# Prints one PASS/FAIL line per check and a final "N passed, N failed" line;
# exit status 1 if any check failed. Needs root and install-peers.sh done.
# Usage: selftest.sh
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/peers-selftest-XXXXXX)
pass=0; fail=0
check() {  # check NAME CONDITION-RESULT(0/1) DETAIL
  if [ "$2" = 0 ]; then pass=$((pass + 1)); echo "PASS $1: $3"; else fail=$((fail + 1)); echo "FAIL $1: $3"; fi
}
val() { echo "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1==k{print $2; exit}'; }

# 1 ffmpeg -> ffmpeg (SDP written by the sender in a dry run first)
"$HERE/ffmpeg-send-h264.sh" 25000 0 640x360 normal "$T/a.sdp" 2>/dev/null
"$HERE/ffmpeg-recv-h264.sh" "$T/a.sdp" 7 "$T/a.h264" >"$T/a.out" &
sleep 1; "$HERE/ffmpeg-send-h264.sh" 25000 5 640x360 normal "$T/a.sdp" 2>/dev/null; wait
R=$(cat "$T/a.out"); F=$(val "$R" frames_decoded); E=$(val "$R" errors)
check ffmpeg-send-\>ffmpeg-recv "$([ "$F" -ge 140 ] && [ "$E" = 0 ]; echo $?)" "$R"

# 2 pkt_size 1200 and 3 big IDR (FU-A) variants, checked on the wire with tshark
"$HERE/rtp-capture.sh" "$T/b.pcap" 6 "udp dst port 25002" 2>/dev/null &
sleep 1.5; "$HERE/ffmpeg-send-h264.sh" 25002 2 640x360 pkt1200 "$T/b.sdp" 2>/dev/null; wait
R=$("$HERE/rtp-stats.sh" "$T/b.pcap" 25002)
check ffmpeg-send-pkt1200 "$([ "$(val "$R" max_udp_payload)" -le 1200 ] && [ "$(val "$R" packets)" -gt 100 ]; echo $?)" "$R"
"$HERE/rtp-capture.sh" "$T/c.pcap" 6 "udp dst port 25004" 2>/dev/null &
sleep 1.5; "$HERE/ffmpeg-send-h264.sh" 25004 2 640x360 bigidr "$T/c.sdp" 2>/dev/null; wait
R=$("$HERE/rtp-stats.sh" "$T/c.pcap" 25004)
check ffmpeg-send-bigidr "$([ "$(val "$R" fu_a_idr)" -ge 100 ]; echo $?)" "$R"

# 4 GStreamer H.264 and 5 VP8
"$HERE/gst-recv-h264.sh" 25006 7 "$T/d.h264" >"$T/d.out" &
sleep 1; "$HERE/gst-send-h264.sh" 25006 5 640x360 "$T/d.sdp" 2>/dev/null; wait
R=$(cat "$T/d.out"); check gst-send-h264-\>gst-recv-h264 "$([ "$(val "$R" frames_decoded)" = 150 ]; echo $?)" "$R"
"$HERE/gst-recv-vp8.sh" 25008 7 "$T/e.webm" >"$T/e.out" &
sleep 1; "$HERE/gst-send-vp8.sh" 25008 5 640x360 "$T/e.sdp" 2>/dev/null; wait
R=$(cat "$T/e.out"); check gst-send-vp8-\>gst-recv-vp8 "$([ "$(val "$R" frames_decoded)" = 150 ]; echo $?)" "$R"

# 6 fixture pcap replayed (paced) -> GStreamer decodes all 300 frames
"$HERE/gst-recv-h264.sh" 25010 12 "$T/f.h264" >"$T/f.out" &
sleep 1; "$HERE/pcap-replay.sh" "$HERE/../../fixtures/test-rtp.pcap" 25010 2>/dev/null; wait
R=$(cat "$T/f.out"); check pcap-replay-\>gst-recv-h264 "$([ "$(val "$R" frames_decoded)" = 300 ]; echo $?)" "$R"

# 7 SIPp UAC <-> SIPp UAS (audio+video call, video RTP both ways)
LOGDIR=$T/uas MEDIA_PORT=25016 "$HERE/sipp-av-uas.sh" 15060 30 2>/dev/null &
sleep 1
R=$(LOGDIR=$T/uac MEDIA_PORT=25012 SIP_PORT=15080 "$HERE/sipp-av-call.sh" 15060 4); RC=$?; wait
VR=$(echo "$R" | grep video_recv | grep -o 'packets=[0-9]*' | cut -d= -f2)
VS=$(echo "$R" | grep video_sent | grep -o '[0-9]* packets' | cut -d' ' -f1)
check sipp-av-call\<-\>sipp-av-uas "$([ "$RC" = 0 ] && [ "${VR:-0}" -gt 100 ] && [ "${VS:-0}" -gt 100 ]; echo $?)" "rc=$RC video_sent=$VS video_recv=$VR"

# 8 baresip caller <-> baresip auto-answer (H.264 video both ways)
LOGDIR=$T/ba RTP_PORTS=25100-25199 "$HERE/baresip-answer.sh" 15062 12 >"$T/ba.out" 2>/dev/null &
sleep 2
R=$(LOGDIR=$T/bc RTP_PORTS=25200-25299 SIP_PORT=15072 "$HERE/baresip-call.sh" sip:bridge@127.0.0.1:15062 6 2>/dev/null); RC=$?; wait
V=$(echo "$R" | grep '^video port'); S=$(echo "$V" | grep -o 'sent=[0-9]*' | cut -d= -f2); RV=$(echo "$V" | grep -o 'recv=[0-9]*' | cut -d= -f2)
check baresip-call\<-\>baresip-answer "$([ "$RC" = 0 ] && [ "${S:-0}" -gt 100 ] && [ "${RV:-0}" -gt 100 ]; echo $?)" "rc=$RC $V"

echo "selftest logs: $T"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
