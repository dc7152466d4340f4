import { asyncScheduler, type SchedulerLike, type Subscription } from "rxjs";
import type { Depacketizer } from "../codec.js";
import { RtpVideoError } from "../errors.js";
import { FrameAssembler } from "../frame-assembler.js";
import type { FrameAssemblerStats, KeyframeNeededReason } from "../frame-assembler-types.js";
import { H264Depacketizer } from "../h264/h264-depacketizer.js";
import type { RtpPacket } from "../rtp/rtp-packet.js";
import type { VideoFrame } from "../video-frame.js";

/** VideoReceiverOptions configure a VideoReceiver; every field has a default. */
export interface VideoReceiverOptions {
  /** depacketizer of the stream's codec; default H.264. */
  readonly depacketizer?: Depacketizer;
  /**
   * h264ParameterSets are out-of-band SPS/PPS NAL units without start codes (an SDP
   * `sprop-parameter-sets`, RFC 6184 §8.1) for the default H.264 depacketizer: they are put in
   * front of IDR access units that lack them (see `H264DepacketizerOptions.parameterSets`).
   * With a `depacketizer` of your own, give them to it instead (both throw `BAD_OPTION`).
   */
  readonly h264ParameterSets?: readonly Uint8Array[];
  /** clockRate of the RTP timestamps; default 90000. */
  readonly clockRate?: number;
  /** scheduler gives time and timers; default rxjs asyncScheduler (tests pass a virtual one). */
  readonly scheduler?: SchedulerLike;
  /** latencyMs is the longest a missing packet is waited for before it is declared lost; 200. */
  readonly latencyMs?: number;
  /** nack enables generic NACK requests for missing packets (RFC 4585 §6.2.1); default true. */
  readonly nack?: boolean;
  /**
   * nackDelayMs is the least time a gap may be plain reordering before the first NACK; default 5.
   * The wait grows with the reordering measured (see `nackReorderFactor`).
   */
  readonly nackDelayMs?: number;
  /**
   * nackReorderFactor scales the reorder window: a missing packet is NACKed only after
   * `nackDelayMs + nackReorderFactor × reorder` ms, where `reorder` is the longest a packet has
   * recently been late (a gap filled by the packet itself, not by a retransmission, or the
   * arrival spread of a frame that came out of order; kept for `reorderMemoryMs`), and never
   * while the frame that revealed the gap is still arriving. Default 2; 0 waits
   * `nackDelayMs` only (the behaviour before the reorder window).
   */
  readonly nackReorderFactor?: number;
  /** maxNackDelayMs caps that wait; default half of `latencyMs`. */
  readonly maxNackDelayMs?: number;
  /** reorderMemoryMs is how long a reordering measured counts; default 4000. */
  readonly reorderMemoryMs?: number;
  /**
   * nackRetryMs is the interval between NACKs of the same packet while the round-trip time is
   * unknown; default 40. Once `setRoundTripTime` gave one, the interval is RTT + the reorder
   * window (a retransmission is late by as much as any packet), at least `2 × nackDelayMs`.
   */
  readonly nackRetryMs?: number;
  /** maxNackRetries bounds the NACKs sent per packet; default 4. */
  readonly maxNackRetries?: number;
  /** maxMissing bounds the packets tracked as missing; a larger gap is not NACKed; default 512. */
  readonly maxMissing?: number;
  /** keyframeIntervalMs is the minimum interval between keyframe requests (PLI); default 200. */
  readonly keyframeIntervalMs?: number;
  /** keyframeRetryMs repeats a keyframe request while none has come; default 1000. */
  readonly keyframeRetryMs?: number;
  /** reorderWindow of the assembler, in packets (memory bound); default 1024. */
  readonly reorderWindow?: number;
  /** maxFrameBytes of the assembler; default 8 MiB. */
  readonly maxFrameBytes?: number;
  /**
   * rtx says retransmissions come on an RTX stream (RFC 4588, given to `receiveRetransmission`),
   * so a NACKed packet arriving on the media stream is a late original, not a retransmission;
   * default false (same-stream retransmission, RFC 4585: a NACKed packet that arrives is counted
   * as a retransmission).
   */
  readonly rtx?: boolean;
  /**
   * assemble: depacketize and assemble frames (`frame` of the sink); default true. false keeps
   * the jitter tracking, NACKs and RTX handling but skips the assembler: no frames come out and
   * the stream followed is the SSRC of the newest packet (for a session that only forwards
   * packets, see `VideoRtpSession.onPacket`); the assembler's counters (`packets`, `bytes`,
   * `frames`, `lost`…) stay 0.
   */
  readonly assemble?: boolean;
}

