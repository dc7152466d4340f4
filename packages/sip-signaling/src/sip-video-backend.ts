import {
  type Address,
  type AudioCodec,
  AudioRtpSession,
  MediaBackend,
  type MediaSession,
  type VideoCodec,
  VideoRtpSession,
} from "@framewire/rtp-video";
import { type Observable, type SchedulerLike, Subject } from "rxjs";
import { SipSignalingError } from "./errors.js";
import { PortPool } from "./port-pool.js";
import { createOffer, OFFER_PAYLOAD_TYPES } from "./sdp/create-offer.js";
import { negotiateAnswer } from "./sdp/negotiate-answer.js";
import { parseAnswer } from "./sdp/parse-answer.js";
import type {
  AudioCodecName,
  NegotiatedMedia,
  NegotiatedSession,
  VideoCodecName,
} from "./sdp/sdp-types.js";
import type { CallState, IncomingCall, OutgoingCall, SipCall } from "./sip/call-types.js";
import type { DigestAuthOptions, DigestClientCredentials } from "./sip/digest-auth.js";
import { SipUserAgent, type SipUserAgentOptions } from "./sip/sip-user-agent.js";
import type { SipAddress } from "./sip/via.js";

/** SipCallMetadata is what a SIP session's metadata holds (roomkit's call metadata). */
export interface SipCallMetadata {
  /** caller is the From URI of an incoming call, or our target URI for an outgoing one. */
  readonly caller: string;
  readonly callId: string;
  readonly hasVideo: boolean;
  /** videoCodec is the negotiated video codec ("H264", "VP8", "VP9"), when hasVideo. */
  readonly videoCodec: VideoCodecName | undefined;
  readonly direction: "incoming" | "outgoing";
  /** username is the Digest user an incoming call authenticated as (undefined without auth). */
  readonly username: string | undefined;
  readonly [key: string]: unknown;
}

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
  /** nack / latencyMs for the video sessions (see VideoRtpSession). */
  readonly nack?: boolean;
  readonly latencyMs?: number;
  /** scheduler for the RTP sessions' time (tests); default asyncScheduler. */
  readonly scheduler?: SchedulerLike;
  /** userAgent passes further options to the SIP user agent (timers, logging, limits). */
  readonly userAgent?: Omit<
    SipUserAgentOptions,
    "auth" | "credentials" | "maxCalls" | "advertisedHost"
  >;
}

/** CallOptionsForBackend are `call()`'s options. */
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

const AUDIO_CODECS: Record<Exclude<AudioCodecName, "telephone-event">, AudioCodec> = {
  PCMU: "pcmu",
  PCMA: "pcma",
  opus: "opus",
};
const VIDEO_CODECS: Record<VideoCodecName, VideoCodec> = { H264: "h264", VP8: "vp8", VP9: "vp9" };

interface Media {
  audio: AudioRtpSession;
  video: VideoRtpSession | undefined;
  audioPort: number;
  videoPort: number | undefined;
  /** preset is what the placeholders of an outgoing call were opened for (our offer's first codecs). */
  preset?: { audioPt: number; videoCodec: VideoCodecName | undefined; videoPt: number | undefined };
}

/**
 * SipVideoBackend is roomkit's SIPVideoBackend in TypeScript: a SIP user agent over UDP that
 * answers audio+video INVITEs (100 Trying, 180 Ringing, 200 OK with the combined SDP answer),
 * sets up an audio and, when negotiated, a video RTP session per call from a port pool, and
 * exposes them through the same session API as RtpVideoBackend. Calls whose video cannot be
 * negotiated proceed audio-only (`hasVideo` false). BYE from either side tears both sessions
 * down once; every RTP port goes back to the pool on every path.
 */
