import { randomUUID } from "node:crypto";
import { type Observable, type SchedulerLike, Subject, type Subscription } from "rxjs";
import { RtpVideoError } from "../errors.js";
import type { AudioFrame, AudioPayloadType } from "../session/audio-frame.js";
import { AudioRtpSession, type OutgoingAudio } from "../session/audio-session.js";
import type { Address } from "../session/udp-pair.js";
import {
  type CodecPlug,
  type KeyframeRequest,
  VideoRtpSession,
  type VideoSessionStats,
} from "../session/video-session.js";
import type { VideoCodec, VideoFrame } from "../video-frame.js";

/** VideoChunk is one access unit of an outgoing stream with its own timing (roomkit VideoChunk). */
export interface VideoChunk {
  readonly data: Uint8Array;
  readonly keyframe?: boolean;
  /** timestampMs on the stream's clock; default real time since the first chunk. */
  readonly timestampMs?: number;
}

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
  /** nack requests retransmissions of lost video packets; default true. */
  readonly nack?: boolean;
  /** latencyMs is the video jitter buffer's bound; default 200. */
  readonly latencyMs?: number;
  /** scheduler for time (tests use virtual time); default asyncScheduler. */
  readonly scheduler?: SchedulerLike;
}

/** SessionMetadata is what `connect` takes per session (all optional). */
export interface SessionMetadata {
  readonly videoRemoteAddr?: Address;
  readonly remoteAddr?: Address;
  readonly videoLocalAddr?: Address;
  readonly localAddr?: Address;
  readonly [key: string]: unknown;
}

/** MediaSessionState is the life of a session. */
export type MediaSessionState = "active" | "ended";

/** MediaSession is one participant's audio + video RTP sessions under one id (roomkit VoiceSession). */
export interface MediaSession {
  readonly id: string;
  readonly roomId: string;
  readonly participantId: string;
  readonly channelId: string;
  readonly metadata: SessionMetadata;
  readonly state: MediaSessionState;
  /** videoCodec is the codec of the session's video stream (what it can receive). */
  readonly videoCodec: VideoCodec;
  /** video is the session's video RTP session. */
  readonly video: VideoRtpSession;
  /** audio is the session's audio RTP session. */
  readonly audio: AudioRtpSession;
  /** keyframeRequests$ emits the PLI/FIR the remote sends for our video. */
  readonly keyframeRequests$: Observable<KeyframeRequest>;
}

/** VideoSession is the video view of a MediaSession (same id), as getVideoSession returns it. */
export type VideoSession = MediaSession;

type Callback<A extends unknown[]> = (...args: A) => void;

interface MutableSession {
  id: string;
  roomId: string;
  participantId: string;
  channelId: string;
  metadata: SessionMetadata;
  state: MediaSessionState;
  videoCodec: VideoCodec;
  video: VideoRtpSession;
  audio: AudioRtpSession;
  keyframeRequests$: Observable<KeyframeRequest>;
  subs: Subscription[];
  sendChain: Promise<void>;
}

/**
 * RtpVideoBackend is roomkit's RTPVideoBackend in TypeScript: direct RTP audio + video to
 * endpoints whose addresses you supply. One `connect()` creates both RTP sessions under one id;
 * frames come out through `onVideoReceived` (and `videoReceived$`), video goes out with
 * `sendVideo`/`sendVideoSync`, `requestKeyframe` sends a PLI, `disconnect` closes both sessions and
 * fires `onClientDisconnected` once. A callback that throws is counted, never breaks the media path.
 */
