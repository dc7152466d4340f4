import type { VideoFrame } from "@framewire/rtp-video";
import type { BridgeSession } from "./video-bridge-types.js";
import type { VideoParticipant } from "./video-participant.js";

/** VideoSubscriptionSink is where a subscription's frames go, and how it is ended. */
export interface VideoSubscriptionSink {
  next(frame: VideoFrame): void;
  complete(): void;
}

/**
 * VideoSubscription is one target's subscription to one source (`VideoBridge.subscribe`): every
 * frame of the source goes to the sink from a keyframe on. Its gate is its own: it opens at a
 * keyframe of the source (the cached one when no delta followed it, else a live one, requested)
 * and closes again when the subscriber reports a gap (`VideoBridge.requestKeyframe`).
 */
export class VideoSubscription<S extends BridgeSession> {
  readonly target: VideoParticipant<S>;
  readonly source: VideoParticipant<S>;
  readonly sink: VideoSubscriptionSink;
  /** open: the subscriber has a keyframe of the source; deltas pass. */
  open = false;
  /** ended: the subscription was completed or unsubscribed. */
  ended = false;

  constructor(
    target: VideoParticipant<S>,
    source: VideoParticipant<S>,
    sink: VideoSubscriptionSink,
  ) {
    this.target = target;
    this.source = source;
    this.sink = sink;
  }
}