export class SipVideoBackend extends MediaBackend {
  /** calls$ emits each established incoming call's session (roomkit on_call). */
  readonly calls$: Observable<MediaSession>;
  /** callStates$ emits the call state changes of every session. */
  readonly callStates$: Observable<SipSessionEvent>;
  /** rejected counts incoming calls rejected, by SIP status. */
  readonly rejected: Record<number, number> = {};
  private readonly options: SipVideoBackendOptions;
  private readonly ua: SipUserAgent;
  private readonly pool: PortPool;
  private readonly calls = new Map<string, SipCall>(); // by session id
  private readonly callIds = new Set<string>();
  private readonly callSubject = new Subject<MediaSession>();
  private readonly stateSubject = new Subject<SipSessionEvent>();
  private readonly callCallbacks = new Set<(session: MediaSession) => void | Promise<void>>();
  private readonly media = new Map<string, Media>(); // by session id
  private pending = 0;
  private address: SipAddress | undefined;

  constructor(options: SipVideoBackendOptions = {}) {
    super();
    this.options = options;
    this.pool = new PortPool(options.rtpPortStart ?? 10000, options.rtpPortEnd ?? 20000);
    const ip = options.localRtpIp ?? "127.0.0.1";
    this.ua = new SipUserAgent({
      ...(options.userAgent ?? {}),
      advertisedHost: options.advertisedHost ?? ip,
      ...(options.auth === undefined ? {} : { auth: options.auth }),
      ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
      // capacity is enforced here (503), so the user agent must not refuse first
      maxCalls: (options.maxCalls ?? 100) * 2 + 16,
    });
    this.calls$ = this.callSubject.asObservable();
    this.callStates$ = this.stateSubject.asObservable();
    this.ua.incomingCalls$.subscribe((call) => {
      void this.onIncoming(call);
    });
  }

  /** start binds the SIP socket; resolves with the bound address. */
  async start(): Promise<SipAddress> {
    const [host, port] = this.options.localSipAddr ?? ["0.0.0.0", 5060];
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
    return this.pool.inUse;
  }

  /** userAgentStats are the SIP layer's counters (transport, retransmissions, calls). */
  get userAgentStats(): SipUserAgent["stats"] {
    return this.ua.stats;
  }

  /** onCall registers a callback for each incoming call, once answered (roomkit on_call). */
  onCall(cb: (session: MediaSession) => void | Promise<void>): () => void {
    this.callCallbacks.add(cb);
    return () => this.callCallbacks.delete(cb);
  }

  /**
   * call places an outgoing call (INVITE with an audio and, by default, a video offer) and
   * resolves with its session once answered; rejects with the SIP error when it fails.
   */
  async call(uri: string, options: BackendCallOptions = {}): Promise<MediaSession> {
    if (this.address === undefined)
      throw new SipSignalingError("NOT_STARTED", "call() before start()");
    const withVideo = options.video ?? true;
    const media = await this.allocate(withVideo, true);
    let outgoing: OutgoingCall | undefined;
    try {
      const offer = createOffer({
        audioCodecs: this.audioCodecs(),
        videoCodecs: this.options.supportedVideoCodecs ?? ["H264"],
        address: this.ip(),
        audioPort: media.audioPort,
        videoPort: media.videoPort ?? 0,
        sessionId: Date.now(),
        sessionVersion: 1,
        withVideo: media.videoPort !== undefined,
      });
      outgoing = this.ua.call(uri, offer);
      const negotiated = parseAnswer(offer, await outgoing.answer);
      // the callee may send as soon as it answered: keep the bound placeholders when they were
      // opened for what was negotiated (no window with a closed port), else re-open
      const open = this.reuse(negotiated, media) ?? (await this.openMedia(negotiated, media));
      const user = /^sips?:([^@;>]+)@/.exec(uri)?.[1];
      const session = this.register({
        roomId: options.roomId ?? user ?? "default",
        participantId: options.participantId ?? uri,
        channelId: options.channelId ?? "av",
        metadata: this.metadataOf(uri, outgoing.callId, negotiated, "outgoing"),
        video: open.video,
        audio: open.audio,
      });
      this.track(session, outgoing, open);
      return session;
    } catch (e) {
      this.release(media);
      if (outgoing !== undefined && outgoing.state === "established")
        void outgoing.bye().catch(() => {});
      // a rejected or failed call is over already: only an unanswered one needs a CANCEL
      else if (outgoing?.state === "calling" || outgoing?.state === "ringing") outgoing.cancel();
      throw e;
    }
  }

