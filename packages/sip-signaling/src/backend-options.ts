import type { Address } from "@framewire/rtp-video";
import type { SchedulerLike } from "rxjs";
import { type CallRejection, callRejectionOf } from "./call-rejection.js";
import { SipSignalingError } from "./errors.js";
import type { AudioCodecName, VideoCodecName } from "./sdp/sdp-types.js";
import type { DigestAuthOptions } from "./sip/digest-auth.js";
import type { DigestClientCredentials } from "./sip/digest-client.js";
import { SESSION_TIMER_DEFAULTS, type SessionTimerOptions } from "./sip/session-timer.js";
import type { SipUserAgentOptions } from "./sip/sip-user-agent-types.js";

/** InviteInfo is what the invite filter sees of an incoming call. */
export interface InviteInfo {
  readonly caller: string;
  readonly callId: string;
  readonly roomId: string;
  readonly requestUri: string;
  readonly username: string | undefined;
  readonly hasVideo: boolean;
}

/** InviteVerdict is the invite filter's answer: accept, or reject with a SIP status (400–699). */
export type InviteVerdict =
  | { readonly accept: true }
  | { readonly accept: false; readonly statusCode: number };

/** SipVideoBackendOptions are roomkit's SIPVideoBackend parameters in TypeScript names. */
export interface SipVideoBackendOptions {
  /** localSipAddr to listen on (UDP); default ["0.0.0.0", 5060]. */
  readonly localSipAddr?: Address;
  /** localRtpIp binds RTP and is written in SDP; default "127.0.0.1". */
  readonly localRtpIp?: string;
  /** advertisedHost for SIP (Via/Contact) when localSipAddr is a wildcard; default localRtpIp. */
  readonly advertisedHost?: string;
  /** rtpPortStart, rtpPortEnd: the RTP port range (even ports, RTCP +1); default 10000–20000. */
  readonly rtpPortStart?: number;
  readonly rtpPortEnd?: number;
  /** supportedVideoCodecs in preference order; default ["H264"]. */
  readonly supportedVideoCodecs?: readonly VideoCodecName[];
  /** supportedAudioCodecs in preference order; default ["PCMU", "PCMA", "telephone-event"]. */
  readonly supportedAudioCodecs?: readonly AudioCodecName[];
  /** maxCalls: more concurrent calls get 503 Service Unavailable; default 100. */
  readonly maxCalls?: number;
  /** auth enables digest authentication of incoming INVITEs (RFC 7616). */
  readonly auth?: DigestAuthOptions;
  /** credentials answer a 401/407 challenge to our outgoing calls (and their BYEs). */
  readonly credentials?: DigestClientCredentials;
  /** inviteFilter accepts or rejects each incoming call before media is set up. */
  readonly inviteFilter?: (invite: InviteInfo) => InviteVerdict | Promise<InviteVerdict>;
  /**
   * onCallTimeoutMs is the longest the `onCall` callbacks may hold an incoming call's answer: the
   * INVITE is answered 200 once every callback returned (and its promise resolved), rejected when
   * one threw or rejected (`callRejection`) or disconnected the session (480), and answered anyway
   * after this long (a later rejection only counts in `callbackErrors`). 0 answers first and calls
   * `onCall` after (the order before this option). Default 5000.
   */
  readonly onCallTimeoutMs?: number;
  /**
   * callRejection maps what an `onCall` callback threw before the answer to the INVITE's final
   * response; default `callRejectionOf` (ROOM_FULL → 486 "Room Full", others → 500).
   */
  readonly callRejection?: (error: unknown) => CallRejection;
  /**
   * rtpTimeoutMs ends a call with BYE (reason "rtp-timeout") when no RTP and no RTCP came from
   * the remote on any of its streams for this long (the remote vanished, its BYE was lost), like
   * an SBC's RTP timeout; every port goes back to the pool. 0 disables it. Default 30 000.
   */
  readonly rtpTimeoutMs?: number;
  /**
   * rtpHoldTimeoutMs replaces rtpTimeoutMs while the remote sends us no media by the SDP (every
   * stream sendonly or inactive on our side: on hold). 0 (the default) never ends a held call
   * for silence; the session timer still does.
   */
  readonly rtpHoldTimeoutMs?: number;
  /**
   * sessionTimer: RFC 4028 session timers, in and out (`Supported: timer`, Session-Expires,
   * Min-SE, 422, refreshes by re-INVITE at half the interval when we refresh, BYE with reason
   * "session-expired" when the remote does not). Seconds; default { sessionExpires: 1800,
   * minSE: 90 } (smaller values are allowed, for tests). `false` disables them.
   */
  readonly sessionTimer?: false | Partial<SessionTimerOptions>;
  /** nack / latencyMs for the video sessions (see VideoRtpSession). */
  readonly nack?: boolean;
  /**
   * rtx offers and answers RFC 4588 retransmission (`rtx/90000` with `apt=`) for video when
   * `nack` is on: a peer that has it sends its retransmissions on their own stream, and we answer
   * its NACKs on ours; a peer without it gets same-stream retransmissions. Default true.
   */
  readonly rtx?: boolean;
  readonly latencyMs?: number;
  /** scheduler for the RTP sessions' time (tests); default asyncScheduler. */
  readonly scheduler?: SchedulerLike;
  /** userAgent passes further options to the SIP user agent (timers, logging, limits). */
  readonly userAgent?: Omit<
    SipUserAgentOptions,
    "auth" | "credentials" | "maxCalls" | "advertisedHost"
  >;
}

