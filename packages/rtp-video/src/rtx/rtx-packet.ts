import type { RtpPacket } from "../rtp/rtp-packet.js";

/** RtxHeader is what a retransmission packet takes of its own stream (RFC 4588 §4). */
export interface RtxHeader {
  /** payloadType of the RTX stream (`a=rtpmap:<pt> rtx/90000`). */
  readonly payloadType: number;
  /** ssrc of the RTX stream (SSRC multiplexing, RFC 4588 §5.3). */
  readonly ssrc: number;
  /** sequenceNumber of the RTX stream: its own sequence, not the original's. */
  readonly sequenceNumber: number;
}

/**
 * rtxDatagram writes the retransmission of an original RTP datagram (RFC 4588 §4): the original
 * header with the payload type, sequence number and SSRC of the RTX stream (marker, timestamp,
 * CSRCs and header extension kept), then the 2-byte original sequence number (OSN) and the
 * original payload. Padding of the original is not carried (P bit cleared). Returns undefined for
 * a datagram too short to be RTP.
 */
export function rtxDatagram(original: Uint8Array, rtx: RtxHeader): Uint8Array | undefined {
  const start = payloadStart(original);
  if (start === undefined) return undefined;
  let end = original.length;
  if ((original[0]! & 0x20) !== 0) {
    const pad = original[end - 1]!;
    if (pad === 0 || pad > end - start) return undefined;
    end -= pad;
  }
  const out = new Uint8Array(end + 2);
  out.set(original.subarray(0, start), 0);
  out[0] = original[0]! & ~0x20;
  out[1] = (original[1]! & 0x80) | (rtx.payloadType & 0x7f);
  out[2] = (rtx.sequenceNumber >>> 8) & 0xff;
  out[3] = rtx.sequenceNumber & 0xff;
  const ssrc = rtx.ssrc >>> 0;
  out[8] = ssrc >>> 24;
  out[9] = (ssrc >>> 16) & 0xff;
  out[10] = (ssrc >>> 8) & 0xff;
  out[11] = ssrc & 0xff;
  out[start] = original[2]!; // OSN: the original sequence number, network order
  out[start + 1] = original[3]!;
  out.set(original.subarray(start, end), start + 2);
  return out;
}

/** RtxOriginalStream names the media stream an RTX stream repairs (its `apt` and SSRC). */
export interface RtxOriginalStream {
  /** payloadType of the media (`apt=` of the RTX format, RFC 4588 §8.1). */
  readonly payloadType: number;
  /** ssrc of the media stream the RTX stream is associated with. */
  readonly ssrc: number;
}

/**
 * originalSequenceNumber reads the OSN of an RTX packet (RFC 4588 §4), or undefined when its
 * payload is shorter than the 2-byte OSN (an empty RTX packet, e.g. padding for probing).
 */
export function originalSequenceNumber(packet: RtpPacket): number | undefined {
  const p = packet.payload;
  return p.length < 2 ? undefined : (p[0]! << 8) | p[1]!;
}

/**
 * originalFromRtx restores the original packet of an RTX packet (RFC 4588 §4): sequence number
 * from the OSN, payload type and SSRC of the media stream, timestamp and marker as sent, the
 * payload after the OSN (a view, no copy). Undefined when the packet holds no original payload.
 */
export function originalFromRtx(
  packet: RtpPacket,
  media: RtxOriginalStream,
): RtpPacket | undefined {
  const osn = originalSequenceNumber(packet);
  if (osn === undefined || packet.payload.length === 2) return undefined;
  return {
    payloadType: media.payloadType,
    sequenceNumber: osn,
    timestamp: packet.timestamp,
    ssrc: media.ssrc,
    marker: packet.marker,
    payload: packet.payload.subarray(2),
  };
}

/** payloadStart is the offset of the payload of an RTP datagram (RFC 3550 §5.1, §5.3.1). */
function payloadStart(d: Uint8Array): number | undefined {
  if (d.length < 12 || d[0]! >> 6 !== 2) return undefined;
  let start = 12 + (d[0]! & 0x0f) * 4;
  if ((d[0]! & 0x10) !== 0) {
    if (d.length < start + 4) return undefined;
    start += 4 + ((d[start + 2]! << 8) | d[start + 3]!) * 4;
  }
  return start <= d.length ? start : undefined;
}
