/** The public shapes of {@link SipUserAgent}: its options, listen address, call options, stats. */
import type { SchedulerLike } from "rxjs";
import type { DatagramSocketFactory } from "./datagram-socket.js";
import type { DigestAuthOptions } from "./digest-auth.js";
import type { DigestClientCredentials } from "./digest-client.js";
import type { DEFAULT_RATE_LIMITS, RequestRateLimits } from "./request-rate-limiter.js";
import type { RetransmissionStats } from "./retransmission-stats.js";
import type { ServerTransactionGateStats } from "./server-transaction-gate.js";
import type { SipTransportStats } from "./transport-stats.js";

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
  /**
   * supportedExtensions are the option tags (RFC 3261 §19.2) a request may Require of us; any
   * other Require tag gets 420 with Unsupported. Default none (the backend adds "timer" while
   * RFC 4028 session timers are on).
   */
  readonly supportedExtensions?: readonly string[];
  /** maxCalls bounds concurrent calls; beyond it INVITEs get 503 (default 256). */
  readonly maxCalls?: number;
  /**
   * maxServerTransactions bounds server transactions in progress (Trying/Proceeding, before our
   * final response); a new INVITE beyond it gets a stateless 503 with Retry-After (default 1024).
   * Finished transactions waiting out Timers H/I/J/L do not count here.
   */
  readonly maxServerTransactions?: number;
  /**
   * serverTransactionRate is the rate of new server transactions per second (two per call:
   * INVITE and BYE) the transaction table is sized for: finished transactions stay up to
   * 64·T1 = 32 s, so the table holds rate × 32 s + maxServerTransactions; a new INVITE beyond
   * that gets 503 (default 250/s: 9 024 entries, ~10 KB each; see `stats.serverTransactions`).
   */
  readonly serverTransactionRate?: number;
  /**
   * rateLimits are the overload guard's per-source token buckets for INVITE, REGISTER and
   * OPTIONS (default {@link DEFAULT_RATE_LIMITS}: 200/s, 20/s, 500/s per source address, bursts
   * of 2 s worth). A request over its bucket gets a stateless 503 with Retry-After decided on
   * the start line and header fields, before sip.js parses it (`stats.transport.overloaded`).
   * `null` turns the guard off; a method set to `null` is not limited.
   */
  readonly rateLimits?: RequestRateLimits | null;
  /**
   * clock is the monotonic time in milliseconds the rate limits refill by (default the
   * `scheduler`'s `now()` when one is given, else `performance.now()`).
   */
  readonly clock?: () => number;
  /**
   * optionsFastPath answers a plainly simple out-of-dialog OPTIONS (a proxy's health ping, a
   * phone's keep-alive) 200 without sip.js's parser, the same answer the full path gives
   * (`stats.transport.optionsFastPath`); anything less simple takes the full path. The rate
   * limits apply alike. Default true; false sends every OPTIONS through the full path.
   */
  readonly optionsFastPath?: boolean;
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
  /**
   * receiveBufferBytes is the kernel receive buffer (SO_RCVBUF) asked for the SIP socket, where
   * the OS allows it (default 4 MiB; Linux caps it at net.core.rmem_max and reports double);
   * what was granted is `stats.transport.receiveBufferBytes`.
   */
  readonly receiveBufferBytes?: number;
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
  /** serverTransactions: in progress, in the table (finished ones too), its bound, 503s. */
  readonly serverTransactions: ServerTransactionGateStats;
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
