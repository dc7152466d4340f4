#!/usr/bin/env bash
# sipp-av-call.sh - place ONE audio+video SIP call with SIPp (sipp-av-call.xml) to
# sip:SERVICE@127.0.0.1:TARGET_PORT over UDP, play H.264 + PCMU RTP from the fixtures
# pcaps to the ports of the SDP answer, hold HOLD seconds, BYE.
# Prints: sipp_rc=R (0 = call completed: INVITE/200/ACK/BYE/200), then RTP counts
# seen on loopback by tshark: video/audio packets sent by sipp, and packets the far
# end sent to sipp's media ports (video to MEDIA_PORT+2, audio to MEDIA_PORT).
# Usage: sipp-av-call.sh TARGET_PORT [HOLD_SECONDS=5]
# Env: SERVICE (Request-URI user, default bridge), SIP_PORT (local SIP port, 15080),
#      MEDIA_PORT (local audio port, video = +2; default 16000), LOGDIR (default
#      /tmp/sipp-av-call-$$; SIPp message/error logs + capture.pcap go there),
#      VIDEO_PT (payload type expected in the far end's video, default 96).
# Needs root (SIPp plays pcaps through raw sockets) and sipp 3.6, tshark.
# Stops by itself: -recv_timeout 10 s, -timeout HOLD+30 s, plus a hard guard.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
TPORT=${1:?usage: $0 TARGET_PORT [HOLD_SECONDS]}
HOLD=${2:-5}
SERVICE=${SERVICE:-bridge}
SIP_PORT=${SIP_PORT:-15080}
MP=${MEDIA_PORT:-16000}
LOGDIR=${LOGDIR:-/tmp/sipp-av-call-$$}
mkdir -p "$LOGDIR"; rm -f "$LOGDIR"/*.log "$LOGDIR"/capture.pcap
C=$LOGDIR/capture.pcap
timeout -k 3 $((HOLD + 60)) tshark -i lo -F pcap -w "$C" \
  -f "udp and host 127.0.0.1 and (port $MP or port $((MP + 2)))" >/dev/null 2>"$LOGDIR/tshark.err" &
CAP=$!
for _ in $(seq 50); do grep -q 'Capturing on' "$LOGDIR/tshark.err" 2>/dev/null && break; sleep 0.1; done

cd "$ROOT"   # the scenario names its media files relative to the repository root (fixtures/)
timeout -k 5 $((HOLD + 40)) sipp 127.0.0.1:"$TPORT" -sf "$HERE/sipp-av-call.xml" -s "$SERVICE" \
  -i 127.0.0.1 -p "$SIP_PORT" -mi 127.0.0.1 -mp "$MP" -t u1 \
  -m 1 -l 1 -d $((HOLD * 1000)) -recv_timeout 10000 -timeout $((HOLD + 30))s -timeout_error \
  -nostdin -trace_msg -message_file "$LOGDIR/messages.log" \
  -trace_err -error_file "$LOGDIR/errors.log" \
  -trace_screen -screen_file "$LOGDIR/screen.log" >"$LOGDIR/stdout.log" 2>&1
RC=$?
sleep 0.5; kill -INT $CAP 2>/dev/null; wait $CAP 2>/dev/null
cnt() { tshark -r "$C" -Y "!icmp && $1" 2>/dev/null | wc -l; }
echo "sipp_rc=$RC logs=$LOGDIR"
echo "video_sent: $(cnt "udp.srcport==$((MP + 2))") packets from :$((MP + 2))"
echo "audio_sent: $(cnt "udp.srcport==$MP") packets from :$MP"
echo "video_recv: $("$HERE/rtp-stats.sh" "$C" $((MP + 2)) h264 "${VIDEO_PT:-96}") (to :$((MP + 2)))"
echo "audio_recv: $(cnt "udp.dstport==$MP") packets to :$MP"
exit $RC
