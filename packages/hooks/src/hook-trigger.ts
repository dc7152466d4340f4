/**
 * HookTrigger names the moments a room lets hooks act on (roomkit's `HookTrigger`); the values
 * are roomkit's lowercase names, so configuration written for roomkit reads the same.
 */
export const HookTrigger = {
  /** BEFORE_BRIDGE_VIDEO fires for each video frame before a bridge forwards it; may block/modify. */
  BEFORE_BRIDGE_VIDEO: "before_bridge_video",
  /** BEFORE_BRIDGE_AUDIO fires for each audio frame before a bridge forwards it; may block/modify. */
  BEFORE_BRIDGE_AUDIO: "before_bridge_audio",
  /** ON_VIDEO_SESSION_STARTED fires when a video session joins a room. */
  ON_VIDEO_SESSION_STARTED: "on_video_session_started",
  /** ON_VIDEO_SESSION_ENDED fires when a video session leaves a room. */
  ON_VIDEO_SESSION_ENDED: "on_video_session_ended",
  /** ON_VIDEO_TRACK_ADDED fires when a session starts a video track. */
  ON_VIDEO_TRACK_ADDED: "on_video_track_added",
  /** ON_VIDEO_TRACK_REMOVED fires when a session stops a video track. */
  ON_VIDEO_TRACK_REMOVED: "on_video_track_removed",
  /** ON_VISION_RESULT fires when a vision provider has analysed a frame. */
  ON_VISION_RESULT: "on_vision_result",
  /** ON_SESSION_STARTED fires when any session (voice or video) joins a room. */
  ON_SESSION_STARTED: "on_session_started",
  /** ON_SESSION_ENDED fires when any session (voice or video) leaves a room. */
  ON_SESSION_ENDED: "on_session_ended",
} as const;

/** HookTrigger is the union of the trigger names (the values of the `HookTrigger` object). */
export type HookTrigger = (typeof HookTrigger)[keyof typeof HookTrigger];

/** HOOK_TRIGGERS lists every trigger, in declaration order. */
export const HOOK_TRIGGERS: readonly HookTrigger[] = Object.values(HookTrigger);

/**
 * HookExecution says whether a hook takes part in the decision ("sync": run in priority order,
 * may block or modify, awaited) or only observes it ("async": started after the decision with the
 * final event, never awaited by the caller, its result ignored).
 */
export type HookExecution = "sync" | "async";
