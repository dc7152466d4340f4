/**
 * SipUserAgent is a SIP user agent over UDP built on sip.js's core (parser, transactions,
 * dialogs, offer/answer state), with what that core leaves to the embedder for UDP:
 * the transport ({@link SipUdpTransport}), Timers A/E/G ({@link RetransmissionSupervisor}),
 * UDP values of Timers D/I/J/K ({@link withUdpTransactionTimers}), any Request-URI user
 * accepted (a bridge's rooms, {@link DeliveringAor}), OPTIONS/405 with an accurate Allow
 * ({@link screenRequest}), Digest authentication ({@link admitInvite}).
 */
import { asyncScheduler, type Observable, type SchedulerLike, Subject } from "rxjs";
import { Core, Grammar, type URI } from "sip.js";
import { SipSignalingError } from "../errors.js";
import type { IncomingCall, OutgoingCall } from "./call-types.js";
import { coreConfiguration, DeliveringAor, sipUri } from "./core-configuration.js";
import { DigestAuthenticator } from "./digest-auth.js";
import { IncomingCallImpl } from "./incoming-call.js";
import {
  type AdmissionCounter,
  admitInvite,
  type InviteAdmissionHost,
} from "./invite-admission.js";
import { ALLOW_HEADER } from "./methods.js";
import { uriDestination } from "./next-hop.js";
import { optionsAnswerTail } from "./options-fast-path.js";
import { OutgoingCallImpl } from "./outgoing-call.js";
import { RequestRateLimiter } from "./request-rate-limiter.js";
import { OPTIONS_ANSWER_HEADERS, screenRequest } from "./request-screen.js";
import { noRetransmissions } from "./retransmission-stats.js";
import { RetransmissionSupervisor } from "./retransmissions.js";
import {
  DEFAULT_MAX_SERVER_TRANSACTIONS,
  DEFAULT_SERVER_TRANSACTION_RATE,
  ServerTransactionGate,
} from "./server-transaction-gate.js";
import { type CallHost, type SipCallBase, sdpBody } from "./sip-call.js";
import { layerLog, sipLoggerFactory } from "./sip-log.js";
import type {
  CallOptions,
  SipListenAddress,
  SipLogLevel,
  SipUserAgentOptions,
  SipUserAgentStats,
} from "./sip-user-agent-types.js";
import { withUdpTransactionTimers } from "./timers.js";
import { noTransportStats } from "./transport-stats.js";
import { SipUdpTransport } from "./udp-transport.js";
import type { SipAddress } from "./via.js";

interface Running {
  readonly transport: SipUdpTransport;
  readonly gate: ServerTransactionGate;
  readonly core: Core.UserAgentCore;
  readonly supervisor: RetransmissionSupervisor;
  readonly contactUri: URI;
  readonly aor: DeliveringAor;
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
  private readonly supported: ReadonlySet<string>;
  private readonly log: (level: SipLogLevel, message: string) => void;
  private running: Running | undefined;
  private starting = false;
  private counters = { rejectedRequests: 0, authChallenges: 0, authFailures: 0, coreErrors: 0 };

