import { RtpVideoError, type RtpVideoErrorCode } from "../errors.js";

/**
 * RtpPacket is one parsed RTP packet (RFC 3550 §5.1); `payload` is a view, not a copy (a plain
 * Uint8Array, whatever kind of array the datagram was).
 */
export interface RtpPacket {
  /** payloadType is the 7-bit PT. */
  readonly payloadType: number;
  /** sequenceNumber is the 16-bit sequence number. */
  readonly sequenceNumber: number;
  /** timestamp is the 32-bit media timestamp (unsigned). */
  readonly timestamp: number;
  /** ssrc is the 32-bit synchronisation source (unsigned). */
  readonly ssrc: number;
  /** marker is the M bit; for video, set on the last packet of an access unit. */
  readonly marker: boolean;
  /** payload is the media payload with padding removed. */
  readonly payload: Uint8Array;
}

/** RtpParseErrorCode lists why a datagram is not a valid RTP packet. */
export type RtpParseErrorCode = Extract<
  RtpVideoErrorCode,
  | "RTP_TOO_SHORT"
  | "RTP_BAD_VERSION"
  | "RTP_BAD_CSRC_COUNT"
  | "RTP_BAD_EXTENSION"
  | "RTP_BAD_PADDING"
>;

const RTP_HEADER_SIZE = 12;

/**
 * tryParseRtpPacket parses an RTP datagram without throwing (RFC 3550 §5.1, §5.3.1): it returns the
 * packet, or the code of the rule the datagram breaks. The payload is a view into `bytes`.
 */
export function tryParseRtpPacket(bytes: Uint8Array): RtpPacket | RtpParseErrorCode {
  const offset = rtpPayloadStart(bytes);
  if (typeof offset === "string") return offset;
  const end = rtpPayloadEnd(bytes, offset);
  if (typeof end === "string") return end;
  const b1 = bytes[1]!;
  return {
    payloadType: b1 & 0x7f,
    marker: (b1 & 0x80) !== 0,
    sequenceNumber: (bytes[2]! << 8) | bytes[3]!,
    timestamp: ((bytes[4]! << 24) | (bytes[5]! << 16) | (bytes[6]! << 8) | bytes[7]!) >>> 0,
    ssrc: ((bytes[8]! << 24) | (bytes[9]! << 16) | (bytes[10]! << 8) | bytes[11]!) >>> 0,
    // a plain Uint8Array view even when `bytes` is a Node Buffer: Buffer's subarray() goes
    // through its subclass constructor (several times slower), and downstream code then sees
    // one kind of array only
    payload: new Uint8Array(bytes.buffer, bytes.byteOffset + offset, end - offset),
  };
}

/**
 * rtpPayloadStart checks the fixed header, the CSRC list and a header extension of an RTP
 * datagram (RFC 3550 §5.1, §5.3.1) and returns where the payload starts, or the rule broken.
 */
export function rtpPayloadStart(bytes: Uint8Array): number | RtpParseErrorCode {
  const length = bytes.length;
  if (length < RTP_HEADER_SIZE) return "RTP_TOO_SHORT";
  const b0 = bytes[0]!;
  if (b0 >> 6 !== 2) return "RTP_BAD_VERSION";
  let offset = RTP_HEADER_SIZE + (b0 & 0x0f) * 4;
  if (offset > length) return "RTP_BAD_CSRC_COUNT";
  if (b0 & 0x10) {
    // RFC 3550 §5.3.1: 16-bit profile id, 16-bit length in 32-bit words, then the words
    if (offset + 4 > length) return "RTP_BAD_EXTENSION";
    const words = (bytes[offset + 2]! << 8) | bytes[offset + 3]!;
    offset += 4 + words * 4;
    if (offset > length) return "RTP_BAD_EXTENSION";
  }
  return offset;
}

/**
 * rtpPayloadEnd returns where the payload of an RTP datagram ends, its padding removed (RFC 3550
 * §5.1), given where it starts (`rtpPayloadStart`), or "RTP_BAD_PADDING".
 */