/** VideoReceiverSink receives what a VideoReceiver produces. */
export interface VideoReceiverSink {
  /** frame receives each complete frame, in order. */
  frame(frame: VideoFrame): void;
  /** nack asks the sender to retransmit these sequence numbers (send an RTCP generic NACK). */
  nack(mediaSsrc: number, sequenceNumbers: number[]): void;
  /** keyframeRequest asks the sender for a keyframe (send an RTCP PLI). */
  keyframeRequest(mediaSsrc: number, reason: KeyframeNeededReason | "retry"): void;
}

/** VideoReceiverStats extend the assembler's counters with the feedback the receiver sent. */
export interface VideoReceiverStats extends FrameAssemblerStats {
  /** NACK messages sent. */
  nacksSent: number;
  /** sequence numbers requested in NACKs (a packet asked for twice counts twice). */
  nackedPackets: number;
  /** missing packets that arrived after all (retransmitted or late within the latency bound). */
  recovered: number;
  /**
   * retransmissionsReceived: RTX packets received for this stream, and (without RTX) packets of
   * the media stream that arrived after being NACKed.
   */
  retransmissionsReceived: number;
  /** retransmissionsUseful: retransmissions of a missing packet that came before it was given up. */
  retransmissionsUseful: number;
  /** duplicateRetransmissions: retransmissions of a packet already received (dropped). */
  duplicateRetransmissions: number;
  /** lateRetransmissions: retransmissions that came after their packet was given up (dropped). */
  lateRetransmissions: number;
  /** keyframe requests sent. */
  keyframeRequestsSent: number;
}

interface Missing {
  readonly sequenceNumber: number;
  readonly since: number;
  /** revealedBy is the RTP timestamp of the packet whose arrival showed the gap. */
  readonly revealedBy: number;
  lastNack: number;
  retries: number;
}

/**
 * WARMUP_FRAMES: the arrival spread of a stream's first frames counts as reordering, since none
 * has been measured yet (a gap in them may be a packet behind its frame's burst).
 */
const WARMUP_FRAMES = 3;

/** RECEIVED_RING is how many recent extended sequence numbers are remembered as received. */
const RECEIVED_RING = 4096;

/**
 * VideoReceiver is the receiving half of a video RTP session without the socket: a jitter buffer
 * with a latency bound in front of a FrameAssembler, generic NACK for missing packets, and
 * rate-limited keyframe requests that repeat until a keyframe comes. Time comes only from the
 * injected scheduler, so tests run in virtual time.
 */
