import type { SchedulerLike } from "rxjs";
import { RtpVideoError } from "../errors.js";
import type { AudioPayloadType } from "../session/audio-frame.js";
import { AudioRtpSession } from "../session/audio-session.js";
import type { Address, PortRange } from "../session/udp-pair.js";
import { type CodecPlug, VideoRtpSession } from "../session/video-session.js";
import type { VideoCodec } from "../video-frame.js";
import { MediaBackend, type MediaSessionWithVideo, type SessionMetadata } from "./media-backend.js";

/** RtpVideoBackendOptions are roomkit's RTPVideoBackend parameters in TypeScript names. */
export interface RtpVideoBackendOptions {
  /** localAddr binds audio RTP (RTCP on the next port). Default ["0.0.0.0", 0]. */
  readonly localAddr?: Address;
  /** remoteAddr to send audio to; per session `metadata.remoteAddr` overrides. */
  readonly remoteAddr?: Address | null;
  /** payloadType of the audio sent; default 0 (PCMU). */
  readonly payloadType?: number;
  /** audioPayloadTypes accepted; default PCMU, PCMA, telephone-event 101, Opus 111. */
  readonly audioPayloadTypes?: readonly AudioPayloadType[];
  /** videoLocalAddr binds video RTP. Default ["0.0.0.0", 0]. */
  readonly videoLocalAddr?: Address;
  /** videoRemoteAddr to send video to; per session `metadata.videoRemoteAddr` overrides. */
  readonly videoRemoteAddr?: Address | null;
  /** videoPayloadType; default 96. */
  readonly videoPayloadType?: number;
  /** videoClockRate; default 90000. */
  readonly videoClockRate?: number;
  /** videoCodec; default "h264". */
  readonly videoCodec?: VideoCodec;
  /** videoCodecs plugs further codecs in. */
  readonly videoCodecs?: Partial<Record<VideoCodec, CodecPlug>>;
  /** rtcpMux for both media (RFC 5761); default false. */
  readonly rtcpMux?: boolean;
  /** symmetric RTP (latch on where media comes from); default true. */
  readonly symmetric?: boolean;
  /**
   * expectedSource / videoExpectedSource: where the remote's audio / video RTP comes from as
   * signalled (per session `metadata.expectedSource` / `metadata.videoExpectedSource` override):
   * media from elsewhere is refused while it is live (see `RtpSessionOptions.expectedSource`).
   * Default: none (learned, with probation).
   */
  readonly expectedSource?: Address;
  readonly videoExpectedSource?: Address;
  /** probationPackets a new source must send in sequence before it is accepted; default 4. */
  readonly probationPackets?: number;
  /** latchTimeoutMs of silence before another source may replace the accepted one; 2000. */
  readonly latchTimeoutMs?: number;
  /** localPortRange: ports drawn at random from it for local port 0 (see RtpSessionOptions). */
  readonly localPortRange?: PortRange;
  /** nack requests retransmissions of lost video packets; default true. */
  readonly nack?: boolean;
  /** latencyMs is the video jitter buffer's bound; default 200. */
  readonly latencyMs?: number;
  /**
   * assembleVideo: false makes the video sessions skip the depacketizer and frame assembler
   * (`VideoSessionOptions.assemble`): for a relay whose video only goes on cut-through (the video
   * bridge's `cutThrough`, through `videoPacketPort`), no frames come out of `videoReceived$`.
   * Default true.
   */
  readonly assembleVideo?: boolean;
  /** scheduler for time (tests use virtual time); default asyncScheduler. */
  readonly scheduler?: SchedulerLike;
}

/** RtpMediaSession is a session of an RtpVideoBackend: video is always set up. */
export interface RtpMediaSession extends MediaSessionWithVideo {
  readonly video: VideoRtpSession;
  readonly videoCodec: VideoCodec;
}