export function rtpPayloadEnd(bytes: Uint8Array, start: number): number | RtpParseErrorCode {
  const length = bytes.length;
  if ((bytes[0]! & 0x20) === 0) return length;
  // RFC 3550 §5.1: the last octet counts the padding octets, itself included
  const pad = bytes[length - 1]!;
  if (pad === 0 || length - pad < start) return "RTP_BAD_PADDING";
  return length - pad;
}

const PARSE_MESSAGES: Record<RtpParseErrorCode, string> = {
  RTP_TOO_SHORT: "datagram shorter than the 12-byte fixed header (RFC 3550 §5.1)",
  RTP_BAD_VERSION: "version field is not 2 (RFC 3550 §5.1)",
  RTP_BAD_CSRC_COUNT: "CSRC list runs past the end of the datagram (RFC 3550 §5.1)",
  RTP_BAD_EXTENSION: "header extension runs past the end of the datagram (RFC 3550 §5.3.1)",
  RTP_BAD_PADDING: "padding count is 0 or larger than the payload (RFC 3550 §5.1)",
};

/** parseRtpPacket parses an RTP datagram, throwing a typed `RtpVideoError` when it is malformed. */
export function parseRtpPacket(bytes: Uint8Array): RtpPacket {
  const result = tryParseRtpPacket(bytes);
  if (typeof result === "string") throw new RtpVideoError(result, PARSE_MESSAGES[result]);
  return result;
}

/** RtpHeaderFields are the header fields `writeRtpPacket` serialises (no CSRC, no extension). */
export interface RtpHeaderFields {
  readonly payloadType: number;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly marker: boolean;
}

/** rtpPacketSize is the datagram size of a packet with a 12-byte header and `payloadLength` bytes. */
export function rtpPacketSize(payloadLength: number): number {
  return RTP_HEADER_SIZE + payloadLength;
}

/**
 * writeRtpHeader writes the 12-byte fixed header (RFC 3550 §5.1) into `out` at `offset`
 * and returns the offset just after it.
 */
export function writeRtpHeader(out: Uint8Array, offset: number, h: RtpHeaderFields): number {
  out[offset] = 0x80;
  out[offset + 1] = (h.marker ? 0x80 : 0) | (h.payloadType & 0x7f);
  out[offset + 2] = (h.sequenceNumber >>> 8) & 0xff;
  out[offset + 3] = h.sequenceNumber & 0xff;
  const ts = h.timestamp >>> 0;
  out[offset + 4] = ts >>> 24;
  out[offset + 5] = (ts >>> 16) & 0xff;
  out[offset + 6] = (ts >>> 8) & 0xff;
  out[offset + 7] = ts & 0xff;
  const ssrc = h.ssrc >>> 0;
  out[offset + 8] = ssrc >>> 24;
  out[offset + 9] = (ssrc >>> 16) & 0xff;
  out[offset + 10] = (ssrc >>> 8) & 0xff;
  out[offset + 11] = ssrc & 0xff;
  return offset + RTP_HEADER_SIZE;
}

/** serializeRtpPacket returns the datagram of a packet: fixed header then payload. */
export function serializeRtpPacket(packet: RtpPacket): Uint8Array {
  validateHeader(packet);
  const out = new Uint8Array(rtpPacketSize(packet.payload.length));
  const offset = writeRtpHeader(out, 0, packet);
  out.set(packet.payload, offset);
  return out;
}

function validateHeader(h: RtpHeaderFields): void {
  const bad =
    !Number.isInteger(h.payloadType) || h.payloadType < 0 || h.payloadType > 127
      ? "payloadType must be 0..127"
      : !Number.isInteger(h.sequenceNumber) || h.sequenceNumber < 0 || h.sequenceNumber > 0xffff
        ? "sequenceNumber must be 0..65535"
        : !Number.isInteger(h.timestamp) || h.timestamp < 0 || h.timestamp > 0xffffffff
          ? "timestamp must be 0..2^32-1"
          : !Number.isInteger(h.ssrc) || h.ssrc < 0 || h.ssrc > 0xffffffff
            ? "ssrc must be 0..2^32-1"
            : undefined;
  if (bad !== undefined) throw new RtpVideoError("RTP_BAD_FIELD", `${bad} (RFC 3550 §5.1)`);
}
