/**
 * The public shape of calls made and received by {@link SipUserAgent}: interfaces only (the
 * implementations in incoming-call.ts / outgoing-call.ts stay internal, so no sip.js type
 * appears in the public API).
 */
import type { Observable } from "rxjs";
import type { SessionTimerOptions } from "./session-timer.js";

/**
 * CallState is where a call stands:
 * - "offered": an INVITE arrived, only 100 Trying was sent;
 * - "calling": our INVITE is out, no provisional response with a tag yet;
 * - "ringing": 180 sent (incoming) or a 1xx other than 100 received (outgoing);
 * - "answered": our 200 OK is out, waiting for the ACK (incoming only);
 * - "established": the ACK arrived (incoming) or was sent (outgoing);
 * - "terminated": the call is over, see {@link SipCall.termination}.
 */
export type CallState =
  | "offered"
  | "calling"
  | "ringing"
  | "answered"
  | "established"
  | "terminated";

/**
 * CallEndReason says why a call ended: "cancelled" (CANCEL before the answer, or cancel()),
 * "rejected" (a final response ≥ 300, ours or the remote's), "remote-bye", "local-bye",
 * "ack-timeout" (no ACK for our 200 OK within 64·T1, RFC 3261 §13.3.1.4: we sent BYE),
 * "answer-timeout" (an incoming call neither answered nor rejected in time: 480 sent),
 * "failed" (e.g. a 2xx without SDP answer), "stopped" (the user agent stopped),
 * "rtp-timeout" (no RTP or RTCP from the remote for the configured time: we sent BYE),
 * "session-expired" (RFC 4028: no session refresh before the session interval ran out, or our
 * refresh got 408/481: we sent BYE).
 */
export type CallEndReason =
  | "cancelled"
  | "rejected"
  | "remote-bye"
  | "local-bye"
  | "ack-timeout"
  | "answer-timeout"
  | "failed"
  | "stopped"
  | "rtp-timeout"
  | "session-expired";

/** LocalEndReason is why we end a call with BYE: by request, or a media or session timeout. */
export type LocalEndReason = "local-bye" | "rtp-timeout" | "session-expired";

/**
 * SessionTimerState is a call's RFC 4028 session timer once negotiated: the interval, whether we
 * refresh (re-INVITE at half of it) or the remote does (BYE from us before it runs out).
 */
export interface SessionTimerState {
  /** interval is the session interval in seconds (Session-Expires). */
  readonly interval: number;
  /** refresher is "local" when we send the refreshes, "remote" when the other side does. */
  readonly refresher: "local" | "remote";
  /** refreshesSent counts our refreshes answered 2xx; refreshesReceived the remote's we answered. */
  readonly refreshesSent: number;
  readonly refreshesReceived: number;
}

/** CallTermination describes how a call ended. */
export interface CallTermination {
  readonly reason: CallEndReason;
  /** statusCode is the SIP status that ended the call, when one did. */
  readonly statusCode?: number;
}

/** IncomingReinvite is a re-INVITE with a new SDP offer, to answer once (RFC 3264 §8). */
export interface IncomingReinvite {
  /** offerSdp is the new SDP offer. */
  readonly offerSdp: string;
  /** accept answers 200 OK with `answerSdp`. */
  accept(answerSdp: string): void;
  /** reject answers with a final status 400–699 (default 488 Not Acceptable Here). */
  reject(statusCode?: number): void;
}

