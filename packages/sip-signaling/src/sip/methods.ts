/** The SIP methods this user agent handles, and those it knows of but refuses. */

/** SUPPORTED_METHODS are the methods this user agent handles (the Allow header, RFC 3261 §20.5). */
export const SUPPORTED_METHODS = ["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS"] as const;

/** ALLOW_HEADER is our Allow header line, listing {@link SUPPORTED_METHODS}. */
export const ALLOW_HEADER = `Allow: ${SUPPORTED_METHODS.join(", ")}`;

/** Methods we recognise but do not support: 405 (RFC 3261 §8.2.1); anything else gets 501. */
export const KNOWN_METHODS = new Set([
  "INFO",
  "MESSAGE",
  "NOTIFY",
  "PRACK",
  "PUBLISH",
  "REFER",
  "REGISTER",
  "SUBSCRIBE",
  "UPDATE",
]);
