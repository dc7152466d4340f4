// @framewire/sip-signaling: explicit public API.

export type {
  InviteInfo,
  InviteVerdict,
  SipVideoBackendOptions,
} from "./backend-options.js";
export {
  CALL_CLOSED_BEFORE_ANSWER,
  type CallRejection,
  callRejectionOf,
} from "./call-rejection.js";
export {
  SipCallRejectedError,
  SipSignalingError,
  type SipSignalingErrorCode,
} from "./errors.js";
export { PortPool, type PortPoolOptions } from "./port-pool.js";
export { DEFAULT_H264_PROFILE_LEVEL_IDS } from "./sdp/codecs.js";
export { createOffer, OFFER_PAYLOAD_TYPES } from "./sdp/create-offer.js";
export { negotiateAnswer } from "./sdp/negotiate-answer.js";
export { parseAnswer } from "./sdp/parse-answer.js";
export { parseSessionDescription } from "./sdp/parse-session-description.js";
export { OFFER_RTX_PAYLOAD_TYPES } from "./sdp/rtx.js";
export { SDP_LIMITS } from "./sdp/sdp-limits.js";
export type {
  AudioCodecName,
  ConnectionAddress,
  MediaDirection,
  MediaKind,
  NegotiatedCodec,
  NegotiatedMedia,
  NegotiatedRtx,
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
  SsrcGroup,
  VideoCodecName,
} from "./sdp/sdp-types.js";
export {
  parseSpropParameterSets,
  type SpropParameterSets,
  type SpropProblem,
} from "./sdp/sprop-parameter-sets.js";
export { type SdpFailureStatus, sdpFailureStatus } from "./sdp-failure-status.js";
export type {
  CallEndReason,
  CallState,
  CallTermination,
  IncomingCall,
  IncomingReinvite,
  LocalEndReason,
  OutgoingCall,
  SessionTimerState,
  SipCall,
} from "./sip/call-types.js";
export {
  bindNodeDatagramSocket,
  type DatagramSocket,
  type DatagramSocketBindOptions,
  type DatagramSocketFactory,
} from "./sip/datagram-socket.js";
export {
  DEFAULT_DIGEST_ALGORITHMS,
  DigestAuthenticator,
  type DigestAuthOptions,
  type DigestCredentialLookup,
  type DigestCredentials,
  type DigestRequest,
  type DigestVerdict,
  parseDigestCredentials,
} from "./sip/digest-auth.js";
export { DigestClient, type DigestClientCredentials } from "./sip/digest-client.js";
export {
  computeDigestResponse,
  type DigestAlgorithm,
  type DigestResponseInput,
} from "./sip/digest-response.js";
export { SUPPORTED_METHODS } from "./sip/methods.js";
export {
  DEFAULT_RATE_LIMITS,
  type RateLimit,
  type RateVerdict,
  type RequestRateLimits,
} from "./sip/request-rate-limiter.js";
export type { RetransmissionStats } from "./sip/retransmission-stats.js";
export {
  DEFAULT_MAX_SERVER_TRANSACTIONS,
  DEFAULT_SERVER_TRANSACTION_RATE,
  type ServerTransactionGateStats,
} from "./sip/server-transaction-gate.js";
export {
  negotiateAsUas,
  type Refresher,
  readSessionTimer,
  SESSION_TIMER_DEFAULTS,
  type SessionExpires,
  type SessionTimerOptions,
  type SessionTimerRequest,
  type UasDecision,
  uacRequestHeaders,
} from "./sip/session-timer.js";
export { SipUserAgent } from "./sip/sip-user-agent.js";
export type {
  CallOptions,
  SipListenAddress,
  SipLogFunction,
  SipLogLevel,
  SipUserAgentOptions,
  SipUserAgentStats,
} from "./sip/sip-user-agent-types.js";
export {
  T1,
  T2,
  T4,
  UDP_TRANSACTION_TIMERS,
  withUdpTransactionTimers,
} from "./sip/timers.js";
export {
  DEFAULT_RECEIVE_BUFFER_BYTES,
  MAX_SIP_DATAGRAM_BYTES,
  type SipTransportStats,
} from "./sip/transport-stats.js";
export type { SipAddress } from "./sip/via.js";
export {
  type BackendCallOptions,
  type SipCallMetadata,
  type SipMediaStats,
  type SipSessionEvent,
  SipVideoBackend,
} from "./sip-video-backend.js";
