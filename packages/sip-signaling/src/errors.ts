import { FramewireError } from "@framewire/errors";

/**
 * SipSignalingErrorCode names every failure `@framewire/sip-signaling` reports, from the SDP layer,
 * the port pool, `SipVideoBackend` and the SIP layer (`src/sip/`); README.md's Errors section says
 * when each is thrown. How an SDP failure becomes a SIP response is `sdpFailureStatus`.
 */
export type SipSignalingErrorCode =
  // SDP (RFC 4566, RFC 3264)
  | "SDP_MALFORMED"
  | "SDP_TOO_LARGE"
  | "SDP_NO_ACCEPTABLE_AUDIO"
  | "SDP_ANSWER_MISMATCH"
  // options and state
  | "BAD_OPTION"
  | "INVALID_STATE"
  | "NOT_STARTED"
  | "ALREADY_STARTED"
  | "TOO_MANY_CALLS"
  | "PORTS_EXHAUSTED"
  // addressing and transport (RFC 3261 §18, §19, §26.2)
  | "INVALID_URI"
  | "UNROUTABLE"
  | "BIND_FAILED"
  | "TRANSPORT_CLOSED"
  // outgoing calls
  | "CALL_REJECTED"
  | "CALL_CANCELLED"
  | "CALL_TERMINATED"
  | "NO_ANSWER_SDP";

/**
 * SipSignalingError is the one typed error of `@framewire/sip-signaling`: `code` is stable and
 * machine-readable, the message cites the rule that was broken.
 */
export class SipSignalingError extends FramewireError<SipSignalingErrorCode> {}

/**
 * SipCallRejectedError is the `CALL_REJECTED` SipSignalingError: an outgoing INVITE got a final
 * 3xx–6xx (or 408 after Timer B, RFC 3261 §17.1.1.2); `statusCode` says which.
 */
export class SipCallRejectedError extends SipSignalingError {
  /** statusCode is the SIP final response status that rejected the call. */
  readonly statusCode: number;

  constructor(statusCode: number, message: string) {
    super("CALL_REJECTED", message);
    this.statusCode = statusCode;
  }
}
