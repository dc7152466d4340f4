import { lostFromNackPairs, type NackPair } from "./nack.js";
import {
  type FirEntry,
  PSFB_FMT_FIR,
  PSFB_FMT_PLI,
  RTCP_PT,
  RTPFB_FMT_NACK,
  type RtcpPacket,
  type RtcpParseErrorCode,
  type RtcpParseResult,
  type SdesChunk,
  type SdesItem,
} from "./types.js";
import { weriftParsePliBody, weriftParseRrBody, weriftParseSrBody } from "./werift-adapter.js";

const HEADER_SIZE = 4;
const REPORT_BLOCK_SIZE = 24;
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true }); // keep a leading U+FEFF

/**
 * parseRtcp parses a compound RTCP packet (RFC 3550 §6.1) without ever throwing.
 *
 * Each packet's common header is checked the way RFC 3550 §A.2 asks: version 2, a length field
 * (in 32-bit words minus one) that stays inside the datagram, and, when P is set, a padding count
 * between 1 and the body length. A framing error (`RTCP_TOO_SHORT`, `RTCP_BAD_VERSION`,
 * `RTCP_BAD_LENGTH`) stops parsing, since later offsets cannot be trusted; any other error only
 * voids its own packet, which is skipped by its length field. Each step moves at least 4 bytes
 * forward, so the work is linear in the datagram size.
 *
 * The first packet is not required to be an SR or RR, so reduced-size RTCP (RFC 5506) parses.
 * Padding is accepted on any packet (RFC 3550 only expects it on the last one).
 *
 * Per type:
 * - SR, RR: we check that the body holds RC report blocks (`RTCP_BAD_COUNT`), then werift-rtp
 *   parses the bounded body. Extra bytes (profile-specific extensions) are skipped.
 * - PLI: must be exactly the two SSRCs (length 2, RFC 4585 §6.3.1); werift-rtp parses it.
 * - SDES, BYE, APP, Generic NACK, FIR: our own code (werift drops BYE and APP, misreads SDES and
 *   NACK, and does not export its FIR; see werift-adapter.ts).
 * - Any other PT, or RTPFB/PSFB with another FMT: kept as {@link RtcpUnknown}.
 */
export function parseRtcp(bytes: Uint8Array): RtcpParseResult {
  const packets: RtcpPacket[] = [];
  const errors: RtcpParseErrorCode[] = [];
  const total = bytes.length;
  if (total === 0) errors.push("RTCP_TOO_SHORT");
  let offset = 0;
  while (offset < total) {
    if (total - offset < HEADER_SIZE) {
      errors.push("RTCP_TOO_SHORT");
      break;
    }
    const b0 = bytes[offset]!;
    if (b0 >> 6 !== 2) {
      errors.push("RTCP_BAD_VERSION");
      break;
    }
    const size = ((bytes[offset + 2]! << 8) | bytes[offset + 3]!) * 4 + HEADER_SIZE;
    if (offset + size > total) {
      errors.push("RTCP_BAD_LENGTH");
      break;
    }
    let end = offset + size;
    const next = end;
    if (b0 & 0x20) {
      // RFC 3550 §6.4.1: the last octet counts the padding octets, itself included
      const pad = bytes[end - 1]!;
      if (pad === 0 || pad > size - HEADER_SIZE) {
        errors.push("RTCP_BAD_PADDING");
        offset = next;
        continue;
      }
      end -= pad;
    }
    const result = parseOne(
      bytes[offset + 1]!,
      b0 & 0x1f,
      bytes.subarray(offset + HEADER_SIZE, end),
    );
    if (typeof result === "string") errors.push(result);
    else packets.push(result);
    offset = next;
  }
  return { packets, errors };
}

function parseOne(
  packetType: number,
  count: number,
  body: Uint8Array,
): RtcpPacket | RtcpParseErrorCode {
  switch (packetType) {
    case RTCP_PT.SR:
      if (body.length < 24 + count * REPORT_BLOCK_SIZE) return "RTCP_BAD_COUNT";
      return guarded(() => weriftParseSrBody(body, count), "RTCP_BAD_COUNT");
    case RTCP_PT.RR:
      if (body.length < 4 + count * REPORT_BLOCK_SIZE) return "RTCP_BAD_COUNT";
      return guarded(() => weriftParseRrBody(body, count), "RTCP_BAD_COUNT");
    case RTCP_PT.SDES:
      return parseSdes(body, count);
    case RTCP_PT.BYE:
      return parseBye(body, count);
    case RTCP_PT.APP:
      return parseApp(body, count);
    case RTCP_PT.RTPFB:
      if (body.length < 8) return "RTCP_BAD_FEEDBACK";
      if (count === RTPFB_FMT_NACK) return parseNack(body);
      break;
    case RTCP_PT.PSFB:
      if (body.length < 8) return "RTCP_BAD_FEEDBACK";
      if (count === PSFB_FMT_PLI) {
        if (body.length !== 8) return "RTCP_BAD_FEEDBACK";
        return guarded(() => weriftParsePliBody(body), "RTCP_BAD_FEEDBACK");
      }
      if (count === PSFB_FMT_FIR) return parseFir(body);
      break;
  }
  return { type: "unknown", packetType, count, body };
}

