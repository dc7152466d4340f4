// @framewire/rtp-video: explicit public API.
export type { Depacketizer, Packetizer, PayloadSink } from "./codec.js";
export { RtpVideoError, type RtpVideoErrorCode } from "./errors.js";
export {
  FrameAssembler,
  type FrameAssemblerOptions,
  type FrameAssemblerSink,
  type FrameAssemblerStats,
  type KeyframeNeeded,
  type KeyframeNeededReason,
} from "./frame-assembler.js";
export { DEFAULT_MAX_FRAME_BYTES, FrameBuffer } from "./frame-buffer.js";
export { annexBStartCodeLength, joinAnnexB, splitAnnexB } from "./h264/annexb.js";
export { H264Depacketizer, type H264DropReason } from "./h264/h264-depacketizer.js";
export {
  type H264PacketizationMode,
  H264Packetizer,
  type H264PacketizerOptions,
} from "./h264/h264-packetizer.js";
export { H264NalType, nalType } from "./h264/nal.js";
export { type H264Sps, parseSps } from "./h264/sps.js";
export {
  type AssembleFramesOptions,
  type AssemblerEvent,
  assembleFrames,
} from "./operators/assemble-frames.js";
export {
  type DepacketizeOptions,
  depacketize,
  type NalUnitEvent,
} from "./operators/depacketize.js";
export { type PacketizeOptions, packetize } from "./operators/packetize.js";
export {
  parseRtpPacket,
  type RtpHeaderFields,
  type RtpPacket,
  type RtpParseErrorCode,
  rtpPacketSize,
  serializeRtpPacket,
  tryParseRtpPacket,
  writeRtpHeader,
} from "./rtp/rtp-packet.js";
export { RtpPacketizer, type RtpPacketizerOptions } from "./rtp/rtp-packetizer.js";
export {
  type SequenceSource,
  SequenceUnwrapper,
  sequenceFrom,
  TimestampUnwrapper,
} from "./rtp/sequence.js";
export type { VideoCodec, VideoFrame } from "./video-frame.js";