export class VideoReceiver {
  /** stats are live counters. */
  readonly stats: VideoReceiverStats;
  private readonly assembler: FrameAssembler;
  private readonly depacketizer: Depacketizer;
  private readonly sink: VideoReceiverSink;
  private readonly scheduler: SchedulerLike;
  private readonly latencyMs: number;
  private readonly nackOn: boolean;
  private readonly nackDelayMs: number;
  private readonly nackReorderFactor: number;
  private readonly maxNackDelayMs: number;
  private readonly reorderMemoryMs: number;
  private readonly nackRetryMs: number;
  private rtx: boolean;
  private readonly assemble: boolean;
  private rttMs: number | undefined;
  /** received[ext % RECEIVED_RING] is ext when that packet was received. */
  private readonly received = new Float64Array(RECEIVED_RING).fill(-1);
  /** reorder: the longest lateness in the current and the previous half of the memory. */
  private reorderNow = 0;
  private reorderBefore = 0;
  private reorderBucketStart = 0;
  /** the newest frame seen: its RTP timestamp, first and last arrival, whether it came in order. */
  private newestTs = -1;
  private newestFirstAt = 0;
  private newestLastAt = 0;
  private newestDisordered = false;
  private newestEnded = false;
  /** framesSeen counts the frames whose packets began to arrive (up to WARMUP_FRAMES). */
  private framesSeen = 0;
  /**
   * warmup: the RTP timestamp and first arrival of each of the first WARMUP_FRAMES frames
   * (`framesSeen` of them are set): a few slots compared in turn, cheaper per packet than a map.
   */
  private readonly warmupTs = new Float64Array(WARMUP_FRAMES);
  private readonly warmupAt = new Float64Array(WARMUP_FRAMES);
  private readonly maxNackRetries: number;
  private readonly maxMissing: number;
  private readonly keyframeIntervalMs: number;
  private readonly keyframeRetryMs: number;
  private readonly missing = new Map<number, Missing>(); // by extended sequence number
  private highest = -1; // extended
  private ssrc = 0;
  private tick: Subscription | undefined;
  private lastKeyframeRequest = Number.NEGATIVE_INFINITY;
  private keyframeTimer: Subscription | undefined;
  private closed = false;

  constructor(sink: VideoReceiverSink, options: VideoReceiverOptions = {}) {
    this.sink = sink;
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.latencyMs = options.latencyMs ?? 200;
    this.nackOn = options.nack ?? true;
    this.nackDelayMs = options.nackDelayMs ?? 5;
    this.nackReorderFactor = options.nackReorderFactor ?? 2;
    this.maxNackDelayMs = options.maxNackDelayMs ?? this.latencyMs / 2;
    this.reorderMemoryMs = options.reorderMemoryMs ?? 4000;
    this.nackRetryMs = options.nackRetryMs ?? 40;
    this.rtx = options.rtx ?? false;
    this.assemble = options.assemble ?? true;
    if (!(this.nackReorderFactor >= 0))
      throw new RtpVideoError("BAD_OPTION", "nackReorderFactor must be >= 0");
    if (!(this.maxNackDelayMs >= 0))
      throw new RtpVideoError("BAD_OPTION", "maxNackDelayMs must be >= 0");
    if (!(this.reorderMemoryMs > 0))
      throw new RtpVideoError("BAD_OPTION", "reorderMemoryMs must be > 0");
    this.maxNackRetries = options.maxNackRetries ?? 4;
    this.maxMissing = options.maxMissing ?? 512;
    this.keyframeIntervalMs = options.keyframeIntervalMs ?? 200;
    this.keyframeRetryMs = options.keyframeRetryMs ?? 1000;
    if (!(this.latencyMs >= 0)) throw new RtpVideoError("BAD_OPTION", "latencyMs must be >= 0");
    if (options.depacketizer !== undefined && options.h264ParameterSets !== undefined) {
      throw new RtpVideoError(
        "BAD_OPTION",
        "h264ParameterSets are for the default H.264 depacketizer: pass them to your depacketizer",
      );
    }
    this.depacketizer =
      options.depacketizer ??
      new H264Depacketizer(
        options.h264ParameterSets === undefined ? {} : { parameterSets: options.h264ParameterSets },
      );
    this.assembler = new FrameAssembler(
      {
        frame: (f) => this.onFrame(f),
        keyframeNeeded: (s) => this.requestKeyframe(s.reason),
      },
      {
        depacketizer: this.depacketizer,
        clockRate: options.clockRate ?? 90000,
        reorderWindow: options.reorderWindow ?? 1024,
        maxDropout: Math.max(3000, (options.reorderWindow ?? 1024) + 1),
        ...(options.maxFrameBytes === undefined ? {} : { maxFrameBytes: options.maxFrameBytes }),
      },
    );
    this.stats = Object.assign(this.assembler.stats, {
      nacksSent: 0,
      nackedPackets: 0,
      recovered: 0,
      retransmissionsReceived: 0,
      retransmissionsUseful: 0,
      duplicateRetransmissions: 0,
      lateRetransmissions: 0,
      keyframeRequestsSent: 0,
    });
  }

