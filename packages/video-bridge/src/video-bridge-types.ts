import type { BridgeVideoEvent, HookRunResult } from "@framewire/hooks";
import type {
  KeyframeRequest,
  VideoChunk,
  VideoCodec,
  VideoFrame,
  VideoSession,
} from "@framewire/rtp-video";
import type { Observable, SchedulerLike } from "rxjs";

/**
 * BridgeSession is what the bridge needs of a session: an id, the codec it receives, and the
 * PLI/FIR it sends about the video it receives. `VideoSession` of `@framewire/rtp-video` is one.
 */
export interface BridgeSession {
  readonly id: string;
  /**
   * videoCodec is the codec the session's endpoint decodes; frames of another codec are not sent
   * to it (no transcoding). Undefined for an audio-only session, which receives no video.
   */
  readonly videoCodec: VideoCodec | undefined;
  /** keyframeRequests$ emits each PLI/FIR the endpoint sends; relayed to its current source. */
  readonly keyframeRequests$?: Observable<KeyframeRequest>;
}

/**
 * VideoBridgeBackend is what the bridge drives per session: `RtpVideoBackend` is one. Each
 * session is sent to and asked for keyframes through the backend it was added with.
 */
export interface VideoBridgeBackend<S extends BridgeSession = VideoSession> {
  /** sendVideoSync sends one access unit to the session now. */
  sendVideoSync(session: S, chunk: VideoChunk): unknown;
  /** requestKeyframe asks the session's endpoint for a keyframe (PLI). */
  requestKeyframe(session: S): void;
}

/** ForwardingStrategy is how the bridge forwards; only "forward" (no decoding) exists. */
export type ForwardingStrategy = "forward";

/** VideoBridgeConfig is roomkit's VideoBridgeConfig in TypeScript names (all optional). */
export interface VideoBridgeConfig {
  /** enabled: false pauses forwarding (frames are dropped and counted). Default true. */
  readonly enabled?: boolean;
  /** maxParticipants bounds the sessions of one room (`max_participants`). Default 10. */
  readonly maxParticipants?: number;
  /** forwardingStrategy (`forwarding_strategy`); only "forward". */
  readonly forwardingStrategy?: ForwardingStrategy;
  /**
   * keyframeWaitMs bounds how long a target holds back the deltas of a source it has no keyframe
   * of (`keyframe_wait_s`, in ms): after that long, counted from the first delta held, deltas
   * pass (counted in `deltasPassedAfterWait`). `0` turns the gate off. A finite number >= 0.
   * Default: no bound, the target waits for a keyframe (which is requested) indefinitely.
   */
  readonly keyframeWaitMs?: number;
}

/**
 * VideoBridgeHooks is what the bridge needs of a hook registry: a `HookRegistry` whose
 * BEFORE_BRIDGE_VIDEO event is `BridgeVideoEvent<S, VideoFrame>` is one.
 */
export interface VideoBridgeHooks<S> {
  /** hasHooks: are there hooks for the room that decide (block/modify)? Then frames queue for them. */
  hasHooks(trigger: "before_bridge_video", roomId: string): boolean;
  /**
   * observe, when given, is called on the fast path (no deciding hook) with each forwarded frame,
   * for hooks that only observe (execution "async"); it must not block.
   */
  observe?(
    trigger: "before_bridge_video",
    event: BridgeVideoEvent<S, VideoFrame>,
    roomId: string,
  ): void;
  /** hasObservers tells whether `observe` has anything to call for the room (so no event is built). */
  hasObservers?(trigger: "before_bridge_video", roomId: string): boolean;
  run(
    trigger: "before_bridge_video",
    event: BridgeVideoEvent<S, VideoFrame>,
    roomId: string,
  ): Promise<HookRunResult<BridgeVideoEvent<S, VideoFrame>>>;
}

/** VideoBridgeOptions are the config plus Framewire's knobs; every field is optional. */
export interface VideoBridgeOptions<S extends BridgeSession = VideoSession>
  extends VideoBridgeConfig {
  /** hooks runs BEFORE_BRIDGE_VIDEO; without it (or without a hook for a room) the fast path is used. */
  readonly hooks?: VideoBridgeHooks<S>;
  /** scheduler is the clock and the timer of keyframe retries; default rxjs asyncScheduler. */
  readonly scheduler?: SchedulerLike;
  /** keyframeRequestIntervalMs is the least time between two keyframe requests to one source. Default 500. */
  readonly keyframeRequestIntervalMs?: number;
  /** keyframeRetryMs is how often keyframes are asked for while a target waits for one. Default 1000. */
  readonly keyframeRetryMs?: number;
  /** maxQueuedFrames bounds each source's queue on the hook path. Default 30. */
  readonly maxQueuedFrames?: number;
  /** frameIntervalMs is the output clock's step on a switch when no time elapsed. Default 33. */
  readonly frameIntervalMs?: number;
  /** activeSourceTimeoutMs: a source that sent nothing for this long is not selected. Default 2000. */
  readonly activeSourceTimeoutMs?: number;
}

/** VideoFrameFilter sees each frame of a source before anything else; null drops it. */
export type VideoFrameFilter<S> = (source: S, frame: VideoFrame) => VideoFrame | null;

