/**
 * SipErrorCode names every failure the SIP layer (`src/sip/`) reports.
 *
 * Temporary: the package-wide `SipSignalingError` (src/errors.ts) takes these codes over.
 */
export type SipErrorCode =
  | "BAD_OPTION"
  | "INVALID_STATE"
  | "INVALID_URI"
  | "NOT_STARTED"
  | "ALREADY_STARTED"
  | "BIND_FAILED"
  | "UNROUTABLE"
  | "TRANSPORT_CLOSED"
  | "CALL_REJECTED"
  | "CALL_CANCELLED"
  | "CALL_TERMINATED"
  | "NO_ANSWER_SDP"
  | "TOO_MANY_CALLS";

/**
 * SipError is the typed error of the SIP layer: `code` is stable and machine-readable,
 * `statusCode` carries the SIP status when a final response caused the failure.
 */
export class SipError extends Error {
  /** code identifies the failure; switch on it rather than on the message. */
  readonly code: SipErrorCode;
  /** statusCode is the SIP final response status behind the failure, when there was one. */
  readonly statusCode: number | undefined;

  constructor(code: SipErrorCode, message: string, statusCode?: number) {
    super(`${code}: ${message}`);
    this.name = "SipError";
    this.code = code;
    this.statusCode = statusCode;
  }
}
