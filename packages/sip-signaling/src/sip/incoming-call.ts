/**
 * The implementation of {@link IncomingCall}: an INVITE received by the user agent
 * (RFC 3261 §13.3), the offer, the caller, and the answer to give. Internal.
 */
import type { Subscription } from "rxjs";
import type { Core } from "sip.js";
import { SipSignalingError } from "../errors.js";
import type { IncomingCall, LocalEndReason } from "./call-types.js";
import { negotiateAsUas, readSessionTimer, uasResponseHeaders } from "./session-timer.js";
import { type CallHost, headersOf, SipCallBase, sdpBody } from "./sip-call.js";

/** IncomingCallInit is what the user agent passes to a new incoming call (internal). */
export interface IncomingCallInit {
  readonly request: Core.IncomingInviteRequest;
  /** answerTimeoutMs: unanswered after this, the call gets 480 and ends. */
  readonly answerTimeoutMs: number;
  /** username is the authenticated Digest username, if the UAS authenticates. */
  readonly username: string | undefined;
}

/** IncomingCallImpl implements {@link IncomingCall} over a sip.js INVITE server. */
export class IncomingCallImpl extends SipCallBase implements IncomingCall {
  readonly callerUri: string;
  readonly callerName: string | undefined;
  readonly requestUri: string;
  readonly user: string | undefined;
  readonly username: string | undefined;
  onCancel: (() => void) | undefined;

  private readonly request: Core.IncomingInviteRequest;
  private answerTimer: Subscription | undefined;
  private byeAfterAck: (() => void) | undefined;

  constructor(host: CallHost, init: IncomingCallInit) {
    const message = init.request.message;
    super(host, message.callId, "offered");
    this.request = init.request;
    this.remote = message.body;
    this.callerUri = message.from.uri.toString();
    this.callerName = message.from.displayName === "" ? undefined : message.from.displayName;
    this.requestUri = message.ruri?.toString() ?? "";
    this.user = message.ruri?.user;
    this.username = init.username;
    this.onCancel = undefined;
    init.request.delegate = { onCancel: () => this.receiveCancel() };
    this.answerTimer = host.scheduler.schedule(() => {
      this.answerTimer = undefined;
      if (this.state !== "offered" && this.state !== "ringing") return;
      this.respond({ statusCode: 480 });
      this.terminate({ reason: "answer-timeout", statusCode: 480 });
    }, init.answerTimeoutMs);
  }

  override get remoteSdp(): string {
    return this.remote ?? "";
  }

  get sessionIntervalTooSmall(): number | undefined {
    const d = this.timerDecision();
    return d?.kind === "too-small" ? d.minSE : undefined;
  }

  /** timerDecision is the RFC 4028 answer to the INVITE, with session timers enabled. */
  private timerDecision() {
    const options = this.timerOptions;
    if (options === undefined) return undefined;
    return negotiateAsUas(readSessionTimer(headersOf(this.request.message)), options);
  }

  progress(): void {
    if (this.state !== "offered" && this.state !== "ringing") {
      throw new SipSignalingError(
        "INVALID_STATE",
        `progress() needs an unanswered call, not "${this.state}"`,
      );
    }
    this.host.enter(() => this.request.progress({ statusCode: 180 }));
    this.setState("ringing");
  }

  accept(answerSdp: string): void {
    if (this.state !== "offered" && this.state !== "ringing") {
      throw new SipSignalingError(
        "INVALID_STATE",
        `accept() needs an unanswered call, not "${this.state}"`,
      );
    }
    if (answerSdp.trim() === "")
      throw new SipSignalingError("BAD_OPTION", "accept() needs an SDP answer");
    this.clearAnswerTimer();
    // RFC 4028 §9: the 2xx says the interval and who refreshes (a too-small interval should
    // have been answered 422 before: then no timer runs)
    const decision = this.timerDecision();
    const timer = decision?.kind === "timer" ? decision : undefined;
    const { session } = this.host.enter(() =>
      this.request.accept({
        statusCode: 200,
        body: sdpBody(answerSdp),
        ...(this.timerOptions === undefined ? {} : { supported: ["timer"] }),
        ...(timer === undefined ? {} : { extraHeaders: uasResponseHeaders(timer) }),
      }),
    );
    this.local = answerSdp;
    this.attachSession(session, {
      onAck: (ack) => {
        // An ACK with SDP answers our offer in an offerless re-INVITE.
        if (ack.message.body !== "") this.remote = ack.message.body;
        if (this.state !== "answered") return;
        this.setState("established");
        const pending = this.byeAfterAck;
        this.byeAfterAck = undefined;
        pending?.();
      },
      onAckTimeout: () => {
        // Timer L fired without ACK (RFC 3261 §13.3.1.4): confirm, then end with BYE.
        this.byeAfterAck = undefined;
        void this.sendBye({ reason: "ack-timeout" });
      },
    });
    this.setState("answered");
    if (timer !== undefined) this.runSessionTimer(timer.interval, timer.refresher === "uas");
  }

  reject(statusCode = 486, reasonPhrase?: string, extraHeaders?: readonly string[]): void {
    if (this.state !== "offered" && this.state !== "ringing") {
      throw new SipSignalingError(
        "INVALID_STATE",
        `reject() needs an unanswered call, not "${this.state}"`,
      );
    }
    if (!Number.isInteger(statusCode) || statusCode < 400 || statusCode > 699) {
      throw new SipSignalingError(
        "BAD_OPTION",
        `reject() needs a status 400–699, not ${statusCode}`,
      );
    }
    this.respond({
      statusCode,
      ...(reasonPhrase === undefined ? {} : { reasonPhrase }),
      ...(extraHeaders === undefined ? {} : { extraHeaders: [...extraHeaders] }),
    });
    this.terminate({ reason: "rejected", statusCode });
  }

  /** Right after accept() the BYE waits for the ACK or its timeout (RFC 3261 §15). */
  override bye(reason: LocalEndReason = "local-bye"): Promise<void> {
    if (this.state !== "answered") return super.bye(reason);
    return new Promise((resolve) => {
      this.byeAfterAck = () => {
        this.sendBye({ reason }).then(resolve, resolve);
      };
      void this.ended.then(() => resolve());
    });
  }

  private receiveCancel(): void {
    // RFC 3261 §9.2: sip.js answered the CANCEL 200; the INVITE gets 487.
    if (this.state !== "offered" && this.state !== "ringing") return;
    this.respond({ statusCode: 487 });
    this.terminate({ reason: "cancelled", statusCode: 487 });
    this.invoke(this.onCancel, "onCancel");
  }

  private respond(options: Core.ResponseOptions): void {
    try {
      this.host.enter(() => this.request.reject(options));
    } catch (error) {
      this.host.warn(`cannot answer ${options.statusCode} to ${this.callId}: ${String(error)}`);
    }
  }

  private clearAnswerTimer(): void {
    this.answerTimer?.unsubscribe();
    this.answerTimer = undefined;
  }

  protected override onTerminated(): void {
    this.clearAnswerTimer();
  }

  protected override hangUpForShutdown(): void {
    if (this.state === "offered" || this.state === "ringing") {
      this.respond({ statusCode: 503 });
    } else if (this.state === "established" && this.session !== undefined) {
      const session = this.session;
      this.host.enter(() => session.bye());
    }
  }
}