  protected override beforeClose(session: MediaSession): void {
    const call = this.calls.get(session.id);
    this.calls.delete(session.id);
    if (call === undefined) return;
    this.callIds.delete(call.callId);
    if (call.state === "established" || call.state === "answered") void call.bye().catch(() => {});
  }

  protected override afterClose(session: MediaSession): void {
    const m = this.media.get(session.id);
    this.media.delete(session.id);
    if (m !== undefined) this.release(m);
  }

  private async onIncoming(call: IncomingCall): Promise<void> {
    const roomId = call.user ?? "default";
    if (this.callIds.has(call.callId)) return this.reject(call, 486);
    if (this.sessionCount + this.pending >= (this.options.maxCalls ?? 100))
      return this.reject(call, 503);
    this.pending++;
    let cancelled = false;
    call.onCancel = () => {
      cancelled = true;
    };
    // (a function, so the compiler does not carry a narrowed state across the awaits below)
    const over = (): boolean => cancelled || call.state === "terminated";
    let media: Media | undefined;
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
      media = await this.allocate(hasVideoOffer);
      let answer: ReturnType<typeof negotiateAnswer>;
      try {
        answer = negotiateAnswer(call.remoteSdp, this.localOptions(media));
      } catch (e) {
        const code = (e as SipSignalingError).code;
        this.release(media);
        media = undefined;
        return this.reject(
          call,
          code === "SDP_NO_ACCEPTABLE_AUDIO" ? 488 : code === undefined ? 500 : 400,
        );
      }
      const open = await this.openMedia(answer, media);
      if (over()) {
        open.video?.close("cancelled");
        open.audio.close("cancelled");
        this.release(media);
        return;
      }
      call.progress();
      call.accept(answer.sdp);
      const session = this.register({
        roomId,
        participantId: call.callerUri,
        channelId: "av",
        metadata: this.metadataOf(call.callerUri, call.callId, answer, "incoming", call.username),
        video: open.video,
        audio: open.audio,
      });
      media = undefined; // owned by the session now
      this.track(session, call, open);
      this.callSubject.next(session);
      for (const cb of this.callCallbacks) {
        this.safely(() => {
          const r = cb(session);
          if (r instanceof Promise) r.catch(() => this.callbackErrors++);
        });
      }
    } catch {
      if (media !== undefined) this.release(media);
      if (call.state !== "terminated") this.reject(call, 500);
    } finally {
      this.pending--;
    }
  }

  private reject(call: IncomingCall, statusCode: number): void {
    if (call.state === "terminated") return; // nothing is sent: do not count it
    this.rejected[statusCode] = (this.rejected[statusCode] ?? 0) + 1;
    call.reject(statusCode);
  }

  private track(session: MediaSession, call: SipCall, media: Media): void {
    this.calls.set(session.id, call);
    this.callIds.add(call.callId);
    this.media.set(session.id, media);
    call.onBye = () => this.disconnect(session, "remote-bye");
    void call.ended.then(() => this.disconnect(session, "call-ended"));
    call.state$.subscribe((state) => this.stateSubject.next({ session, state }));
    call.onReinvite = (re) => {
      try {
        const answer = negotiateAnswer(re.offerSdp, this.localOptions(media));
        this.retarget(media, answer);
        re.accept(answer.sdp);
      } catch (e) {
        re.reject((e as SipSignalingError).code === "SDP_NO_ACCEPTABLE_AUDIO" ? 488 : 400);
      }
    };
  }

  /** retarget points the media at the addresses of a new offer/answer (re-INVITE, hold). */
  private retarget(media: Media, negotiated: NegotiatedSession): void {
    const a = negotiated.audio;
    media.audio.setRemoteAddr(sendTarget(a), rtcpOf(a));
    const v = negotiated.video;
    if (media.video !== undefined) {
      media.video.setRemoteAddr(
        v === undefined ? null : sendTarget(v),
        v === undefined ? undefined : rtcpOf(v),
      );
    }
  }

  private async allocate(withVideo: boolean, forOffer = false): Promise<Media> {
    const ip = this.ip();
    // for our own offer, the placeholders take our first codecs (what most answers pick)
    const firstAudio = this.audioCodecs().find((c) => c !== "telephone-event") as
      | keyof typeof AUDIO_CODECS
      | undefined;
    const firstVideo = (this.options.supportedVideoCodecs ?? ["H264"])[0];
    const audioPt = firstAudio === undefined ? undefined : OFFER_PAYLOAD_TYPES[firstAudio];
    const withEvents = this.audioCodecs().includes("telephone-event") && firstAudio !== "opus";
    const audioPreset =
      forOffer && firstAudio !== undefined && audioPt !== undefined
        ? {
            payloadTypes: [
              {
                payloadType: audioPt,
                codec: AUDIO_CODECS[firstAudio],
                clockRate: firstAudio === "opus" ? 48000 : 8000,
              },
              ...(withEvents
                ? [
                    {
                      payloadType: OFFER_PAYLOAD_TYPES["telephone-event/8000"],
                      codec: "telephone-event" as const,
                      clockRate: 8000,
                    },
                  ]
                : []),
            ],
            payloadType: audioPt,
          }
        : {};
    const audio = await this.pool.withPort((port) =>
      AudioRtpSession.open({ localAddr: [ip, port], ...this.sessionCommon(), ...audioPreset }),
    );
    const preset =
      forOffer && audioPt !== undefined
        ? {
            audioPt,
            videoCodec: withVideo ? firstVideo : undefined,
            videoPt:
              withVideo && firstVideo !== undefined ? OFFER_PAYLOAD_TYPES[firstVideo] : undefined,
          }
        : undefined;
    const base = {
      audio: audio.value,
      audioPort: audio.port,
      ...(preset === undefined ? {} : { preset }),
    };
    if (!withVideo) return { ...base, video: undefined, videoPort: undefined };
    try {
      const video = await this.pool.withPort((port) =>
        // the codec is decided by the negotiation: a placeholder session holds the port until then
        VideoRtpSession.open({
          localAddr: [ip, port],
          ...this.sessionCommon(),
          ...(preset?.videoCodec === undefined || preset.videoPt === undefined
            ? {}
            : {
                codec: VIDEO_CODECS[preset.videoCodec],
                payloadType: preset.videoPt,
                packetizationMode: 1 as const,
                nack: this.options.nack ?? true,
              }),
        }),
      );
      return { ...base, video: video.value, videoPort: video.port };
    } catch (e) {
      audio.value.close();
      this.pool.release(audio.port);
      throw e;
    }
  }

  /**
   * reuse keeps an outgoing call's placeholders when the answer picked what they were opened
   * for (our first audio codec and telephone-event PT, no rtcp-mux; our first video codec and
   * its payload type, H.264 mode 1): it only points them at the answer's addresses, so RTP the
   * callee sends right after its 2xx finds a bound socket. Undefined otherwise (re-open).
   * (NACK cannot be switched on a live session: the placeholder keeps the configured setting.)
   */
  private reuse(n: NegotiatedSession, media: Media): Media | undefined {
    const p = media.preset;
    const a = n.audio;
    const v = n.video;
    if (p === undefined || a.payloadType !== p.audioPt || a.rtcpMux) return undefined;
    if (
      a.telephoneEventPt !== undefined &&
      a.telephoneEventPt !== OFFER_PAYLOAD_TYPES["telephone-event/8000"]
    ) {
      return undefined;
    }
    if (v !== undefined) {
      if (
        media.video === undefined ||
        v.codec !== p.videoCodec ||
        v.payloadType !== p.videoPt ||
        v.rtcpMux ||
        (v.codec === "H264" && (v.packetizationMode ?? 0) !== 1)
      ) {
        return undefined;
      }
    }
    this.retarget(media, n);
    if (v === undefined && media.video !== undefined) {
      media.video.close();
      media.video = undefined;
      if (media.videoPort !== undefined) this.pool.release(media.videoPort);
      media.videoPort = undefined;
    }
    return media;
  }

  /** openMedia replaces the placeholder sessions by ones configured from the negotiation. */
  private async openMedia(n: NegotiatedSession, media: Media): Promise<Media> {
    const ip = this.ip();
    const a = n.audio;
    media.audio.close();
    media.video?.close();
    const audioTypes = [
      {
        payloadType: a.payloadType,
        codec: AUDIO_CODECS[a.codec as keyof typeof AUDIO_CODECS],
        clockRate: a.clockRate,
      },
    ];
    if (a.telephoneEventPt !== undefined) {
      audioTypes.push({
        payloadType: a.telephoneEventPt,
        codec: "telephone-event",
        clockRate: a.clockRate,
      });
    }
    media.audio = await AudioRtpSession.open({
      ...this.sessionCommon(),
      localAddr: [ip, media.audioPort],
      remoteAddr: sendTarget(a),
      rtcpRemoteAddr: rtcpOf(a),
      rtcpMux: a.rtcpMux,
      payloadTypes: audioTypes,
      payloadType: a.payloadType,
    });
    const v = n.video;
    if (v === undefined || media.videoPort === undefined) {
      media.video = undefined;
      if (media.videoPort !== undefined) this.pool.release(media.videoPort);
      media.videoPort = undefined;
      return media;
    }
    media.video = await VideoRtpSession.open({
      ...this.sessionCommon(),
      localAddr: [ip, media.videoPort],
      remoteAddr: sendTarget(v),
      rtcpRemoteAddr: rtcpOf(v),
      rtcpMux: v.rtcpMux,
      codec: VIDEO_CODECS[v.codec as VideoCodecName],
      payloadType: v.payloadType,
      clockRate: v.clockRate,
      ...(v.packetizationMode === undefined ? {} : { packetizationMode: v.packetizationMode }),
      nack: (this.options.nack ?? true) && v.feedback.nack,
    });
    return media;
  }

  private release(media: Media): void {
    media.audio.close();
    media.video?.close();
    this.pool.release(media.audioPort);
    if (media.videoPort !== undefined) this.pool.release(media.videoPort);
  }

  private metadataOf(
    caller: string,
    callId: string,
    n: NegotiatedSession,
    direction: "incoming" | "outgoing",
    username?: string,
  ): SipCallMetadata {
    return {
      caller,
      callId,
      hasVideo: n.video !== undefined,
      videoCodec: n.video?.codec as VideoCodecName | undefined,
      direction,
      username,
    };
  }

  private localOptions(media: Media) {
    return {
      audioCodecs: this.audioCodecs(),
      videoCodecs: this.options.supportedVideoCodecs ?? ["H264"],
      address: this.ip(),
      audioPort: media.audioPort,
      videoPort: media.videoPort ?? 0,
      sessionId: Date.now(),
      sessionVersion: 1,
    } as const;
  }

  private audioCodecs(): readonly AudioCodecName[] {
    return this.options.supportedAudioCodecs ?? ["PCMU", "PCMA", "telephone-event"];
  }

  private ip(): string {
    return this.options.localRtpIp ?? "127.0.0.1";
  }

  private sessionCommon() {
    const o = this.options;
    return {
      ...(o.scheduler === undefined ? {} : { scheduler: o.scheduler }),
      ...(o.latencyMs === undefined ? {} : { latencyMs: o.latencyMs }),
    };
  }
}

/**
 * sendTarget is where to send a stream's media: nowhere (null) when the remote is on hold
 * (c=0.0.0.0, RFC 3264 §8.4) or our direction forbids sending (recvonly, inactive).
 */
function sendTarget(m: NegotiatedMedia): Address | null {
  if (m.remoteAddressUnspecified || m.direction === "recvonly" || m.direction === "inactive")
    return null;
  return [m.remoteAddress, m.remotePort];
}

function rtcpOf(m: NegotiatedMedia): Address {
  return [m.remoteRtcpAddress, m.remoteRtcpPort];
}
