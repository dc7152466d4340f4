import { RtpVideoError } from "../errors.js";
import { nackPairsFromLost } from "./nack.js";
import type {
  ReportBlock,
  RtcpApp,
  RtcpBye,
  RtcpFir,
  RtcpNack,
  RtcpPacket,
  RtcpSdes,
  RtcpUnknown,
} from "./types.js";
import { PSFB_FMT_FIR, RTCP_PT, RTPFB_FMT_NACK, SDES_ITEM } from "./types.js";
import { weriftSerializePli, weriftSerializeRr, weriftSerializeSr } from "./werift-adapter.js";

/** SerializeRtcpOptions tune {@link serializeRtcp}. */
export interface SerializeRtcpOptions {
  /**
   * cname, when given, adds an SDES packet with a CNAME item for the SSRC of the leading SR/RR
   * right after the leading SR/RR packets (RFC 3550 §6.1). The packets must not already hold an
   * SDES packet.
   */
  cname?: string;
  /**
   * reducedSize allows a first packet other than SR/RR (reduced-size RTCP, RFC 5506), e.g. a
   * lone NACK or PLI. Default false.
   */
  reducedSize?: boolean;
}

const MAX_WORDS = 0xffff;
const utf8 = new TextEncoder();

/**
 * serializeRtcp builds a compound RTCP packet (RFC 3550 §6.1) from `packets`, in the order
 * given: the first must be an SR or RR (unless `options.reducedSize`), and `options.cname` adds
 * the SDES CNAME after the leading SR/RR packets. No padding is added.
 *
 * SR, RR and PLI are serialised by werift-rtp; SDES, BYE, APP, Generic NACK, FIR and unknown
 * packets by our own code (see werift-adapter.ts for why).
 *
 * Throws `RtpVideoError("BAD_OPTION")` when the list breaks those rules or a field is out of
 * range (see {@link serializeRtcpPacket}).
 */
export function serializeRtcp(
  packets: readonly RtcpPacket[],
  options: SerializeRtcpOptions = {},
): Uint8Array {
  if (packets.length === 0) bad("a compound RTCP packet needs at least one packet");
  const first = packets[0]!;
  const leadingReport = first.type === "sr" || first.type === "rr";
  if (!leadingReport && options.reducedSize !== true) {
    bad(`a compound RTCP packet starts with an SR or RR, not ${first.type} (RFC 3550 §6.1)`);
  }
  let list = packets;
  if (options.cname !== undefined) {
    if (!leadingReport) bad("options.cname needs an SR or RR first, to take its SSRC");
    if (packets.some((p) => p.type === "sdes")) {
      bad("options.cname given but the packets already hold an SDES packet");
    }
    let at = 1;
    while (at < packets.length && (packets[at]!.type === "sr" || packets[at]!.type === "rr")) at++;
    const sdes: RtcpSdes = {
      type: "sdes",
      chunks: [{ ssrc: first.ssrc, items: [{ type: SDES_ITEM.CNAME, text: options.cname }] }],
    };
    list = [...packets.slice(0, at), sdes, ...packets.slice(at)];
  }
  const parts = list.map(serializeRtcpPacket);
  let size = 0;
  for (const part of parts) size += part.length;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * serializeRtcpPacket serialises one RTCP packet, without the compound rules of
 * {@link serializeRtcp}.
 *
 * Throws `RtpVideoError("BAD_OPTION")` when a field is out of range: SSRCs, timestamps and
 * counts not in 0..2^32-1, more than 31 report blocks / chunks / BYE sources, a report block
 * field out of range, an SDES item of type 0 or longer than 255 bytes, a BYE reason longer than
 * 255 bytes, an APP subtype not in 0..31 or name not 4 one-octet characters or data not a
 * multiple of 4 bytes, an empty NACK or FIR, a FIR seq nr not in 0..255, an unknown packet with
 * a bad type/count or a body not a multiple of 4 bytes, or a packet longer than 65535 words.
 */
export function serializeRtcpPacket(packet: RtcpPacket): Uint8Array {
  switch (packet.type) {
    case "sr":
      checkU32(packet.ssrc, "SR ssrc");
      checkU32(packet.ntpTime.sec, "SR ntpTime.sec");
      checkU32(packet.ntpTime.frac, "SR ntpTime.frac");
      checkU32(packet.rtpTimestamp, "SR rtpTimestamp");
      checkU32(packet.packetCount, "SR packetCount");
      checkU32(packet.octetCount, "SR octetCount");
      checkBlocks(packet.reports);
      return weriftSerializeSr(packet);
    case "rr":
      checkU32(packet.ssrc, "RR ssrc");
      checkBlocks(packet.reports);
      return weriftSerializeRr(packet);
    case "pli":
      checkU32(packet.senderSsrc, "PLI senderSsrc");
      checkU32(packet.mediaSsrc, "PLI mediaSsrc");
      return weriftSerializePli(packet);
    case "sdes":
      return serializeSdes(packet);
    case "bye":
      return serializeBye(packet);
    case "app":
      return serializeApp(packet);
    case "nack":
      return serializeNack(packet);
    case "fir":
      return serializeFir(packet);
    case "unknown":
      return serializeUnknown(packet);
  }
}

function bad(message: string): never {
  throw new RtpVideoError("BAD_OPTION", message);
}

function checkUint(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) bad(`${what} must be 0..${max}`);
}

