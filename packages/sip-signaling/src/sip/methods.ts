/** The SIP methods this user agent handles, and those it knows of but refuses. */

/** SUPPORTED_METHODS are the methods this user agent handles (the Allow header, RFC 3261 §20.5). */
export const SUPPORTED_METHODS = ["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS"] as const;

/** ALLOW_HEADER is our Allow header line, listing {@link SUPPORTED_METHODS}. */
export const ALLOW_HEADER = `Allow: ${SUPPORTED_METHODS.join(", ")}`;

/**
 * withOurAllow gives an outgoing message the one Allow header of this user agent: sip.js writes
 * its own list (INFO, MESSAGE, NOTIFY, PRACK, REFER, REGISTER, SUBSCRIBE, … which we refuse) into
 * every 2xx to an INVITE and into in-dialog OPTIONS answers. Each Allow line of the head is
 * replaced by {@link ALLOW_HEADER}, once (a second one is dropped); the body is not touched, and
 * a message without Allow is returned as is.
 */
export function withOurAllow(message: string): string {
  const end = message.indexOf("\r\n\r\n");
  const head = end < 0 ? message : message.slice(0, end);
  if (!/\nAllow[ \t]*:/i.test(head)) return message;
  let first = true;
  const rewritten = head
    .split("\r\n")
    .filter((line) => {
      if (!/^Allow[ \t]*:/i.test(line)) return true;
      const keep = first;
      first = false;
      return keep;
    })
    .map((line) => (/^Allow[ \t]*:/i.test(line) ? ALLOW_HEADER : line))
    .join("\r\n");
  return end < 0 ? rewritten : rewritten + message.slice(end);
}

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
