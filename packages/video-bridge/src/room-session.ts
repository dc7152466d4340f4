import type { AudioPayloadType, KeyframeRequest, VideoCodec } from "@framewire/rtp-video";
import type { Observable } from "rxjs";

/**
 * RoomSession is what a `RoomKit` binds to a room: an RTP/SIP endpoint's `MediaSession` (of
 * `@framewire/rtp-video`) is one, and so is a server-side participant's session (of
 * `@framewire/connector`), which has no RTP of its own. It is what both bridges need: an id, the
 * codec it decodes, the format its audio is bridged in, and the keyframe requests it sends.
 */
export interface RoomSession {
  readonly id: string;
  readonly roomId: string;
  readonly participantId: string;
  readonly channelId: string;
  readonly metadata: Readonly<Record<string, unknown>>;
  /** videoCodec is the codec the session sends and decodes; undefined for an audio-only session. */
  readonly videoCodec: VideoCodec | undefined;
  /** audio.sendFormat is the payload type, codec and clock rate the session's audio is in. */
  readonly audio: { readonly sendFormat: AudioPayloadType };
  /** keyframeRequests$ emits each PLI/FIR about the video the session receives. */
  readonly keyframeRequests$: Observable<KeyframeRequest>;
  /**
   * subscribesVideo: the session takes video per source (`VideoBridge.subscribe`) instead of
   * the one selected source an RTP endpoint receives (a server-side participant).
   */
  readonly subscribesVideo?: boolean;
  /**
   * subscribesAudio: the session takes audio per source (`AudioBridge.sourceAudio$`); the audio
   * bridge sends it nothing.
   */
  readonly subscribesAudio?: boolean;
}