  constructor(options: SipUserAgentOptions = {}) {
    this.supported = new Set((options.supportedExtensions ?? []).map((t) => t.toLowerCase()));
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
    this.log = layerLog(options);
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
      serverTransactions: this.running?.gate.stats(this.running.core.userAgentServers) ?? {
        inProgress: 0,
        tableSize: 0,
        tableLimit: 0,
        busy: 0,
        full: 0,
      },
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
      const loggerFactory = sipLoggerFactory(this.options);
      const limiter = this.rateLimiter();
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
        ...(this.options.receiveBufferBytes === undefined
          ? {}
          : { receiveBufferBytes: this.options.receiveBufferBytes }),
        loggerFactory,
        ...(limiter === undefined
          ? {}
          : {
              admitRequest: (method: string, source: SipAddress) =>
                limiter.admit(method, source.host),
            }),
        onRequest: (message) => this.receiveRequest(message),
        onResponse: (message) => this.receiveResponse(message),
        onSocketError: (error) => this.log("error", `socket error: ${error.message}`),
      });
      try {
        const contactUri = sipUri(this.contactUser, transport.sentBy);
        const aor = new DeliveringAor(contactUri);
        const supervisor = new RetransmissionSupervisor(this.scheduler, (message) => {
          transport.send(message).catch((error: unknown) => {
            this.log("warn", `retransmission failed: ${String(error)}`);
          });
        });
        const core = new Core.UserAgentCore(
          coreConfiguration(
            {
              displayName: this.options.displayName,
              userAgent: this.options.userAgent,
              credentials: this.options.credentials,
            },
            loggerFactory,
            transport,
            contactUri,
            aor,
          ),
          { onInvite: (request) => this.receiveInvite(request) },
        );
        if (this.options.optionsFastPath !== false) {
          // the fast path's 200 ends like the one the core writes (screenRequest)
          const configuration = core.configuration;
          transport.useOptionsFastPath(
            optionsAnswerTail({
              supported: configuration.supportedOptionTagsResponse,
              userAgent: configuration.userAgentHeaderFieldValue,
              extraHeaders: OPTIONS_ANSWER_HEADERS,
            }),
          );
        }
        const gate = new ServerTransactionGate({
          maxInProgress: this.options.maxServerTransactions ?? DEFAULT_MAX_SERVER_TRANSACTIONS,
          ratePerSecond: this.options.serverTransactionRate ?? DEFAULT_SERVER_TRANSACTION_RATE,
        });
        this.running = { transport, gate, core, supervisor, contactUri, aor };
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
    if (this.calls.size >= this.maxCalls) {
      throw new SipSignalingError("TOO_MANY_CALLS", `maxCalls (${this.maxCalls}) reached`);
    }
    const from = sipUri(options.fromUser ?? this.contactUser, running.transport.sentBy);
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

  /** rateLimiter is the overload guard's buckets, on the injected clock (none when turned off). */
  private rateLimiter(): RequestRateLimiter | undefined {
    const limits = this.options.rateLimits;
    if (limits === null) return undefined;
    const scheduler = this.options.scheduler;
    const clock =
      this.options.clock ??
      (scheduler === undefined ? () => performance.now() : () => scheduler.now());
    return new RequestRateLimiter(limits ?? {}, clock);
  }

  private get maxCalls(): number {
    return this.options.maxCalls ?? 256;
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
      this.enter(() => {
        const toCore = screenRequest(
          running.core,
          message,
          { gate: running.gate, acceptUser: this.options.acceptUser, supported: this.supported },
          (response) => {
            this.counters.rejectedRequests++;
            running.core.replyStateless(message, response);
          },
        );
        if (!toCore) return;
        const known = running.core.userAgentServers.has(message.viaBranch);
        running.aor.deliver(running.core, message);
        if (!known) running.gate.track(running.core.userAgentServers.get(message.viaBranch));
      });
    } catch (error) {
      this.counters.coreErrors++;
      this.log("warn", `dropped ${message.method} request: ${String(error)}`);
    }
  }

  private receiveInvite(request: Core.IncomingInviteRequest): void {
    const running = this.running;
    if (running === undefined) {
      request.reject({ statusCode: 503 });
      return;
    }
    admitInvite(request, this.admissionHost(running));
  }

  private admissionHost(running: Running): InviteAdmissionHost {
    return {
      maxCalls: this.maxCalls,
      authenticator: this.authenticator,
      activeCalls: () => this.calls.size,
      listening: () => this.incoming.observed,
      current: () => this.running === running,
      enter: (fn) => this.enter(fn),
      count: (counter: AdmissionCounter) => {
        this.counters[counter]++;
      },
      offer: (request, username) => {
        const call = new IncomingCallImpl(this.callHost(running), {
          request,
          answerTimeoutMs: this.options.answerTimeoutMs ?? 60_000,
          username,
        });
        this.calls.add(call);
        this.incoming.next(call);
      },
      log: (level, message) => this.log(level, message),
    };
  }
}