function checkU32(value: number, what: string): void {
  checkUint(value, 0xffffffff, what);
}

function checkCount(n: number, what: string): void {
  if (n > 31) bad(`at most 31 ${what} fit the 5-bit count (RFC 3550 §6.4.1)`);
}

function checkBlocks(blocks: readonly ReportBlock[]): void {
  checkCount(blocks.length, "report blocks");
  for (const b of blocks) {
    checkU32(b.ssrc, "report block ssrc");
    checkUint(b.fractionLost, 255, "report block fractionLost");
    const lost = b.cumulativeLost;
    if (!Number.isInteger(lost) || lost < -0x800000 || lost > 0x7fffff) {
      bad("report block cumulativeLost must be a signed 24-bit integer");
    }
    checkU32(b.highestSequence, "report block highestSequence");
    checkU32(b.jitter, "report block jitter");
    checkU32(b.lastSr, "report block lastSr");
    checkU32(b.delaySinceLastSr, "report block delaySinceLastSr");
  }
}

/** newPacket allocates a packet of `bodyBytes` (a multiple of 4) and writes its header. */
function newPacket(packetType: number, count: number, bodyBytes: number): Uint8Array {
  const words = bodyBytes / 4;
  if (words > MAX_WORDS) bad(`packet body of ${bodyBytes} bytes exceeds 65535 words`);
  const out = new Uint8Array(4 + bodyBytes);
  out[0] = 0x80 | count;
  out[1] = packetType;
  out[2] = words >>> 8;
  out[3] = words & 0xff;
  return out;
}

function put32(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24;
  out[at + 1] = (v >>> 16) & 0xff;
  out[at + 2] = (v >>> 8) & 0xff;
  out[at + 3] = v & 0xff;
}

/**
 * RFC 3550 §6.5, our code: each chunk is SSRC, items, then 1-4 null octets (the end-of-list item
 * plus padding to 32 bits). werift omits the null when the items end on a 32-bit boundary.
 */
function serializeSdes(p: RtcpSdes): Uint8Array {
  checkCount(p.chunks.length, "SDES chunks");
  const encoded = p.chunks.map((chunk) => {
    checkU32(chunk.ssrc, "SDES chunk ssrc");
    return chunk.items.map((item) => {
      checkUint(item.type, 255, "SDES item type");
      if (item.type === 0) bad("SDES item type 0 is the list terminator, not an item");
      const text = utf8.encode(item.text);
      if (text.length > 255) bad("an SDES item holds at most 255 bytes of text");
      return { type: item.type, text };
    });
  });
  const chunkSize = (items: readonly { text: Uint8Array }[]): number => {
    let n = 4;
    for (const item of items) n += 2 + item.text.length;
    return (n + 4) & ~3; // at least one null, up to the next 32-bit boundary
  };
  let body = 0;
  for (const items of encoded) body += chunkSize(items);
  const out = newPacket(RTCP_PT.SDES, p.chunks.length, body);
  let at = 4;
  p.chunks.forEach((chunk, i) => {
    const items = encoded[i]!;
    const next = at + chunkSize(items);
    put32(out, at, chunk.ssrc);
    at += 4;
    for (const item of items) {
      out[at] = item.type;
      out[at + 1] = item.text.length;
      out.set(item.text, at + 2);
      at += 2 + item.text.length;
    }
    at = next; // the nulls are already zero
  });
  return out;
}

