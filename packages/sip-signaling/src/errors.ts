/**
 * SipSignalingErrorCode names every failure `@framewire/sip-signaling` reports; each maps to an
 * RFC rule. The SDP codes map to SIP responses: `SDP_MALFORMED` and `SDP_TOO_LARGE` to 400 (or
 * 488), `SDP_NO_ACCEPTABLE_AUDIO` to 488 Not Acceptable Here (RFC 3261 §21.4.26).
 */
export type SipSignalingErrorCode =
  | "SDP_MALFORMED"
  | "SDP_TOO_LARGE"
  | "SDP_NO_ACCEPTABLE_AUDIO"
  | "SDP_ANSWER_MISMATCH"
  | "BAD_OPTION"
  | "PORTS_EXHAUSTED"
  | "NOT_STARTED";

/**
 * SipSignalingError is the typed error of `@framewire/sip-signaling`: `code` is stable and
 * machine-readable, the message cites the rule that was broken.
 */
export class SipSignalingError extends Error {
  /** code identifies the failure; switch on it rather than on the message. */
  readonly code: SipSignalingErrorCode;

  constructor(code: SipSignalingErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = "SipSignalingError";
    this.code = code;
  }
}
