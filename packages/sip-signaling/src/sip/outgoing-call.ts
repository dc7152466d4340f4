/**
 * The implementation of {@link OutgoingCall}: an INVITE we send with an SDP offer
 * (RFC 3261 §13.2), provisional responses, the 2xx answer and its ACK, forked 2xx, CANCEL
 * and BYE. Internal.
 */
import type { Core } from "sip.js";
import { SipCallRejectedError, SipSignalingError } from "../errors.js";
import type { OutgoingCall } from "./call-types.js";
import { readSessionTimer } from "./session-timer.js";
import { type CallHost, headersOf, isSdpContentType, SipCallBase } from "./sip-call.js";

/** OutgoingCallImpl implements {@link OutgoingCall} over a sip.js INVITE client. */
export class OutgoingCallImpl extends SipCallBase implements OutgoingCall {
  readonly targetUri: string;
  readonly answer: Promise<string>;

  private request: Core.OutgoingInviteRequest | undefined;
  private resolveAnswer!: (sdp: string) => void;
  private rejectAnswer!: (error: SipSignalingError) => void;

  /** Created by SipUserAgent, then started with {@link OutgoingCallImpl.start}. */
  constructor(host: CallHost, callId: string, targetUri: string, offerSdp: string) {
    super(host, callId, "calling");
    this.targetUri = targetUri;
    this.local = offerSdp;
    this.answer = new Promise<string>((resolve, reject) => {
      this.resolveAnswer = resolve;
      this.rejectAnswer = reject;
    });
    this.answer.catch(() => undefined);
  }

  /** start sends the INVITE through `send` (the core's `invite`) with this call's delegate. */
  start(send: (delegate: Core.OutgoingInviteRequestDelegate) => Core.OutgoingInviteRequest): void {
    this.request = this.host.enter(() =>
      send({
        onProgress: (response) => {
          if ((response.message.statusCode ?? 0) > 100 && this.state === "calling") {
            this.setState("ringing");
          }
        },
        onAccept: (response) => this.receiveAccept(response),
        onRedirect: (response) => this.receiveFailure(response.message.statusCode ?? 0),
        onReject: (response) => this.receiveFailure(response.message.statusCode ?? 0),
      }),
    );
  }

  cancel(): void {
    if (this.state !== "calling" && this.state !== "ringing") {
      throw new SipSignalingError(
        "INVALID_STATE",
        `cancel() needs an unanswered call, not "${this.state}"`,
      );
    }
    this.sendCancel();
    this.rejectAnswer(new SipSignalingError("CALL_CANCELLED", "cancelled by us"));
    this.terminate({ reason: "cancelled" });
  }

  private receiveAccept(response: Core.AckableIncomingResponseWithSession): void {
    if (this.session !== undefined || this.state === "terminated") {
      // A 2xx from another fork, or after cancel(): ACK it, then BYE (RFC 3261 §13.2.2.4).
      response.ack();
      response.session.bye();
      return;
    }
    response.ack();
    const sdp = response.message.body;
    this.session = response.session;
    if (sdp === "" || !isSdpContentType(response.message.getHeader("content-type"))) {
      this.rejectAnswer(
        new SipSignalingError("NO_ANSWER_SDP", "2xx without an SDP answer (RFC 3264 §4)"),
      );
      void this.sendBye({ reason: "failed", statusCode: response.message.statusCode ?? 200 });
      return;
    }
    this.remote = sdp;
    this.attachSession(response.session);
    this.setState("established");
    // RFC 4028 §7.2: the 2xx's Session-Expires says the interval and who refreshes (the UAC,
    // us, unless it names the UAS); without it there is no session timer
    const se = readSessionTimer(headersOf(response.message)).sessionExpires;
    if (this.timerOptions !== undefined && se !== undefined) {
      this.runSessionTimer(se.interval, se.refresher !== "uas");
    }
    this.resolveAnswer(sdp);
  }

  private receiveFailure(statusCode: number): void {
    if (this.state === "terminated" || this.session !== undefined) return;
    this.rejectAnswer(new SipCallRejectedError(statusCode, `INVITE answered ${statusCode}`));
    this.terminate({ reason: "rejected", statusCode });
  }

  private sendCancel(): void {
    const request = this.request;
    if (request === undefined) return;
    try {
      this.host.enter(() => request.cancel());
    } catch (error) {
      this.host.warn(`CANCEL on ${this.callId} failed: ${String(error)}`);
    }
  }

  protected override onTerminated(): void {
    this.rejectAnswer(new SipSignalingError("CALL_TERMINATED", `call ended before an answer`));
  }

  protected override hangUpForShutdown(): void {
    if (this.state === "calling" || this.state === "ringing") {
      this.sendCancel();
    } else if (this.state === "established" && this.session !== undefined) {
      const session = this.session;
      this.host.enter(() => session.bye());
    }
  }
}