/** SipCall is what incoming and outgoing calls share. */
export interface SipCall {
  /** callId is the Call-ID of the dialog. */
  readonly callId: string;
  /** state$ emits the current state, then every change; it completes when terminated. */
  readonly state$: Observable<CallState>;
  /** state is the current state. */
  readonly state: CallState;
  /** ended resolves when the call is terminated (it never rejects). */
  readonly ended: Promise<CallTermination>;
  /** termination says how the call ended, once terminated. */
  readonly termination: CallTermination | undefined;
  /** remoteSdp is the remote party's current SDP (offer or answer). */
  readonly remoteSdp: string | undefined;
  /** localSdp is our current SDP (offer or answer). */
  readonly localSdp: string | undefined;
  /** onBye is called when the remote party ends the call with BYE (answered 200 OK). */
  onBye: (() => void) | undefined;
  /**
   * onReinvite is called for a re-INVITE with a new offer; answer it with accept/reject.
   * Without a handler it gets 488; unanswered after the re-INVITE timeout, 500.
   * An offerless re-INVITE is answered automatically with our current SDP.
   */
  onReinvite: ((reinvite: IncomingReinvite) => void) | undefined;
  /**
   * onRefreshAnswer is called with the offer and the SDP answer of one of our session refreshes
   * (RFC 4028 re-INVITE with our current SDP) when its 2xx carries one, so the media can follow
   * the answer (e.g. re-target when the remote moved).
   */
  onRefreshAnswer: ((offerSdp: string, answerSdp: string) => void) | undefined;
  /**
   * bye ends an established call (RFC 3261 §15.1.1); `reason` is the termination's (default
   * "local-bye"). The call is terminated at once; the promise resolves when the BYE's final
   * response (or its timeout, or stop()) arrives. Rejects with SipSignalingError INVALID_STATE
   * unless established (or, incoming, answered).
   */
  bye(reason?: LocalEndReason): Promise<void>;
  /**
   * enableSessionTimer applies RFC 4028 session timers to the call with `options`: an incoming
   * call negotiates them when accepted (call it before accept()), an outgoing one from its 2xx
   * (call it before the 2xx arrives; the INVITE must carry `uacRequestHeaders`). Re-INVITEs from
   * the remote are then refreshes (422 when their interval is below our minSE). Throws
   * BAD_OPTION for intervals that are no integers ≥ 1 or a sessionExpires below minSE.
   */
  enableSessionTimer(options: SessionTimerOptions): void;
  /** sessionTimer is the negotiated session timer, undefined when none runs. */
  readonly sessionTimer: SessionTimerState | undefined;
}

/** IncomingCall is one received INVITE and the dialog it creates once accepted. */
export interface IncomingCall extends SipCall {
  /** callerUri is the From URI (e.g. `sip:alice@192.0.2.1`). */
  readonly callerUri: string;
  /** callerName is the From display name, if any. */
  readonly callerName: string | undefined;
  /** requestUri is the Request-URI (e.g. `sip:demo@127.0.0.1:5060`). */
  readonly requestUri: string;
  /** user is the Request-URI user part: the room a bridge joins the caller to. */
  readonly user: string | undefined;
  /** username is the Digest username the caller authenticated as, if authentication is on. */
  readonly username: string | undefined;
  /** remoteSdp is the caller's SDP offer (updated by re-INVITEs). */
  readonly remoteSdp: string;
  /** onCancel is called when the caller cancels before the answer (487 already sent). */
  onCancel: (() => void) | undefined;
  /** progress sends 180 Ringing (100 Trying was sent on arrival). */
  progress(): void;
  /**
   * accept answers 200 OK with `answerSdp` (retransmitted until the ACK, RFC 3261 §13.3.1.4);
   * the state becomes "answered", then "established" when the ACK arrives.
   * A bye() while "answered" waits for the ACK (or its timeout).
   */
  accept(answerSdp: string): void;
  /**
   * sessionIntervalTooSmall is the Min-SE to answer 422 Session Interval Too Small with
   * (RFC 4028 §8.1) when session timers are enabled and the INVITE asks for a shorter interval
   * than our minSE; undefined otherwise.
   */
  readonly sessionIntervalTooSmall: number | undefined;
  /**
   * reject answers with a final status 400–699 (default 486 Busy Here) and ends the call;
   * `extraHeaders` are full header lines (e.g. `Min-SE: 90` with a 422).
   */
  reject(statusCode?: number, reasonPhrase?: string, extraHeaders?: readonly string[]): void;
}

/** OutgoingCall is one INVITE we sent and the dialog its first 2xx creates. */
export interface OutgoingCall extends SipCall {
  /** targetUri is the Request-URI called. */
  readonly targetUri: string;
  /**
   * answer resolves with the SDP answer of the first 2xx (the ACK is sent by then); it rejects
   * with SipCallRejectedError (CALL_REJECTED, statusCode set; 408 after Timer B), CALL_CANCELLED,
   * NO_ANSWER_SDP or CALL_TERMINATED. Not awaiting it is safe (no unhandled rejection).
   */
  readonly answer: Promise<string>;
  /** cancel sends CANCEL for an unanswered call (RFC 3261 §9.1) and ends it. */
  cancel(): void;
}
