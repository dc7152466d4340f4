# peer-programs.sh - sourced by install-peers.sh and scripts/bootstrap.sh: the programs the
# real-peer tests need, and which of them are missing. One list, so the installer and the
# bootstrap can never disagree.
PEER_PROGRAMS="ffmpeg ffprobe gst-launch-1.0 sipp baresip tshark xxd chromium kamailio redis-server"

# linphonec: linphone-cli (apps/demo/test/linphone.test.ts)
PEER_PROGRAMS="$PEER_PROGRAMS linphonec"

# missing_peer_programs prints " name" for each program of PEER_PROGRAMS not on the PATH
# (chromium must be Debian's /usr/bin/chromium: the tests launch that path).
missing_peer_programs() {
  local c out=""
  for c in $PEER_PROGRAMS; do
    if [ "$c" = chromium ]; then [ -x /usr/bin/chromium ] || out="$out $c"
    else command -v "$c" >/dev/null 2>&1 || out="$out $c"; fi
  done
  printf '%s' "$out"
}
