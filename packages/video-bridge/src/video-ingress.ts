import type { HookTrigger } from "@framewire/hooks";
import { checkVideoFrame, type VideoFrame } from "@framewire/rtp-video";
import type { BridgeReporter } from "./bridge-reporter.js";
import { FilterFailure, runFilter } from "./frame-filter.js";
import type { FrameHooks } from "./frame-hooks.js";
import type { KeyframeRequester } from "./keyframe-requester.js";
import type { SourceQueueSink } from "./source-queue.js";
import type {
  BridgeSession,
  VideoBridgeOwnEvent,
  VideoDropReason,
  VideoFrameFilter,
} from "./video-bridge-types.js";
import type { VideoParticipant } from "./video-participant.js";
import type { VideoRouter } from "./video-router.js";

type P<S extends BridgeSession> = VideoParticipant<S>;

/** VideoIngressParts are what a source's frames pass through on their way to the router. */
export interface VideoIngressParts<S extends BridgeSession> {
  readonly hooks: FrameHooks<typeof HookTrigger.BEFORE_BRIDGE_VIDEO, S, VideoFrame>;
  readonly requester: KeyframeRequester<P<S>>;
  readonly router: VideoRouter<S>;
  readonly reporter: BridgeReporter<S, VideoDropReason, S, VideoBridgeOwnEvent<S>>;
  readonly counters: { filterErrors: number; droppedBrokenChain: number };
  /** isLive is true while `p` is bridged (and the bridge open). */
  isLive(p: P<S>): boolean;
  /** enabled is false while the bridge is paused. */
  enabled(): boolean;
}

/**
 * VideoIngress is the way in of the video bridge: each frame of a source passes the filter
 * (fail-closed), the decode-chain checks, the source's `SourceQueue` and the BEFORE_BRIDGE_VIDEO
 * hooks (fail-open), then goes to the router. A frame the filter drops or a hook blocks breaks
 * the source's decode chain: its following deltas are dropped (`broken-chain`) until its next
 * keyframe, which is requested.
 */
export class VideoIngress<S extends BridgeSession> {
  /** filter every source frame passes first, or null. */
  filter: VideoFrameFilter<S> | null = null;
  private readonly parts: VideoIngressParts<S>;

  constructor(parts: VideoIngressParts<S>) {
    this.parts = parts;
  }

  /** take is one frame of `p` (a well-formed VideoFrame of a bridged source, bridge enabled). */
  take(p: P<S>, frame: VideoFrame): void {
    let f = frame;
    if (this.filter !== null) {
      const out = runFilter(this.filter, p.session, frame, checkFilterResult, this.parts.counters);
      if (!this.parts.isLive(p)) return;
      if (out === null || out instanceof FilterFailure) {
        p.inputBroken = true;
        this.drop(p, out === null ? "filtered" : "filter-error", out?.error);
        return;
      }
      f = out;
    }
    // a keyframe mends the decode chain; a delta after a frame dropped before the queue is dropped
    if (f.keyframe) p.inputBroken = false;
    else if (p.inputBroken) {
      this.dropBrokenChain(p);
      return;
    }
    this.enqueue(p, f);
    p.queue.pump(p, this.sink);
  }

  /** drop reports a frame of `p` forwarded to nobody. */
  drop(p: P<S>, reason: VideoDropReason, error?: unknown): void {
    if (reason === "broken-chain") this.parts.counters.droppedBrokenChain++;
    this.parts.reporter.dropped(p.session, p.roomId, reason, error);
  }

  private enqueue(p: P<S>, frame: VideoFrame): void {
    const overflow = p.queue.push(frame);
    if (overflow.dropped === 0) return;
    for (let i = 0; i < overflow.dropped; i++) this.drop(p, "queue-overflow");
    if (overflow.broken) {
      p.inputBroken = true;
      this.parts.requester.request(p, "recover");
    }
  }

  /** sink is where each source's queue hands its frames (see SourceQueue.pump). */
  private readonly sink: SourceQueueSink<P<S>, VideoFrame> = {
    live: (p) => this.parts.isLive(p),
    decides: (p) => this.parts.hooks.decides(p.roomId),
    deliver: (p, frame) => {
      this.deliver(p, frame);
      this.parts.hooks.observe(p.session, frame, p.roomId);
    },
    runHooks: async (p, frame) => {
      const verdict = await this.parts.hooks.run(p.session, frame, p.roomId);
      if (!this.parts.isLive(p)) return;
      if (verdict.kind !== "blocked") {
        this.deliver(p, verdict.kind === "forward" ? verdict.frame : frame);
        return;
      }
      p.outputBroken = true;
      this.drop(p, "hook-blocked");
    },
  };

  private deliver(p: P<S>, frame: VideoFrame): void {
    if (!this.parts.enabled()) {
      this.drop(p, "disabled");
      return;
    }
    // the same for a frame a hook blocked
    if (frame.keyframe) p.outputBroken = false;
    else if (p.outputBroken) {
      this.dropBrokenChain(p);
      return;
    }
    this.parts.router.deliver(p, frame);
  }

  /** dropBrokenChain drops a delta whose decode chain a dropped frame broke, and asks for a keyframe. */
  private dropBrokenChain(p: P<S>): void {
    this.drop(p, "broken-chain");
    this.parts.requester.request(p, "recover");
  }
}

function checkFilterResult(frame: unknown): void {
  checkVideoFrame(frame, "VideoBridge filter result");
}
