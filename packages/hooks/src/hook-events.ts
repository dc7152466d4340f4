/**
 * The typed events each trigger carries. `@framewire/hooks` knows no media types: the session,
 * frame and vision-result types are parameters, which `@framewire/video-bridge` fills with its
 * own (`VideoSession`, `VideoFrame`, `AudioFrame`).
 */

/**
 * BridgeFrameEvent is the event of a bridge's per-frame trigger: one frame `F` of the session `S`
 * that a bridge is about to forward. BEFORE_BRIDGE_VIDEO and BEFORE_BRIDGE_AUDIO carry it.
 */
export interface BridgeFrameEvent<S = unknown, F = unknown> {
  /** session is the source of the frame. */
  readonly session: S;
  readonly frame: F;
  readonly roomId: string;
  /** timestamp is when the bridge took the frame, on the bridge's scheduler clock (ms). */
  readonly timestamp: number;
}

/** BridgeVideoEvent is BEFORE_BRIDGE_VIDEO's event: one video frame a bridge is about to forward. */
export type BridgeVideoEvent<S = unknown, F = unknown> = BridgeFrameEvent<S, F>;

/** BridgeAudioEvent is BEFORE_BRIDGE_AUDIO's event: one audio frame a bridge is about to forward. */
export type BridgeAudioEvent<S = unknown, F = unknown> = BridgeFrameEvent<S, F>;

/** SessionEvent is the event of ON_SESSION_STARTED/ENDED and ON_VIDEO_SESSION_STARTED/ENDED. */
export interface SessionEvent<S = unknown> {
  readonly session: S;
  readonly roomId: string;
  readonly timestamp: number;
}

/** VideoTrackEvent is the event of ON_VIDEO_TRACK_ADDED/REMOVED. */
export interface VideoTrackEvent<S = unknown> {
  readonly session: S;
  readonly roomId: string;
  /** trackId names the track within the session. */
  readonly trackId: string;
  readonly timestamp: number;
}

/** VisionResultEvent is ON_VISION_RESULT's event: what a vision provider saw in a session's video. */
export interface VisionResultEvent<S = unknown, R = unknown> {
  readonly session: S;
  readonly roomId: string;
  readonly result: R;
  readonly timestamp: number;
}

/**
 * HookEventMap maps each trigger to its event type. S is the session type, V the video frame,
 * A the audio frame and R the vision result.
 */
export interface HookEventMap<S = unknown, V = unknown, A = unknown, R = unknown> {
  readonly before_bridge_video: BridgeVideoEvent<S, V>;
  readonly before_bridge_audio: BridgeAudioEvent<S, A>;
  readonly on_video_session_started: SessionEvent<S>;
  readonly on_video_session_ended: SessionEvent<S>;
  readonly on_video_track_added: VideoTrackEvent<S>;
  readonly on_video_track_removed: VideoTrackEvent<S>;
  readonly on_vision_result: VisionResultEvent<S, R>;
  readonly on_session_started: SessionEvent<S>;
  readonly on_session_ended: SessionEvent<S>;
}