/** VideoFrameProcessor transforms a frame for one target just before it is sent. */
export type VideoFrameProcessor<S> = (target: S, frame: VideoFrame) => VideoFrame;

/** ForwardedVideoFrame is one frame sent to one target. */
export interface ForwardedVideoFrame<S> {
  readonly source: S;
  readonly target: S;
  readonly roomId: string;
  /** frame as sent (after the processor), with the source's timing. */
  readonly frame: VideoFrame;
  /** timestampMs is the target's output timestamp passed to sendVideoSync. */
  readonly timestampMs: number;
  /** cached is true for a replayed cached keyframe. */
  readonly cached: boolean;
}

/** KeyframeRequestReason says why the bridge asked a source for a keyframe. */
export type KeyframeRequestReason =
  | "join"
  | "switch"
  | "gate"
  | "pli"
  | "retry"
  | "recover"
  | "resume";

/** VideoDropReason says why a source frame was not forwarded at all. */
export type VideoDropReason =
  | "disabled"
  | "filtered"
  | "filter-error"
  | "hook-blocked"
  | "queue-overflow"
  | "broken-chain";

/** VideoBridgeEvent is what `events$` emits. */
export type VideoBridgeEvent<S> =
  | { readonly type: "session-added"; readonly session: S; readonly roomId: string }
  | { readonly type: "session-removed"; readonly session: S; readonly roomId: string }
  | {
      readonly type: "source-switched";
      readonly target: S;
      readonly from: S | null;
      readonly to: S;
      readonly roomId: string;
      readonly cached: boolean;
    }
  | {
      readonly type: "keyframe-requested";
      readonly source: S;
      readonly roomId: string;
      readonly reason: KeyframeRequestReason;
    }
  | {
      readonly type: "frame-dropped";
      readonly source: S;
      readonly roomId: string;
      readonly reason: VideoDropReason;
      /**
       * error, for "filter-error": what the filter threw, or the `InvalidVideoFrameError` of a
       * filter result that is no VideoFrame.
       */
      readonly error?: unknown;
    }
  | {
      /** keyframe-wait-ended: `target` waited `keyframeWaitMs` for a keyframe of `source`; its deltas now pass. */
      readonly type: "keyframe-wait-ended";
      readonly target: S;
      readonly source: S;
      readonly roomId: string;
      /** waitedMs is the time from the first delta held back to the one that passed. */
      readonly waitedMs: number;
    }
  | {
      readonly type: "target-failed";
      readonly target: S;
      readonly source: S;
      readonly roomId: string;
      readonly error: unknown;
    }
  | { readonly type: "closed" };

/** VideoBridgeStats are the bridge's counters since it was created. */
export interface VideoBridgeStats {
  /** framesIn counts forward() calls for bridged sessions. */
  readonly framesIn: number;
  /** framesRouted counts source frames that passed filter, hooks and gates of the source. */
  readonly framesRouted: number;
  /** framesSent counts frames sent to targets (one per target). */
  readonly framesSent: number;
  /** keyframesSent counts keyframes sent to targets, cached ones included. */
  readonly keyframesSent: number;
  /** cachedKeyframesSent counts cached keyframes replayed to a joining or orphaned target. */
  readonly cachedKeyframesSent: number;
  /** unknownSource counts forward() calls for sessions not in the bridge. */
  readonly unknownSource: number;
  readonly droppedDisabled: number;
  readonly droppedFiltered: number;
  /** filterErrors counts filter calls that threw (the frame is dropped). */
  readonly filterErrors: number;
  readonly droppedByHook: number;
  /** hookErrors counts hook runs that rejected (the frame is forwarded: fail-open). */
  readonly hookErrors: number;
  /** droppedQueue counts frames dropped because a source's hook queue was full. */
  readonly droppedQueue: number;
  /** droppedBrokenChain counts deltas dropped after a dropped frame, until the next keyframe. */
  readonly droppedBrokenChain: number;
  /** droppedGated counts (frame, target) pairs held back until a keyframe of the source. */
  readonly droppedGated: number;
  /**
   * deltasPassedAfterWait counts deltas sent to a target that had no keyframe of their source,
   * because `keyframeWaitMs` ran out (or is 0): from the delta that ended the wait up to the next
   * keyframe of that source.
   */
  readonly deltasPassedAfterWait: number;
  /** codecMismatch counts (frame, target) pairs not sent because the target decodes another codec. */
  readonly codecMismatch: number;
  /** targetErrors counts sends (or processor calls) that threw; other targets still get the frame. */
  readonly targetErrors: number;
  /** switches counts changes of the source a target receives. */
  readonly switches: number;
  /** keyframeRequests counts keyframe requests sent to sources. */
  readonly keyframeRequests: number;
  /** keyframeRequestsSuppressed counts requests the per-source rate limit held back. */
  readonly keyframeRequestsSuppressed: number;
  /** keyframeRequestErrors counts requestKeyframe calls that threw. */
  readonly keyframeRequestErrors: number;
  /** pliReceived counts PLI/FIR received from targets. */
  readonly pliReceived: number;
  /** pliRelayed counts PLI/FIR that led to a request to the target's source. */
  readonly pliRelayed: number;
}
