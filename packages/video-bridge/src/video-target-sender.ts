import { checkVideoFrame, type VideoFrame } from "@framewire/rtp-video";
import { type Observable, type SchedulerLike, Subject } from "rxjs";
import type { BridgeReporter } from "./bridge-reporter.js";
import { receiveFrom } from "./source-switch.js";
import type {
  BridgeSession,
  ForwardedVideoFrame,
  VideoBridgeOwnEvent,
  VideoBridgeStats,
  VideoDropReason,
  VideoFrameProcessor,
} from "./video-bridge-types.js";
import type { VideoParticipant } from "./video-participant.js";

/** VideoTargetSenderCounters are the video bridge's counters the sender keeps. */
export type VideoTargetSenderCounters = {
  -readonly [K in
    | "framesSent"
    | "keyframesSent"
    | "cachedKeyframesSent"
    | "deltasPassedAfterWait"
    | "switches"]: VideoBridgeStats[K];
};

/**
 * VideoTargetSender is the last step of the video bridge: one frame of a source to one target. It
 * runs the frame processor, stamps the frame on the target's `OutputClock`, sends it through the
 * target's backend, and records what that means for the target: its current source (a switch),
 * its keyframe gate, the counters, `forwarded$`. A send or processor that throws fails that
 * target only (`target-failed`), whose gate then closes until the next keyframe.
 */
export class VideoTargetSender<S extends BridgeSession> {
  /** forwarded$ emits each frame sent to a target. */
  readonly forwarded$: Observable<ForwardedVideoFrame<S>>;
  /** processor transforms a frame for one target just before it is sent (null: none). */
  processor: VideoFrameProcessor<S> | null = null;
  private readonly scheduler: SchedulerLike;
  private readonly counters: VideoTargetSenderCounters;
  private readonly reporter: BridgeReporter<S, VideoDropReason, S, VideoBridgeOwnEvent<S>>;
  private readonly forwarded = new Subject<ForwardedVideoFrame<S>>();

  constructor(
    scheduler: SchedulerLike,
    counters: VideoTargetSenderCounters,
    reporter: BridgeReporter<S, VideoDropReason, S, VideoBridgeOwnEvent<S>>,
  ) {
    this.scheduler = scheduler;
    this.counters = counters;
    this.reporter = reporter;
    this.forwarded$ = this.forwarded.asObservable();
  }

  /**
   * send processes, stamps and sends one frame of `src` to `t` (`cached`: a replayed cached
   * keyframe, stamped without continuity); false when the target failed.
   */
  send(
    t: VideoParticipant<S>,
    src: VideoParticipant<S>,
    frame: VideoFrame,
    cached: boolean,
  ): boolean {
    let out = frame;
    try {
      if (this.processor !== null) {
        out = this.processor(t.session, frame);
        if (out !== frame) checkVideoFrame(out, "VideoBridge processor result");
      }
      const timestampMs = t.clock.stamp(
        cached ? null : src.id,
        frame.timestampMs,
        this.scheduler.now(),
      );
      t.backend.sendVideoSync(t.session, { data: out.data, keyframe: out.keyframe, timestampMs });
      t.lastSent = frame;
      this.counters.framesSent++;
      if (frame.keyframe) {
        this.counters.keyframesSent++;
        if (cached) this.counters.cachedKeyframesSent++;
      } else if (t.gate.keyless) this.counters.deltasPassedAfterWait++;
      receiveFrom(t, src, cached, this.counters, this.reporter);
      if (frame.keyframe) t.gate.keyframeSent(!cached || src.cache.deltasSinceKeyframe === 0);
      if (this.forwarded.observed) {
        this.forwarded.next({
          source: src.session,
          target: t.session,
          roomId: t.roomId,
          frame: out,
          timestampMs,
          cached,
        });
      }
      return true;
    } catch (error) {
      // the target missed a frame of its source: its next frame of it must be a keyframe
      if (t.current === src) t.gate.close();
      this.reporter.targetFailed(t.session, src.session, t.roomId, error);
      return false;
    }
  }

  /**
   * passAfterWait sends a delta of `src` to `t`, whose wait for a keyframe of `src` ran out, and
   * opens its gate (`keyframe-wait-ended`); if the send fails, the wait stays over and the next
   * delta is tried at once.
   */
  passAfterWait(t: VideoParticipant<S>, src: VideoParticipant<S>, frame: VideoFrame): void {
    const since = t.gate.waitStart(src);
    t.gate.keyless = true;
    if (!this.send(t, src, frame, false)) {
      t.gate.resumeWait(src, since);
      return;
    }
    const waitedMs = this.scheduler.now() - since;
    t.gate.openAfterWait();
    this.reporter.emit(() => ({
      type: "keyframe-wait-ended",
      target: t.session,
      source: src.session,
      roomId: t.roomId,
      waitedMs,
    }));
  }

  /**
   * announce reports on `forwarded$` a frame that reached `t` another way (its packets sent
   * cut-through), `timestampMs` being its outgoing timestamp.
   */
  announce(
    t: VideoParticipant<S>,
    src: VideoParticipant<S>,
    frame: VideoFrame,
    timestampMs: number,
    cached: boolean,
  ): void {
    if (!this.forwarded.observed) return;
    this.forwarded.next({
      source: src.session,
      target: t.session,
      roomId: t.roomId,
      frame,
      timestampMs,
      cached,
    });
  }

  /** close completes `forwarded$`. */
  close(): void {
    this.forwarded.complete();
  }
}
