/**
 * SipUserAgent is a SIP user agent over UDP built on sip.js's core (parser, transactions,
 * dialogs, offer/answer state), with what that core leaves to the embedder for UDP:
 * the transport ({@link SipUdpTransport}), Timers A/E/G ({@link RetransmissionSupervisor}),
 * UDP values of Timers D/I/J/K ({@link withUdpTransactionTimers}), any Request-URI user
 * accepted (a bridge's rooms), OPTIONS/405 with an accurate Allow, Digest authentication.
 */
import { isIPv6 } from "node:net";
import { asyncScheduler, type Observable, type SchedulerLike, Subject } from "rxjs";
import { Core, Grammar, URI } from "sip.js";
import { SipSignalingError } from "../errors.js";
import type { IncomingCall, OutgoingCall } from "./call-types.js";
import type { DatagramSocketFactory } from "./datagram-socket.js";
import { DigestAuthenticator, type DigestAuthOptions } from "./digest-auth.js";
import { DigestClient, type DigestClientCredentials } from "./digest-client.js";
import { IncomingCallImpl } from "./incoming-call.js";
import { uriDestination } from "./next-hop.js";
import { OutgoingCallImpl } from "./outgoing-call.js";
import { noRetransmissions, type RetransmissionStats } from "./retransmission-stats.js";
import { RetransmissionSupervisor } from "./retransmissions.js";
import { type CallHost, isSdpContentType, type SipCallBase, sdpBody } from "./sip-call.js";
import { withUdpTransactionTimers } from "./timers.js";
import { noTransportStats, type SipTransportStats } from "./transport-stats.js";
import { SipUdpTransport } from "./udp-transport.js";
import type { SipAddress } from "./via.js";

/** SUPPORTED_METHODS are the methods this user agent handles (the Allow header, RFC 3261 §20.5). */
export const SUPPORTED_METHODS = ["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS"] as const;

