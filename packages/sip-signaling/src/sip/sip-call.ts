/**
 * SipCallBase implements what incoming and outgoing calls share once a dialog exists: state
 * as an Observable, BYE in both directions, re-INVITE from the remote party (RFC 3261 §14.2).
 * Internal: the public shape is {@link SipCall} in call-types.ts.
 */
import { BehaviorSubject, type Observable, type SchedulerLike, type Subscription } from "rxjs";
import type { Core } from "sip.js";
import { SipSignalingError } from "../errors.js";
import type {
  CallState,
  CallTermination,
  IncomingReinvite,
  LocalEndReason,
  SessionTimerState,
  SipCall,
} from "./call-types.js";
import {
  expiryDelayMs,
  negotiateAsUas,
  parseMinSE,
  readSessionTimer,
  refreshDelayMs,
  type SessionTimerOptions,
  type UasDecision,
  uacRequestHeaders,
  uasResponseHeaders,
} from "./session-timer.js";

/** CallHost is what a call needs from its user agent (internal). */
export interface CallHost {
  /** enter runs a call into the sip.js core with UDP timers and retransmission supervision. */
  enter<T>(fn: () => T): T;
  readonly scheduler: SchedulerLike;
  /** contactHeader is our `Contact: <...>` header line. */
  readonly contactHeader: string;
  readonly reinviteTimeoutMs: number;
  release(call: SipCallBase): void;
  warn(message: string): void;
}

/** sdpBody wraps SDP text as a sip.js message body. */
export function sdpBody(sdp: string): Core.Body {
  return { contentDisposition: "session", contentType: "application/sdp", content: sdp };
}

/** isSdpContentType tells whether a Content-Type header value names application/sdp. */
export function isSdpContentType(value: string | undefined): boolean {
  return (value ?? "").split(";")[0]?.trim().toLowerCase() === "application/sdp";
}

/** REFRESH_RETRIES bounds the retries of one refresh (491 glare, 5xx, a transaction in progress). */
const REFRESH_RETRIES = 3;

/** RunningTimer is a call's session timer while it runs (internal). */
interface RunningTimer {
  interval: number;
  local: boolean;
  refreshesSent: number;
  refreshesReceived: number;
  refresh: Subscription | undefined;
  expiry: Subscription | undefined;
}

/** headersOf reads a message's headers for the session-timer negotiation. */
export function headersOf(message: {
  getHeaders(name: string): string[];
}): (name: string) => readonly string[] {
  return (name) => message.getHeaders(name);
}

/** checkSessionTimerOptions throws BAD_OPTION for intervals RFC 4028 cannot use. */
function checkSessionTimerOptions(o: SessionTimerOptions): void {
  const ok = (n: number) => Number.isInteger(n) && n >= 1;
  if (!ok(o.sessionExpires) || !ok(o.minSE) || o.sessionExpires < o.minSE) {
    throw new SipSignalingError(
      "BAD_OPTION",
      `session timer needs integer seconds with sessionExpires ≥ minSE ≥ 1 (got ${o.sessionExpires}, ${o.minSE})`,
    );
  }
}

/** SipCallBase is the base of the incoming and outgoing call implementations. */
export abstract class SipCallBase implements SipCall {
  readonly callId: string;
  readonly state$: Observable<CallState>;
  readonly ended: Promise<CallTermination>;
  onBye: (() => void) | undefined;
  onReinvite: ((reinvite: IncomingReinvite) => void) | undefined;
  onRefreshAnswer: ((offerSdp: string, answerSdp: string) => void) | undefined;

  protected readonly host: CallHost;
  protected session: Core.Session | undefined;
  protected remote: string | undefined;
  protected local: string | undefined;
  private readonly stateSubject: BehaviorSubject<CallState>;
  private resolveEnded!: (termination: CallTermination) => void;
  private terminationValue: CallTermination | undefined;
  private readonly pendingByes = new Set<() => void>();
  /** timerOptions: RFC 4028 is enabled on this call (enableSessionTimer). */
  protected timerOptions: SessionTimerOptions | undefined;
  private timer: RunningTimer | undefined;

