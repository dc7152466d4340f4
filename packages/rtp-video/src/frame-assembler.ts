import type { Depacketizer } from "./codec.js";
import { RtpVideoError } from "./errors.js";
import {
  type FrameAssemblerOptions,
  type FrameAssemblerSink,
  type FrameAssemblerStats,
  type KeyframeNeededReason,
  newFrameAssemblerStats,
} from "./frame-assembler-types.js";
import { DEFAULT_MAX_FRAME_BYTES, FrameBuffer } from "./frame-buffer.js";
import { attachUnits } from "./frame-units.js";
import { H264Depacketizer } from "./h264/h264-depacketizer.js";
import type { RtpPacket } from "./rtp/rtp-packet.js";
import { TimestampUnwrapper } from "./rtp/sequence.js";
import type { VideoCodec, VideoFrame } from "./video-frame.js";

const LOST_MARKS = 1024;

/**
 * FrameAssembler turns the RTP packets of one video stream into whole frames (access units):
 * packets are put back in order inside a reorder window on extended sequence numbers, and all
 * payloads of one RTP timestamp form a frame, closed by the marker bit or a timestamp change.
 * A sequence gap drops the frame it hits (a corrupt frame is never emitted), raises
 * keyframe-needed, and later frames wait for the next keyframe. Memory is bounded by the window
 * and `maxFrameBytes`, whatever arrives. Pure and synchronous: no timers, no I/O.
 */
export class FrameAssembler {
  /** stats are live counters. */
  readonly stats: FrameAssemblerStats = newFrameAssemblerStats();
  /** codec of the frames produced. */
  readonly codec: VideoCodec;
  private readonly sink: FrameAssemblerSink;
  private readonly depacketizer: Depacketizer;
  private readonly clockRate: number;
  private readonly window: number;
  private readonly maxDropout: number;
  private readonly maxMisorder: number;
  private readonly ring: (RtpPacket | undefined)[];
  private readonly mask: number;
  private readonly lostMarks = new Float64Array(LOST_MARKS).fill(-1);
  private readonly buffer: FrameBuffer;
  private readonly tsUnwrapper = new TimestampUnwrapper();

  private started = false;
  private currentSsrc = 0;
  private expected = 0; // extended sequence number of the next packet to process
  private highest = 0; // highest extended sequence number seen
  private buffered = 0;
  private probation: RtpPacket | undefined; // a packet claiming a restart, held until confirmed
  private gapPending = true; // packets may be missing before the next processed one
  // the open frame
  private frameOpen = false;
  private frameTs = 0;
  private frameExtTs = 0;
  private frameAfterGap = false;
  private frameHitByLoss = false;
  // stream state
  private awaitingKeyframe = true;
  private signalled = false;
  private frameSequence = 0;
  private firstExtTs = -1;
  private msOffset = 0;
  private lastMs = 0;
  private lastDeltaMs = 0;
  private width = 0;
  private height = 0;

