import {
  MediaBackend,
  type MediaSession,
  type VideoCodec,
  type VideoRtpSession,
  type VideoSession,
} from "@framewire/rtp-video";
import { asyncScheduler, type Observable, Subject } from "rxjs";
import {
  type ResolvedBackendOptions,
  resolveBackendOptions,
  type SipVideoBackendOptions,
} from "./backend-options.js";
import { type CallMedia, CallMediaAllocator, isOnHold } from "./call-media.js";
import { CALL_CLOSED_BEFORE_ANSWER } from "./call-rejection.js";
import { SipSignalingError } from "./errors.js";
import { MediaInactivityWatch } from "./media-inactivity.js";
import { VIDEO_CODEC_OF_NAME } from "./sdp/codecs.js";
import { createOffer } from "./sdp/create-offer.js";
import { negotiateAnswer } from "./sdp/negotiate-answer.js";
import { parseAnswer } from "./sdp/parse-answer.js";
import type { NegotiatedSession, VideoCodecName } from "./sdp/sdp-types.js";
import { sdpFailureStatus } from "./sdp-failure-status.js";
import type {
  CallState,
  IncomingCall,
  LocalEndReason,
  OutgoingCall,
  SipCall,
} from "./sip/call-types.js";
import { uacRequestHeaders } from "./sip/session-timer.js";
import { SipUserAgent } from "./sip/sip-user-agent.js";
import type { SipAddress } from "./sip/via.js";

export type { InviteInfo, InviteVerdict, SipVideoBackendOptions } from "./backend-options.js";

/** SipCallMetadata is what a SIP session's metadata holds (roomkit's call metadata). */
export interface SipCallMetadata {
  /** caller is the From URI of an incoming call, or our target URI for an outgoing one. */
  readonly caller: string;
  readonly callId: string;
  /** hasVideo is true when the call has a video RTP session (roomkit's `has_video`). */
  readonly hasVideo: boolean;
  /**
   * videoCodec is the negotiated video codec as rtp-video names it (`"h264"`, `"vp8"`, `"vp9"`,
   * the same as `session.videoCodec` and `frame.codec`), when hasVideo.
   */
  readonly videoCodec: VideoCodec | undefined;
  /**
   * videoSetupError says why the call's video RTP session could not be set up (no RTP port pair
   * left, a socket error): the call went on audio-only, `hasVideo` false. Undefined otherwise.
   */
  readonly videoSetupError: string | undefined;
  readonly direction: "incoming" | "outgoing";
  /** username is the Digest user an incoming call authenticated as (undefined without auth). */
  readonly username: string | undefined;
  readonly [key: string]: unknown;
}

/** BackendCallOptions are `call()`'s options. */
export interface BackendCallOptions {
  /** video offers video too (default true). */
  readonly video?: boolean;
  /** roomId for the session (default: the target URI's user). */
  readonly roomId?: string;
  /** participantId for the session (default: the target URI). */
  readonly participantId?: string;
  readonly channelId?: string;
}

/** SipSessionEvent is a state change of a SIP session's call. */
export interface SipSessionEvent {
  readonly session: MediaSession;
  readonly state: CallState;
}

/** SipMediaStats count what became of the calls' media (live counters). */
export interface SipMediaStats {
  /**
   * videoSetupFailures counts calls that went on audio-only because their video RTP session
   * could not be set up (the SDP refused video with port 0, or, for an outgoing call already
   * answered with video, the video is not received).
   */
  videoSetupFailures: number;
  /**
   * parameterSetsIgnored counts remote SDPs (offers, answers, re-INVITEs) whose H.264
   * `sprop-parameter-sets` were malformed or over `SDP_LIMITS` and were ignored.
   */
  parameterSetsIgnored: number;
  /** rtpTimeouts counts calls ended because no RTP or RTCP came for `rtpTimeoutMs`. */
  rtpTimeouts: number;
  /** sessionsExpired counts calls ended because their RFC 4028 session timer ran out. */
  sessionsExpired: number;
}

