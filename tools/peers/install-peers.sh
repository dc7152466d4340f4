#!/usr/bin/env bash
# install-peers.sh - install the third-party peer programs (Debian 12 packages) that the
# real-peer tests and the scripts in this folder drive: ffmpeg, GStreamer 1.22 (tools,
# base/good/bad/ugly, libav), SIPp 3.6.1 (sip-tester), baresip 1.0.0 (+ ffmpeg/gstreamer
# modules), tshark/tcpdump, xxd, Chromium (the demo's dashboard test), and Kamailio 5.6
# (+ redis modules) with redis-server 7.0 (apps/cluster).
# Non-interactive; about 2 minutes on a fresh machine. `npm test` runs it when a peer is missing.
# Usage: install-peers.sh        (as root)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=peer-programs.sh
. "$HERE/peer-programs.sh"
export DEBIAN_FRONTEND=noninteractive
# Linphone 5.1 too (linphone-cli, with the OpenH264 plugin that a default install recommends,
# so Linphone offers H.264 as it does out of the box: the demo's Linphone test).
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  ffmpeg gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good \
  linphone-cli mediastreamer2-plugin-openh264 \
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav \
  sip-tester baresip baresip-core baresip-ffmpeg baresip-gstreamer tshark tcpdump xxd \
  chromium kamailio kamailio-redis-modules redis-server >/dev/null
missing=$(missing_peer_programs)
[ -z "$missing" ] || { echo "install-peers: still missing:$missing" >&2; exit 1; }
echo "install-peers: ok"
