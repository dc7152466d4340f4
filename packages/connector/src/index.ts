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
export { ConnectorError, type ConnectorErrorCode, InvalidSettingError } from "./errors.js";
export { MIN_SECRET_BYTES } from "./token-secret.js";
export {
  MAX_TOKEN_CHARS,
  requireGrant,
  type VerifyAccessTokenOptions,
  verifyAccessToken,
} from "./verify-access-token.js";
