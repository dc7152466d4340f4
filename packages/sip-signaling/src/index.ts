// @framewire/sip-signaling: explicit public API.
export { SipSignalingError, type SipSignalingErrorCode } from "./errors.js";
export { DEFAULT_H264_PROFILE_LEVEL_IDS } from "./sdp/codecs.js";
export { createOffer, OFFER_PAYLOAD_TYPES } from "./sdp/create-offer.js";
export { negotiateAnswer } from "./sdp/negotiate-answer.js";
export { parseAnswer } from "./sdp/parse-answer.js";
export { parseSessionDescription } from "./sdp/parse-session-description.js";
export { SDP_LIMITS } from "./sdp/sdp-limits.js";
export type {
  AudioCodecName,
  ConnectionAddress,
  MediaDirection,
  MediaKind,
  NegotiatedCodec,
  NegotiatedMedia,
  NegotiatedSession,
  ParsedMedia,
  ParsedOffer,
  ParsedSessionDescription,
  RejectedMedia,
  RejectReason,
  RtcpAttribute,
  RtcpFeedback,
  RtcpFeedbackSet,
  RtpFormat,
  SdpAnswer,
  SdpLocalOptions,
  SdpOfferOptions,
  SdpOrigin,
  VideoCodecName,
} from "./sdp/sdp-types.js";