  constructor(sink: FrameAssemblerSink, options: FrameAssemblerOptions = {}) {
    this.sink = sink;
    this.depacketizer = options.depacketizer ?? new H264Depacketizer();
    this.codec = this.depacketizer.codec;
    this.clockRate = options.clockRate ?? 90000;
    this.window = options.reorderWindow ?? 64;
    this.maxDropout = options.maxDropout ?? 3000;
    this.maxMisorder = options.maxMisorder ?? 100;
    if (!(this.clockRate > 0)) throw new RtpVideoError("BAD_OPTION", "clockRate must be > 0");
    if (!Number.isInteger(this.window) || this.window < 1 || this.window > 4096) {
      throw new RtpVideoError("BAD_OPTION", "reorderWindow must be an integer in 1..4096");
    }
    if (this.maxDropout <= this.window) {
      throw new RtpVideoError("BAD_OPTION", "maxDropout must exceed reorderWindow");
    }
    let size = 2;
    while (size <= this.window) size *= 2;
    this.ring = new Array<RtpPacket | undefined>(size).fill(undefined);
    this.mask = size - 1;
    this.buffer = new FrameBuffer(options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
  }

  /** heldPackets is how many packets wait in the reorder window (at most `reorderWindow`). */
  get heldPackets(): number {
    return this.buffered + (this.probation === undefined ? 0 : 1);
  }

  /** frameBufferBytes is the room the frame buffer has for a frame (at most `maxFrameBytes`). */
  get frameBufferBytes(): number {
    return this.buffer.capacity;
  }

  /** depacketizerDrops are the depacketizer's counters of discarded payloads, by reason. */
  get depacketizerDrops(): Readonly<Record<string, number>> {
    return this.depacketizer.dropped;
  }

  /**
   * push feeds one RTP packet. The assembler keeps a reference to `packet.payload` while the
   * packet waits in the reorder window: do not reuse its memory.
   */
  push(packet: RtpPacket): void {
    const seq = packet.sequenceNumber;
    if (!this.started) {
      this.started = true;
      this.currentSsrc = packet.ssrc;
      this.expected = seq + 0x10000;
      this.highest = this.expected - 1;
    } else if (packet.ssrc !== this.currentSsrc) {
      this.jump(packet);
      return;
    }
    let delta = (seq - this.expected) & 0xffff;
    if (delta >= 0x8000) delta -= 0x10000;
    if (delta === 0 && this.buffered === 0) {
      // in order, nothing waiting: the fast path
      this.probation = undefined;
      this.expected++;
      this.highest = this.expected - 1;
      this.accept(packet);
      this.process(packet);
      return;
    }
    if (delta >= this.maxDropout || delta < -this.maxMisorder) {
      this.jump(packet);
      return;
    }
    const ext = this.expected + delta;
    if (delta < 0) {
      if (this.lostMarks[ext % LOST_MARKS] === ext) this.stats.late++;
      else this.stats.duplicates++;
      return;
    }
    this.probation = undefined;
    const slot = ext & this.mask;
    if (delta < this.window) {
      if (this.ring[slot] !== undefined) {
        this.stats.duplicates++;
        return;
      }
    } else {
      // too far ahead to wait: give up on what is missing up to the window
      this.advanceTo(ext - this.window + 1);
    }
    if (ext < this.highest) this.stats.reordered++;
    else this.highest = ext;
    this.accept(packet);
    this.ring[slot] = packet;
    this.buffered++;
    this.drain();
  }

  /**
   * flush declares every missing packet before the newest one lost and processes all waiting
   * packets, as a timer-driven caller (a jitter buffer's latency bound) does.
   */
  flush(): void {
    if (this.buffered > 0) this.advanceTo(this.highest + 1);
  }

  /**
   * giveUpTo declares the packets up to and including `sequenceNumber` lost if they have not
   * arrived, and processes the packets waiting behind them: a jitter buffer calls it when the
   * oldest missing packet has waited longer than its latency bound. A number outside the
   * window ahead is ignored.
   */
  giveUpTo(sequenceNumber: number): void {
    if (!this.started || this.buffered === 0) return;
    let delta = (sequenceNumber - this.expected) & 0xffff;
    if (delta >= 0x8000) delta -= 0x10000;
    if (delta < 0 || delta >= this.window) return;
    this.advanceTo(this.expected + delta + 1);
  }

  /** ssrc of the stream being assembled (0 before the first packet). */
  get ssrc(): number {
    return this.currentSsrc;
  }

  /** waitingForKeyframe is true while frames are held back until the next keyframe. */
  get waitingForKeyframe(): boolean {
    return this.awaitingKeyframe;
  }

  /** waitingFor is the sequence number of the oldest packet the assembler waits for, if any. */
  get waitingFor(): number | undefined {
    return this.buffered > 0 ? this.expected & 0xffff : undefined;
  }

  /** reset forgets the stream: the next packet starts a new one, which waits for a keyframe. */
  reset(): void {
    this.restart();
    this.started = false;
  }

  private accept(packet: RtpPacket): void {
    this.stats.packets++;
    this.stats.bytes += packet.payload.length;
  }

  private jump(packet: RtpPacket): void {
    // RFC 3550 §A.1: a new SSRC or a sequence jump is believed only when the next packet of the
    // same source follows it; until then the claimant is held (one packet), then replayed
    const held = this.probation;
    if (
      held !== undefined &&
      held.ssrc === packet.ssrc &&
      packet.sequenceNumber === ((held.sequenceNumber + 1) & 0xffff)
    ) {
      this.stats.outOfWindow--; // the held packet is used after all
      this.restart();
      this.started = false;
      this.push(held);
      this.push(packet);
      return;
    }
    this.stats.outOfWindow++;
    this.probation = packet;
  }

  private restart(): void {
    this.stats.resyncs += this.started ? 1 : 0;
    for (let i = 0; i < this.ring.length; i++) this.ring[i] = undefined;
    this.buffered = 0;
    this.probation = undefined;
    this.dropOpenFrame();
    this.depacketizer.reset();
    this.gapPending = true;
    this.awaitingKeyframe = true;
    this.signalled = false;
    // keep timestampMs monotonic across a new stream: continue from the last frame
    if (this.firstExtTs >= 0) this.msOffset = this.lastMs + this.lastDeltaMs;
    this.firstExtTs = -1;
    this.tsUnwrapper.reset();
  }

  private drain(): void {
    const ring = this.ring;
    let slot = this.expected & this.mask;
    let p = ring[slot];
    while (p !== undefined) {
      ring[slot] = undefined;
      this.buffered--;
      this.expected++;
      this.process(p);
      slot = this.expected & this.mask;
      p = ring[slot];
    }
  }

  private advanceTo(target: number): void {
    while (this.expected < target) {
      if (this.buffered === 0) {
        this.markLost(target - this.expected);
        this.expected = target;
        break;
      }
      const slot = this.expected & this.mask;
      const p = this.ring[slot];
      if (p === undefined) {
        this.markLost(1);
        this.expected++;
      } else {
        this.ring[slot] = undefined;
        this.buffered--;
        this.expected++;
        this.process(p);
      }
    }
    this.drain();
  }

  private markLost(count: number): void {
    this.stats.lost += count;
    const from = Math.max(this.expected, this.expected + count - LOST_MARKS);
    for (let e = from; e < this.expected + count; e++) this.lostMarks[e % LOST_MARKS] = e;
    this.gapPending = true;
    if (this.frameOpen) this.frameHitByLoss = true;
    this.needKeyframe("packet-loss");
  }

  private process(p: RtpPacket): void {
    const afterGap = this.gapPending;
    this.gapPending = false;
    if (this.frameOpen && p.timestamp !== this.frameTs) this.closeFrame();
    if (!this.frameOpen) {
      this.frameOpen = true;
      this.frameTs = p.timestamp;
      // timestampMs counts from the stream's first frame, received, whether or not it is emitted
      this.frameExtTs = this.tsUnwrapper.unwrap(p.timestamp);
      if (this.firstExtTs < 0) this.firstExtTs = this.frameExtTs;
      this.frameAfterGap = afterGap;
      this.frameHitByLoss = false;
    } else if (afterGap) {
      this.frameHitByLoss = true;
    }
    if (!this.frameHitByLoss) this.depacketizer.push(p.payload, p.sequenceNumber, this.buffer);
    if (p.marker) this.closeFrame();
  }

  private dropOpenFrame(): void {
    if (this.frameOpen) this.stats.framesDroppedLoss++;
    this.frameOpen = false;
    this.buffer.clear();
  }

  private closeFrame(): void {
    const buf = this.buffer;
    this.frameOpen = false;
    if (this.frameHitByLoss) {
      this.depacketizer.reset();
      this.stats.framesDroppedLoss++;
      buf.clear();
      return;
    }
    this.depacketizer.endFrame(buf);
    if (buf.overflowed) {
      this.stats.framesDroppedTooLarge++;
      buf.clear();
      this.needKeyframe("corrupt-frame");
      return;
    }
    if (buf.corrupt || buf.length === 0) {
      this.stats.framesDroppedCorrupt++;
      buf.clear();
      this.needKeyframe("corrupt-frame");
      return;
    }
    if (this.awaitingKeyframe) {
      // after a gap, a keyframe must also start cleanly: its leading packets may be the lost ones
      if (!buf.keyframe || (this.frameAfterGap && !buf.cleanStart)) {
        this.stats.framesDroppedWaiting++;
        buf.clear();
        if (!this.signalled) this.needKeyframe("stream-start");
        return;
      }
      this.awaitingKeyframe = false;
      this.signalled = false;
    }
    this.emit(buf);
    buf.clear();
  }

  private needKeyframe(reason: KeyframeNeededReason): void {
    this.awaitingKeyframe = true;
    if (this.signalled) return;
    this.signalled = true;
    this.stats.keyframeRequests++;
    this.sink.keyframeNeeded?.({ reason, ssrc: this.currentSsrc, lostPackets: this.stats.lost });
  }

  private emit(buf: FrameBuffer): void {
    if (buf.width > 0) {
      this.width = buf.width;
      this.height = buf.height;
    }
    const timestampMs =
      this.msOffset + ((this.frameExtTs - this.firstExtTs) * 1000) / this.clockRate;
    if (this.stats.frames > 0 && timestampMs > this.lastMs)
      this.lastDeltaMs = timestampMs - this.lastMs;
    this.lastMs = timestampMs;
    this.stats.frames++;
    if (buf.keyframe) this.stats.keyframes++;
    const data = buf.take();
    const units = buf.takeUnits();
    if (units.length > 0) attachUnits(data, units);
    const frame: VideoFrame = {
      codec: this.codec,
      data,
      keyframe: buf.keyframe,
      timestampMs,
      rtpTimestamp: this.frameTs,
      sequence: this.frameSequence++,
      width: this.width,
      height: this.height,
    };
    this.sink.frame(frame);
  }
}
