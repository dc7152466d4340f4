// LiveKit's protocol enums (`@livekit/rtc-ffi-bindings` 0.12.73, what `@livekit/rtc-node` 1.1.0
// re-exports), with the same member names and numeric values, so code written against them ports
// unchanged.

/** TrackKind is what a track carries (LiveKit's values). */
export enum TrackKind {
  KIND_UNKNOWN = 0,
  KIND_AUDIO = 1,
  KIND_VIDEO = 2,
}

/** TrackSource is where a track comes from (LiveKit's values). */
export enum TrackSource {
  SOURCE_UNKNOWN = 0,
  SOURCE_CAMERA = 1,
  SOURCE_MICROPHONE = 2,
  SOURCE_SCREENSHARE = 3,
  SOURCE_SCREENSHARE_AUDIO = 4,
}

/** StreamState is whether a remote track's media flows (LiveKit's values). */
export enum StreamState {
  STATE_UNKNOWN = 0,
  STATE_ACTIVE = 1,
  STATE_PAUSED = 2,
}

/**
 * VideoBufferType is LiveKit's raw video layout. The packed RGB names are memory order (as
 * `@framewire/media`'s formats); `I420A`, `I422`, `I444` and `I010` can be held in a
 * `VideoFrame` but not converted or published.
 */
export enum VideoBufferType {
  RGBA = 0,
  ABGR = 1,
  ARGB = 2,
  BGRA = 3,
  RGB24 = 4,
  I420 = 5,
  I420A = 6,
  I422 = 7,
  I444 = 8,
  I010 = 9,
  NV12 = 10,
}

/** VideoRotation is a frame's rotation (LiveKit's values); RTP video from SIP carries none. */
export enum VideoRotation {
  VIDEO_ROTATION_0 = 0,
  VIDEO_ROTATION_90 = 1,
  VIDEO_ROTATION_180 = 2,
  VIDEO_ROTATION_270 = 3,
}

/** VideoCodec names a video codec (LiveKit's values); a Framewire participant sends H264 or VP8. */
export enum VideoCodec {
  VP8 = 0,
  H264 = 1,
  AV1 = 2,
  VP9 = 3,
  H265 = 4,
}

/** DisconnectReason says why the room or a participant was disconnected (LiveKit's values). */
export enum DisconnectReason {
  UNKNOWN_REASON = 0,
  CLIENT_INITIATED = 1,
  DUPLICATE_IDENTITY = 2,
  SERVER_SHUTDOWN = 3,
  PARTICIPANT_REMOVED = 4,
  ROOM_DELETED = 5,
  STATE_MISMATCH = 6,
  JOIN_FAILURE = 7,
  MIGRATION = 8,
  SIGNAL_CLOSE = 9,
  ROOM_CLOSED = 10,
  USER_UNAVAILABLE = 11,
  USER_REJECTED = 12,
  SIP_TRUNK_FAILURE = 13,
  CONNECTION_TIMEOUT = 14,
  MEDIA_FAILURE = 15,
  AGENT_ERROR = 16,
}

/** ConnectionState is the room's connection (LiveKit's values). */
export enum ConnectionState {
  CONN_DISCONNECTED = 0,
  CONN_CONNECTED = 1,
  CONN_RECONNECTING = 2,
}

/** ParticipantKind says what a participant is (LiveKit's values): SIP/RTP callers are `SIP`. */
export enum ParticipantKind {
  STANDARD = 0,
  INGRESS = 1,
  EGRESS = 2,
  SIP = 3,
  AGENT = 4,
  CONNECTOR = 5,
  BRIDGE = 6,
}

/** ConnectionQuality is a participant's link quality (LiveKit's values; never reported here). */
export enum ConnectionQuality {
  QUALITY_POOR = 0,
  QUALITY_GOOD = 1,
  QUALITY_EXCELLENT = 2,
  QUALITY_LOST = 3,
}