  protected constructor(host: CallHost, callId: string, initial: CallState) {
    this.host = host;
    this.callId = callId;
    this.stateSubject = new BehaviorSubject<CallState>(initial);
    this.state$ = this.stateSubject.asObservable();
    this.ended = new Promise((resolve) => {
      this.resolveEnded = resolve;
    });
    this.onBye = undefined;
    this.onReinvite = undefined;
    this.onRefreshAnswer = undefined;
  }

  get state(): CallState {
    return this.stateSubject.value;
  }

  get termination(): CallTermination | undefined {
    return this.terminationValue;
  }

  get remoteSdp(): string | undefined {
    return this.remote;
  }

  get localSdp(): string | undefined {
    return this.local;
  }

  bye(reason: LocalEndReason = "local-bye"): Promise<void> {
    if (this.state !== "established") {
      return Promise.reject(
        new SipSignalingError(
          "INVALID_STATE",
          `bye() needs an established call, not "${this.state}"`,
        ),
      );
    }
    return this.sendBye({ reason });
  }

  enableSessionTimer(options: SessionTimerOptions): void {
    checkSessionTimerOptions(options);
    this.timerOptions = { sessionExpires: options.sessionExpires, minSE: options.minSE };
  }

  get sessionTimer(): SessionTimerState | undefined {
    const t = this.timer;
    if (t === undefined) return undefined;
    return {
      interval: t.interval,
      refresher: t.local ? "local" : "remote",
      refreshesSent: t.refreshesSent,
      refreshesReceived: t.refreshesReceived,
    };
  }

  /**
   * runSessionTimer (re)starts the session timer after a 2xx that (re)negotiated it: we refresh
   * at half the interval when `local`; without a refresh in time, BYE ("session-expired"):
   * before the expiration when the remote refreshes (RFC 4028 §10), at it when we do and our
   * refreshes went unanswered.
   */
  protected runSessionTimer(interval: number, local: boolean): void {
    const previous = this.timer;
    this.clearSessionTimer();
    if (this.state === "terminated") return;
    const scheduler = this.host.scheduler;
    const t: RunningTimer = {
      interval,
      local,
      refreshesSent: previous?.refreshesSent ?? 0,
      refreshesReceived: previous?.refreshesReceived ?? 0,
      refresh: undefined,
      expiry: undefined,
    };
    this.timer = t;
    if (local) t.refresh = scheduler.schedule(() => this.refresh(0), refreshDelayMs(interval));
    t.expiry = scheduler.schedule(
      () => {
        t.expiry = undefined;
        if (this.timer !== t || this.state !== "established") return;
        this.host.warn(`session timer of ${this.callId} expired (${interval} s): BYE`);
        void this.sendBye({ reason: "session-expired" });
      },
      local ? interval * 1000 : expiryDelayMs(interval),
    );
  }

  /** clearSessionTimer stops the refresh and expiry timers (the negotiated state stays). */
  private clearSessionTimer(): void {
    const t = this.timer;
    if (t === undefined) return;
    t.refresh?.unsubscribe();
    t.expiry?.unsubscribe();
    t.refresh = undefined;
    t.expiry = undefined;
  }

