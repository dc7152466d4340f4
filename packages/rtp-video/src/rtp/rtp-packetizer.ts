import type { Packetizer } from "../codec.js";
import { RtpVideoError } from "../errors.js";
import {
  type RtpHeaderFields,
  type RtpPacket,
  rtpPacketSize,
  writeRtpHeader,
} from "./rtp-packet.js";

const SLAB_BYTES = 256 * 1024;

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
  private readonly header: { -readonly [K in keyof RtpHeaderFields]: RtpHeaderFields[K] };
  private slab = new Uint8Array(0);
  private slabUsed = 0;

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
    this.header = { payloadType, sequenceNumber: 0, timestamp: 0, ssrc, marker: false };
  }

  /**
   * packetizeFrame returns the datagrams of one access unit sent with `rtpTimestamp`. They are
   * views carved from shared slabs (one allocation per 256 KiB, not per packet); each stays valid
   * as long as it is referenced.
   */
  packetizeFrame(accessUnit: Uint8Array, rtpTimestamp: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    const timestamp = rtpTimestamp >>> 0;
    this.packetizer.packetize(accessUnit, (payload, last) => {
      const size = rtpPacketSize(payload.length);
      if (this.slabUsed + size > this.slab.length) {
        this.slab = new Uint8Array(Math.max(SLAB_BYTES, size));
        this.slabUsed = 0;
      }
      const datagram = this.slab.subarray(this.slabUsed, this.slabUsed + size);
      this.slabUsed += size;
      this.header.sequenceNumber = this.sequence.next();
      this.header.timestamp = timestamp;
      this.header.marker = last;
      datagram.set(payload, writeRtpHeader(datagram, 0, this.header));
      out.push(datagram);
    });
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
