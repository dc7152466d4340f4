// Test helper (not built, not exported): the smallest remote offer of audio and H.264 video.

/** H264_MODE_1_FMTP is Constrained Baseline 3.1, packetization-mode 1 (RFC 6184 §8.1). */
export const H264_MODE_1_FMTP = "packetization-mode=1;profile-level-id=42e01f";

/**
 * h264Offer is an SDP offer from 127.0.0.1: m=audio 20000 PCMU, m=video 20002 with H.264 at
 * payload type 96 whose fmtp is `fmtp`; lines end with CRLF.
 */
export function h264Offer(fmtp: string = H264_MODE_1_FMTP): string {
  const lines = [
    "v=0",
    "o=- 1 1 IN IP4 127.0.0.1",
    "s=-",
    "c=IN IP4 127.0.0.1",
    "t=0 0",
    "m=audio 20000 RTP/AVP 0",
    "a=rtpmap:0 PCMU/8000",
    "m=video 20002 RTP/AVP 96",
    "a=rtpmap:96 H264/90000",
    `a=fmtp:96 ${fmtp}`,
  ];
  return `${lines.join("\r\n")}\r\n`;
}
