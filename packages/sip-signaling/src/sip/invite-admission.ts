/**
 * What happens to an initial INVITE once sip.js's core has made its server transaction: 100
 * Trying, then 503 beyond maxCalls, 488 without an offer, 415 for a body that is not SDP, 480
 * while nobody listens for calls, Digest authentication when configured (401 challenge, 403
 * after too many failures, 487 when cancelled during the credential lookup, 500 when the
 * lookup fails), else the call is offered to the user agent's listeners.
 */
import type { Core } from "sip.js";
import type { DigestAuthenticator } from "./digest-auth.js";
import { isSdpContentType } from "./sip-call.js";
import type { SipLogLevel } from "./sip-user-agent-types.js";

/** AdmissionCounter names the user agent's counters an admission may raise. */
export type AdmissionCounter = "rejectedRequests" | "authChallenges" | "authFailures";

/** InviteAdmissionHost is what admitting an INVITE needs from its user agent (internal). */
export interface InviteAdmissionHost {
  readonly maxCalls: number;
  readonly authenticator: DigestAuthenticator | undefined;
  /** activeCalls is the number of calls not yet terminated. */
  activeCalls(): number;
  /** listening tells whether anyone listens for incoming calls. */
  listening(): boolean;
  /** current tells whether the user agent still runs as it did when the INVITE came. */
  current(): boolean;
  /** enter runs a call into the sip.js core (UDP timers, retransmission supervision). */
  enter<T>(fn: () => T): T;
  count(counter: AdmissionCounter): void;
  /** offer makes and emits the incoming call of an admitted INVITE. */
  offer(request: Core.IncomingInviteRequest, username: string | undefined): void;
  log(level: SipLogLevel, message: string): void;
}

/** admitInvite answers or offers one initial INVITE (see the file comment). */
export function admitInvite(request: Core.IncomingInviteRequest, host: InviteAdmissionHost): void {
  request.trying();
  const message = request.message;
  const reject = (options: Core.ResponseOptions): void => {
    host.count("rejectedRequests");
    request.reject(options);
  };
  if (host.activeCalls() >= host.maxCalls) {
    reject({ statusCode: 503, extraHeaders: ["Retry-After: 5"] });
    return;
  }
  if (message.body === "") {
    reject({ statusCode: 488, reasonPhrase: "Offerless INVITE Not Supported" });
    return;
  }
  if (!isSdpContentType(message.getHeader("content-type"))) {
    reject({ statusCode: 415, extraHeaders: ["Accept: application/sdp"] });
    return;
  }
  if (!host.listening()) {
    reject({ statusCode: 480 });
    return;
  }
  const authenticator = host.authenticator;
  if (authenticator === undefined) {
    host.offer(request, undefined);
    return;
  }
  let cancelled = false;
  request.delegate = {
    onCancel: () => {
      cancelled = true;
      request.reject({ statusCode: 487 });
    },
  };
  const requestUri = message.data.slice(0, message.data.indexOf("\r\n")).split(" ")[1] ?? "";
  authenticator
    .verify({
      method: message.method,
      requestUri,
      authorization: message.getHeaders("authorization"),
      attemptKey: `${message.callId}\n${message.fromTag}`,
    })
    .then(
      (verdict) => {
        if (cancelled || !host.current()) return;
        host.enter(() => {
          if (verdict.kind === "authorized") {
            host.offer(request, verdict.username);
          } else if (verdict.kind === "challenge") {
            host.count("authChallenges");
            request.reject({
              statusCode: 401,
              extraHeaders: verdict.wwwAuthenticate.map((v) => `WWW-Authenticate: ${v}`),
            });
          } else {
            host.count("authFailures");
            request.reject({ statusCode: 403 });
          }
        });
      },
      (error: unknown) => {
        host.log("error", `credential lookup failed: ${String(error)}`);
        if (cancelled || !host.current()) return;
        host.enter(() => request.reject({ statusCode: 500 }));
      },
    )
    .catch((error: unknown) => host.log("warn", `cannot answer INVITE: ${String(error)}`));
}
