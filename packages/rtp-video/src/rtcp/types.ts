/**
 * RTCP packet types (RFC 3550 §6.4–6.6, RFC 4585 §6.1–6.3, RFC 5104 §4.3.1).
 *
 * Every number is an unsigned 32-bit value unless its TSDoc says otherwise. Byte fields are
 * `Uint8Array`s; parsed ones are views into the datagram, not copies.
 */

/** RTCP_PT lists the RTCP packet types this module parses (RFC 3550 §12.1, RFC 4585 §6.1). */
export const RTCP_PT = {
  /** Sender report (RFC 3550 §6.4.1). */
  SR: 200,
  /** Receiver report (RFC 3550 §6.4.2). */
  RR: 201,
  /** Source description (RFC 3550 §6.5). */
  SDES: 202,
  /** Goodbye (RFC 3550 §6.6). */
  BYE: 203,
  /** Application-defined (RFC 3550 §6.7). */
  APP: 204,
  /** Transport-layer feedback (RFC 4585 §6.2). */
  RTPFB: 205,
  /** Payload-specific feedback (RFC 4585 §6.3). */
  PSFB: 206,
} as const;

/** RTPFB_FMT_NACK is the FMT of a Generic NACK (RFC 4585 §6.2.1). */
export const RTPFB_FMT_NACK = 1;
/** PSFB_FMT_PLI is the FMT of a Picture Loss Indication (RFC 4585 §6.3.1). */
export const PSFB_FMT_PLI = 1;
/** PSFB_FMT_FIR is the FMT of a Full Intra Request (RFC 5104 §4.3.1.1). */
export const PSFB_FMT_FIR = 4;

/** SDES_ITEM lists the SDES item types of RFC 3550 §6.5 (0 ends a chunk's item list). */
export const SDES_ITEM = {
  CNAME: 1,
  NAME: 2,
  EMAIL: 3,
  PHONE: 4,
  LOC: 5,
  TOOL: 6,
  NOTE: 7,
  PRIV: 8,
} as const;

/**
 * NtpTime is a 64-bit NTP timestamp (RFC 3550 §4): `sec` whole seconds since 1900-01-01 UTC
 * (modulo 2^32) and `frac` the fraction of a second in units of 2^-32 s.
 */
export interface NtpTime {
  readonly sec: number;
  readonly frac: number;
}

/** ReportBlock is one reception report block of an SR or RR (RFC 3550 §6.4.1). */
export interface ReportBlock {
  /** ssrc is the source this block reports on. */
  readonly ssrc: number;
  /** fractionLost is the fraction lost since the previous report, in 1/256 (0..255). */
  readonly fractionLost: number;
  /** cumulativeLost is the signed 24-bit cumulative number of packets lost (-2^23..2^23-1). */
  readonly cumulativeLost: number;
  /** highestSequence is the extended highest sequence number received (cycles << 16 | seq). */
  readonly highestSequence: number;
  /** jitter is the interarrival jitter in RTP timestamp units (RFC 3550 §6.4.1, §A.8). */
  readonly jitter: number;
  /** lastSr is the middle 32 bits of the NTP time of the last SR received (0 if none). */
  readonly lastSr: number;
  /** delaySinceLastSr is the delay since that SR in units of 1/65536 s (0 if none). */
  readonly delaySinceLastSr: number;
}

/** RtcpSenderReport is an SR packet (PT=200, RFC 3550 §6.4.1). */
export interface RtcpSenderReport {
  readonly type: "sr";
  /** ssrc is the sender's SSRC. */
  readonly ssrc: number;
  /** ntpTime is the wallclock time at which this report was sent. */
  readonly ntpTime: NtpTime;
  /** rtpTimestamp is the RTP timestamp matching `ntpTime`. */
  readonly rtpTimestamp: number;
  /** packetCount is the sender's packet count. */
  readonly packetCount: number;
  /** octetCount is the sender's payload octet count. */
  readonly octetCount: number;
  /**
   * reports are the reception report blocks (at most 31). Profile-specific extensions after the
   * blocks are skipped when parsing.
   */
  readonly reports: readonly ReportBlock[];
}

/** RtcpReceiverReport is an RR packet (PT=201, RFC 3550 §6.4.2). */
export interface RtcpReceiverReport {
  readonly type: "rr";
  /** ssrc is the reporter's SSRC. */
  readonly ssrc: number;
  /** reports are the reception report blocks (at most 31; none is valid). */
  readonly reports: readonly ReportBlock[];
}

/** SdesItem is one SDES item (RFC 3550 §6.5): a type 1..255 and its UTF-8 text. */
export interface SdesItem {
  /** type is the item type (see {@link SDES_ITEM}); 0 is the list terminator and never an item. */
  readonly type: number;
  /** text is the item's value decoded as UTF-8 (at most 255 bytes once encoded). */
  readonly text: string;
}

/** SdesChunk is the list of SDES items describing one SSRC or CSRC. */
export interface SdesChunk {
  readonly ssrc: number;
  readonly items: readonly SdesItem[];
}

/** RtcpSdes is an SDES packet (PT=202, RFC 3550 §6.5) with at most 31 chunks. */
export interface RtcpSdes {
  readonly type: "sdes";
  readonly chunks: readonly SdesChunk[];
}