  /**
   * refresh sends a session refresh: a re-INVITE with our current SDP (unchanged, so the media
   * stays as it is) and `Session-Expires: N;refresher=uac` (RFC 4028 §7.4). 2xx: the timer
   * restarts with the interval the answer gives; 422: again with its Min-SE; 408 or 481: the
   * dialog is gone, BYE (RFC 3261 §12.2.1.2); anything else (491, 5xx): tried again shortly,
   * at most REFRESH_RETRIES times, the expiry timer still running.
   */
  private refresh(attempt: number): void {
    const t = this.timer;
    const session = this.session;
    const options = this.timerOptions;
    const offer = this.local;
    if (t === undefined) return;
    t.refresh = undefined;
    if (this.state !== "established" || session === undefined) return;
    if (options === undefined || offer === undefined) return;
    const retry = (why: string): void => {
      if (attempt >= REFRESH_RETRIES || this.timer !== t || this.state !== "established") return;
      this.host.warn(`session refresh of ${this.callId}: ${why}; trying again`);
      const delay = Math.min(2000, t.interval * 125);
      t.refresh = this.host.scheduler.schedule(() => this.refresh(attempt + 1), delay);
    };
    const headers = [
      this.host.contactHeader,
      ...uacRequestHeaders(t.interval, Math.min(options.minSE, t.interval), true),
    ];
    try {
      this.host.enter(() =>
        session.invite(
          {
            onAccept: (response) => {
              try {
                this.host.enter(() => response.ack());
              } catch (error) {
                this.host.warn(`ACK of the refresh of ${this.callId}: ${String(error)}`);
              }
              if (this.timer !== t || this.state !== "established") return;
              const answer = response.message.body;
              if (answer !== "") {
                this.remote = answer;
                const handler = this.onRefreshAnswer;
                if (handler !== undefined)
                  this.invoke(() => handler(offer, answer), "onRefreshAnswer");
              }
              const se = readSessionTimer(headersOf(response.message)).sessionExpires;
              t.refreshesSent++;
              // without Session-Expires in the 2xx the peer has no timer: we go on refreshing
              this.runSessionTimer(se?.interval ?? t.interval, (se?.refresher ?? "uac") === "uac");
            },
            onReject: (response) => {
              const code = response.message.statusCode ?? 0;
              if (this.timer !== t || this.state !== "established") return;
              if (code === 408 || code === 481) {
                void this.sendBye({ reason: "session-expired", statusCode: code });
              } else if (code === 422) {
                const min = parseMinSE(response.message.getHeader("min-se") ?? "");
                if (min !== undefined && min > t.interval) t.interval = min;
                retry("422 Session Interval Too Small");
              } else {
                retry(`answered ${code}`);
              }
            },
            onRedirect: (response) => retry(`answered ${response.message.statusCode ?? 0}`),
          },
          { body: sdpBody(offer), extraHeaders: headers },
        ),
      );
    } catch (error) {
      // an INVITE transaction in progress in either direction (RFC 3261 §14.1)
      retry(String(error));
    }
  }

  /**
   * refreshDecision is the session-timer answer to a re-INVITE from the remote (a refresh,
   * RFC 4028 §9): undefined when session timers are not enabled on this call.
   */
  private refreshDecision(request: Core.IncomingInviteRequest): UasDecision | undefined {
    const options = this.timerOptions;
    if (options === undefined) return undefined;
    return negotiateAsUas(readSessionTimer(headersOf(request.message)), options);
  }

  /** refreshed restarts the timer after our 2xx to a remote refresh. */
  private refreshed(decision: UasDecision | undefined): void {
    if (decision?.kind !== "timer") return;
    this.runSessionTimer(decision.interval, decision.refresher === "uas");
    if (this.timer !== undefined) this.timer.refreshesReceived++;
  }

  /** Sends BYE on the session and terminates with `termination`. */
  protected sendBye(termination: CallTermination): Promise<void> {
    const session = this.session;
    const done = new Promise<void>((resolve) => {
      if (session === undefined) {
        resolve();
        return;
      }
      const settle = (): void => {
        this.pendingByes.delete(settle);
        resolve();
      };
      this.pendingByes.add(settle);
      try {
        this.host.enter(() =>
          session.bye({ onAccept: settle, onReject: settle, onRedirect: settle }),
        );
      } catch (error) {
        this.host.warn(`BYE on ${this.callId} failed: ${String(error)}`);
        settle();
      }
    });
    this.terminate(termination);
    return done;
  }

  /** Attaches the dialog: BYE and re-INVITE from the remote party come through it. */
  protected attachSession(session: Core.Session, extra: Partial<Core.SessionDelegate> = {}): void {
    this.session = session;
    session.delegate = {
      ...extra,
      onBye: (request) => {
        request.accept();
        if (this.state === "terminated") return;
        this.terminate({ reason: "remote-bye" });
        this.invoke(this.onBye, "onBye");
      },
      onInvite: (request) => this.receiveReinvite(request),
    };
  }

