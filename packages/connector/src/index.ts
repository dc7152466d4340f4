export type { AccessGrants, VerifiedAccess } from "./access-grants.js";
export {
  type AccessTokenOptions,
  createAccessToken,
  DEFAULT_TOKEN_TTL_MS,
  MAX_TOKEN_FIELD_CHARS,
} from "./access-token.js";
export {
  AUDIO_SAMPLE_RATES,
  AudioContinuity,
  type AudioContinuityOptions,
  type AudioContinuityStats,
  type AudioPeriod,
  type AudioPeriodKind,
  DEFAULT_SILENCE_TOLERANCE_MS,
} from "./continuity/audio-continuity.js";
export {
  VIDEO_REPEAT_MS,
  VideoContinuity,
  type VideoContinuityOptions,
  type VideoContinuityStats,
  type VideoTick,
  type VideoTickKind,
} from "./continuity/video-continuity.js";
export {
  AudioPublication,
  type AudioPublicationStats,
  type AudioPublishOptions,
} from "./core/audio-publication.js";
export {
  type AudioFrameEvent,
  type AudioStreamOptions,
  type AudioStreamStats,
  AudioTrackStream,
  DEFAULT_AUDIO_CAPACITY_MS,
} from "./core/audio-track-stream.js";
export {
  Connector,
  type ConnectorOptions,
  type ConnectorTokens,
  type JoinRoomOptions,
} from "./core/connector.js";
export { loadMedia } from "./core/media-loader.js";
export type { DtmfDigit, ParticipantEvent } from "./core/participant-event.js";
export type { ParticipantSession } from "./core/participant-session.js";
export { type PcmFrame, pcmFrame } from "./core/pcm-frame.js";
export type { PublishedTracks, RemoteMember, TrackKind } from "./core/remote-member.js";
export { type MixedAudioOptions, ServerParticipant } from "./core/server-participant.js";
export { STREAM_END_REASONS, type StreamEndReason } from "./core/stream-end-reason.js";
export {
  type EncodedVideoInput,
  VideoPublication,
  type VideoPublicationStats,
  type VideoPublishOptions,
} from "./core/video-publication.js";
export {
  DEFAULT_VIDEO_CAPACITY,
  type VideoFrameEvent,
  type VideoStreamFormat,
  type VideoStreamOptions,
  type VideoStreamStats,
  VideoTrackStream,
} from "./core/video-track-stream.js";
export { ConnectorError, type ConnectorErrorCode, InvalidSettingError } from "./errors.js";
export { MIN_SECRET_BYTES } from "./token-secret.js";
export {
  MAX_TOKEN_CHARS,
  requireGrant,
  type VerifyAccessTokenOptions,
  verifyAccessToken,
} from "./verify-access-token.js";