/** RtcpBye is a BYE packet (PT=203, RFC 3550 §6.6). */
export interface RtcpBye {
  readonly type: "bye";
  /** ssrcs are the sources leaving (at most 31). */
  readonly ssrcs: readonly number[];
  /** reason is the optional reason for leaving (at most 255 bytes of UTF-8). */
  readonly reason?: string;
}

/** RtcpApp is an APP packet (PT=204, RFC 3550 §6.7). */
export interface RtcpApp {
  readonly type: "app";
  /** subtype is the 5-bit subtype (0..31). */
  readonly subtype: number;
  readonly ssrc: number;
  /** name is the 4-character name, one character per octet (char codes 0..255). */
  readonly name: string;
  /** data is the application-dependent data; its length is a multiple of 4. */
  readonly data: Uint8Array;
}

/** RtcpNack is a Generic NACK (RTPFB, FMT=1, RFC 4585 §6.2.1). */
export interface RtcpNack {
  readonly type: "nack";
  readonly senderSsrc: number;
  readonly mediaSsrc: number;
  /**
   * lost are the 16-bit sequence numbers reported lost. Parsing expands the PID/BLP pairs and
   * drops duplicates; serialising packs them into pairs (see `nackPairsFromLost`).
   */
  readonly lost: readonly number[];
}

/** RtcpPli is a Picture Loss Indication (PSFB, FMT=1, RFC 4585 §6.3.1). */
export interface RtcpPli {
  readonly type: "pli";
  readonly senderSsrc: number;
  readonly mediaSsrc: number;
}

/** FirEntry is one FCI entry of a FIR (RFC 5104 §4.3.1.1). */
export interface FirEntry {
  /** ssrc is the media sender asked for a decoder refresh point. */
  readonly ssrc: number;
  /** sequenceNumber is the 8-bit command sequence number (0..255). */
  readonly sequenceNumber: number;
}

/**
 * RtcpFir is a Full Intra Request (PSFB, FMT=4, RFC 5104 §4.3.1). Its media source SSRC field is
 * always 0 (RFC 5104 §4.3.1.1); the targets are in `entries`.
 */
export interface RtcpFir {
  readonly type: "fir";
  readonly senderSsrc: number;
  /** entries are the FCI entries (at least one). */
  readonly entries: readonly FirEntry[];
}

/**
 * RtcpUnknown is any other well-framed packet (XR, RTPFB/PSFB with another FMT such as TWCC or
 * REMB, ...), kept as raw bytes so a caller can count or forward it.
 */
export interface RtcpUnknown {
  readonly type: "unknown";
  /** packetType is the 8-bit PT. */
  readonly packetType: number;
  /** count is the 5-bit RC/SC/FMT/subtype field. */
  readonly count: number;
  /** body is everything after the 4-byte header, padding removed (a multiple of 4 to serialise). */
  readonly body: Uint8Array;
}

/** RtcpPacket is one packet of a compound RTCP packet. */
export type RtcpPacket =
  | RtcpSenderReport
  | RtcpReceiverReport
  | RtcpSdes
  | RtcpBye
  | RtcpApp
  | RtcpNack
  | RtcpPli
  | RtcpFir
  | RtcpUnknown;

/**
 * RtcpParseErrorCode lists why (part of) a compound RTCP packet was rejected:
 * - `RTCP_TOO_SHORT`: fewer than 4 bytes left for a common header (or an empty datagram);
 * - `RTCP_BAD_VERSION`: version field is not 2 (RFC 3550 §6.4.1);
 * - `RTCP_BAD_LENGTH`: the length field runs past the end of the datagram (RFC 3550 §6.4.1);
 * - `RTCP_BAD_PADDING`: padding count is 0 or larger than the packet body (RFC 3550 §6.4.1);
 * - `RTCP_BAD_COUNT`: the SR/RR reception report count needs more bytes than the length gives;
 * - `RTCP_BAD_SDES`: SC chunks do not fit, or an item or chunk is not terminated (RFC 3550 §6.5);
 * - `RTCP_BAD_BYE`: SC sources or the reason do not fit (RFC 3550 §6.6);
 * - `RTCP_BAD_APP`: shorter than SSRC + name (RFC 3550 §6.7);
 * - `RTCP_BAD_FEEDBACK`: RTPFB/PSFB shorter than its two SSRCs, or an FCI of the wrong size for
 *   NACK (RFC 4585 §6.2.1), PLI (§6.3.1) or FIR (RFC 5104 §4.3.1.1).
 *
 * The first three break the framing, so parsing stops there; the others only void their own
 * packet, which is skipped by its length field.
 */
export type RtcpParseErrorCode =
  | "RTCP_TOO_SHORT"
  | "RTCP_BAD_VERSION"
  | "RTCP_BAD_LENGTH"
  | "RTCP_BAD_PADDING"
  | "RTCP_BAD_COUNT"
  | "RTCP_BAD_SDES"
  | "RTCP_BAD_BYE"
  | "RTCP_BAD_APP"
  | "RTCP_BAD_FEEDBACK";

/** RtcpParseResult is what `parseRtcp` returns: the packets it could read and why it stopped. */
export interface RtcpParseResult {
  packets: RtcpPacket[];
  errors: RtcpParseErrorCode[];
}