/** LOCAL_END_REASONS are the disconnect reasons that end the SIP call with that BYE reason. */
const LOCAL_END_REASONS: ReadonlySet<string> = new Set<LocalEndReason>([
  "rtp-timeout",
  "session-expired",
]);

/** Unanswered is an incoming call whose `onCall` callbacks still run (internal). */
interface Unanswered {
  /** closed: a callback disconnected the session. */
  closed: boolean;
  /** keyframe: a callback requested a keyframe, sent once answered. */
  keyframe: boolean;
}

/** CallbackRun is what calling the `onCall` callbacks gave (internal). */
interface CallbackRun {
  readonly promises: Promise<void>[];
  readonly thrown: unknown[];
}

/** CallbackOutcome: whether an `onCall` callback failed before the answer, and with what. */
type CallbackOutcome =
  | { readonly failed: false }
  | { readonly failed: true; readonly error: unknown };

/**
 * SipVideoBackend is roomkit's SIPVideoBackend in TypeScript: a SIP user agent over UDP that
 * answers audio+video INVITEs (100 Trying, 180 Ringing, 200 OK with the combined SDP answer),
 * sets up an audio and, when negotiated, a video RTP session per call (`CallMediaAllocator`),
 * and exposes them through the same session API as RtpVideoBackend. Calls whose video cannot be
 * negotiated, or whose video RTP session cannot be set up, proceed audio-only (`hasVideo`
 * false, video refused with port 0). BYE from either side tears both sessions down once; every
 * RTP port goes back to the pool on every path. This file is the call control; the media of a
 * call is `call-media.ts`, the defaults `backend-options.ts`.
 */
export class SipVideoBackend extends MediaBackend {
  /** name is "SIP-AV", roomkit's name for its SIP audio+video backend. */
  override readonly name = "SIP-AV";
  /** calls$ emits each incoming call's session once answered 200 (roomkit on_call). */
  readonly calls$: Observable<MediaSession>;
  /** callStates$ emits the call state changes of every session. */
  readonly callStates$: Observable<SipSessionEvent>;
  /** rejected counts incoming calls rejected, by SIP status. */
  readonly rejected: Record<number, number> = {};
  /** mediaStats count audio-only fallbacks and ignored H.264 parameter sets. */
  readonly mediaStats: SipMediaStats = {
    videoSetupFailures: 0,
    parameterSetsIgnored: 0,
    rtpTimeouts: 0,
    sessionsExpired: 0,
  };
  private readonly options: ResolvedBackendOptions;
  private readonly ua: SipUserAgent;
  private readonly media: CallMediaAllocator;
  private readonly calls = new Map<string, SipCall>(); // by session id
  private readonly callIds = new Set<string>();
  private readonly callSubject = new Subject<MediaSession>();
  private readonly stateSubject = new Subject<SipSessionEvent>();
  private readonly callCallbacks = new Set<(session: MediaSession) => void | Promise<void>>();
  private readonly callMedia = new Map<string, CallMedia>(); // by session id
  private readonly unanswered = new Map<string, Unanswered>(); // by session id
  private readonly watches = new Map<string, MediaInactivityWatch>(); // by session id
  private pending = 0;
  private address: SipAddress | undefined;

  constructor(options: SipVideoBackendOptions = {}) {
    super();
    const o = resolveBackendOptions(options);
    this.options = o;
    this.media = new CallMediaAllocator(o);
    this.ua = new SipUserAgent({
      ...o.userAgent,
      advertisedHost: o.advertisedHost,
      ...(o.auth === undefined ? {} : { auth: o.auth }),
      ...(o.credentials === undefined ? {} : { credentials: o.credentials }),
      // an INVITE may Require: timer while session timers are on (RFC 4028 §9)
      supportedExtensions: [
        ...(o.userAgent?.supportedExtensions ?? []),
        ...(o.sessionTimer === false ? [] : ["timer"]),
      ],
      // capacity is enforced here (503), so the user agent must not refuse first
      maxCalls: o.maxCalls * 2 + 16,
    });
    this.calls$ = this.callSubject.asObservable();
    this.callStates$ = this.stateSubject.asObservable();
    this.ua.incomingCalls$.subscribe((call) => {
      void this.onIncoming(call);
    });
  }

