// @framewire/rtp-video/node: the Node parts, explicit public API: UDP sockets (node:dgram), RTP
// sessions and the backends. The pure core is in ./core.ts; the package entry exports both.
export {
  MediaBackend,
  type MediaSession,
  type MediaSessionState,
  type MediaSessionWithVideo,
  type NewSession,
  type SessionMetadata,
  type VideoChunk,
  type VideoSession,
} from "./backend/media-backend.js";
export {
  type RtpMediaSession,
  RtpVideoBackend,
  type RtpVideoBackendOptions,
} from "./backend/rtp-video-backend.js";
export {
  AudioRtpSession,
  type AudioSessionOptions,
  type AudioSessionStats,
  type OutgoingAudio,
} from "./session/audio-session.js";
export {
  type RemoteReport,
  RtpSessionBase,
  type RtpSessionOptions,
  type SourceStats,
  type TransportStats,
} from "./session/rtp-session.js";
export type { Address, PortRange } from "./session/udp-pair.js";
export {
  type CodecPlug,
  type KeyframeRequest,
  type OutgoingVideoFrame,
  type ReceivedRtpPacket,
  type RtpPacketListener,
  VideoRtpSession,
  type VideoSessionOptions,
  type VideoSessionStats,
} from "./session/video-session.js";
