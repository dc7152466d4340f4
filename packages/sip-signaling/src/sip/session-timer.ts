/**
 * RFC 4028 session timers, the negotiation: the Session-Expires, Min-SE and Supported headers of
 * a request, what the UAS answers (the interval, who refreshes, or 422 Session Interval Too
 * Small), what the UAC asks for, and when to refresh and when to give up. Pure: no timers (the
 * running part is in sip-call.ts).
 */

/** SessionTimerOptions are our side of RFC 4028, in seconds. */
export interface SessionTimerOptions {
  /** sessionExpires is the interval we ask for, and the most we accept (RFC 4028 §4; 1800). */
  readonly sessionExpires: number;
  /**
   * minSE is the smallest interval we accept; a request asking for less gets 422 with our Min-SE
   * (RFC 4028 §5; 90 on the wire by the RFC, smaller in tests).
   */
  readonly minSE: number;
}

/** SESSION_TIMER_DEFAULTS are RFC 4028's recommended values (§4, §5). */
export const SESSION_TIMER_DEFAULTS: SessionTimerOptions = { sessionExpires: 1800, minSE: 90 };

/** Refresher names who refreshes, as the Session-Expires `refresher` parameter does. */
export type Refresher = "uac" | "uas";

/** SessionExpires is a parsed Session-Expires header (RFC 4028 §4). */
export interface SessionExpires {
  readonly interval: number;
  readonly refresher: Refresher | undefined;
}

/** SessionTimerRequest is what a request (INVITE, re-INVITE) says about session timers. */
export interface SessionTimerRequest {
  readonly sessionExpires: SessionExpires | undefined;
  readonly minSE: number | undefined;
  /** supported: the sender lists `timer` in Supported (or Require). */
  readonly supported: boolean;
}

/** HeaderReader reads every value of a header, by its lower-case name (sip.js `getHeaders`). */
export type HeaderReader = (name: string) => readonly string[];

/** MAX_INTERVAL bounds a parsed interval (a delta-seconds beyond it is taken as this, §4). */
const MAX_INTERVAL = 2 ** 31 - 1;

/** parseSessionExpires reads `delta-seconds *(;se-params)`; undefined when it does not parse. */
export function parseSessionExpires(value: string): SessionExpires | undefined {
  const [delta = "", ...params] = value.split(";").map((p) => p.trim());
  if (!/^\d{1,12}$/.test(delta)) return undefined;
  const interval = Math.min(Number(delta), MAX_INTERVAL);
  let refresher: Refresher | undefined;
  for (const p of params) {
    const m = /^refresher\s*=\s*(uac|uas)$/i.exec(p);
    if (m !== null) refresher = m[1]!.toLowerCase() as Refresher;
  }
  return { interval, refresher };
}

/** parseMinSE reads a Min-SE value (delta-seconds, parameters ignored). */
export function parseMinSE(value: string): number | undefined {
  const delta = value.split(";")[0]?.trim() ?? "";
  return /^\d{1,12}$/.test(delta) ? Math.min(Number(delta), MAX_INTERVAL) : undefined;
}

/** readSessionTimer reads Session-Expires (compact `x`), Min-SE and Supported/Require (`k`). */
export function readSessionTimer(headers: HeaderReader): SessionTimerRequest {
  const se = [...headers("session-expires"), ...headers("x")][0];
  const minSE = headers("min-se")[0];
  const tags = [...headers("supported"), ...headers("k"), ...headers("require")]
    .flatMap((v) => v.split(","))
    .map((t) => t.trim().toLowerCase());
  return {
    sessionExpires: se === undefined ? undefined : parseSessionExpires(se),
    minSE: minSE === undefined ? undefined : parseMinSE(minSE),
    supported: tags.includes("timer"),
  };
}

/** UasDecision is what a UAS answers to a request about session timers. */
export type UasDecision =
  /** 422 Session Interval Too Small with `Min-SE: minSE` (RFC 4028 §8.1). */
  | { readonly kind: "too-small"; readonly minSE: number }
  /** a session timer of `interval` seconds refreshed by `refresher`. */
  | { readonly kind: "timer"; readonly interval: number; readonly refresher: Refresher };

/**
 * negotiateAsUas applies RFC 4028 §9 to a request: an interval below our Min-SE gets 422 (from a
 * UAC that supports timers; another one's is raised to our Min-SE); else
 * the interval is the request's, lowered to our sessionExpires but not below the request's
 * Min-SE; without Session-Expires we insert ours (§9 allows it: the call still ends when the
 * peer vanishes). The refresher is the request's choice, else the UAC when it supports timers,
 * else us (a UAC without support cannot refresh, §9).
 */
export function negotiateAsUas(
  request: SessionTimerRequest,
  ours: SessionTimerOptions,
): UasDecision {
  const se = request.sessionExpires;
  // a UAC without timer support cannot retry after a 422: its interval is raised instead (§8.1)
  if (se !== undefined && se.interval < ours.minSE && request.supported) {
    return { kind: "too-small", minSE: ours.minSE };
  }
  const floor = Math.max(request.minSE ?? 0, ours.minSE);
  const interval = Math.max(
    Math.min(se?.interval ?? ours.sessionExpires, ours.sessionExpires),
    floor,
  );
  const refresher: Refresher = request.supported ? (se?.refresher ?? "uac") : "uas";
  return { kind: "timer", interval, refresher };
}

/**
 * uasResponseHeaders are the 2xx's headers for a timer decision: Session-Expires with the
 * refresher, and `Require: timer` when the UAC refreshes (RFC 4028 §9). (Supported: timer goes
 * in the response's Supported header.)
 */
export function uasResponseHeaders(decision: { interval: number; refresher: Refresher }): string[] {
  return [
    `Session-Expires: ${decision.interval};refresher=${decision.refresher}`,
    ...(decision.refresher === "uac" ? ["Require: timer"] : []),
  ];
}

/**
 * uacRequestHeaders are the headers of an INVITE or a refresh from us (RFC 4028 §7.1, §7.4):
 * Supported: timer, Session-Expires (with `refresher=uac` on a refresh: we keep refreshing),
 * Min-SE.
 */
export function uacRequestHeaders(interval: number, minSE: number, refresh: boolean): string[] {
  return [
    "Supported: timer",
    `Session-Expires: ${interval}${refresh ? ";refresher=uac" : ""}`,
    `Min-SE: ${minSE}`,
  ];
}

/** refreshDelayMs is when the refresher sends its refresh: half the interval (RFC 4028 §10). */
export function refreshDelayMs(interval: number): number {
  return (interval * 1000) / 2;
}

/**
 * expiryDelayMs is when the other side sends BYE without a refresh: before the expiration, by
 * the lesser of 32 s and a third of the interval (RFC 4028 §10).
 */
export function expiryDelayMs(interval: number): number {
  return (interval - Math.min(32, interval / 3)) * 1000;
}