  /** start binds the SIP socket; resolves with the bound address. */
  async start(): Promise<SipAddress> {
    const [host, port] = this.options.localSipAddr;
    this.address = await this.ua.start({ host, port });
    return this.address;
  }

  /** stop ends every call (BYE) and closes the SIP socket. */
  async stop(): Promise<void> {
    this.close();
    await this.ua.stop();
  }

  /** sipAddress is where the backend listens, once started. */
  get sipAddress(): SipAddress | undefined {
    return this.address;
  }

  /** portsInUse is the number of RTP port pairs held (0 when every port is back in the pool). */
  get portsInUse(): number {
    return this.media.portsInUse;
  }

  /** userAgentStats are the SIP layer's counters (transport, retransmissions, calls). */
  get userAgentStats(): SipUserAgent["stats"] {
    return this.ua.stats;
  }

  /**
   * onCall registers a callback for each incoming call (roomkit on_call), called after 180
   * Ringing and before the answer: the INVITE is answered 200 once every callback returned and
   * its promise resolved. A callback that throws or rejects (e.g. video-bridge's RoomFullError
   * from `kit.join`) rejects the INVITE with `callRejection`'s final response (ROOM_FULL → 486
   * "Room Full"); one that disconnects the session rejects it 480. After `onCallTimeoutMs`
   * (default 5 s) the call is answered anyway. `onCallTimeoutMs: 0` answers first, then calls.
   */
  onCall(cb: (session: MediaSession) => void | Promise<void>): () => void {
    this.callCallbacks.add(cb);
    return () => this.callCallbacks.delete(cb);
  }

  /**
   * call places an outgoing call (INVITE with an audio and, by default, a video offer) and
   * resolves with its session once answered; rejects with the SIP error when it fails. When no
   * video RTP session can be set up, the offer carries audio only and the call is audio-only.
   */
  async call(uri: string, options: BackendCallOptions = {}): Promise<MediaSession> {
    if (this.address === undefined)
      throw new SipSignalingError("NOT_STARTED", "call() before start()");
    const withVideo = options.video ?? true;
    const media = await this.media.allocate(withVideo, true);
    let outgoing: OutgoingCall | undefined;
    const timer = this.options.sessionTimer;
    try {
      const offer = createOffer(this.media.offerOptions(media));
      outgoing = this.ua.call(
        uri,
        offer,
        timer === false
          ? {}
          : { extraHeaders: uacRequestHeaders(timer.sessionExpires, timer.minSE, false) },
      );
      if (timer !== false) outgoing.enableSessionTimer(timer);
      const negotiated = parseAnswer(offer, await outgoing.answer);
      this.countIgnoredParameterSets(negotiated);
      // the callee may send as soon as it answered: keep the bound placeholders when they were
      // opened for what was negotiated (no window with a closed port), else re-open
      const open =
        this.media.reuse(negotiated, media) ?? (await this.media.open(negotiated, media));
      const user = /^sips?:([^@;>]+)@/.exec(uri)?.[1];
      const session = this.register({
        roomId: options.roomId ?? user ?? "default",
        participantId: options.participantId ?? uri,
        channelId: options.channelId ?? "av",
        metadata: this.metadataOf(uri, outgoing.callId, negotiated, open, "outgoing"),
        video: open.video,
        audio: open.audio,
      });
      this.track(session, outgoing, open);
      return session;
    } catch (e) {
      this.media.release(media);
      if (outgoing !== undefined && outgoing.state === "established")
        void outgoing.bye().catch(() => {});
      // a rejected or failed call is over already: only an unanswered one needs a CANCEL
      else if (outgoing?.state === "calling" || outgoing?.state === "ringing") outgoing.cancel();
      throw e;
    }
  }