export class RtpVideoBackend {
  /** videoReceived$ emits every inbound frame with its session. */
  readonly videoReceived$: Observable<{ session: VideoSession; frame: VideoFrame }>;
  /** audioReceived$ emits every inbound audio payload with its session. */
  readonly audioReceived$: Observable<{ session: MediaSession; frame: AudioFrame }>;
  /** sessionReady$ emits each session once it is connected. */
  readonly sessionReady$: Observable<VideoSession>;
  /** disconnected$ emits each session once, when it ends. */
  readonly disconnected$: Observable<VideoSession>;
  /** callbackErrors counts exceptions thrown by user callbacks (they are otherwise ignored). */
  callbackErrors = 0;
  private readonly options: RtpVideoBackendOptions;
  private readonly sessions = new Map<string, MutableSession>();
  private readonly videoSubject = new Subject<{ session: VideoSession; frame: VideoFrame }>();
  private readonly audioSubject = new Subject<{ session: MediaSession; frame: AudioFrame }>();
  private readonly readySubject = new Subject<VideoSession>();
  private readonly endedSubject = new Subject<VideoSession>();
  private readonly videoCallbacks = new Set<Callback<[VideoSession, VideoFrame]>>();
  private readonly audioCallbacks = new Set<Callback<[MediaSession, AudioFrame]>>();
  private readonly readyCallbacks = new Set<Callback<[VideoSession]>>();
  private readonly endedCallbacks = new Set<Callback<[VideoSession]>>();

