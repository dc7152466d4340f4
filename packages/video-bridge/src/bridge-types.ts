import type { SchedulerLike } from "rxjs";

/**
 * BridgeConfig is what the configs of both bridges share: roomkit's `enabled` and
 * `max_participants`, and the bound of the hook queue. Every field is optional.
 */
export interface BridgeConfig {
  /** enabled: false pauses forwarding (frames are dropped and counted). Default true. */
  readonly enabled?: boolean;
  /** maxParticipants bounds the sessions of one room (`max_participants`): an integer >= 2. Default 10. */
  readonly maxParticipants?: number;
  /**
   * maxQueuedFrames bounds, per source, the frames waiting for BEFORE_BRIDGE_* hooks: an integer
   * >= 1. Default one second of media: 30 video frames, 50 audio frames of 20 ms.
   */
  readonly maxQueuedFrames?: number;
}

/** BridgeWiring is what a bridge is given beside its config: its clock and its hooks. */
export interface BridgeWiring<H> {
  /** scheduler is the bridge's clock and timer (virtual time in tests); default rxjs asyncScheduler. */
  readonly scheduler?: SchedulerLike;
  /** hooks runs the bridge's BEFORE_BRIDGE_* trigger; without it (or a hook for a room) the fast path is used. */
  readonly hooks?: H;
}

/** BridgeDropReason says why a bridge forwarded a source frame to nobody (both bridges). */
export type BridgeDropReason =
  | "disabled"
  | "filtered"
  | "filter-error"
  | "hook-blocked"
  | "queue-overflow";

/**
 * BridgeEvent is what both bridges' `events$` emit: `D` is the bridge's drop reasons, `Src` the
 * source named by a target failure (the audio mix has none).
 */
export type BridgeEvent<S, D extends string = BridgeDropReason, Src = S> =
  | { readonly type: "session-added"; readonly session: S; readonly roomId: string }
  | { readonly type: "session-removed"; readonly session: S; readonly roomId: string }
  | {
      readonly type: "frame-dropped";
      readonly source: S;
      readonly roomId: string;
      readonly reason: D;
      /**
       * error, for "filter-error": what the filter threw, or the error saying its result is no
       * frame.
       */
      readonly error?: unknown;
    }
  | {
      /** target-failed: sending to `target` (or a callback for it) threw; the others were served. */
      readonly type: "target-failed";
      readonly target: S;
      readonly source: Src;
      readonly roomId: string;
      readonly error: unknown;
    }
  | { readonly type: "closed" };

/** BridgeStats are the counters both bridges' `stats()` share, with the same meaning. */
export interface BridgeStats {
  /** rooms that have at least one bridged session now. */
  readonly rooms: number;
  /** sessions bridged now. */
  readonly sessions: number;
  /** framesIn counts forward() calls for bridged sessions. */
  readonly framesIn: number;
  /** framesSent counts frames sent to targets, one per target (a frame sent as several packets counts once). */
  readonly framesSent: number;
  /** unknownSource counts forward() calls for sessions not in the bridge. */
  readonly unknownSource: number;
  /** droppedDisabled counts frames given while the bridge was disabled. */
  readonly droppedDisabled: number;
  /** droppedFiltered counts frames the filter dropped, those of a failing filter included. */
  readonly droppedFiltered: number;
  /** filterErrors counts filter calls that threw or returned no frame (the frame is dropped). */
  readonly filterErrors: number;
  /** droppedByHook counts frames a BEFORE_BRIDGE_* hook blocked. */
  readonly droppedByHook: number;
  /** hookErrors counts hook runs that failed or gave an unusable result (the frame is forwarded: fail-open). */
  readonly hookErrors: number;
  /** droppedQueue counts frames dropped because a source already had `maxQueuedFrames` waiting for hooks. */
  readonly droppedQueue: number;
  /** targetErrors counts sends (or per-target callbacks) that threw; the other targets still got the frame. */
  readonly targetErrors: number;
}