  /** mediaSsrc is the SSRC of the stream received now (0 before the first packet). */
  get mediaSsrc(): number {
    return this.ssrc;
  }

  /**
   * setRoundTripTime gives the round-trip time to the sender (RTCP LSR/DLSR, RFC 3550 §6.4.1):
   * NACKs are then repeated after about one RTT, and not sent when the answer could not come
   * before the packet is given up. undefined: unknown again.
   */
  /** dropRtx: retransmissions come on the media stream from now on (NACK repeats as without RTX). */
  dropRtx(): void {
    this.rtx = false;
  }

  setRoundTripTime(rttMs: number | undefined): void {
    this.rttMs = rttMs !== undefined && Number.isFinite(rttMs) && rttMs >= 0 ? rttMs : undefined;
  }

  /**
   * reorderWindowMs is how long a gap waits now before its first NACK: `nackDelayMs` plus
   * `nackReorderFactor` × the reordering measured, at most `maxNackDelayMs`.
   */
  get reorderWindowMs(): number {
    this.ageReorder(this.scheduler.now());
    const measured = Math.max(this.reorderNow, this.reorderBefore);
    return Math.min(this.maxNackDelayMs, this.nackDelayMs + this.nackReorderFactor * measured);
  }

  /** isMissing tells whether the packet with this 16-bit sequence number is awaited now. */
  isMissing(sequenceNumber: number): boolean {
    const ext = this.extend(sequenceNumber);
    return ext !== undefined && this.missing.has(ext);
  }

  /**
   * receiveRetransmission feeds an original packet restored from an RTX packet (RFC 4588 §4,
   * `originalFromRtx`): one still missing goes into the jitter buffer as if it had come in time
   * (counted useful); one already received is dropped and counted as a duplicate; one given up
   * already is dropped and counted late.
   */
  receiveRetransmission(packet: RtpPacket): void {
    if (this.closed) return;
    this.stats.retransmissionsReceived++;
    const ext = packet.ssrc === this.ssrc ? this.extend(packet.sequenceNumber) : undefined;
    if (ext === undefined) return;
    if (this.received[ext % RECEIVED_RING] === ext) {
      this.stats.duplicateRetransmissions++;
      return;
    }
    if (!this.missing.has(ext)) {
      if (ext <= this.highest) {
        this.stats.lateRetransmissions++;
        return;
      }
      // ahead of everything received: the original is on its way too; take it as it is
      this.receive(packet);
      return;
    }
    this.stats.retransmissionsUseful++;
    this.inRetransmission = true;
    try {
      this.receive(packet);
    } finally {
      this.inRetransmission = false;
    }
  }

  private inRetransmission = false;

  /** extend gives the extended sequence number of `seq` near the highest, if tracking. */
  private extend(seq: number): number | undefined {
    if (this.highest < 0) return undefined;
    let delta = (seq - (this.highest & 0xffff)) & 0xffff;
    if (delta >= 0x8000) delta -= 0x10000;
    return this.highest + delta;
  }

  /** sampleReorder notes that a packet was late by `ms` (reordering, not loss). */
  private sampleReorder(ms: number, now: number): void {
    this.ageReorder(now);
    if (ms > this.reorderNow) this.reorderNow = ms;
  }