  private receiveReinvite(request: Core.IncomingInviteRequest): void {
    request.trying();
    const offer = request.message.body;
    const reply = (options: Core.ResponseOptions): void => {
      try {
        this.host.enter(() => request.reject(options));
      } catch (error) {
        this.host.warn(`cannot reject re-INVITE on ${this.callId}: ${String(error)}`);
      }
    };
    const decision = this.refreshDecision(request);
    if (decision?.kind === "too-small") {
      reply({
        statusCode: 422,
        reasonPhrase: "Session Interval Too Small",
        extraHeaders: [`Min-SE: ${decision.minSE}`],
      });
      return;
    }
    const okHeaders = [
      this.host.contactHeader,
      ...(decision?.kind === "timer" ? uasResponseHeaders(decision) : []),
    ];
    const supported = decision === undefined ? {} : { supported: ["timer"] };
    if (offer === "") {
      // Offerless re-INVITE: our current SDP is the offer, the answer comes in the ACK.
      if (this.local === undefined) {
        reply({ statusCode: 488 });
        return;
      }
      this.host.enter(() =>
        request.accept({
          statusCode: 200,
          body: sdpBody(this.local!),
          extraHeaders: okHeaders,
          ...supported,
        }),
      );
      this.refreshed(decision);
      return;
    }
    if (!isSdpContentType(request.message.getHeader("content-type"))) {
      reply({ statusCode: 415, extraHeaders: ["Accept: application/sdp"] });
      return;
    }
    let settled = false;
    let timer: Subscription | undefined;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      timer?.unsubscribe();
      return true;
    };
    const reinvite: IncomingReinvite = {
      offerSdp: offer,
      accept: (answerSdp) => {
        if (!settle()) throw new SipSignalingError("INVALID_STATE", "re-INVITE already answered");
        this.host.enter(() =>
          request.accept({
            statusCode: 200,
            body: sdpBody(answerSdp),
            extraHeaders: okHeaders,
            ...supported,
          }),
        );
        this.remote = offer;
        this.local = answerSdp;
        this.refreshed(decision);
      },
      reject: (statusCode = 488) => {
        if (!settle()) throw new SipSignalingError("INVALID_STATE", "re-INVITE already answered");
        if (statusCode < 400 || statusCode > 699) {
          throw new SipSignalingError(
            "BAD_OPTION",
            `re-INVITE rejection needs a status 400–699, not ${statusCode}`,
          );
        }
        reply({ statusCode });
      },
    };
    const handler = this.onReinvite;
    if (handler === undefined) {
      reinvite.reject(488);
      return;
    }
    timer = this.host.scheduler.schedule(() => {
      timer = undefined;
      if (settle()) reply({ statusCode: 500, extraHeaders: ["Retry-After: 1"] });
    }, this.host.reinviteTimeoutMs);
    try {
      handler(reinvite);
    } catch (error) {
      this.host.warn(`onReinvite threw: ${String(error)}`);
      if (settle()) reply({ statusCode: 500 });
    }
  }

  /** Moves to `state` (no-op once terminated). */
  protected setState(state: CallState): void {
    if (this.state === "terminated" || this.state === state) return;
    this.stateSubject.next(state);
  }

  /** Terminates the call once: state "terminated", `ended` resolved, released by the host. */
  protected terminate(termination: CallTermination): void {
    if (this.terminationValue !== undefined) return;
    this.terminationValue = termination;
    this.clearSessionTimer();
    this.onTerminated();
    this.host.release(this);
    this.stateSubject.next("terminated");
    this.stateSubject.complete();
    this.resolveEnded(termination);
  }

  /** onTerminated lets subclasses clear their timers. */
  protected onTerminated(): void {}

  /** Calls a user callback; a throwing callback is logged, never breaks SIP processing. */
  protected invoke(callback: (() => void) | undefined, name: string): void {
    if (callback === undefined) return;
    try {
      callback();
    } catch (error) {
      this.host.warn(`${name} threw: ${String(error)}`);
    }
  }

  /**
   * shutdown ends the call because the user agent stops (internal): BYE, CANCEL or 503 as
   * the state requires, sent once without waiting; pending bye() promises resolve.
   */
  shutdown(): void {
    if (this.state !== "terminated") {
      try {
        this.hangUpForShutdown();
      } catch (error) {
        this.host.warn(`shutdown of ${this.callId}: ${String(error)}`);
      }
      this.terminate({ reason: "stopped" });
    }
    for (const settle of [...this.pendingByes]) settle();
  }

  /** hangUpForShutdown sends what ends the call in its current state. */
  protected abstract hangUpForShutdown(): void;
}
