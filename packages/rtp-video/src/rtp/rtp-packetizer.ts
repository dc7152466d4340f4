import type { Packetizer, PayloadWriter } from "../codec.js";
import { RtpVideoError } from "../errors.js";
import { type RtpPacket, rtpPacketSize } from "./rtp-packet.js";

const SLAB_BYTES = 256 * 1024;
const EMPTY = new Uint8Array(0);
/** NO_FRAME is the (empty, never written) datagram list while no frame is being packetized. */
const NO_FRAME: Uint8Array[] = [];

import { type SequenceSource, sequenceFrom } from "./sequence.js";

/** RtpPacketizerOptions configure an RtpPacketizer. */
export interface RtpPacketizerOptions {
  /** packetizer of the stream's codec. */
  readonly packetizer: Packetizer;
  /** payloadType of the stream (0..127). */
  readonly payloadType: number;
  /** ssrc of the stream (0..2^32-1). */
  readonly ssrc: number;
  /** sequence hands out sequence numbers; default a random start (RFC 3550 §5.1). */
  readonly sequence?: SequenceSource;
}

/**
 * RtpPacketizer turns access units into complete RTP datagrams: codec payloads from its
 * Packetizer, each behind a 12-byte header with the next sequence number, the frame's timestamp,
 * and the marker bit on the last packet of the access unit (RFC 3550 §5.1, RFC 6184 §5.1).
 */
export class RtpPacketizer {
  /** payloadType written in every packet. */
  readonly payloadType: number;
  /** ssrc written in every packet. */
  readonly ssrc: number;
  private readonly packetizer: Packetizer;
  private readonly sequence: SequenceSource;
  // the header bytes that never change, kept as small integers (one field layout whatever the
  // SSRC): byte 1 without the marker, and the SSRC bytes
  private readonly ptByte: number;
  private readonly ssrc0: number;
  private readonly ssrc1: number;
  private readonly ssrc2: number;
  private readonly ssrc3: number;
  private slab = new Uint8Array(0);
  private slabUsed = 0;
  // the frame being packetized: its timestamp bytes and the datagrams made so far
  private t0 = 0;
  private t1 = 0;
  private t2 = 0;
  private t3 = 0;
  private frameOut: Uint8Array[] = NO_FRAME;
  /** writer appends one datagram (header, prefix, source range) to the frame's list. */
  private readonly writer: PayloadWriter = {
    payload: (prefix, prefixLength, source, start, end, last) => {
      const size = rtpPacketSize(prefixLength + end - start);
      if (this.slabUsed + size > this.slab.length) {
        this.slab = new Uint8Array(Math.max(SLAB_BYTES, size));
        this.slabUsed = 0;
      }
      const at = this.slabUsed;
      const slab = this.slab;
      this.slabUsed = at + size;
      const seq = this.sequence.next();
      slab[at] = 0x80;
      slab[at + 1] = last ? this.ptByte | 0x80 : this.ptByte;
      slab[at + 2] = seq >>> 8;
      slab[at + 3] = seq & 0xff;
      slab[at + 4] = this.t0;
      slab[at + 5] = this.t1;
      slab[at + 6] = this.t2;
      slab[at + 7] = this.t3;
      slab[at + 8] = this.ssrc0;
      slab[at + 9] = this.ssrc1;
      slab[at + 10] = this.ssrc2;
      slab[at + 11] = this.ssrc3;
      const body = at + 12;
      if (prefixLength > 16) {
        slab.set(prefix.subarray(0, prefixLength), body);
      } else {
        for (let i = 0; i < prefixLength; i++) slab[body + i] = prefix[i]!;
      }
      if (end > start) {
        slab.set(
          start === 0 && end === source.length ? source : source.subarray(start, end),
          body + prefixLength,
        );
      }
      this.frameOut.push(slab.subarray(at, at + size));
    },
  };

  constructor(options: RtpPacketizerOptions) {
    const { payloadType, ssrc } = options;
    if (!Number.isInteger(payloadType) || payloadType < 0 || payloadType > 127) {
      throw new RtpVideoError("BAD_OPTION", "payloadType must be an integer in 0..127");
    }
    if (!Number.isInteger(ssrc) || ssrc < 0 || ssrc > 0xffffffff) {
      throw new RtpVideoError("BAD_OPTION", "ssrc must be an integer in 0..2^32-1");
    }
    this.packetizer = options.packetizer;
    this.payloadType = payloadType;
    this.ssrc = ssrc;
    this.sequence = options.sequence ?? sequenceFrom();
    this.ptByte = payloadType;
    this.ssrc0 = ssrc >>> 24;
    this.ssrc1 = (ssrc >>> 16) & 0xff;
    this.ssrc2 = (ssrc >>> 8) & 0xff;
    this.ssrc3 = ssrc & 0xff;
  }

  /**
   * packetizeFrame returns the datagrams of one access unit sent with `rtpTimestamp`. They are
   * views carved from shared slabs (one allocation per 256 KiB, not per packet); each stays valid
   * as long as it is referenced. Each payload is written once, straight into its datagram, when
   * the codec's packetizer has `packetizeTo`.
   */
  packetizeFrame(accessUnit: Uint8Array, rtpTimestamp: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.frameOut = out;
    // RFC 3550 §5.1 header: the timestamp bytes are the same for every packet of the frame
    const timestamp = rtpTimestamp >>> 0;
    this.t0 = timestamp >>> 24;
    this.t1 = (timestamp >>> 16) & 0xff;
    this.t2 = (timestamp >>> 8) & 0xff;
    this.t3 = timestamp & 0xff;
    try {
      if (this.packetizer.packetizeTo !== undefined) {
        this.packetizer.packetizeTo(accessUnit, this.writer);
      } else {
        this.packetizer.packetize(accessUnit, (payload, last) =>
          this.writer.payload(EMPTY, 0, payload, 0, payload.length, last),
        );
      }
    } finally {
      this.frameOut = NO_FRAME;
    }
    return out;
  }

  /** packetizePackets returns the packets of one access unit as objects (payloads copied). */
  packetizePackets(accessUnit: Uint8Array, rtpTimestamp: number): RtpPacket[] {
    const out: RtpPacket[] = [];
    const timestamp = rtpTimestamp >>> 0;
    this.packetizer.packetize(accessUnit, (payload, last) => {
      out.push({
        payloadType: this.payloadType,
        sequenceNumber: this.sequence.next(),
        timestamp,
        ssrc: this.ssrc,
        marker: last,
        payload: new Uint8Array(payload), // a copy, even when the input is a Node Buffer
      });
    });
    return out;
  }
}