  /**
   * videoPacketPort is the call's video session as a packet seam (see `MediaBackend`), in a role
   * the negotiation allows (`CallMedia.videoCutThrough`): not as a source when the remote's H.264
   * parameter sets come out of band, not as a target for an H.264 packetization-mode 0 peer.
   */
  override videoPacketPort(
    session: VideoSession,
    role: "source" | "target" = "source",
  ): VideoRtpSession | undefined {
    const port = super.videoPacketPort(session, role);
    const cut = this.callMedia.get(session.id)?.videoCutThrough;
    if (port === undefined || cut === undefined) return port;
    return cut[role] ? port : undefined;
  }

  /**
   * requestKeyframe asks the remote for a keyframe (RTCP PLI); for a call not answered yet (an
   * `onCall` callback asking), the PLI is sent right after the 200 OK.
   */
  override requestKeyframe(session: VideoSession): void {
    const unanswered = this.unanswered.get(session.id);
    if (unanswered !== undefined) unanswered.keyframe = true;
    else super.requestKeyframe(session);
  }

  protected override beforeClose(session: MediaSession, reason: string): void {
    this.watches.get(session.id)?.stop();
    this.watches.delete(session.id);
    const unanswered = this.unanswered.get(session.id);
    // disconnected by an onCall callback: the INVITE is rejected once the callbacks settled
    if (unanswered !== undefined) unanswered.closed = true;
    const call = this.calls.get(session.id);
    this.calls.delete(session.id);
    if (call === undefined) return;
    this.callIds.delete(call.callId);
    if (call.state === "established" || call.state === "answered") {
      const byeReason = LOCAL_END_REASONS.has(reason) ? (reason as LocalEndReason) : "local-bye";
      void call.bye(byeReason).catch(() => {});
    }
  }

  protected override afterClose(session: MediaSession): void {
    const m = this.callMedia.get(session.id);
    this.callMedia.delete(session.id);
    if (m !== undefined) this.media.release(m);
  }

  private async onIncoming(call: IncomingCall): Promise<void> {
    const roomId = call.user ?? "default";
    if (this.callIds.has(call.callId)) return this.reject(call, 486);
    if (this.sessionCount + this.pending >= this.options.maxCalls) return this.reject(call, 503);
    const timer = this.options.sessionTimer;
    if (timer !== false) {
      call.enableSessionTimer(timer);
      // RFC 4028 §8.1: an interval below our Min-SE is refused before anything is set up
      const minSE = call.sessionIntervalTooSmall;
      if (minSE !== undefined) {
        return this.reject(call, 422, "Session Interval Too Small", [`Min-SE: ${minSE}`]);
      }
    }
    this.pending++;
    let counted = true; // in this.pending
    let cancelled = false;
    call.onCancel = () => {
      cancelled = true;
    };
    // (a function, so the compiler does not carry a narrowed state across the awaits below)
    const over = (): boolean => cancelled || call.state === "terminated";
    let media: CallMedia | undefined;
    let session: MediaSession | undefined;
    try {
      const hasVideoOffer = /^m=video [1-9]/m.test(call.remoteSdp);
      const filter = this.options.inviteFilter;
      if (filter !== undefined) {
        const verdict = await filter({
          caller: call.callerUri,
          callId: call.callId,
          roomId,
          requestUri: call.requestUri,
          username: call.username,
          hasVideo: hasVideoOffer,
        });
        if (!verdict.accept) return this.reject(call, verdict.statusCode);
      }
      // cancelled (487 already sent) or timed out while the filter ran: set up no media
      if (over()) return;
      // no video pair (exhausted, socket error): the answer refuses video with port 0
      media = await this.media.allocate(hasVideoOffer);
      let answer: ReturnType<typeof negotiateAnswer>;
      try {
        answer = negotiateAnswer(call.remoteSdp, this.media.localOptions(media));
      } catch (e) {
        this.media.release(media);
        media = undefined;
        return this.reject(call, sdpFailureStatus(e));
      }
      const open = await this.media.open(answer, media);
      // the video session could not be re-opened: answer again, refusing video (RFC 3264 §6)
      if (answer.video !== undefined && open.video === undefined) {
        answer = negotiateAnswer(call.remoteSdp, this.media.localOptions(open));
      }
      if (over()) {
        this.media.release(media);
        media = undefined;
        return;
      }
      this.countIgnoredParameterSets(answer);
      call.progress();
      session = this.register({
        roomId,
        participantId: call.callerUri,
        channelId: "av",
        metadata: this.metadataOf(
          call.callerUri,
          call.callId,
          answer,
          open,
          "incoming",
          call.username,
        ),
        video: open.video,
        audio: open.audio,
      });
      media = undefined; // owned by the session now
      this.pending--; // counted by sessionCount from here on
      counted = false;
      this.track(session, call, open);
      if (this.options.onCallTimeoutMs === 0) {
        call.accept(answer.sdp);
        this.callSubject.next(session);
        this.runCallCallbacks(session);
        return;
      }
      await this.answerAfterCallbacks(call, session, answer.sdp);
    } catch (e) {
      if (media !== undefined) this.media.release(media);
      // our own failure (no audio port pair, a socket): 500, by the same rule as the SDP
      if (call.state !== "terminated") this.reject(call, sdpFailureStatus(e));
      if (session !== undefined) this.disconnect(session, "failed");
    } finally {
      if (counted) this.pending--;
    }
  }

