#!/usr/bin/env bash
# linphone-call.sh - headless Linphone (Debian linphone-cli 5.1, linphonec) places ONE
# audio+video call to TARGET, keeps it up SECONDS, then hangs up (BYE) and exits.
# Linphone runs with its default codecs and offer (video: VP8 PT 96, then H.264 PT 97
# `profile-level-id=42801F` without packetization-mode, i.e. mode 0; audio: opus, speex, PCMU,
# ...). The only settings are what a headless loopback run needs, in a linphonerc under a
# temporary HOME (nothing touches the real home): SIP on UDP SIP_PORT only, SIP and RTP bound to
# 127.0.0.1, RTP on AUDIO_PORT/VIDEO_PORT, video on (`-V`, capture and display, video in the
# offer: automatically_initiate/accept) with its StaticImage webcam (Linphone's "nowebcam"
# picture, OpenH264 encoder) and the MSExtDisplay display (no window). There is no sound card:
# Linphone runs the audio stream without one.
# Prints: call_established=0|1, media_established=0|1, video_decoder_runs=N (the OpenH264
# decoder filter's process count in Linphone's end-of-call filter statistics), video_size=WxH
# (the last picture size Linphone's decoder reported, "none" if it decoded nothing), log path.
# Usage: linphone-call.sh TARGET [SECONDS=10]
# Env: SIP_PORT (default 15170), AUDIO_PORT (default SIP_PORT+2), VIDEO_PORT (default
#      SIP_PORT+4), LOGDIR (default /tmp/linphone-call-$$).
# Exit status 0 if the call was established.
set -uo pipefail
TARGET=${1:?usage: $0 TARGET [SECONDS]}
SECS=${2:-10}
SIP_PORT=${SIP_PORT:-15170}
AUDIO_PORT=${AUDIO_PORT:-$((SIP_PORT + 2))}
VIDEO_PORT=${VIDEO_PORT:-$((SIP_PORT + 4))}
LOGDIR=${LOGDIR:-/tmp/linphone-call-$$}
mkdir -p "$LOGDIR/home/.local/share/linphone" # liblinphone opens no SIP port without its db folder
RC="$LOGDIR/linphonerc"
cat >"$RC" <<EOF
[sip]
sip_port=$SIP_PORT
sip_tcp_port=0
sip_tls_port=0
bind_address=127.0.0.1
[rtp]
audio_rtp_port=$AUDIO_PORT
video_rtp_port=$VIDEO_PORT
bind_address=127.0.0.1
[video]
capture=1
display=1
show_local=0
self_view=0
displaytype=MSExtDisplay
automatically_accept=1
automatically_initiate=1
EOF
LOG="$LOGDIR/linphone.log"
# linphonec reads its commands from stdin: call once the core is up, hang up after SECS
{
  sleep 3
  echo "call $TARGET"
  sleep "$SECS"
  echo "terminate"
  sleep 2
  echo "quit"
} | HOME="$LOGDIR/home" timeout -k 3 $((SECS + 20)) linphonec -c "$RC" -V -d 6 -l "$LOG" \
  >"$LOGDIR/linphonec.out" 2>&1
grep -q "connected\." "$LOGDIR/linphonec.out" && est=1 || est=0
grep -q "Media streams established" "$LOGDIR/linphonec.out" && media=1 || media=0
# mediastreamer prints per-filter statistics when the call ends: name, count, ...
runs=$(grep -E "mediastreamer-message-MSOpenH264Dec +[0-9]+" "$LOG" 2>/dev/null \
  | awk '{ if ($4 > m) m = $4 } END { print m + 0 }')
size=$(grep -oE "OpenH264 decoder: Frame size: [0-9]+x[0-9]+" "$LOG" 2>/dev/null | tail -1 \
  | awk '{ print $NF }')
echo "call_established=$est"
echo "media_established=$media"
echo "video_decoder_runs=$runs"
echo "video_size=${size:-none}"
echo "log=$LOG"
[ "$est" = 1 ]
