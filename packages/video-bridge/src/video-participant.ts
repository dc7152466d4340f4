import type { VideoCodec, VideoFrame } from "@framewire/rtp-video";
import type { Subscription } from "rxjs";
import type { OutputClock } from "./continuity.js";
import type { CutThroughRoute, CutThroughSource } from "./cut-through-route.js";
import { KeyframeCache } from "./keyframe-cache.js";
import type { KeyframeGate } from "./keyframe-gate.js";
import type { SourceKeyframes } from "./keyframe-requester.js";
import type { SourceQueue } from "./source-queue.js";
import type { SpeakerHistory } from "./speaker-selector.js";
import type { BridgeSession, VideoBridgeBackend } from "./video-bridge-types.js";
import type { VideoSubscription } from "./video-subscription.js";

/** VideoParticipantParts are the per-session pieces the bridge makes for a participant. */
export interface VideoParticipantParts<S extends BridgeSession> {
  readonly clock: OutputClock;
  readonly gate: KeyframeGate<VideoParticipant<S>>;
  readonly keyframes: SourceKeyframes;
  readonly queue: SourceQueue<VideoFrame>;
}

/**
 * VideoParticipant is the video bridge's state of one bridged session, as a target (the source
 * it receives, its gate, pin and output clock) and as a source (its keyframe cache and requests,
 * its hook queue, whether its decode chain is broken).
 */
export class VideoParticipant<S extends BridgeSession> {
  readonly id: string;
  readonly session: S;
  readonly roomId: string;
  /** backend sends to the session and asks it for keyframes. */
  backend: VideoBridgeBackend<S>;
  // target side
  /** current is the one source this target receives now. */
  current: VideoParticipant<S> | undefined = undefined;
  /** gate holds back the deltas of `current` until a keyframe of it (or a bounded wait). */
  readonly gate: KeyframeGate<VideoParticipant<S>>;
  pinnedId: string | null = null;
  /** lastSent is the last source frame sent (guards against a frame sent twice on re-entry). */
  lastSent: VideoFrame | undefined = undefined;
  readonly clock: OutputClock;
  /** plis is the subscription to the PLI/FIR the session sends. */
  plis: Subscription | undefined = undefined;
  /** cutRoute: the target's cut-through route, when its backend has the packet seam. */
  cutRoute: CutThroughRoute | undefined = undefined;
  /** subscriptions this target holds (`VideoBridge.subscribe`); replaced, never mutated. */
  subscriptions: readonly VideoSubscription<S>[] = [];
  // source side
  /** subscribers are the subscriptions to this source; replaced, never mutated. */
  subscribers: readonly VideoSubscription<S>[] = [];
  readonly cache = new KeyframeCache();
  /** cutSource: the source's packet seam for cut-through, when its backend has one. */
  cutSource: CutThroughSource | undefined = undefined;
  readonly keyframes: SourceKeyframes;
  /** lastFrameAt is when the source's last frame was routed, on the bridge's clock. */
  lastFrameAt = Number.NEGATIVE_INFINITY;
  codec: VideoCodec | undefined = undefined;
  /** queue of frames waiting for BEFORE_BRIDGE_VIDEO hooks (or behind such frames). */
  readonly queue: SourceQueue<VideoFrame>;
  /** inputBroken: a frame was dropped before the queue; deltas are dropped until a keyframe. */
  inputBroken = false;
  /** outputBroken: a hook blocked a frame; deltas are dropped until a keyframe. */
  outputBroken = false;

  constructor(
    session: S,
    roomId: string,
    backend: VideoBridgeBackend<S>,
    parts: VideoParticipantParts<S>,
  ) {
    this.id = session.id;
    this.session = session;
    this.roomId = roomId;
    this.backend = backend;
    this.gate = parts.gate;
    this.clock = parts.clock;
    this.keyframes = parts.keyframes;
    this.queue = parts.queue;
  }
}

/** VideoRoom is one room of the video bridge. */
export interface VideoRoom<S extends BridgeSession> {
  readonly id: string;
  /** members in join order; replaced (never mutated) so loops iterate a snapshot. */
  members: readonly VideoParticipant<S>[];
  readonly speakers: SpeakerHistory;
}
