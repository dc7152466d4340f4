// @framewire/rtp-video/core: the pure codec core, explicit public API. Nothing here (nor in the
// declarations it reaches) touches node:*: packetizers, depacketizers, the frame assembler, the
// RTCP wire format, SPS parsing, the RxJS operators and the socket-less sender and receiver.
export type { Depacketizer, Packetizer, PayloadSink, PayloadWriter } from "./codec.js";
export { InvalidVideoFrameError, RtpVideoError, type RtpVideoErrorCode } from "./errors.js";
export {
  h264KeyframeStart,
  type KeyframeStartTest,
  keyframeStartTest,
  vp8KeyframeStart,
  vp9KeyframeStart,
} from "./forward/keyframe-start.js";
export {
  RtpRewriter,
  type RtpRewriterOptions,
  type RtpRewriterStats,
} from "./forward/rtp-rewriter.js";
export { FrameAssembler } from "./frame-assembler.js";
export type {
  FrameAssemblerOptions,
  FrameAssemblerSink,
  FrameAssemblerStats,
  KeyframeNeeded,
  KeyframeNeededReason,
} from "./frame-assembler-types.js";
export { DEFAULT_MAX_FRAME_BYTES, FrameBuffer } from "./frame-buffer.js";
export type { FrameSink } from "./frame-sink.js";
export { type AccessUnit, splitAccessUnits } from "./h264/access-units.js";
export { annexBStartCodeLength, joinAnnexB, splitAnnexB } from "./h264/annexb.js";
export { H264Depacketizer } from "./h264/h264-depacketizer.js";
export type { H264DropReason } from "./h264/h264-drop-reason.js";
export {
  type H264PacketizationMode,
  H264Packetizer,
  type H264PacketizerOptions,
  type H264PacketizerStats,
} from "./h264/h264-packetizer.js";
export { H264NalType, nalType } from "./h264/nal.js";
export {
  checkH264ParameterSets,
  H264_PARAMETER_SET_LIMITS,
  type H264ParameterSets,
} from "./h264/parameter-sets.js";
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
  canonicalNackOrder,
  lostFromNackPairs,
  type NackPair,
  nackPairsFromLost,
} from "./rtcp/nack.js";
export {
  compactNtp,
  compactNtpFromMs,
  compactToMs,
  delayToCompact,
  NTP_UNIX_OFFSET_SEC,
  ntpFromMs,
  ntpToMs,
  roundTripTimeMs,
} from "./rtcp/ntp.js";
export { parseRtcp } from "./rtcp/parse.js";
export {
  type LastSrInfo,
  type ReceptionSnapshot,
  ReceptionStats,
  type ReceptionStatsOptions,
} from "./rtcp/reception-stats.js";
export { type SerializeRtcpOptions, serializeRtcp, serializeRtcpPacket } from "./rtcp/serialize.js";
export {
  type FirEntry,
  type NtpTime,
  PSFB_FMT_FIR,
  PSFB_FMT_PLI,
  type ReportBlock,
  RTCP_PT,
  RTPFB_FMT_NACK,
  type RtcpApp,
  type RtcpBye,
  type RtcpFir,
  type RtcpNack,
  type RtcpPacket,
  type RtcpParseErrorCode,
  type RtcpParseResult,
  type RtcpPli,
  type RtcpReceiverReport,
  type RtcpSdes,
  type RtcpSenderReport,
  type RtcpUnknown,
  SDES_ITEM,
  type SdesChunk,
  type SdesItem,
} from "./rtcp/types.js";
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
export {
  RtxAssociation,
  type RtxAssociationStats,
} from "./rtx/rtx-association.js";
export {
  originalFromRtx,
  originalSequenceNumber,
  type RtxHeader,
  type RtxOriginalStream,
  rtxDatagram,
} from "./rtx/rtx-packet.js";
export {
  type AudioCodec,
  type AudioFrame,
  type AudioPayloadType,
  DEFAULT_AUDIO_PAYLOAD_TYPES,
} from "./session/audio-frame.js";
export {
  VideoReceiver,
  type VideoReceiverOptions,
  type VideoReceiverSink,
  type VideoReceiverStats,
} from "./session/video-receiver.js";
export {
  VideoSender,
  type VideoSenderOptions,
  type VideoSenderRtx,
  type VideoSenderStats,
} from "./session/video-sender.js";
export { VIDEO_CODECS, type VideoCodec, type VideoFrame } from "./video-frame.js";
export {
  checkVideoChunk,
  checkVideoFrame,
  createVideoFrame,
  type VideoChunkFields,
  type VideoFrameInit,
} from "./video-frame-check.js";
export { Vp8Depacketizer, type Vp8DropReason } from "./vp8/vp8-depacketizer.js";
export {
  Vp8Packetizer,
  type Vp8PacketizerOptions,
  type Vp8PictureIdMode,
} from "./vp8/vp8-packetizer.js";
export {
  parseVp8FrameHeader,
  parseVp8PayloadDescriptor,
  VP8_KEYFRAME_HEADER_BYTES,
  type Vp8FrameHeader,
  type Vp8PayloadDescriptor,
  vp8DescriptorLength,
} from "./vp8/vp8-payload.js";
export { Vp9Depacketizer, type Vp9DropReason } from "./vp9/vp9-depacketizer.js";
export {
  MAX_REFERENCE_DIFFS,
  newVp9Descriptor,
  parseVp9Descriptor,
  type Vp9Descriptor,
  type Vp9DescriptorFault,
  type Vp9PictureGroupEntry,
  type Vp9ScalabilityStructure,
} from "./vp9/vp9-descriptor.js";
export { parseVp9FrameHeader, type Vp9FrameHeader } from "./vp9/vp9-header.js";
export { VP9_MIN_MTU, Vp9Packetizer, type Vp9PacketizerOptions } from "./vp9/vp9-packetizer.js";