  /**
   * answerAfterCallbacks runs the `onCall` callbacks on the registered but unanswered session,
   * and answers once they settled: 200 when every one returned, the final response of
   * `callRejection` when one threw, 480 when one disconnected the session; answered anyway after
   * `onCallTimeoutMs`. A call CANCELled meanwhile (487 sent) is only disconnected.
   */
  private async answerAfterCallbacks(
    call: IncomingCall,
    session: MediaSession,
    answerSdp: string,
  ): Promise<void> {
    const unanswered: Unanswered = { closed: false, keyframe: false };
    this.unanswered.set(session.id, unanswered);
    let outcome: CallbackOutcome;
    try {
      outcome = await this.settleCallbacks(this.runCallCallbacks(session));
    } finally {
      this.unanswered.delete(session.id);
    }
    if (call.state === "terminated") {
      this.disconnect(session, "call-ended");
      return;
    }
    if (outcome.failed || unanswered.closed) {
      const r = outcome.failed
        ? this.options.callRejection(outcome.error)
        : CALL_CLOSED_BEFORE_ANSWER;
      this.reject(call, r.statusCode, r.reasonPhrase);
      this.disconnect(session, "rejected");
      return;
    }
    call.accept(answerSdp);
    this.callSubject.next(session);
    if (unanswered.keyframe) this.requestKeyframe(session);
  }

  /** runCallCallbacks calls every `onCall` callback; returns their promises and what threw. */
  private runCallCallbacks(session: MediaSession): CallbackRun {
    const run: CallbackRun = { promises: [], thrown: [] };
    const answered = this.options.onCallTimeoutMs === 0;
    for (const cb of [...this.callCallbacks]) {
      try {
        const r = cb(session);
        if (r instanceof Promise) {
          if (answered) r.catch(() => this.callbackErrors++);
          else run.promises.push(r);
        }
      } catch (e) {
        if (answered) this.callbackErrors++;
        else run.thrown.push(e);
      }
    }
    return run;
  }

  /**
   * settleCallbacks waits for the callbacks' promises, at most `onCallTimeoutMs`: the first error
   * fails the call; a promise that rejects after the timeout counts in `callbackErrors`.
   */
  private async settleCallbacks(run: CallbackRun): Promise<CallbackOutcome> {
    if (run.thrown.length > 0) {
      for (const p of run.promises) p.catch(() => this.callbackErrors++);
      return { failed: true, error: run.thrown[0] };
    }
    if (run.promises.length === 0) return { failed: false };
    let timedOut = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<CallbackOutcome>((resolve) => {
      timer = setTimeout(() => {
        timedOut = true;
        resolve({ failed: false });
      }, this.options.onCallTimeoutMs);
    });
    const settled = Promise.all(run.promises).then(
      (): CallbackOutcome => ({ failed: false }),
      (error: unknown): CallbackOutcome => ({ failed: true, error }),
    );
    try {
      const outcome = await Promise.race([settled, timeout]);
      if (timedOut) for (const p of run.promises) p.catch(() => this.callbackErrors++);
      return outcome;
    } finally {
      clearTimeout(timer);
    }
  }

