import {
  type Address,
  type AudioCodec,
  type AudioPayloadType,
  AudioRtpSession,
  VideoRtpSession,
} from "@framewire/rtp-video";
import type { ResolvedBackendOptions } from "./backend-options.js";
import { PortPool } from "./port-pool.js";
import { VIDEO_CODEC_OF_NAME } from "./sdp/codecs.js";
import { OFFER_PAYLOAD_TYPES } from "./sdp/create-offer.js";
import { OFFER_RTX_PAYLOAD_TYPES } from "./sdp/rtx.js";
import type {
  AudioCodecName,
  NegotiatedMedia,
  NegotiatedRtx,
  NegotiatedSession,
  SdpLocalOptions,
  SdpOfferOptions,
  VideoCodecName,
} from "./sdp/sdp-types.js";

const AUDIO_CODECS: Record<Exclude<AudioCodecName, "telephone-event">, AudioCodec> = {
  PCMU: "pcmu",
  PCMA: "pcma",
  opus: "opus",
};

/** OfferPreset is what the placeholders of an outgoing call were opened for (our first codecs). */
interface OfferPreset {
  readonly audioPt: number;
  readonly videoCodec: VideoCodecName | undefined;
  readonly videoPt: number | undefined;
}

/**
 * CallMedia is the RTP media of one call: its audio RTP session and port pair, and its video
 * RTP session and pair when video is set up. Mutable: the negotiation replaces the sessions.
 */
export interface CallMedia {
  audio: AudioRtpSession;
  video: VideoRtpSession | undefined;
  audioPort: number;
  videoPort: number | undefined;
  /** preset is what the placeholders of an outgoing call were opened for. */
  preset?: OfferPreset;
  /**
   * routes are the addresses and latching last applied to the audio and video sessions (see
   * `routeOf`), so a re-INVITE that changes nothing (a session refresh) leaves the latches be.
   */
  routes?: { audio?: StreamRoute; video?: StreamRoute };
  /**
   * videoError says why the video RTP session could not be set up (no port pair left, a socket
   * error): the call goes on audio-only. Undefined when video is set up or was not wanted.
   */
  videoError?: string;
  /**
   * videoCutThrough says in which roles the video session may forward packets as they are (the
   * video bridge's cut-through, `videoPacketPort`): as a source unless the remote's H.264
   * parameter sets come out of band (`sprop-parameter-sets`, which the frame path inserts into
   * its keyframes), as a target only when the remote takes any H.264 packet (packetization-mode
   * 1, not 0) or another codec. Undefined before the negotiation.
   */
  videoCutThrough?: { source: boolean; target: boolean };
}

/**
 * CallMediaAllocator sets up, re-targets and releases the RTP media of SIP calls: port pairs from
 * one PortPool, the audio and video RTP sessions on them. Audio is the call: a failure to set it
 * up throws. Video is not: when its session cannot be set up, the media comes back without video
 * and with `videoError`, and the SDP then refuses video with port 0 (RFC 3264 §6). Every port
 * goes back to the pool through `release`.
 */
export class CallMediaAllocator {
  private readonly options: ResolvedBackendOptions;
  private readonly pool: PortPool;

  constructor(options: ResolvedBackendOptions) {
    this.options = options;
    this.pool = new PortPool(options.rtpPortStart, options.rtpPortEnd);
  }

  /** portsInUse is the number of RTP port pairs held. */
  get portsInUse(): number {
    return this.pool.inUse;
  }