/** RFC 3550 §6.6, our code (werift has no BYE): sources, then length + reason, null-padded. */
function serializeBye(p: RtcpBye): Uint8Array {
  checkCount(p.ssrcs.length, "BYE sources");
  for (const ssrc of p.ssrcs) checkU32(ssrc, "BYE ssrc");
  const reason = p.reason === undefined ? undefined : utf8.encode(p.reason);
  if (reason !== undefined && reason.length > 255) bad("a BYE reason holds at most 255 bytes");
  const reasonBytes = reason === undefined ? 0 : (1 + reason.length + 3) & ~3;
  const out = newPacket(RTCP_PT.BYE, p.ssrcs.length, p.ssrcs.length * 4 + reasonBytes);
  let at = 4;
  for (const ssrc of p.ssrcs) {
    put32(out, at, ssrc);
    at += 4;
  }
  if (reason !== undefined) {
    out[at] = reason.length;
    out.set(reason, at + 1);
  }
  return out;
}

/** RFC 3550 §6.7, our code (werift has no APP): SSRC, 4-octet name, data. */
function serializeApp(p: RtcpApp): Uint8Array {
  checkUint(p.subtype, 31, "APP subtype");
  checkU32(p.ssrc, "APP ssrc");
  const name = p.name;
  let oneOctet = name.length === 4;
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) > 0xff) oneOctet = false;
  if (!oneOctet) {
    bad("APP name must be 4 characters of one octet each (RFC 3550 §6.7)");
  }
  if (p.data.length % 4 !== 0) bad("APP data must be a multiple of 32 bits (RFC 3550 §6.7)");
  const out = newPacket(RTCP_PT.APP, p.subtype, 8 + p.data.length);
  put32(out, 4, p.ssrc);
  for (let i = 0; i < 4; i++) out[8 + i] = name.charCodeAt(i);
  out.set(p.data, 12);
  return out;
}

/** RFC 4585 §6.2.1, our code: PID/BLP pairs built with the 65535 → 0 wrap (see nack.ts). */
function serializeNack(p: RtcpNack): Uint8Array {
  checkU32(p.senderSsrc, "NACK senderSsrc");
  checkU32(p.mediaSsrc, "NACK mediaSsrc");
  const pairs = nackPairsFromLost(p.lost);
  const out = newPacket(RTCP_PT.RTPFB, RTPFB_FMT_NACK, 8 + pairs.length * 4);
  put32(out, 4, p.senderSsrc);
  put32(out, 8, p.mediaSsrc);
  let at = 12;
  for (const { pid, blp } of pairs) {
    out[at] = pid >>> 8;
    out[at + 1] = pid & 0xff;
    out[at + 2] = blp >>> 8;
    out[at + 3] = blp & 0xff;
    at += 4;
  }
  return out;
}

/**
 * RFC 5104 §4.3.1.1, our code (werift's FullIntraRequest is not exported and gets the length
 * wrong): PSFB FMT=4, media source SSRC 0, entries of SSRC + seq nr + 3 reserved zero octets.
 */
function serializeFir(p: RtcpFir): Uint8Array {
  checkU32(p.senderSsrc, "FIR senderSsrc");
  if (p.entries.length === 0) bad("a FIR needs at least one FCI entry (RFC 5104 §4.3.1.1)");
  for (const e of p.entries) {
    checkU32(e.ssrc, "FIR entry ssrc");
    checkUint(e.sequenceNumber, 255, "FIR entry sequenceNumber");
  }
  const out = newPacket(RTCP_PT.PSFB, PSFB_FMT_FIR, 8 + p.entries.length * 8);
  put32(out, 4, p.senderSsrc);
  // media source SSRC (bytes 8..11) stays 0
  let at = 12;
  for (const e of p.entries) {
    put32(out, at, e.ssrc);
    out[at + 4] = e.sequenceNumber;
    at += 8;
  }
  return out;
}

/** Unknown packets are written back as they were read: header fields + raw body. */
function serializeUnknown(p: RtcpUnknown): Uint8Array {
  checkUint(p.packetType, 255, "unknown packetType");
  checkUint(p.count, 31, "unknown count");
  if (p.body.length % 4 !== 0) bad("an unknown packet's body must be a multiple of 32 bits");
  const out = newPacket(p.packetType, p.count, p.body.length);
  out.set(p.body, 4);
  return out;
}