  private ageReorder(now: number): void {
    const half = this.reorderMemoryMs / 2;
    if (now - this.reorderBucketStart < half) return;
    this.reorderBefore = now - this.reorderBucketStart < 2 * half ? this.reorderNow : 0;
    this.reorderNow = 0;
    this.reorderBucketStart = now;
  }

  /** depacketizerDrops are the depacketizer's counters by reason. */
  get depacketizerDrops(): Readonly<Record<string, number>> {
    return this.assembler.depacketizerDrops;
  }

  /** parameterSetsInserted counts IDR access units given the out-of-band SPS/PPS (H.264). */
  get parameterSetsInserted(): number {
    return this.depacketizer instanceof H264Depacketizer
      ? this.depacketizer.parameterSetsInserted
      : 0;
  }

  /**
   * setH264ParameterSets replaces the out-of-band SPS/PPS of an H.264 stream (RFC 6184 §8.1;
   * NAL units without start codes, an empty list removes them), e.g. after a re-INVITE. Throws
   * `BAD_OPTION` for a bad unit, or when the depacketizer is not the built-in H.264 one.
   */
  setH264ParameterSets(units: readonly Uint8Array[]): void {
    if (!(this.depacketizer instanceof H264Depacketizer)) {
      throw new RtpVideoError(
        "BAD_OPTION",
        `h264ParameterSets need the built-in H.264 depacketizer (this stream is ${this.depacketizer.codec})`,
      );
    }
    this.depacketizer.setParameterSets(units);
  }

  /**
   * receive feeds one RTP packet as it arrives; `nowMs` is its arrival time when the caller has
   * read the scheduler already (default: the scheduler's now).
   */
  receive(packet: RtpPacket, nowMs?: number): void {
    if (this.closed) return;
    this.arrivalMs = nowMs;
    if (!this.assemble) {
      // no assembler: nothing it counts or signals moves, the stream is the packet's SSRC
      if (this.highest < 0 || packet.ssrc !== this.ssrc) this.restart(packet, packet.ssrc);
      else this.track(packet);
      if (this.missing.size !== 0) this.schedule();
      this.arrivalMs = undefined;
      return;
    }
    const a = this.assembler.stats;
    const resyncs = a.resyncs;
    const outOfWindow = a.outOfWindow;
    const signals = a.keyframeRequests;
    this.assembler.push(packet);
    const current = this.assembler.ssrc;
    if (this.highest < 0 || current !== this.ssrc || a.resyncs !== resyncs) {
      this.restart(packet, current);
    } else if (packet.ssrc === current && a.outOfWindow === outOfWindow) {
      // (a packet the assembler holds on probation, far from the stream, is not tracked)
      this.track(packet);
    }
    this.afterLoss(signals);
    this.schedule();
    this.arrivalMs = undefined;
  }

  /**
   * restart tracks afresh from `packet`: the first packet, or the stream followed (`current`)
   * is a new source, or the assembler restarted its sequence numbers.
   */
  private restart(packet: RtpPacket, current: number): void {
    this.ssrc = current;
    this.missing.clear();
    this.received.fill(-1);
    this.newestTs = -1;
    this.framesSeen = 0;
    this.highest = packet.ssrc === current ? packet.sequenceNumber + 0x10000 : -1;
    if (this.highest >= 0) this.noteArrival(packet, this.highest, true);
  }

  /** arrivalMs is the arrival time given to `receive`, while it runs. */
  private arrivalMs: number | undefined;

  /**
   * afterLoss asks again for a keyframe when packets were declared lost while one is awaited
   * (the keyframe asked for may be what was lost); the assembler signals once per wait.
   */
  private afterLoss(signalsBefore: number): void {
    const a = this.assembler.stats;
    if (a.lost === this.lostSeen) return;
    this.lostSeen = a.lost;
    // the assembler has just signalled (and we asked): nothing more to do
    if (a.keyframeRequests !== signalsBefore) return;
    if (this.assembler.waitingForKeyframe) this.requestKeyframe("packet-loss");
  }