  /**
   * allocate opens placeholder sessions holding an audio pair and, when `withVideo`, a video
   * pair (the codecs are decided by the negotiation). For our own offer (`forOffer`) they take
   * our first codecs, so `reuse` can keep them. An audio failure throws; a video one does not.
   */
  async allocate(withVideo: boolean, forOffer = false): Promise<CallMedia> {
    const ip = this.options.localRtpIp;
    const audioCodecs = this.options.audioCodecs;
    const firstAudio = audioCodecs.find((c) => c !== "telephone-event") as
      | keyof typeof AUDIO_CODECS
      | undefined;
    const firstVideo = this.options.videoCodecs[0];
    const audioPt = firstAudio === undefined ? undefined : OFFER_PAYLOAD_TYPES[firstAudio];
    const withEvents = audioCodecs.includes("telephone-event") && firstAudio !== "opus";
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
    const preset: OfferPreset | undefined =
      forOffer && audioPt !== undefined
        ? {
            audioPt,
            videoCodec: withVideo ? firstVideo : undefined,
            videoPt:
              withVideo && firstVideo !== undefined ? OFFER_PAYLOAD_TYPES[firstVideo] : undefined,
          }
        : undefined;
    const media: CallMedia = {
      audio: audio.value,
      audioPort: audio.port,
      video: undefined,
      videoPort: undefined,
      ...(preset === undefined ? {} : { preset }),
    };
    if (!withVideo) return media;
    try {
      const video = await this.pool.withPort((port) =>
        // the codec is decided by the negotiation: a placeholder session holds the port until then
        VideoRtpSession.open({
          localAddr: [ip, port],
          ...this.sessionCommon(),
          ...(preset?.videoCodec === undefined || preset.videoPt === undefined
            ? {}
            : {
                codec: VIDEO_CODEC_OF_NAME[preset.videoCodec],
                payloadType: preset.videoPt,
                packetizationMode: 1 as const,
                nack: this.options.nack,
                ...(this.rtxOn
                  ? { rtxPayloadType: OFFER_RTX_PAYLOAD_TYPES[preset.videoCodec] }
                  : {}),
              }),
        }),
      );
      media.video = video.value;
      media.videoPort = video.port;
    } catch (e) {
      media.videoError = messageOf(e);
      if (media.preset !== undefined) {
        media.preset = { ...media.preset, videoCodec: undefined, videoPt: undefined };
      }
    }
    return media;
  }