/**
 * RtpVideoBackend is roomkit's RTPVideoBackend in TypeScript: direct RTP audio + video to
 * endpoints whose addresses you supply. One `connect()` creates both RTP sessions under one id;
 * frames come out through `onVideoReceived` (and `videoReceived$`), video goes out with
 * `sendVideo`/`sendVideoSync`, `requestKeyframe` sends a PLI, `disconnect` closes both sessions and
 * fires `onClientDisconnected` once. A callback that throws is counted, never breaks the media path.
 */
export class RtpVideoBackend extends MediaBackend {
  /** name is "RTP-AV", roomkit's name for its RTP audio+video backend. */
  override readonly name = "RTP-AV";
  private readonly options: RtpVideoBackendOptions;

  constructor(options: RtpVideoBackendOptions = {}) {
    super();
    this.options = options;
  }

  /**
   * connect creates the audio and the video RTP session of one participant under one id. The
   * video remote address comes from `metadata.videoRemoteAddr`, else the constructor's; with
   * neither, it throws `NO_VIDEO_REMOTE_ADDR` before any socket is opened.
   */
  async connect(
    roomId: string,
    participantId: string,
    channelId = "video",
    metadata: SessionMetadata = {},
  ): Promise<RtpMediaSession> {
    const o = this.options;
    const videoRemote = metadata.videoRemoteAddr ?? o.videoRemoteAddr ?? undefined;
    if (videoRemote === undefined) {
      throw new RtpVideoError(
        "NO_VIDEO_REMOTE_ADDR",
        "no video remote address: pass videoRemoteAddr to the constructor or metadata.videoRemoteAddr",
      );
    }
    const audioRemote = metadata.remoteAddr ?? o.remoteAddr ?? null;
    const common = {
      ...(o.rtcpMux === undefined ? {} : { rtcpMux: o.rtcpMux }),
      ...(o.symmetric === undefined ? {} : { symmetric: o.symmetric }),
      ...(o.scheduler === undefined ? {} : { scheduler: o.scheduler }),
      ...(o.probationPackets === undefined ? {} : { probationPackets: o.probationPackets }),
      ...(o.latchTimeoutMs === undefined ? {} : { latchTimeoutMs: o.latchTimeoutMs }),
      ...(o.localPortRange === undefined ? {} : { localPortRange: o.localPortRange }),
    };
    const videoExpected = metadata.videoExpectedSource ?? o.videoExpectedSource;
    const audioExpected = metadata.expectedSource ?? o.expectedSource;
    const video = await VideoRtpSession.open({
      ...common,
      localAddr: metadata.videoLocalAddr ?? o.videoLocalAddr ?? ["0.0.0.0", 0],
      remoteAddr: videoRemote,
      ...(videoExpected === undefined ? {} : { expectedSource: videoExpected }),
      payloadType: o.videoPayloadType ?? 96,
      clockRate: o.videoClockRate ?? 90000,
      codec: o.videoCodec ?? "h264",
      ...(o.videoCodecs === undefined ? {} : { codecs: o.videoCodecs }),
      ...(o.nack === undefined ? {} : { nack: o.nack }),
      ...(o.latencyMs === undefined ? {} : { latencyMs: o.latencyMs }),
      ...(o.assembleVideo === undefined ? {} : { assemble: o.assembleVideo }),
    });
    let audio: AudioRtpSession;
    try {
      audio = await AudioRtpSession.open({
        ...common,
        localAddr: metadata.localAddr ?? o.localAddr ?? ["0.0.0.0", 0],
        remoteAddr: audioRemote,
        ...(audioExpected === undefined ? {} : { expectedSource: audioExpected }),
        ...(o.audioPayloadTypes === undefined ? {} : { payloadTypes: o.audioPayloadTypes }),
        payloadType: o.payloadType ?? 0,
      });
    } catch (e) {
      video.close("connect failed");
      throw e;
    }
    return this.register({
      roomId,
      participantId,
      channelId,
      metadata,
      video,
      audio,
    }) as RtpMediaSession;
  }
}
