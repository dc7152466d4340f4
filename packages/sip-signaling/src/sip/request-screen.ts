/**
 * What the user agent answers itself, statelessly, before a request reaches sip.js's core:
 * methods it does not handle (405/501), a Require tag (420), an INVITE whose Accept excludes
 * SDP (406), OPTIONS (200 or 481), a branch that belongs to someone else's transaction, too
 * many server transactions in progress or in the table (503), an unwanted Request-URI user (404).
 */
import { Core } from "sip.js";
import { ALLOW_HEADER, KNOWN_METHODS, SUPPORTED_METHODS } from "./methods.js";
import type { ServerTransactionGate } from "./server-transaction-gate.js";

const SUPPORTED = new Set<string>(SUPPORTED_METHODS);

/** OPTIONS_ANSWER_HEADERS are the header lines our 200 to OPTIONS adds (RFC 3261 §11.2). */
export const OPTIONS_ANSWER_HEADERS: readonly string[] = [ALLOW_HEADER, "Accept: application/sdp"];

/** RequestScreenOptions are the limits a request is screened against. */
export interface RequestScreenOptions {
  /**
   * gate admits a new INVITE's server transaction: 503 beyond its transactions in progress or
   * its table size (finished transactions waiting out their timers count only there).
   */
  readonly gate: ServerTransactionGate;
  /** acceptUser decides which Request-URI users an initial INVITE may call (others get 404). */
  readonly acceptUser: ((user: string | undefined, requestUri: string) => boolean) | undefined;
  /** supported: the option tags a request may Require, lower case (others get 420). */
  readonly supported?: ReadonlySet<string>;
}

/** Whether the request's Accept header fields admit application/sdp (a media range of §20.1). */
function acceptsSdp(message: Core.IncomingRequestMessage): boolean {
  return message
    .getHeaders("accept")
    .flatMap((v) => v.split(","))
    .map((range) => (range.split(";")[0] ?? "").trim().toLowerCase())
    .some((type) => type === "application/sdp" || type === "application/*" || type === "*/*");
}

/** Whether two requests' top Via sent-by (host, port) are equal. */
function sameSentBy(a: Core.IncomingRequestMessage, b: Core.IncomingRequestMessage): boolean {
  return a.via.host.toLowerCase() === b.via.host.toLowerCase() && a.via.port === b.via.port;
}

/**
 * screenRequest answers `message` statelessly when it must not reach the core, with `reject`
 * for a refusal (counted by the caller) and directly for OPTIONS' 200; true when the core takes it.
 */
export function screenRequest(
  core: Core.UserAgentCore,
  message: Core.IncomingRequestMessage,
  options: RequestScreenOptions,
  reject: (response: Core.ResponseOptions) => void,
): boolean {
  const method = message.method;
  if (!SUPPORTED.has(method)) {
    // RFC 3261 §8.2.1: 405 with Allow for a known method, 501 for an unknown one.
    const statusCode = KNOWN_METHODS.has(method) ? 405 : 501;
    reject({ statusCode, extraHeaders: [ALLOW_HEADER] });
    return false;
  }
  // RFC 3261 §8.2.2.3: a Require tag we do not support gets 420 listing them (not for ACK and
  // CANCEL). Proxy-Require is for proxies: a UAS ignores it (RFC 4475 §3.3.5).
  if (method !== Core.C.ACK && method !== Core.C.CANCEL) {
    const required = message
      .getHeaders("require")
      .flatMap((v) => v.split(","))
      .map((t) => t.trim())
      .filter((t) => t !== "" && options.supported?.has(t.toLowerCase()) !== true);
    if (required.length > 0) {
      reject({ statusCode: 420, extraHeaders: [`Unsupported: ${required.join(", ")}`] });
      return false;
    }
  }
  // RFC 3261 §21.4.7: our answer to an INVITE carries SDP; an Accept without it gets 406
  // (RFC 4475 §3.3.15). An empty Accept accepts nothing (§20.1).
  if (method === Core.C.INVITE && message.hasHeader("accept") && !acceptsSdp(message)) {
    reject({ statusCode: 406, extraHeaders: ["Accept: application/sdp"] });
    return false;
  }
  if (method === Core.C.OPTIONS) {
    // RFC 3261 §11.2; in a dialog that does not exist, 481 (§12.2.2).
    const inDialog = message.toTag !== undefined && message.toTag !== "";
    const known = core.dialogs.has(message.callId + message.toTag + message.fromTag);
    if (inDialog && !known) {
      reject({ statusCode: 481 });
      return false;
    }
    core.replyStateless(message, { statusCode: 200, extraHeaders: [...OPTIONS_ANSWER_HEADERS] });
    return false;
  }
  // RFC 3261 §17.2.3 matches a server transaction on branch AND sent-by; sip.js uses the
  // branch only (user-agent-core.js receiveRequestFromTransport "FIXME: Currently only
  // using rule 1"), so a request reusing someone else's branch (e.g. a forged CANCEL) would
  // reach their transaction. Such a request matches no transaction.
  const existing = core.userAgentServers.get(message.viaBranch);
  if (existing !== undefined && !sameSentBy(existing.transaction.request, message)) {
    if (method === Core.C.CANCEL) reject({ statusCode: 481 });
    else if (method !== Core.C.ACK) reject({ statusCode: 500, extraHeaders: ["Retry-After: 1"] });
    return false;
  }
  const ruri = message.ruri;
  const initialInvite = method === Core.C.INVITE && (message.toTag ?? "") === "";
  const isNew = existing === undefined;
  if (method === Core.C.INVITE && isNew && options.gate.decide(core.userAgentServers) !== "open") {
    reject({ statusCode: 503, extraHeaders: ["Retry-After: 5"] });
    return false;
  }
  if (initialInvite && ruri !== undefined) {
    const accept = options.acceptUser;
    if (accept !== undefined && !accept(ruri.user, ruri.toString())) {
      reject({ statusCode: 404 });
      return false;
    }
  }
  return true;
}