  private lostSeen = 0;

  /** requestKeyframe asks for a keyframe now, within the rate limit. */
  requestKeyframe(reason: KeyframeNeededReason | "retry" = "retry"): void {
    if (this.closed) return;
    const now = this.scheduler.now();
    const due = this.lastKeyframeRequest + this.keyframeIntervalMs;
    if (now >= due) {
      this.sendKeyframeRequest(reason);
      return;
    }
    // rate-limited: send once at the end of the interval (one pending request at most)
    if (this.keyframeTimer === undefined || this.keyframeTimer.closed) {
      this.keyframeTimer = this.scheduler.schedule(() => {
        this.keyframeTimer = undefined;
        if (this.assembler.waitingForKeyframe) this.sendKeyframeRequest(reason);
      }, due - now);
    }
  }

  /** close stops the timers; later packets are ignored. */
  close(): void {
    this.closed = true;
    this.tick?.unsubscribe();
    this.keyframeTimer?.unsubscribe();
    this.missing.clear();
  }

  private sendKeyframeRequest(reason: KeyframeNeededReason | "retry"): void {
    this.lastKeyframeRequest = this.scheduler.now();
    this.stats.keyframeRequestsSent++;
    this.sink.keyframeRequest(this.ssrc, reason);
    // repeat while no keyframe comes (the request or the keyframe may be lost)
    this.keyframeTimer?.unsubscribe();
    this.keyframeTimer = this.scheduler.schedule(() => {
      this.keyframeTimer = undefined;
      if (!this.closed && this.assembler.waitingForKeyframe) this.sendKeyframeRequest("retry");
    }, this.keyframeRetryMs);
  }

  private onFrame(frame: VideoFrame): void {
    if (frame.keyframe) {
      this.keyframeTimer?.unsubscribe();
      this.keyframeTimer = undefined;
    }
    this.sink.frame(frame);
  }

  /** noteArrival records a received packet and the arrival spread of the newest frame. */
  private noteArrival(packet: RtpPacket, ext: number, newest: boolean): void {
    this.received[ext % RECEIVED_RING] = ext;
    if (this.inRetransmission) return;
    const now = this.arrivalMs ?? this.scheduler.now();
    if (newest && packet.timestamp !== this.newestTs) {
      this.newestTs = packet.timestamp;
      this.newestFirstAt = now;
      this.newestEnded = false;
      this.newestDisordered = false;
      // the first frames: no reordering measured yet, so their whole arrival spread counts
      if (this.framesSeen < WARMUP_FRAMES) {
        this.warmupTs[this.framesSeen] = packet.timestamp;
        this.warmupAt[this.framesSeen] = now;
        this.framesSeen++;
      }
    }
    let first = -1;
    // the newest slot of a timestamp counts (a timestamp seen again restarts its frame)
    for (let i = this.framesSeen - 1; i >= 0; i--) {
      if (this.warmupTs[i] === packet.timestamp) {
        first = i;
        break;
      }
    }
    if (first >= 0) this.sampleReorder(now - this.warmupAt[first]!, now);
    else if (packet.timestamp === this.newestTs) {
      if (!newest) this.newestDisordered = true;
      // a frame that comes out of order: all of its arrival spread may be reordering
      if (this.newestDisordered) this.sampleReorder(now - this.newestFirstAt, now);
    }
    if (packet.timestamp === this.newestTs) {
      this.newestLastAt = now;
      if (packet.marker) this.newestEnded = true;
    }
  }

