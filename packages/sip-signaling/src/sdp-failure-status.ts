import { SipSignalingError } from "./errors.js";

/** SdpFailureStatus is the SIP final status an offer that could not be answered gets. */
export type SdpFailureStatus = 400 | 488 | 500;

/**
 * sdpFailureStatus maps a failure to answer an SDP offer (an INVITE's or a re-INVITE's) to the
 * one SIP status it is rejected with:
 * - an SDP we cannot parse, or that is hostile (`SDP_MALFORMED`, `SDP_TOO_LARGE`,
 *   `SDP_ANSWER_MISMATCH`): 400 Bad Request (RFC 3261 §21.4.1);
 * - an SDP we parse but cannot accept (`SDP_NO_ACCEPTABLE_AUDIO`: no codec in common): 488 Not
 *   Acceptable Here (RFC 3261 §21.4.26, RFC 3264 §6);
 * - anything else (our own options, ports, a bug: any other code or error): 500 Server Internal
 *   Error (RFC 3261 §21.5.1).
 */
export function sdpFailureStatus(error: unknown): SdpFailureStatus {
  if (!(error instanceof SipSignalingError)) return 500;
  switch (error.code) {
    case "SDP_MALFORMED":
    case "SDP_TOO_LARGE":
    case "SDP_ANSWER_MISMATCH":
      return 400;
    case "SDP_NO_ACCEPTABLE_AUDIO":
      return 488;
    default:
      return 500;
  }
}
