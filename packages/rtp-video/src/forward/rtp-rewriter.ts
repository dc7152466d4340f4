import { RtpVideoError } from "../errors.js";
import type { RtpPacket } from "../rtp/rtp-packet.js";
import type { VideoCodec } from "../video-frame.js";
import { type KeyframeStartTest, keyframeStartTest } from "./keyframe-start.js";

/** RtpRewriterOptions configure an RtpRewriter. */
export interface RtpRewriterOptions {
  /** ssrc of the outgoing stream (e.g. the sending session's `ssrc`). */
  readonly ssrc: number;
  /** payloadType of the outgoing stream; default: each packet keeps its own. */
  readonly payloadType?: number;
  /** codec of the stream, for the keyframe gate; default "h264". */
  readonly codec?: VideoCodec;
  /** isKeyframeStart overrides the codec's keyframe-start test (see `keyframeStartTest`). */
  readonly isKeyframeStart?: KeyframeStartTest;
  /** keyframeGate: start (and switch) only at a keyframe's first packet; default true. */
  readonly keyframeGate?: boolean;
  /** clockRate of the RTP timestamps; default 90000. */
  readonly clockRate?: number;
  /** sequenceStart is the first outgoing sequence number; default random (RFC 3550 §5.1). */
  readonly sequenceStart?: number;
  /** timestampStart is the first outgoing timestamp; default random (RFC 3550 §5.1). */
  readonly timestampStart?: number;
  /** now gives the time in ms, to advance the timestamp across a switch; default performance.now. */
  readonly now?: () => number;
  /** random draws the default starts; default Math.random. */
  readonly random?: () => number;
}

/** RtpRewriterStats count what an RtpRewriter did with the packets it was given. */
export interface RtpRewriterStats {
  /** forwarded: packets rewritten onto the outgoing stream. */
  forwarded: number;
  /** gated: packets of the selected source dropped while waiting for a keyframe's first packet. */
  gated: number;
  /** switches: times a source (or a new SSRC of it) became the one forwarded, the first included. */
  switches: number;
  /**
   * dropped: packets of a source not selected, of an SSRC no longer forwarded, or older than the
   * packet the current source was switched in at (they would collide with earlier numbers).
   */
  dropped: number;
}

/**
 * RtpRewriter maps incoming RTP packets onto one outgoing stream, packet by packet, without
 * assembling frames (an RTP translator, RFC 3550 §7.1, that switches between sources): the
 * outgoing stream has its own SSRC, its sequence numbers run on without a break across source
 * switches, and its timestamps keep advancing (by the wall time between the last packet of one
 * source and the first of the next). A source is any number the caller picks (default 0: one
 * input); a new SSRC on it counts as a switch. A switch happens only at the first packet of a
 * keyframe (`keyframeGate`): until then the previous source goes on being forwarded and the new
 * one's packets are `gated`. Reordering is kept: a late packet takes the number it would have had.
 * Pure and synchronous: no socket, no timer; time comes from `now`.
 */
export class RtpRewriter {
  /** stats are live counters. */
  readonly stats: RtpRewriterStats = { forwarded: 0, gated: 0, switches: 0, dropped: 0 };
  /** ssrc of the outgoing stream. */
  readonly ssrc: number;
  private readonly payloadType: number;
  private readonly isStart: KeyframeStartTest;
  private readonly gate: boolean;
  private readonly clockRate: number;
  private readonly now: () => number;
  private readonly b8: number;
  private readonly b9: number;
  private readonly b10: number;
  private readonly b11: number;
  /** the segment forwarded now: its source, SSRC, first incoming (extended) number. */
  private curSource: number | undefined;
  private curSsrc = 0;
  private startExt = 0;
  private highestExt = 0;
  /** outStart: the (extended) outgoing number of the segment's first packet. */
  private outStart: number;
  private tsOffset = 0;
  /** the newest outgoing timestamp and when it was first sent. */
  private lastTs: number;
  private lastTsAt = 0;
  private pending: number | undefined;

  constructor(options: RtpRewriterOptions) {
    const ssrc = options.ssrc;
    if (!Number.isInteger(ssrc) || ssrc < 0 || ssrc > 0xffffffff) {
      throw new RtpVideoError("BAD_OPTION", "ssrc must be a 32-bit unsigned integer");
    }
    const pt = options.payloadType;
    if (pt !== undefined && (!Number.isInteger(pt) || pt < 0 || pt > 127)) {
      throw new RtpVideoError("BAD_OPTION", "payloadType must be 0..127");
    }
    this.ssrc = ssrc >>> 0;
    this.payloadType = pt ?? -1;
    this.isStart = options.isKeyframeStart ?? keyframeStartTest(options.codec ?? "h264");
    this.gate = options.keyframeGate ?? true;
    this.clockRate = options.clockRate ?? 90000;
    if (!(this.clockRate > 0)) throw new RtpVideoError("BAD_OPTION", "clockRate must be > 0");
    this.now = options.now ?? (() => performance.now());
    const random = options.random ?? Math.random;
    this.outStart = (options.sequenceStart ?? Math.floor(random() * 0x10000)) & 0xffff;
    this.lastTs = (options.timestampStart ?? Math.floor(random() * 0x100000000)) >>> 0;
    this.b8 = this.ssrc >>> 24;
    this.b9 = (this.ssrc >>> 16) & 0xff;
    this.b10 = (this.ssrc >>> 8) & 0xff;
    this.b11 = this.ssrc & 0xff;
  }