  constructor(options: RtpVideoBackendOptions = {}) {
    this.options = options;
    this.videoReceived$ = this.videoSubject.asObservable();
    this.audioReceived$ = this.audioSubject.asObservable();
    this.sessionReady$ = this.readySubject.asObservable();
    this.disconnected$ = this.endedSubject.asObservable();
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
  ): Promise<VideoSession> {
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
    };
    const video = await VideoRtpSession.open({
      ...common,
      localAddr: metadata.videoLocalAddr ?? o.videoLocalAddr ?? ["0.0.0.0", 0],
      remoteAddr: videoRemote,
      payloadType: o.videoPayloadType ?? 96,
      clockRate: o.videoClockRate ?? 90000,
      codec: o.videoCodec ?? "h264",
      ...(o.videoCodecs === undefined ? {} : { codecs: o.videoCodecs }),
      ...(o.nack === undefined ? {} : { nack: o.nack }),
      ...(o.latencyMs === undefined ? {} : { latencyMs: o.latencyMs }),
    });
    let audio: AudioRtpSession;
    try {
      audio = await AudioRtpSession.open({
        ...common,
        localAddr: metadata.localAddr ?? o.localAddr ?? ["0.0.0.0", 0],
        remoteAddr: audioRemote,
        ...(o.audioPayloadTypes === undefined ? {} : { payloadTypes: o.audioPayloadTypes }),
        payloadType: o.payloadType ?? 0,
      });
    } catch (e) {
      video.close("connect failed");
      throw e;
    }
    const session: MutableSession = {
      id: randomUUID(),
      roomId,
      participantId,
      channelId,
      metadata,
      state: "active",
      videoCodec: video.codec,
      video,
      audio,
      keyframeRequests$: video.keyframeRequests$,
      subs: [],
      sendChain: Promise.resolve(),
    };
    this.sessions.set(session.id, session);
    session.subs.push(
      video.frames$.subscribe((frame) => {
        this.videoSubject.next({ session, frame });
        for (const cb of this.videoCallbacks) this.safely(() => cb(session, frame));
      }),
      audio.frames$.subscribe((frame) => {
        this.audioSubject.next({ session, frame });
        for (const cb of this.audioCallbacks) this.safely(() => cb(session, frame));
      }),
    );
    this.readySubject.next(session);
    for (const cb of this.readyCallbacks) this.safely(() => cb(session));
    return session;
  }

  /** disconnect closes both RTP sessions (BYE first) and fires onClientDisconnected once. */
  disconnect(session: VideoSession | string): void {
    const s = this.sessions.get(typeof session === "string" ? session : session.id);
    if (s === undefined || s.state === "ended") return;
    s.state = "ended";
    this.sessions.delete(s.id);
    for (const sub of s.subs) sub.unsubscribe();
    s.video.sendBye("disconnect");
    s.audio.sendBye("disconnect");
    s.video.close("disconnect");
    s.audio.close("disconnect");
    this.endedSubject.next(s);
    for (const cb of this.endedCallbacks) this.safely(() => cb(s));
  }

  /** close disconnects every session. */
  close(): void {
    for (const s of [...this.sessions.values()]) this.disconnect(s);
  }

  /** getVideoSession returns the session with this id (the same id as the audio session). */
  getVideoSession(id: string): VideoSession | undefined {
    return this.sessions.get(id);
  }

  /** listVideoSessions lists the active sessions of a room. */
  listVideoSessions(roomId: string): VideoSession[] {
    return [...this.sessions.values()].filter((s) => s.roomId === roomId);
  }

  /** onVideoReceived registers a callback for inbound frames; returns a function that removes it. */
  onVideoReceived(cb: (session: VideoSession, frame: VideoFrame) => void): () => void {
    return register(this.videoCallbacks, cb);
  }

  /** onAudioReceived registers a callback for inbound audio payloads. */
  onAudioReceived(cb: (session: MediaSession, frame: AudioFrame) => void): () => void {
    return register(this.audioCallbacks, cb);
  }

  /** onVideoSessionReady registers a callback for each new session. */
  onVideoSessionReady(cb: (session: VideoSession) => void): () => void {
    return register(this.readyCallbacks, cb);
  }

  /** onClientDisconnected registers a callback fired once per session when it ends. */
  onClientDisconnected(cb: (session: VideoSession) => void): () => void {
    return register(this.endedCallbacks, cb);
  }

  /**
   * sendVideo sends one Annex-B access unit (timestamps follow real time), or every chunk of an
   * async iterable in order (each with its own timestamp and keyframe flag). Sends to one session
   * are serialised. Resolves with the number of packets sent.
   */
  async sendVideo(
    session: VideoSession,
    data: Uint8Array | AsyncIterable<VideoChunk>,
  ): Promise<number> {
    const s = this.active(session);
    const run = async (): Promise<number> => {
      if (data instanceof Uint8Array) return this.sendVideoSync(s, data);
      let n = 0;
      for await (const chunk of data) {
        if (s.state === "ended") break;
        n += this.sendVideoSync(s, chunk);
      }
      return n;
    };
    const result = s.sendChain.then(run);
    s.sendChain = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** sendVideoSync sends one access unit now; returns the number of packets (0 without remote). */
  sendVideoSync(session: VideoSession, data: Uint8Array | VideoChunk): number {
    const s = this.active(session);
    const chunk: VideoChunk = data instanceof Uint8Array ? { data } : data;
    return s.video.sendFrame({
      data: chunk.data,
      keyframe: chunk.keyframe ?? false,
      ...(chunk.timestampMs === undefined ? {} : { timestampMs: chunk.timestampMs }),
    });
  }

  /** sendAudio sends one audio payload on the session's audio RTP session. */
  sendAudio(session: MediaSession, audio: OutgoingAudio): boolean {
    return this.active(session).audio.sendAudio(audio);
  }

  /** requestKeyframe asks the remote for a keyframe with an RTCP PLI. */
  requestKeyframe(session: VideoSession): void {
    this.active(session).video.requestKeyframe("pli");
  }

  /** videoStats returns the video session's stats. */
  videoStats(session: VideoSession): VideoSessionStats {
    return this.active(session).video.stats();
  }

  private active(session: VideoSession | MediaSession): MutableSession {
    const s = this.sessions.get(session.id);
    if (s === undefined) {
      throw new RtpVideoError(
        session.state === "ended" ? "SESSION_CLOSED" : "SESSION_NOT_FOUND",
        `session ${session.id} is not active in this backend`,
      );
    }
    return s;
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch {
      this.callbackErrors++;
    }
  }
}

function register<T>(set: Set<T>, cb: T): () => void {
  set.add(cb);
  return () => set.delete(cb);
}
