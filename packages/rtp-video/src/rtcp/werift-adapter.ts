/**
 * The one place that talks to werift-rtp 0.8.9: it works on Node Buffers, our API on
 * Uint8Arrays, so bytes are converted here (views in, copies out) and no werift type leaves
 * this file.
 *
 * What werift is used for, and why only that (each claim is checked in rtcp.test.ts):
 * - SR, RR and PLI: serialised by werift (`RtcpSrPacket`, `RtcpRrPacket`,
 *   `RtcpPayloadSpecificFeedback` + `PictureLossIndication`), and their bodies parsed by werift's
 *   `deSerialize`, but only once `parse.ts` has checked the header, padding and that the body is
 *   long enough for the report count (werift checks none of these, see below).
 * - Not werift's compound parser `RtcpPacketConverter.deSerialize`: it throws a RangeError on a
 *   trailing fragment of 1-3 bytes, never checks the version, hands every packet the rest of the
 *   datagram instead of its own `length` (an RR whose RC says 1 but whose length holds no block
 *   reads its block from the next packet, an SDES reads the next packets as items), takes the
 *   padding count from the end of the datagram, and drops BYE and APP silently.
 * - Not werift's SDES: `SourceDescriptionChunk.serialize` omits the null item terminating the
 *   item list when the items end on a 32-bit boundary (RFC 3550 §6.5 says it MUST be there;
 *   Wireshark reports such a packet as malformed); its parser recomputes item lengths from the
 *   re-encoded text, so invalid UTF-8 shifts every following item.
 * - Not werift's Generic NACK: `serialize` and `deSerialize` do not wrap at 65535 (PID 65535 with
 *   BLP bit 0 is read as 65536), see nack.ts.
 * - Not werift's FIR: `FullIntraRequest` is not exported by the package, and its `length` is one
 *   word short (a FIR with one entry gets length 3 instead of 4, which Wireshark flags).
 * - BYE and APP: werift has no class for them.
 */
import {
  PictureLossIndication,
  RtcpPayloadSpecificFeedback,
  RtcpReceiverInfo,
  RtcpRrPacket,
  RtcpSenderInfo,
  RtcpSrPacket,
} from "werift-rtp";
import type { ReportBlock, RtcpPli, RtcpReceiverReport, RtcpSenderReport } from "./types.js";

/** toBuffer wraps a Uint8Array as a Buffer sharing its memory (no copy). */
function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** toBytes copies a werift Buffer into a plain Uint8Array. */
function toBytes(buf: Uint8Array): Uint8Array {
  const out = new Uint8Array(buf.byteLength);
  out.set(buf);
  return out;
}

function toWeriftBlock(block: ReportBlock): RtcpReceiverInfo {
  return new RtcpReceiverInfo({
    ssrc: block.ssrc,
    fractionLost: block.fractionLost,
    // werift writes the field with writeUIntBE(…, 3): pass the 24-bit two's complement
    packetsLost: block.cumulativeLost & 0xffffff,
    highestSequence: block.highestSequence,
    jitter: block.jitter,
    lsr: block.lastSr,
    dlsr: block.delaySinceLastSr,
  });
}

function fromWeriftBlock(info: RtcpReceiverInfo): ReportBlock {
  const lost = info.packetsLost;
  return {
    ssrc: info.ssrc,
    fractionLost: info.fractionLost,
    cumulativeLost: lost >= 0x800000 ? lost - 0x1000000 : lost,
    highestSequence: info.highestSequence,
    jitter: info.jitter,
    lastSr: info.lsr,
    delaySinceLastSr: info.dlsr,
  };
}

/** weriftSerializeSr serialises a validated SR (fields in range, at most 31 blocks). */
export function weriftSerializeSr(sr: RtcpSenderReport): Uint8Array {
  const packet = new RtcpSrPacket({
    ssrc: sr.ssrc,
    senderInfo: new RtcpSenderInfo({
      ntpTimestamp: (BigInt(sr.ntpTime.sec) << 32n) | BigInt(sr.ntpTime.frac),
      rtpTimestamp: sr.rtpTimestamp,
      packetCount: sr.packetCount,
      octetCount: sr.octetCount,
    }),
    reports: sr.reports.map(toWeriftBlock),
  });
  return toBytes(packet.serialize());
}

/** weriftSerializeRr serialises a validated RR (fields in range, at most 31 blocks). */
export function weriftSerializeRr(rr: RtcpReceiverReport): Uint8Array {
  const packet = new RtcpRrPacket({ ssrc: rr.ssrc, reports: rr.reports.map(toWeriftBlock) });
  return toBytes(packet.serialize());
}

/** weriftSerializePli serialises a validated PLI. */
export function weriftSerializePli(pli: RtcpPli): Uint8Array {
  const packet = new RtcpPayloadSpecificFeedback({
    feedback: new PictureLossIndication({
      senderSsrc: pli.senderSsrc,
      mediaSsrc: pli.mediaSsrc,
    }),
  });
  return toBytes(packet.serialize());
}

/**
 * weriftParseSrBody parses an SR body (after the 4-byte header, padding removed). The caller
 * has checked `body.length >= 24 + 24 * count`.
 */
export function weriftParseSrBody(body: Uint8Array, count: number): RtcpSenderReport {
  const sr = RtcpSrPacket.deSerialize(toBuffer(body), count);
  const ntp = sr.senderInfo.ntpTimestamp;
  return {
    type: "sr",
    ssrc: sr.ssrc,
    ntpTime: { sec: Number(ntp >> 32n), frac: Number(ntp & 0xffff_ffffn) },
    rtpTimestamp: sr.senderInfo.rtpTimestamp,
    packetCount: sr.senderInfo.packetCount,
    octetCount: sr.senderInfo.octetCount,
    reports: sr.reports.map(fromWeriftBlock),
  };
}

/**
 * weriftParseRrBody parses an RR body (after the 4-byte header, padding removed). The caller
 * has checked `body.length >= 4 + 24 * count`.
 */
export function weriftParseRrBody(body: Uint8Array, count: number): RtcpReceiverReport {
  const rr = RtcpRrPacket.deSerialize(toBuffer(body), count);
  return { type: "rr", ssrc: rr.ssrc, reports: rr.reports.map(fromWeriftBlock) };
}

/** weriftParsePliBody parses a PLI body; the caller has checked it is exactly 8 bytes. */
export function weriftParsePliBody(body: Uint8Array): RtcpPli {
  const pli = PictureLossIndication.deSerialize(toBuffer(body));
  return { type: "pli", senderSsrc: pli.senderSsrc, mediaSsrc: pli.mediaSsrc };
}