  /**
   * reuse keeps an outgoing call's placeholders when the answer picked what they were opened
   * for (our first audio codec and telephone-event PT, no rtcp-mux; our first video codec and
   * its payload type, H.264 mode 1, our RTX payload type or none): it only points them at the
   * answer's addresses (and drops RTX when the answer has none), so RTP the callee sends right
   * after its 2xx finds a bound socket. Undefined otherwise (re-open).
   * (NACK cannot be switched on a live session: the placeholder keeps the configured setting.)
   */
  reuse(n: NegotiatedSession, media: CallMedia): CallMedia | undefined {
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
        (v.codec === "H264" && (v.packetizationMode ?? 0) !== 1) ||
        // RTX can be dropped from a live session, not changed or added
        (v.rtx !== undefined && v.rtx.payloadType !== media.video.rtxPayloadType)
      ) {
        return undefined;
      }
    }
    // answered without RTX: the placeholder retransmits on the media stream (RFC 4585)
    if (v !== undefined && v.rtx === undefined) media.video?.dropRtx();
    this.retarget(media, n);
    if (v === undefined && media.video !== undefined) this.dropVideo(media);
    return media;
  }

  /**
   * open replaces the placeholder sessions by ones configured from the negotiation. An audio
   * failure throws; when the video session cannot be re-opened, the media goes on without video
   * (`videoError` says why) and the caller must refuse video in its SDP.
   */
  async open(n: NegotiatedSession, media: CallMedia): Promise<CallMedia> {
    const ip = this.options.localRtpIp;
    const a = n.audio;
    media.audio.close();
    media.video?.close();
    const audioTypes: AudioPayloadType[] = [
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
    const audioRoute = routeOf(a);
    media.audio = await AudioRtpSession.open({
      ...this.sessionCommon(),
      ...routeOptions(audioRoute),
      localAddr: [ip, media.audioPort],
      rtcpMux: a.rtcpMux,
      payloadTypes: audioTypes,
      payloadType: a.payloadType,
    });
    media.routes = { audio: audioRoute };
    const v = n.video;
    const videoPort = media.videoPort;
    if (v === undefined || videoPort === undefined) {
      this.dropVideo(media);
      return media;
    }
    try {
      const videoRoute = routeOf(v);
      media.video = await VideoRtpSession.open({
        ...this.sessionCommon(),
        ...routeOptions(videoRoute),
        localAddr: [ip, videoPort],
        rtcpMux: v.rtcpMux,
        codec: VIDEO_CODEC_OF_NAME[v.codec as VideoCodecName],
        payloadType: v.payloadType,
        clockRate: v.clockRate,
        ...(v.packetizationMode === undefined ? {} : { packetizationMode: v.packetizationMode }),
        ...(v.parameterSets === undefined ? {} : { h264ParameterSets: v.parameterSets }),
        nack: this.options.nack && v.feedback.nack,
        ...(v.rtx === undefined
          ? {}
          : { rtxPayloadType: v.rtx.payloadType, ...remoteRtxOf(v.rtx) }),
      });
      media.routes.video = videoRoute;
      media.videoCutThrough = videoCutThroughOf(v);
    } catch (e) {
      media.video = undefined;
      this.dropVideo(media);
      media.videoError = messageOf(e);
    }
    return media;
  }

  /**
   * retarget points the media at the addresses of a new offer/answer (re-INVITE, hold): where
   * to send, the signalled source to latch onto and whether to latch at all (`routeOf`), applied
   * only to a stream whose route changed, so a refresh that changes nothing keeps the latched
   * source. It also gives the video session the parameter sets the remote declared, if it
   * declared new ones. Returns false when those parameter sets were refused (they are ignored;
   * the call goes on).
   */
  retarget(media: CallMedia, n: NegotiatedSession): boolean {
    const routes = media.routes ?? {};
    media.routes = routes;
    const audioRoute = routeOf(n.audio);
    if (routes.audio?.key !== audioRoute.key) {
      applyRoute(media.audio, audioRoute);
      routes.audio = audioRoute;
    }
    const v = n.video;
    if (media.video === undefined) return true;
    const videoRoute = v === undefined ? NO_ROUTE : routeOf(v);
    if (routes.video?.key !== videoRoute.key) {
      applyRoute(media.video, videoRoute);
      routes.video = videoRoute;
    }
    if (v?.rtx !== undefined) media.video.setRemoteRtx(remoteRtxOf(v.rtx).remoteRtx);
    if (v !== undefined) media.videoCutThrough = videoCutThroughOf(v);
    if (v?.parameterSets === undefined || media.video.codec !== "h264") return true;
    try {
      media.video.setH264ParameterSets(v.parameterSets);
      return true;
    } catch {
      return false;
    }
  }

  /** release closes the media's sessions and gives its ports back (twice is harmless). */
  release(media: CallMedia): void {
    media.audio.close();
    media.video?.close();
    this.pool.release(media.audioPort);
    if (media.videoPort !== undefined) this.pool.release(media.videoPort);
  }

  /** localOptions are our side of an answer for this media (video refused without a video port). */
  localOptions(media: CallMedia): SdpLocalOptions {
    return {
      audioCodecs: this.options.audioCodecs,
      videoCodecs: this.options.videoCodecs,
      address: this.options.localRtpIp,
      audioPort: media.audioPort,
      videoPort: media.videoPort ?? 0,
      sessionId: Date.now(),
      sessionVersion: 1,
      videoRtx: this.rtxOn,
    };
  }

  /** rtxOn: RTX is offered and answered (it answers NACKs, so only with NACK on). */
  private get rtxOn(): boolean {
    return this.options.rtx && this.options.nack;
  }

  /** offerOptions are our side of an offer for this media (video only with a video port). */
  offerOptions(media: CallMedia): SdpOfferOptions {
    return { ...this.localOptions(media), withVideo: media.videoPort !== undefined };
  }

  private dropVideo(media: CallMedia): void {
    media.video?.close();
    media.video = undefined;
    if (media.videoPort !== undefined) this.pool.release(media.videoPort);
    media.videoPort = undefined;
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
 * isOnHold tells whether no stream of the media is expected to carry media to us (every one
 * sendonly or inactive on our side, RFC 3264 §8.4): the remote holds or only listens.
 */
export function isOnHold(media: CallMedia): boolean {
  const r = media.routes;
  if (r === undefined) return false;
  return (
    !(r.audio?.receives ?? false) && !(media.video !== undefined && (r.video?.receives ?? false))
  );
}

/**
 * StreamRoute is where one stream's media goes and where it is expected from, as the SDP says:
 * `send`/`rtcp` are where to send RTP and RTCP; `expected`/`expectedRtcp` are the addresses the
 * remote signalled (c=/m=, a=rtcp, rtcp-mux), handed to the session as its expected sources
 * (rtp-video's strict latching: accepted at once, others only after probation while they are
 * silent); `symmetric` false for a stream the remote does not send on (our direction sendonly):
 * media goes to the signalled address and nothing is latched from inbound packets.
 */
export interface StreamRoute {
  readonly send: Address | null;
  readonly rtcp: Address | undefined;
  readonly expected: Address | null;
  readonly expectedRtcp: Address | undefined;
  readonly symmetric: boolean;
  /** receives: the remote sends us media on this stream (our direction sendrecv or recvonly). */
  readonly receives: boolean;
  /** key identifies the route, to apply it only when it changed. */
  readonly key: string;
}

/** NO_ROUTE is a stream refused or gone: send nothing, expect nothing, latch as by default. */
const NO_ROUTE: StreamRoute = route(null, undefined, null, undefined, true, false);

function route(
  send: Address | null,
  rtcp: Address | undefined,
  expected: Address | null,
  expectedRtcp: Address | undefined,
  symmetric: boolean,
  receives: boolean,
): StreamRoute {
  const key = JSON.stringify([send, rtcp ?? null, expected, expectedRtcp ?? null, symmetric]);
  return { send, rtcp, expected, expectedRtcp, symmetric, receives, key };
}

/**
 * routeOf is the route of a negotiated stream. Nothing is expected from an unspecified address
 * (c=0.0.0.0, RFC 3264 §8.4) or port 0; RTCP is expected where `a=rtcp` (RFC 3605), rtcp-mux
 * (RFC 5761) or port + 1 (RFC 3550 §11) puts it.
 */
export function routeOf(m: NegotiatedMedia): StreamRoute {
  const signalled = !m.remoteAddressUnspecified && m.remotePort > 0;
  const expected: Address | null = signalled ? [m.remoteAddress, m.remotePort] : null;
  const expectedRtcp = signalled && m.remoteRtcpPort > 0 ? rtcpOf(m) : undefined;
  const send = sendTarget(m);
  // the remote sends nothing on a stream we only send on: no latching, send where it signalled
  const symmetric = !(m.direction === "sendonly" && send !== null);
  const receives = m.direction === "sendrecv" || m.direction === "recvonly";
  return route(send, rtcpOf(m), expected, expectedRtcp, symmetric, receives);
}

/** routeOptions are a route as RTP session options (remote, expected sources, symmetric). */
function routeOptions(r: StreamRoute) {
  return {
    remoteAddr: r.send,
    ...(r.rtcp === undefined ? {} : { rtcpRemoteAddr: r.rtcp }),
    symmetric: r.symmetric,
    ...(r.expected === null ? {} : { expectedSource: r.expected }),
    ...(r.expectedRtcp === undefined ? {} : { expectedRtcpSource: r.expectedRtcp }),
  };
}

/** applyRoute re-targets a live session to a route (each setter starts latching afresh). */
function applyRoute(session: AudioRtpSession | VideoRtpSession, r: StreamRoute): void {
  session.setRemoteAddr(r.send, r.rtcp);
  session.setSymmetric(r.symmetric);
  session.setExpectedSource(r.expected, r.expectedRtcp);
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

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** remoteRtxOf is the remote's RTX SSRC pair as VideoRtpSession takes it, when it signalled one. */
function remoteRtxOf(rtx: NegotiatedRtx): {
  remoteRtx?: { readonly mediaSsrc: number; readonly rtxSsrc: number };
} {
  const s = rtx.remoteSsrcs;
  return s === undefined ? {} : { remoteRtx: { mediaSsrc: s.media, rtxSsrc: s.rtx } };
}

/** videoCutThroughOf is `CallMedia.videoCutThrough` for a negotiated video stream. */
function videoCutThroughOf(v: {
  readonly codec: string;
  readonly packetizationMode?: 0 | 1;
  readonly parameterSets?: readonly Uint8Array[];
}): { source: boolean; target: boolean } {
  const h264 = v.codec === "H264";
  return {
    source: !h264 || v.parameterSets === undefined,
    target: !h264 || v.packetizationMode === 1,
  };
}
