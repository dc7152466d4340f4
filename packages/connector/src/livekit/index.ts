// @framewire/connector/livekit: the LiveKit-style facade (shaped like @livekit/rtc-node 1.1.0)
// over the participant core. Explicit export list.

export type { AudioStreamStats } from "../core/audio-track-stream.js";
export { loadMedia } from "../core/media-loader.js";
export type { StreamEndReason } from "../core/stream-end-reason.js";
export type { VideoStreamStats } from "../core/video-track-stream.js";
export { AudioFrame, combineAudioFrames } from "./audio-frame.js";
export { AudioSource, type AudioSourceOptions } from "./audio-source.js";
export { AudioStream, type AudioStreamOptions } from "./audio-stream.js";
export { dispose } from "./dispose.js";
export { EncodedVideoSource } from "./encoded-video-source.js";
export {
  type EncodedVideoFrame,
  type EncodedVideoFrameEvent,
  EncodedVideoStream,
  type EncodedVideoStreamOptions,
} from "./encoded-video-stream.js";
export {
  ConnectionQuality,
  ConnectionState,
  DisconnectReason,
  ParticipantKind,
  StreamState,
  TrackKind,
  TrackSource,
  VideoBufferType,
  VideoCodec,
  VideoRotation,
} from "./enums.js";
export { LocalParticipant, Participant, RemoteParticipant } from "./participant.js";
export { Room, type RoomOptions, type RoomServer } from "./room.js";
export { type ChatMessage, type RoomCallbacks, RoomEvent } from "./room-event.js";
export {
  type AudioTrack,
  LocalAudioTrack,
  type LocalTrack,
  LocalVideoTrack,
  RemoteAudioTrack,
  type RemoteTrack,
  RemoteVideoTrack,
  Track,
  type VideoTrack,
} from "./track.js";
export {
  LocalTrackPublication,
  RemoteTrackPublication,
  TrackPublication,
} from "./track-publication.js";
export {
  TrackPublishOptions,
  type TrackPublishOptionsInit,
  VideoEncoding,
} from "./track-publish-options.js";
export type { TypedEmitter } from "./typed-emitter.js";
export type { VideoStreamParticipantSource } from "./video-feed.js";
export { VideoFrame } from "./video-frame.js";
export { VideoSource, type VideoSourceOptions } from "./video-source.js";
export {
  type VideoFrameEvent,
  VideoStream,
  type VideoStreamOptions,
} from "./video-stream.js";
