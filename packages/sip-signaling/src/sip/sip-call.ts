/**
 * SipCallBase implements what incoming and outgoing calls share once a dialog exists: state
 * as an Observable, BYE in both directions, re-INVITE from the remote party (RFC 3261 §14.2).
 * Internal: the public shape is {@link SipCall} in call-types.ts.
 */
import { BehaviorSubject, type Observable, type SchedulerLike, type Subscription } from "rxjs";
import type { Core } from "sip.js";
import { SipSignalingError } from "../errors.js";
import type { CallState, CallTermination, IncomingReinvite, SipCall } from "./call-types.js";

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

/** SipCallBase is the base of the incoming and outgoing call implementations. */
export abstract class SipCallBase implements SipCall {
  readonly callId: string;
  readonly state$: Observable<CallState>;
  readonly ended: Promise<CallTermination>;
  onBye: (() => void) | undefined;
  onReinvite: ((reinvite: IncomingReinvite) => void) | undefined;

  protected readonly host: CallHost;
  protected session: Core.Session | undefined;
  protected remote: string | undefined;
  protected local: string | undefined;
  private readonly stateSubject: BehaviorSubject<CallState>;
  private resolveEnded!: (termination: CallTermination) => void;
  private terminationValue: CallTermination | undefined;
  private readonly pendingByes = new Set<() => void>();

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

  bye(): Promise<void> {
    if (this.state !== "established") {
      return Promise.reject(
        new SipSignalingError(
          "INVALID_STATE",
          `bye() needs an established call, not "${this.state}"`,
        ),
      );
    }
    return this.sendBye({ reason: "local-bye" });
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
    if (offer === "") {
      // Offerless re-INVITE: our current SDP is the offer, the answer comes in the ACK.
      if (this.local === undefined) {
        reply({ statusCode: 488 });
        return;
      }
      request.accept({
        statusCode: 200,
        body: sdpBody(this.local),
        extraHeaders: [this.host.contactHeader],
      });
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
            extraHeaders: [this.host.contactHeader],
          }),
        );
        this.remote = offer;
        this.local = answerSdp;
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
