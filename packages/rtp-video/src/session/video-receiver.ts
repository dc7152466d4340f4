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
  /** nackDelayMs is how long a gap may be plain reordering before the first NACK; default 5. */
  readonly nackDelayMs?: number;
  /** nackRetryMs is the interval between NACKs of the same packet; default 40 (≈ an RTT). */
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
  /** keyframe requests sent. */
  keyframeRequestsSent: number;
}

interface Missing {
  readonly sequenceNumber: number;
  readonly since: number;
  lastNack: number;
  retries: number;
}

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
  private readonly nackRetryMs: number;
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
    this.nackRetryMs = options.nackRetryMs ?? 40;
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
      keyframeRequestsSent: 0,
    });
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

  /** receive feeds one RTP packet as it arrives. */
  receive(packet: RtpPacket): void {
    if (this.closed) return;
    const a = this.assembler.stats;
    const resyncs = a.resyncs;
    const outOfWindow = a.outOfWindow;
    const signals = a.keyframeRequests;
    this.assembler.push(packet);
    const current = this.assembler.ssrc;
    if (this.highest < 0 || current !== this.ssrc || a.resyncs !== resyncs) {
      // the first packet, or the assembler has followed a new source or restarted its
      // sequence numbers: track from here
      this.ssrc = current;
      this.missing.clear();
      this.highest = packet.ssrc === current ? packet.sequenceNumber + 0x10000 : -1;
    } else if (packet.ssrc === current && a.outOfWindow === outOfWindow) {
      // (a packet the assembler holds on probation, far from the stream, is not tracked)
      this.track(packet);
    }
    this.afterLoss(signals);
    this.schedule();
  }

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
      }
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
            lastNack: Number.NEGATIVE_INFINITY,
            retries: 0,
          });
        }
      }
    }
    this.highest = ext;
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
    for (const [ext, m] of this.missing) {
      if (now - m.since >= this.latencyMs) {
        giveUpTo = ext;
        this.missing.delete(ext);
        continue;
      }
      if (!this.nackOn || m.retries >= this.maxNackRetries || now - m.since < this.nackDelayMs)
        continue;
      if (now - m.lastNack >= this.nackRetryMs) {
        m.lastNack = now;
        m.retries++;
        nacks.push(m.sequenceNumber);
      }
    }
    const signals = this.assembler.stats.keyframeRequests;
    if (giveUpTo !== undefined) this.assembler.giveUpTo(giveUpTo & 0xffff);
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