  private track(packet: RtpPacket): void {
    const seq = packet.sequenceNumber;
    let delta = (seq - (this.highest & 0xffff)) & 0xffff;
    if (delta >= 0x8000) delta -= 0x10000;
    const ext = this.highest + delta;
    if (delta <= 0) {
      const m = this.missing.get(ext);
      if (m !== undefined) {
        this.missing.delete(ext);
        this.stats.recovered++;
        if (!this.inRetransmission) {
          if (m.retries > 0 && !this.rtx) {
            // same-stream retransmission (RFC 4585): what was NACKed came
            this.stats.retransmissionsReceived++;
            this.stats.retransmissionsUseful++;
          } else {
            // the packet itself, late: reordering, which the reorder window must cover
            this.sampleReorder(this.scheduler.now() - m.since, this.scheduler.now());
          }
        }
      }
      this.noteArrival(packet, ext, false);
      return;
    }
    if (delta > 1) {
      const gap = delta - 1;
      if (gap > this.maxMissing || this.missing.size + gap > this.maxMissing) {
        // too much at once to repair by NACK: the assembler drops and asks for a keyframe
        this.missing.clear();
      } else {
        const now = this.scheduler.now();
        for (let e = this.highest + 1; e < ext; e++) {
          this.missing.set(e, {
            sequenceNumber: e & 0xffff,
            since: now,
            revealedBy: packet.timestamp,
            lastNack: Number.NEGATIVE_INFINITY,
            retries: 0,
          });
        }
      }
    }
    this.highest = ext;
    this.noteArrival(packet, ext, true);
  }

  private schedule(): void {
    if (this.missing.size === 0 && this.assembler.waitingFor === undefined) return;
    if (this.tick !== undefined && !this.tick.closed) return;
    const period = Math.max(1, Math.min(this.nackDelayMs, 10));
    this.tick = this.scheduler.schedule(() => this.onTick(), period);
  }

  private onTick(): void {
    this.tick = undefined;
    if (this.closed) return;
    const now = this.scheduler.now();
    const nacks: number[] = [];
    let giveUpTo: number | undefined;
    const wait = this.reorderWindowMs;
    const rtt = this.rttMs;
    const retry = rtt === undefined ? this.nackRetryMs : Math.max(2 * this.nackDelayMs, rtt + wait);
    // the frame that revealed a gap still arriving (its last packet, with the marker, not in
    // yet, or a packet of it just in): its missing packets may just be behind
    const arriving = !this.newestEnded || now - this.newestLastAt < wait;
    for (const [ext, m] of this.missing) {
      if (now - m.since >= this.latencyMs) {
        giveUpTo = ext;
        this.missing.delete(ext);
        continue;
      }
      if (!this.nackOn || m.retries >= this.maxNackRetries) continue;
      if (m.retries === 0) {
        if (now - m.since < wait) continue;
        if (arriving && m.revealedBy === this.newestTs && now - m.since < this.maxNackDelayMs)
          continue;
      }
      // an answer that could only come after the packet is given up is not asked for
      if (rtt !== undefined && now + rtt >= m.since + this.latencyMs) continue;
      if (now - m.lastNack >= retry) {
        m.lastNack = now;
        m.retries++;
        nacks.push(m.sequenceNumber);
      }
    }
    const signals = this.assembler.stats.keyframeRequests;
    if (giveUpTo !== undefined && this.assemble) this.assembler.giveUpTo(giveUpTo & 0xffff);
    // the assembler may wait for a packet the tracker does not know (after an overflow)
    const waiting = this.assembler.waitingFor;
    if (waiting !== undefined && this.missing.size === 0) {
      this.waitedSince ??= now;
      if (now - this.waitedSince >= this.latencyMs) {
        this.assembler.giveUpTo(waiting);
        this.waitedSince = undefined;
      }
    } else {
      this.waitedSince = undefined;
    }
    this.afterLoss(signals);
    if (nacks.length > 0) {
      this.stats.nacksSent++;
      this.stats.nackedPackets += nacks.length;
      this.sink.nack(this.ssrc, nacks);
    }
    this.schedule();
  }

  private waitedSince: number | undefined;
}