/** Methods we recognise but do not support: 405 (RFC 3261 §8.2.1); anything else gets 501. */
const KNOWN_METHODS = new Set([
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
const SUPPORTED = new Set<string>(SUPPORTED_METHODS);
const ALLOW_HEADER = `Allow: ${SUPPORTED_METHODS.join(", ")}`;

/** SipLogLevel is the level of a log line (sip.js's levels). */
export type SipLogLevel = "error" | "warn" | "log" | "debug";

/** SipLogFunction receives log lines from sip.js and from this layer. */
export type SipLogFunction = (level: SipLogLevel, category: string, message: string) => void;

/** SipUserAgentOptions configures a {@link SipUserAgent}. */
export interface SipUserAgentOptions {
  /** advertisedHost goes in Via and Contact (needed when binding 0.0.0.0 or ::). */
  readonly advertisedHost?: string;
  /** contactUser is the user part of our Contact and From URIs (default "framewire"). */
  readonly contactUser?: string;
  /** displayName is the From display name of our requests. */
  readonly displayName?: string;
  /** userAgent is the User-Agent / Server header value (default "Framewire"). */
  readonly userAgent?: string;
  /** auth enables Digest authentication of incoming INVITEs (RFC 7616). */
  readonly auth?: DigestAuthOptions;
  /**
   * credentials answer a 401/407 Digest challenge to our own requests (INVITE, BYE, …):
   * SHA-256 or MD5, qop=auth (RFC 3261 §22.2, RFC 7616). The request is sent again once.
   */
  readonly credentials?: DigestClientCredentials;
  /**
   * acceptUser decides which Request-URI users an INVITE may call (others get 404).
   * Default: every user (the user names the room).
   */
  readonly acceptUser?: (user: string | undefined, requestUri: string) => boolean;
  /** maxCalls bounds concurrent calls; beyond it INVITEs get 503 (default 256). */
  readonly maxCalls?: number;
  /**
   * maxServerTransactions bounds live server transactions (each lives up to 64·T1 waiting
   * for an ACK); a new INVITE beyond it gets a stateless 503 (default 1024).
   */
  readonly maxServerTransactions?: number;
  /** answerTimeoutMs: an incoming call unanswered this long gets 480 (default 60 000). */
  readonly answerTimeoutMs?: number;
  /** reinviteTimeoutMs: a re-INVITE unanswered this long gets 500 (default 10 000). */
  readonly reinviteTimeoutMs?: number;
  /** maxDatagramBytes caps received and sent datagrams (default 65 507). */
  readonly maxDatagramBytes?: number;
  /**
   * scheduler gives time and timers to this layer's own timers (retransmission Timers A, E, G;
   * answer and re-INVITE timeouts; digest nonce expiry); default rxjs `asyncScheduler` (tests
   * pass a virtual one). sip.js's internal timers use the global `setTimeout`.
   */
  readonly scheduler?: SchedulerLike;
  /** socketFactory binds the UDP socket (default node:dgram; tests pass a fake). */
  readonly socketFactory?: DatagramSocketFactory;
  /** log receives log lines (default: none). */
  readonly log?: SipLogFunction;
  /** logLevel is the most verbose level logged (default "warn"). */
  readonly logLevel?: SipLogLevel;
}

/** SipListenAddress is where {@link SipUserAgent.start} binds. */
export interface SipListenAddress {
  /** host is the local address (e.g. "127.0.0.1"). */
  readonly host: string;
  /** port is the local port (0: any free port; default 5060). */
  readonly port?: number;
}

/** CallOptions tunes one outgoing call. */
export interface CallOptions {
  /** fromUser is the From user part (default the contact user). */
  readonly fromUser?: string;
  /** extraHeaders are added to the INVITE (full header lines). */
  readonly extraHeaders?: readonly string[];
}

/** SipUserAgentStats counts what the user agent did. */
export interface SipUserAgentStats {
  readonly transport: SipTransportStats;
  readonly retransmissions: RetransmissionStats;
  /** activeCalls is the number of calls not yet terminated. */
  readonly activeCalls: number;
  /** rejectedRequests counts requests answered 404/405/501/503 before reaching a call. */
  readonly rejectedRequests: number;
  /** authChallenges counts 401s sent; authFailures counts 403s sent. */
  readonly authChallenges: number;
  readonly authFailures: number;
  /** coreErrors counts exceptions sip.js's core threw on a received message (message dropped). */
  readonly coreErrors: number;
}

const LEVELS: Readonly<Record<SipLogLevel, Core.Levels>> = {
  error: Core.Levels.error,
  warn: Core.Levels.warn,
  log: Core.Levels.log,
  debug: Core.Levels.debug,
};

/** Whether two requests' top Via sent-by (host, port) are equal. */
function sameSentBy(a: Core.IncomingRequestMessage, b: Core.IncomingRequestMessage): boolean {
  return a.via.host.toLowerCase() === b.via.host.toLowerCase() && a.via.port === b.via.port;
}

function hostForUri(host: string): string {
  return isIPv6(host) ? `[${host}]` : host;
}

interface Running {
  readonly transport: SipUdpTransport;
  readonly core: Core.UserAgentCore;
  readonly supervisor: RetransmissionSupervisor;
  readonly contactUri: URI;
}

/** SipUserAgent answers and places audio/video calls over SIP/UDP. */
export class SipUserAgent {
  /** incomingCalls$ emits each accepted-for-processing INVITE (hot; subscribe before start). */
  readonly incomingCalls$: Observable<IncomingCall>;

  private readonly options: SipUserAgentOptions;
  private readonly scheduler: SchedulerLike;
  private readonly incoming = new Subject<IncomingCall>();
  private readonly calls = new Set<SipCallBase>();
  private readonly authenticator: DigestAuthenticator | undefined;
  private readonly contactUser: string;
  private running: Running | undefined;
  private starting = false;
  /** The Request-URI of the request the core is processing (see the `aor` getter). */
  private deliveringUri: URI | undefined;
  private counters = { rejectedRequests: 0, authChallenges: 0, authFailures: 0, coreErrors: 0 };

  constructor(options: SipUserAgentOptions = {}) {
    this.options = options;
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.contactUser = options.contactUser ?? "framewire";
    if (!/^[A-Za-z0-9._~!$&'()*+,;=-]+$/.test(this.contactUser)) {
      throw new SipSignalingError(
        "BAD_OPTION",
        `contactUser "${this.contactUser}" is not a SIP user part`,
      );
    }
    this.authenticator =
      options.auth === undefined
        ? undefined
        : new DigestAuthenticator(options.auth, this.scheduler);
    this.incomingCalls$ = this.incoming.asObservable();
  }

  /** localAddress is the bound UDP address while started. */
  get localAddress(): SipAddress | undefined {
    return this.running?.transport.local;
  }

  /** contactUri is our Contact URI while started (e.g. `sip:framewire@127.0.0.1:5060`). */
  get contactUri(): string | undefined {
    return this.running?.contactUri.toString();
  }

  /** stats returns a snapshot of the counters. */
  get stats(): SipUserAgentStats {
    return {
      transport: this.running?.transport.stats ?? noTransportStats(),
      retransmissions: this.running?.supervisor.stats ?? noRetransmissions(),
      activeCalls: this.calls.size,
      ...this.counters,
    };
  }

  /** start binds the UDP socket and begins answering; returns the bound address. */
  async start(address: SipListenAddress): Promise<SipAddress> {
    if (this.running !== undefined || this.starting) {
      throw new SipSignalingError("ALREADY_STARTED", "the user agent is already started");
    }
    const wildcard = address.host === "0.0.0.0" || address.host === "::";
    if (wildcard && this.options.advertisedHost === undefined) {
      throw new SipSignalingError("BAD_OPTION", `binding ${address.host} needs advertisedHost`);
    }
    this.starting = true;
    try {
      const loggerFactory = this.makeLoggerFactory();
      const transport = await SipUdpTransport.bind({
        host: address.host,
        port: address.port ?? 5060,
        ...(this.options.advertisedHost === undefined
          ? {}
          : { advertisedHost: this.options.advertisedHost }),
        ...(this.options.maxDatagramBytes === undefined
          ? {}
          : { maxDatagramBytes: this.options.maxDatagramBytes }),
        ...(this.options.socketFactory === undefined
          ? {}
          : { socketFactory: this.options.socketFactory }),
        loggerFactory,
        onRequest: (message) => this.receiveRequest(message),
        onResponse: (message) => this.receiveResponse(message),
        onSocketError: (error) => this.log("error", `socket error: ${error.message}`),
      });
      try {
        const sentBy = transport.sentBy;
        const contactUri = new URI("sip", this.contactUser, hostForUri(sentBy.host), sentBy.port);
        const supervisor = new RetransmissionSupervisor(this.scheduler, (message) => {
          transport.send(message).catch((error: unknown) => {
            this.log("warn", `retransmission failed: ${String(error)}`);
          });
        });
        const core = new Core.UserAgentCore(
          this.coreConfiguration(loggerFactory, transport, contactUri),
          { onInvite: (request) => this.receiveInvite(request) },
        );
        this.running = { transport, core, supervisor, contactUri };
        return transport.local;
      } catch (error) {
        await transport.close();
        throw error;
      }
    } finally {
      this.starting = false;
    }
  }

  /**
   * stop ends every call (BYE, CANCEL or 503 sent once, not awaited), disposes the core and
   * its timers and closes the socket. Calling it twice is safe.
   */
  async stop(): Promise<void> {
    const running = this.running;
    if (running === undefined) return;
    for (const call of [...this.calls]) call.shutdown();
    this.running = undefined;
    running.supervisor.dispose();
    withUdpTransactionTimers(() => running.core.dispose());
    await running.transport.close();
  }

  /**
   * call sends an INVITE with `offerSdp` to `target` (a SIP URI, e.g. `sip:bob@127.0.0.1:5070`).
   * Throws SipSignalingError NOT_STARTED, INVALID_URI, UNROUTABLE, BAD_OPTION or TOO_MANY_CALLS.
   */
  call(target: string, offerSdp: string, options: CallOptions = {}): OutgoingCall {
    const running = this.running;
    if (running === undefined)
      throw new SipSignalingError("NOT_STARTED", "start() the user agent first");
    const uri = Grammar.URIParse(target);
    if (uri === undefined) throw new SipSignalingError("INVALID_URI", `not a SIP URI: ${target}`);
    uriDestination(uri);
    if (offerSdp.trim() === "")
      throw new SipSignalingError("BAD_OPTION", "call() needs an SDP offer");
    if (this.calls.size >= (this.options.maxCalls ?? 256)) {
      throw new SipSignalingError(
        "TOO_MANY_CALLS",
        `maxCalls (${this.options.maxCalls ?? 256}) reached`,
      );
    }
    const sentBy = running.transport.sentBy;
    const from = new URI(
      "sip",
      options.fromUser ?? this.contactUser,
      hostForUri(sentBy.host),
      sentBy.port,
    );
    const message = running.core.makeOutgoingRequestMessage(
      Core.C.INVITE,
      uri,
      from,
      uri,
      {},
      [this.contactHeader(running), ALLOW_HEADER, ...(options.extraHeaders ?? [])],
      sdpBody(offerSdp),
    );
    const call = new OutgoingCallImpl(
      this.callHost(running),
      message.callId,
      uri.toString(),
      offerSdp,
    );
    this.calls.add(call);
    call.start((delegate) => running.core.invite(message, delegate));
    return call;
  }

  private contactHeader(running: Running): string {
    return `Contact: <${running.contactUri.toString()}>`;
  }

  private callHost(running: Running): CallHost {
    return {
      enter: (fn) => this.enter(fn),
      scheduler: this.scheduler,
      contactHeader: this.contactHeader(running),
      reinviteTimeoutMs: this.options.reinviteTimeoutMs ?? 10_000,
      release: (call) => {
        this.calls.delete(call);
      },
      warn: (message) => this.log("warn", message),
    };
  }

  /**
   * enter runs `fn` (a call into the sip.js core) with the UDP values of Timers D/I/J/K and
   * then starts Timers A/E/G for the transactions it created.
   */
  private enter<T>(fn: () => T): T {
    const running = this.running;
    return withUdpTransactionTimers(() => {
      try {
        return fn();
      } finally {
        running?.supervisor.scan(running.core);
      }
    });
  }

  private receiveResponse(message: Core.IncomingResponseMessage): void {
    const running = this.running;
    if (running === undefined) return;
    try {
      this.enter(() => running.core.receiveIncomingResponseFromTransport(message));
    } catch (error) {
      this.counters.coreErrors++;
      this.log("warn", `dropped ${message.statusCode} response: ${String(error)}`);
    }
  }

  private receiveRequest(message: Core.IncomingRequestMessage): void {
    const running = this.running;
    if (running === undefined) return;
    try {
      this.enter(() => this.dispatchRequest(running.core, message));
    } catch (error) {
      this.counters.coreErrors++;
      this.log("warn", `dropped ${message.method} request: ${String(error)}`);
    }
  }

  private replyStateless(
    core: Core.UserAgentCore,
    message: Core.IncomingRequestMessage,
    options: Core.ResponseOptions,
  ): void {
    this.counters.rejectedRequests++;
    core.replyStateless(message, options);
  }

  private dispatchRequest(core: Core.UserAgentCore, message: Core.IncomingRequestMessage): void {
    const method = message.method;
    if (!SUPPORTED.has(method)) {
      // RFC 3261 §8.2.1: 405 with Allow for a known method, 501 for an unknown one.
      const statusCode = KNOWN_METHODS.has(method) ? 405 : 501;
      this.replyStateless(core, message, { statusCode, extraHeaders: [ALLOW_HEADER] });
      return;
    }
    if (method === Core.C.OPTIONS) {
      // RFC 3261 §11.2; in a dialog that does not exist, 481 (§12.2.2).
      const inDialog = message.toTag !== undefined && message.toTag !== "";
      const known = core.dialogs.has(message.callId + message.toTag + message.fromTag);
      if (inDialog && !known) {
        this.replyStateless(core, message, { statusCode: 481 });
        return;
      }
      core.replyStateless(message, {
        statusCode: 200,
        extraHeaders: [ALLOW_HEADER, "Accept: application/sdp"],
      });
      return;
    }
    // RFC 3261 §17.2.3 matches a server transaction on branch AND sent-by; sip.js uses the
    // branch only (user-agent-core.js receiveRequestFromTransport "FIXME: Currently only
    // using rule 1"), so a request reusing someone else's branch (e.g. a forged CANCEL) would
    // reach their transaction. Such a request matches no transaction.
    const existing = core.userAgentServers.get(message.viaBranch);
    if (existing !== undefined && !sameSentBy(existing.transaction.request, message)) {
      if (method === Core.C.CANCEL) this.replyStateless(core, message, { statusCode: 481 });
      else if (method !== Core.C.ACK) {
        this.replyStateless(core, message, { statusCode: 500, extraHeaders: ["Retry-After: 1"] });
      }
      return;
    }
    const ruri = message.ruri;
    const initialInvite = method === Core.C.INVITE && (message.toTag ?? "") === "";
    const isNew = existing === undefined;
    if (
      method === Core.C.INVITE &&
      isNew &&
      core.userAgentServers.size >= (this.options.maxServerTransactions ?? 1024)
    ) {
      this.replyStateless(core, message, { statusCode: 503, extraHeaders: ["Retry-After: 5"] });
      return;
    }
    if (initialInvite && ruri !== undefined) {
      const accept = this.options.acceptUser;
      if (accept !== undefined && !accept(ruri.user, ruri.toString())) {
        this.replyStateless(core, message, { statusCode: 404 });
        return;
      }
    }
    // sip.js answers 404 unless the Request-URI user equals its aor or contact user
    // (user-agent-core.js receiveRequest, "8.2.2.1 To and Request-URI"): while the core
    // processes this request, `aor` is the request's own Request-URI.
    this.deliveringUri = ruri;
    try {
      core.receiveIncomingRequestFromTransport(message);
    } finally {
      this.deliveringUri = undefined;
    }
  }

  private receiveInvite(request: Core.IncomingInviteRequest): void {
    const running = this.running;
    if (running === undefined) {
      request.reject({ statusCode: 503 });
      return;
    }
    request.trying();
    const message = request.message;
    const reject = (options: Core.ResponseOptions): void => {
      this.counters.rejectedRequests++;
      request.reject(options);
    };
    if (this.calls.size >= (this.options.maxCalls ?? 256)) {
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
    if (!this.incoming.observed) {
      reject({ statusCode: 480 });
      return;
    }
    const authenticator = this.authenticator;
    if (authenticator === undefined) {
      this.offerCall(running, request, undefined);
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
          if (cancelled || this.running !== running) return;
          this.enter(() => {
            if (verdict.kind === "authorized") {
              this.offerCall(running, request, verdict.username);
            } else if (verdict.kind === "challenge") {
              this.counters.authChallenges++;
              request.reject({
                statusCode: 401,
                extraHeaders: verdict.wwwAuthenticate.map((v) => `WWW-Authenticate: ${v}`),
              });
            } else {
              this.counters.authFailures++;
              request.reject({ statusCode: 403 });
            }
          });
        },
        (error: unknown) => {
          this.log("error", `credential lookup failed: ${String(error)}`);
          if (cancelled || this.running !== running) return;
          this.enter(() => request.reject({ statusCode: 500 }));
        },
      )
      .catch((error: unknown) => this.log("warn", `cannot answer INVITE: ${String(error)}`));
  }

  private offerCall(
    running: Running,
    request: Core.IncomingInviteRequest,
    username: string | undefined,
  ): void {
    const call = new IncomingCallImpl(this.callHost(running), {
      request,
      answerTimeoutMs: this.options.answerTimeoutMs ?? 60_000,
      username,
    });
    this.calls.add(call);
    this.incoming.next(call);
  }

  private coreConfiguration(
    loggerFactory: Core.LoggerFactory,
    transport: SipUdpTransport,
    contactUri: URI,
  ): Core.UserAgentCoreConfiguration {
    const self = this;
    const sentBy = transport.sentBy;
    return {
      get aor(): URI {
        return self.deliveringUri ?? contactUri;
      },
      contact: {
        pubGruu: undefined,
        tempGruu: undefined,
        uri: contactUri,
        toString: () => `<${contactUri.toString()}>`,
      },
      displayName: this.options.displayName ?? "",
      loggerFactory,
      hackViaTcp: false,
      routeSet: [],
      sipjsId: Math.random().toString(36).slice(2, 7),
      supportedOptionTags: [],
      supportedOptionTagsResponse: [],
      userAgentHeaderFieldValue: this.options.userAgent ?? "Framewire",
      viaForceRport: true,
      viaHost: `${hostForUri(sentBy.host)}:${sentBy.port}`,
      authenticationFactory: () => {
        const credentials = this.options.credentials;
        // sip.js calls authenticate(request, challenge) and toString() on what it gets here
        return credentials === undefined
          ? undefined
          : (new DigestClient(credentials) as unknown as Core.DigestAuthentication);
      },
      transportAccessor: () => transport,
    };
  }

  private makeLoggerFactory(): Core.LoggerFactory {
    const factory = new Core.LoggerFactory();
    factory.builtinEnabled = false;
    factory.level = LEVELS[this.options.logLevel ?? "warn"];
    const log = this.options.log;
    if (log !== undefined) {
      factory.connector = (level, category, label, content) => {
        const text = typeof content === "string" ? content : String(content);
        log(level as SipLogLevel, label === undefined ? category : `${category}|${label}`, text);
      };
    }
    return factory;
  }

  private log(level: SipLogLevel, message: string): void {
    const wanted = LEVELS[this.options.logLevel ?? "warn"];
    if (LEVELS[level] <= wanted) this.options.log?.(level, "framewire.sip", message);
  }
}