/** The options resolveBackendOptions gives a default (advertisedHost: localRtpIp). */
type DefaultedOption =
  | "localSipAddr"
  | "localRtpIp"
  | "advertisedHost"
  | "rtpPortStart"
  | "rtpPortEnd"
  | "maxCalls"
  | "nack"
  | "rtx"
  | "onCallTimeoutMs"
  | "callRejection"
  | "userAgent"
  | "rtpTimeoutMs"
  | "rtpHoldTimeoutMs";

/** The options without a default, passed on as given. */
type PassedOption = "latencyMs" | "scheduler" | "auth" | "credentials" | "inviteFilter";

/**
 * ResolvedBackendOptions are SipVideoBackendOptions with every default filled in, once; the
 * codec lists are named as the SDP layer names them (`videoCodecs`, `audioCodecs`).
 */
export type ResolvedBackendOptions = {
  readonly [K in DefaultedOption]-?: NonNullable<SipVideoBackendOptions[K]>;
} & {
  readonly [K in PassedOption]: SipVideoBackendOptions[K] | undefined;
} & {
  readonly videoCodecs: readonly VideoCodecName[];
  readonly audioCodecs: readonly AudioCodecName[];
  /** sessionTimer is RFC 4028's options, or false when disabled. */
  readonly sessionTimer: SessionTimerOptions | false;
};

/** BACKEND_DEFAULTS are the defaults of SipVideoBackendOptions (roomkit's, where it has one). */
export const BACKEND_DEFAULTS = {
  localSipAddr: ["0.0.0.0", 5060] as Address,
  localRtpIp: "127.0.0.1",
  rtpPortStart: 10000,
  rtpPortEnd: 20000,
  videoCodecs: ["H264"] as readonly VideoCodecName[],
  audioCodecs: ["PCMU", "PCMA", "telephone-event"] as readonly AudioCodecName[],
  maxCalls: 100,
  nack: true,
  rtx: true,
  onCallTimeoutMs: 5000,
  rtpTimeoutMs: 30_000,
  rtpHoldTimeoutMs: 0,
  sessionTimer: SESSION_TIMER_DEFAULTS,
} as const;

/**
 * resolveBackendOptions fills in every default of SipVideoBackendOptions, in one place; a
 * `maxCalls` that is no non-negative integer throws `BAD_OPTION` (the port range and the codec
 * lists are checked by `PortPool` and the SDP layer).
 */
export function resolveBackendOptions(options: SipVideoBackendOptions): ResolvedBackendOptions {
  const d = BACKEND_DEFAULTS;
  const maxCalls = options.maxCalls ?? d.maxCalls;
  if (!Number.isInteger(maxCalls) || maxCalls < 0) {
    throw new SipSignalingError("BAD_OPTION", `maxCalls must be an integer >= 0 (got ${maxCalls})`);
  }
  const onCallTimeoutMs = options.onCallTimeoutMs ?? d.onCallTimeoutMs;
  if (!Number.isFinite(onCallTimeoutMs) || onCallTimeoutMs < 0) {
    throw new SipSignalingError(
      "BAD_OPTION",
      `onCallTimeoutMs must be a number >= 0 (got ${onCallTimeoutMs})`,
    );
  }
  const rtpTimeoutMs = nonNegative("rtpTimeoutMs", options.rtpTimeoutMs ?? d.rtpTimeoutMs);
  const rtpHoldTimeoutMs = nonNegative(
    "rtpHoldTimeoutMs",
    options.rtpHoldTimeoutMs ?? d.rtpHoldTimeoutMs,
  );
  const sessionTimer = sessionTimerOf(options.sessionTimer);
  const localRtpIp = options.localRtpIp ?? d.localRtpIp;
  return {
    localSipAddr: options.localSipAddr ?? d.localSipAddr,
    localRtpIp,
    advertisedHost: options.advertisedHost ?? localRtpIp,
    rtpPortStart: options.rtpPortStart ?? d.rtpPortStart,
    rtpPortEnd: options.rtpPortEnd ?? d.rtpPortEnd,
    videoCodecs: options.supportedVideoCodecs ?? d.videoCodecs,
    audioCodecs: options.supportedAudioCodecs ?? d.audioCodecs,
    maxCalls,
    nack: options.nack ?? d.nack,
    rtx: options.rtx ?? d.rtx,
    onCallTimeoutMs,
    callRejection: options.callRejection ?? callRejectionOf,
    latencyMs: options.latencyMs,
    scheduler: options.scheduler,
    auth: options.auth,
    credentials: options.credentials,
    inviteFilter: options.inviteFilter,
    userAgent: options.userAgent ?? {},
    rtpTimeoutMs,
    rtpHoldTimeoutMs,
    sessionTimer,
  };
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new SipSignalingError("BAD_OPTION", `${name} must be a number >= 0 (got ${value})`);
  }
  return value;
}

/** sessionTimerOf resolves the sessionTimer option: integer seconds, sessionExpires ≥ minSE ≥ 1. */
function sessionTimerOf(
  option: false | Partial<SessionTimerOptions> | undefined,
): SessionTimerOptions | false {
  if (option === false) return false;
  const d = BACKEND_DEFAULTS.sessionTimer;
  const minSE = option?.minSE ?? Math.min(d.minSE, option?.sessionExpires ?? d.minSE);
  const sessionExpires = option?.sessionExpires ?? Math.max(d.sessionExpires, minSE);
  const ok = (n: number) => Number.isInteger(n) && n >= 1;
  if (!ok(sessionExpires) || !ok(minSE) || sessionExpires < minSE) {
    throw new SipSignalingError(
      "BAD_OPTION",
      `sessionTimer needs integer seconds with sessionExpires >= minSE >= 1 (got ${sessionExpires}, ${minSE})`,
    );
  }
  return { sessionExpires, minSE };
}