/** guarded runs a werift parser on a pre-validated body; a throw still becomes an error code. */
function guarded<T>(parse: () => T, code: RtcpParseErrorCode): T | RtcpParseErrorCode {
  try {
    return parse();
  } catch {
    return code;
  }
}

function u32(b: Uint8Array, i: number): number {
  return ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
}

/** RFC 3550 §6.5: SC chunks of SSRC + items, each list ended by nulls up to a 32-bit boundary. */
function parseSdes(body: Uint8Array, count: number): RtcpPacket | RtcpParseErrorCode {
  const chunks: SdesChunk[] = [];
  let pos = 0;
  for (let c = 0; c < count; c++) {
    if (pos + 4 > body.length) return "RTCP_BAD_SDES";
    const ssrc = u32(body, pos);
    pos += 4;
    const items: SdesItem[] = [];
    for (;;) {
      if (pos >= body.length) return "RTCP_BAD_SDES"; // no terminating null item
      const type = body[pos]!;
      if (type === 0) {
        pos = (pos + 4) & ~3; // the null, then nulls up to the next 32-bit boundary
        break;
      }
      if (pos + 2 > body.length) return "RTCP_BAD_SDES";
      const length = body[pos + 1]!;
      if (pos + 2 + length > body.length) return "RTCP_BAD_SDES";
      items.push({ type, text: utf8.decode(body.subarray(pos + 2, pos + 2 + length)) });
      pos += 2 + length;
    }
    chunks.push({ ssrc, items });
  }
  return { type: "sdes", chunks };
}

/** RFC 3550 §6.6: SC SSRC/CSRCs, then optionally a length octet and a reason. */
function parseBye(body: Uint8Array, count: number): RtcpPacket | RtcpParseErrorCode {
  const end = count * 4;
  if (end > body.length) return "RTCP_BAD_BYE";
  const ssrcs: number[] = [];
  for (let i = 0; i < end; i += 4) ssrcs.push(u32(body, i));
  if (end === body.length) return { type: "bye", ssrcs };
  const length = body[end]!;
  if (end + 1 + length > body.length) return "RTCP_BAD_BYE";
  return { type: "bye", ssrcs, reason: utf8.decode(body.subarray(end + 1, end + 1 + length)) };
}

/** RFC 3550 §6.7: SSRC, 4-octet name, data. */
function parseApp(body: Uint8Array, subtype: number): RtcpPacket | RtcpParseErrorCode {
  if (body.length < 8) return "RTCP_BAD_APP";
  const name = String.fromCharCode(body[4]!, body[5]!, body[6]!, body[7]!);
  return { type: "app", subtype, ssrc: u32(body, 0), name, data: body.subarray(8) };
}

/** RFC 4585 §6.2.1: sender and media SSRC, then one or more PID/BLP pairs. */
function parseNack(body: Uint8Array): RtcpPacket | RtcpParseErrorCode {
  const fci = body.length - 8;
  if (fci === 0 || fci % 4 !== 0) return "RTCP_BAD_FEEDBACK";
  const pairs: NackPair[] = [];
  for (let i = 8; i < body.length; i += 4) {
    pairs.push({ pid: (body[i]! << 8) | body[i + 1]!, blp: (body[i + 2]! << 8) | body[i + 3]! });
  }
  return {
    type: "nack",
    senderSsrc: u32(body, 0),
    mediaSsrc: u32(body, 4),
    lost: lostFromNackPairs(pairs),
  };
}

/**
 * RFC 5104 §4.3.1.1: sender SSRC, media SSRC (0, not checked: some senders put the target
 * there), then one or more entries of SSRC, 8-bit seq nr and 24 reserved bits.
 */
function parseFir(body: Uint8Array): RtcpPacket | RtcpParseErrorCode {
  const fci = body.length - 8;
  if (fci === 0 || fci % 8 !== 0) return "RTCP_BAD_FEEDBACK";
  const entries: FirEntry[] = [];
  for (let i = 8; i < body.length; i += 8) {
    entries.push({ ssrc: u32(body, i), sequenceNumber: body[i + 4]! });
  }
  return { type: "fir", senderSsrc: u32(body, 0), entries };
}
