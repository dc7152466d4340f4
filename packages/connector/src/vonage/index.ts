export { ConnectorError, type ConnectorErrorCode, InvalidSettingError } from "../errors.js";
export type {
  PublisherCallbacks,
  SessionCallbacks,
  SubscriberCallbacks,
  VonageErrorCode,
} from "./callbacks.js";
export type {
  AudioBufferStats,
  AudioData,
  Connection,
  LoggingSettings,
  MediaBufferStats,
  Publisher,
  PublisherAudioSettings,
  PublisherSettings,
  Session,
  SessionAudioSettings,
  SessionAVSettings,
  SessionSettings,
  SessionVideoPublisherSettings,
  Stream,
  Subscriber,
  SubscriberSettings,
  SubscriberVideoSettings,
  VideoBufferStats,
  VideoFrame,
  VideoResolution,
  VonageVideoFormat,
} from "./models.js";
export {
  checkAudioData,
  checkAudioSettings,
  checkPublisherSettings,
  checkResolution,
  checkSessionSettings,
  checkSubscriberSettings,
  checkVideoFrame,
  checkVideoPublisherSettings,
  MAX_VIDEO_PIXELS,
  VONAGE_VIDEO_FORMATS,
  videoFrameBytes,
} from "./settings.js";
export {
  DEFAULT_AUDIO_SETTINGS,
  DEFAULT_VIDEO_PUBLISHER_SETTINGS,
  VonageVideoClient,
  type VonageVideoClientOptions,
} from "./vonage-video-client.js";