  /** source is the source forwarded now, if any. */
  get source(): number | undefined {
    return this.curSource;
  }

  /** pendingSource is the source selected to be switched to at its next keyframe start. */
  get pendingSource(): number | undefined {
    return this.pending;
  }

  /**
   * nextSequenceNumber is the outgoing sequence number the next new packet will get after a
   * switch (one past the newest forwarded).
   */
  get nextSequenceNumber(): number {
    return this.curSource === undefined
      ? this.outStart
      : (this.outStart + this.highestExt - this.startExt + 1) & 0xffff;
  }

  /**
   * select makes `source` the one to forward, from its next keyframe start on (at once without
   * the keyframe gate); the current source goes on until then. Selecting the current source
   * cancels a pending switch.
   */
  select(source: number): void {
    this.pending = source === this.curSource ? undefined : source;
  }

  /**
   * rewrite maps one packet of `source` onto the outgoing stream: the datagram to send (a copy,
   * or `datagram` itself rewritten when `inPlace`: only when nothing else reads it any more), or
   * undefined when the packet is not forwarded (counted). `packet` is `datagram` parsed.
   */
  rewrite(
    packet: RtpPacket,
    datagram: Uint8Array,
    source = 0,
    inPlace = false,
  ): Uint8Array | undefined {
    if (datagram.length < 12) {
      this.stats.dropped++;
      return undefined;
    }
    const seq = packet.sequenceNumber;
    if (source !== this.curSource || packet.ssrc !== this.curSsrc) {
      if (this.pending === undefined && (this.curSource === undefined || source === this.curSource))
        this.pending = source;
      if (source !== this.pending) {
        this.stats.dropped++;
        return undefined;
      }
      if (this.gate && !this.isStart(packet.payload)) {
        this.stats.gated++;
        return undefined;
      }
      this.switchTo(source, packet);
    }
    let delta = (seq - (this.highestExt & 0xffff)) & 0xffff;
    if (delta >= 0x8000) delta -= 0x10000;
    const ext = this.highestExt + delta;
    if (ext < this.startExt) {
      this.stats.dropped++;
      return undefined;
    }
    const out = inPlace ? datagram : new Uint8Array(datagram);
    const outSeq = (this.outStart + ext - this.startExt) & 0xffff;
    const ts = (packet.timestamp + this.tsOffset) >>> 0;
    if (ext > this.highestExt) this.highestExt = ext;
    if (delta >= 0 && ts !== this.lastTs) {
      this.lastTs = ts;
      this.lastTsAt = this.now(); // once per frame: when its first packet went out
    }
    if (this.payloadType >= 0) out[1] = (out[1]! & 0x80) | this.payloadType;
    out[2] = outSeq >>> 8;
    out[3] = outSeq & 0xff;
    out[4] = ts >>> 24;
    out[5] = (ts >>> 16) & 0xff;
    out[6] = (ts >>> 8) & 0xff;
    out[7] = ts & 0xff;
    out[8] = this.b8;
    out[9] = this.b9;
    out[10] = this.b10;
    out[11] = this.b11;
    this.stats.forwarded++;
    return out;
  }

  /** switchTo makes the segment starting with `packet` the one forwarded. */
  private switchTo(source: number, packet: RtpPacket): void {
    const first = this.curSource === undefined;
    const next = this.nextSequenceNumber;
    let ts = this.lastTs;
    if (!first) {
      // advance by the wall time since the newest frame (at least one tick), so the outgoing
      // clock keeps moving forward across the switch (RFC 3550 §5.1: monotonic sampling clock)
      const since = this.now() - this.lastTsAt;
      ts = (ts + Math.max(1, Math.round((since * this.clockRate) / 1000))) >>> 0;
    }
    this.curSource = source;
    this.curSsrc = packet.ssrc;
    this.pending = undefined;
    this.startExt = packet.sequenceNumber + 0x10000;
    this.highestExt = this.startExt;
    this.outStart = next;
    this.tsOffset = (ts - packet.timestamp) >>> 0;
    this.lastTs = ts;
    this.lastTsAt = this.now();
    this.stats.switches++;
  }
}
