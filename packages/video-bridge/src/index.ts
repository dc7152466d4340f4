// @framewire/video-bridge: explicit public API.

export { AudioBridge } from "./audio-bridge.js";
export type {
  AudioBridgeConfig,
  AudioBridgeMixOptions,
  AudioBridgeOptions,
  AudioForwardingStrategy,
} from "./audio-bridge-options.js";
export type { AudioBridgeSessionStats, AudioBridgeStats } from "./audio-bridge-stats.js";
export type {
  AudioBridgeBackend,
  AudioBridgeCodec,
  AudioBridgeEvent,
  AudioBridgeFormat,
  AudioBridgeHooks,
  AudioBridgeSession,
  AudioDropReason,
  AudioFrameFilter,
  SourceAudio,
} from "./audio-bridge-types.js";
export type { AudioCodecPlug, AudioDecoder, AudioEncoder } from "./audio-codec.js";
export {
  type ActiveSpeaker,
  AudioLevelMonitor,
  type AudioLevelOptions,
  DBOV_SILENCE,
  dbovToAudioLevel,
  energyToDbov,
  type ParticipantLevel,
  type RoomAudioLevels,
  rmsDbov,
} from "./audio-levels.js";
export { type AudioTick, type AudioTickerOptions, audioTicks } from "./audio-ticker.js";
export type {
  BridgeConfig,
  BridgeDropReason,
  BridgeEvent,
  BridgeStats,
  BridgeWiring,
} from "./bridge-types.js";
export {
  AudioVideoChannel,
  type AudioVideoChannelOptions,
  type ChannelBackend,
  VideoChannel,
  type VideoChannelOptions,
} from "./channels.js";
export { OutputClock } from "./continuity.js";
export { RoomFullError, VideoBridgeError, type VideoBridgeErrorCode } from "./errors.js";
export type { FrameFilter } from "./frame-filter.js";
export {
  ALAW_SILENCE,
  decodeAlaw,
  decodeMulaw,
  encodeAlaw,
  encodeMulaw,
  MULAW_SILENCE,
  PCMA_CODEC,
  PCMU_CODEC,
} from "./g711.js";
export { decodeL16, encodeL16, L16_CODEC } from "./l16.js";
export {
  AudioMixer,
  type AudioMixerOptions,
  type AudioMixerStats,
  type MixedFrame,
  type MixerParticipantOptions,
  type MixerParticipantStats,
  type MixSaturation,
} from "./mixer.js";
export { opusPacketSamples } from "./opus-packet.js";
export {
  AUDIO_SAMPLE_RATES,
  type AudioSampleRate,
  isAudioSampleRate,
  Resampler,
  type ResamplerOptions,
  resample,
} from "./resample.js";
export {
  type JoinOptions,
  type RoomEvent,
  type RoomHookMap,
  RoomKit,
  type RoomKitOptions,
} from "./room-kit.js";
export type { RoomSession } from "./room-session.js";
export { VideoBridge } from "./video-bridge.js";
export type {
  VideoBridgeConfig,
  VideoBridgeOptions,
  VideoForwardingStrategy,
} from "./video-bridge-options.js";
export type {
  BridgeSession,
  CutThroughStats,
  ForwardedVideoFrame,
  KeyframeRequestReason,
  VideoBridgeBackend,
  VideoBridgeEvent,
  VideoBridgeHooks,
  VideoBridgeStats,
  VideoDropReason,
  VideoFrameFilter,
  VideoFrameProcessor,
  VideoPacketPort,
  VideoPacketRole,
} from "./video-bridge-types.js";