  private reject(
    call: IncomingCall,
    statusCode: number,
    reasonPhrase?: string,
    extraHeaders?: readonly string[],
  ): void {
    if (call.state === "terminated") return; // nothing is sent: do not count it
    this.rejected[statusCode] = (this.rejected[statusCode] ?? 0) + 1;
    call.reject(statusCode, reasonPhrase, extraHeaders);
  }

  private track(session: MediaSession, call: SipCall, media: CallMedia): void {
    this.calls.set(session.id, call);
    this.callIds.add(call.callId);
    this.callMedia.set(session.id, media);
    call.onBye = () => this.disconnect(session, "remote-bye");
    void call.ended.then((t) => {
      if (t.reason === "session-expired" && this.calls.get(session.id) === call) {
        this.mediaStats.sessionsExpired++;
      }
      this.disconnect(session, t.reason === "session-expired" ? t.reason : "call-ended");
    });
    this.watchMedia(session, media);
    call.state$.subscribe((state) => this.stateSubject.next({ session, state }));
    // the answer to one of our session refreshes: the media follows it (unchanged: no-op)
    call.onRefreshAnswer = (offer, answer) => {
      try {
        const n = parseAnswer(offer, answer);
        this.countIgnoredParameterSets(n);
        if (!this.media.retarget(media, n)) this.mediaStats.parameterSetsIgnored++;
      } catch {
        // an answer that does not fit our offer: the media stays as it is
      }
    };
    call.onReinvite = (re) => {
      try {
        const answer = negotiateAnswer(re.offerSdp, this.media.localOptions(media));
        this.countIgnoredParameterSets(answer);
        if (!this.media.retarget(media, answer)) this.mediaStats.parameterSetsIgnored++;
        re.accept(answer.sdp);
      } catch (e) {
        re.reject(sdpFailureStatus(e));
      }
    };
  }

  /**
   * watchMedia ends the call with BYE ("rtp-timeout") when neither RTP nor RTCP came from the
   * remote on any stream for `rtpTimeoutMs` (`rtpHoldTimeoutMs` while it sends nothing by the SDP).
   */
  private watchMedia(session: MediaSession, media: CallMedia): void {
    const o = this.options;
    if (o.rtpTimeoutMs === 0 && o.rtpHoldTimeoutMs === 0) return;
    const watch = new MediaInactivityWatch(
      {
        timeoutMs: o.rtpTimeoutMs,
        holdTimeoutMs: o.rtpHoldTimeoutMs,
        scheduler: o.scheduler ?? asyncScheduler,
      },
      () => [media.audio, media.video],
      () => isOnHold(media),
      () => {
        this.watches.delete(session.id);
        if (!this.calls.has(session.id)) return;
        this.mediaStats.rtpTimeouts++;
        this.disconnect(session, "rtp-timeout");
      },
    );
    this.watches.set(session.id, watch);
  }

  private countIgnoredParameterSets(n: NegotiatedSession): void {
    if (n.video?.parameterSetsIgnored !== undefined) this.mediaStats.parameterSetsIgnored++;
  }

  private metadataOf(
    caller: string,
    callId: string,
    n: NegotiatedSession,
    media: CallMedia,
    direction: "incoming" | "outgoing",
    username?: string,
  ): SipCallMetadata {
    const hasVideo = n.video !== undefined && media.video !== undefined;
    if (media.videoError !== undefined) this.mediaStats.videoSetupFailures++;
    return {
      caller,
      callId,
      hasVideo,
      videoCodec:
        hasVideo && n.video !== undefined
          ? VIDEO_CODEC_OF_NAME[n.video.codec as VideoCodecName]
          : undefined,
      videoSetupError: media.videoError,
      direction,
      username,
    };
  }
}
