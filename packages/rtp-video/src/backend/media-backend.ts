import { randomUUID } from "node:crypto";
import { EMPTY, type Observable, Subject, type Subscription } from "rxjs";
import { RtpVideoError } from "../errors.js";
import type { AudioFrame } from "../session/audio-frame.js";
import type {
  AudioRtpSession,
  AudioSessionStats,
  OutgoingAudio,
} from "../session/audio-session.js";
import type { Address } from "../session/udp-pair.js";
import type {
  KeyframeRequest,
  VideoRtpSession,
  VideoSessionStats,
} from "../session/video-session.js";
import type { VideoCodec, VideoFrame } from "../video-frame.js";

/** VideoChunk is one access unit of an outgoing stream with its own timing (roomkit VideoChunk). */
export interface VideoChunk {
  readonly data: Uint8Array;
  readonly keyframe?: boolean;
  /** timestampMs on the stream's clock; default real time since the first chunk. */
  readonly timestampMs?: number;
}

/** SessionMetadata is what a session carries besides its media (all optional). */
export interface SessionMetadata {
  readonly videoRemoteAddr?: Address;
  readonly remoteAddr?: Address;
  readonly videoLocalAddr?: Address;
  readonly localAddr?: Address;
  /** videoExpectedSource / expectedSource: where the remote's video / audio RTP comes from. */
  readonly videoExpectedSource?: Address;
  readonly expectedSource?: Address;
  readonly [key: string]: unknown;
}

/** MediaSessionState is the life of a session. */
export type MediaSessionState = "active" | "ended";

/**
 * MediaSession is one participant's audio RTP session and, when video was set up, its video RTP
 * session, under one id (roomkit's VoiceSession + VideoSession).
 */
export interface MediaSession {
  readonly id: string;
  readonly roomId: string;
  readonly participantId: string;
  readonly channelId: string;
  readonly metadata: SessionMetadata;
  readonly state: MediaSessionState;
  /** videoCodec is the codec of the session's video stream; undefined for audio-only. */
  readonly videoCodec: VideoCodec | undefined;
  /** video is the session's video RTP session; undefined for audio-only sessions. */
  readonly video: VideoRtpSession | undefined;
  /** audio is the session's audio RTP session. */
  readonly audio: AudioRtpSession;
  /** keyframeRequests$ emits the PLI/FIR the remote sends for our video. */
  readonly keyframeRequests$: Observable<KeyframeRequest>;
}

/**
 * VideoSession is the session type of the backends' callbacks and video calls: the MediaSession
 * (same id as the audio one). Its `video` is undefined for an audio-only call.
 */
export type VideoSession = MediaSession;

/**
 * MediaSessionWithVideo is a MediaSession whose video RTP session is set up: what
 * `getVideoSession` and `listVideoSessions` return (roomkit's VideoSession).
 */
export interface MediaSessionWithVideo extends MediaSession {
  readonly video: VideoRtpSession;
  readonly videoCodec: VideoCodec;
}

interface MutableSession {
  id: string;
  roomId: string;
  participantId: string;
  channelId: string;
  metadata: SessionMetadata;
  state: MediaSessionState;
  videoCodec: VideoCodec | undefined;
  video: VideoRtpSession | undefined;
  audio: AudioRtpSession;
  keyframeRequests$: Observable<KeyframeRequest>;
  subs: Subscription[];
  sendChain: Promise<void>;
}

/** NewSession is what a backend hands to `register` once its RTP sessions are open. */
export interface NewSession {
  readonly id?: string;
  readonly roomId: string;
  readonly participantId: string;
  readonly channelId: string;
  readonly metadata: SessionMetadata;
  readonly video: VideoRtpSession | undefined;
  readonly audio: AudioRtpSession;
}

/**
 * MediaBackend is the session registry and media API shared by the RTP and SIP backends
 * (roomkit's VideoBackend): Observables for frames, audio, ready and disconnected sessions
 * (`videoReceived$`, `audioReceived$`, `sessionReady$`, `disconnected$`), the one event
 * mechanism; the callback methods (`onVideoReceived`, …) are thin subscriptions to them.
 * sendVideo / sendVideoSync / sendAudio / requestKeyframe; disconnect exactly once. A callback
 * registered with an `on…` method that throws is counted in `callbackErrors`, never breaks the
 * media path.
 */
export abstract class MediaBackend {
  /** name identifies the backend as roomkit names it: "RTP-AV" (RtpVideoBackend), "SIP-AV". */
  abstract readonly name: string;
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
  private readonly sessions = new Map<string, MutableSession>();
  private readonly videoSubject = new Subject<{ session: VideoSession; frame: VideoFrame }>();
  private readonly audioSubject = new Subject<{ session: MediaSession; frame: AudioFrame }>();
  private readonly readySubject = new Subject<VideoSession>();
  private readonly endedSubject = new Subject<VideoSession>();

  protected constructor() {
    this.videoReceived$ = this.videoSubject.asObservable();
    this.audioReceived$ = this.audioSubject.asObservable();
    this.sessionReady$ = this.readySubject.asObservable();
    this.disconnected$ = this.endedSubject.asObservable();
  }

  /** disconnect ends a session once: subclass teardown, both RTP sessions closed, callback fired. */
  disconnect(session: VideoSession | string, reason = "disconnect"): void {
    const s = this.sessions.get(typeof session === "string" ? session : session.id);
    if (s === undefined || s.state === "ended") return;
    s.state = "ended";
    this.sessions.delete(s.id);
    for (const sub of s.subs) sub.unsubscribe();
    this.safely(() => this.beforeClose(s, reason));
    s.video?.sendBye(reason);
    s.audio.sendBye(reason);
    s.video?.close(reason);
    s.audio.close(reason);
    this.safely(() => this.afterClose(s, reason));
    this.endedSubject.next(s);
  }

  /** close disconnects every session. */
  close(): void {
    for (const s of [...this.sessions.values()]) this.disconnect(s, "closed");
  }

  /**
   * getVideoSession returns the active session with this id (the same id as the audio session)
   * when it has video; undefined for an audio-only session, an ended one or an unknown id.
   */
  getVideoSession(id: string): MediaSessionWithVideo | undefined {
    const s = this.sessions.get(id);
    return s === undefined || !hasVideo(s) ? undefined : s;
  }

  /** listVideoSessions lists the active sessions of a room that have video (audio-only ones not). */
  listVideoSessions(roomId: string): MediaSessionWithVideo[] {
    const out: MediaSessionWithVideo[] = [];
    for (const s of this.sessions.values()) if (s.roomId === roomId && hasVideo(s)) out.push(s);
    return out;
  }

  /** sessionCount is the number of active sessions. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /**
   * onVideoReceived subscribes a callback to `videoReceived$`; returns a function that
   * unsubscribes it. What it throws is counted in `callbackErrors`.
   */
  onVideoReceived(cb: (session: VideoSession, frame: VideoFrame) => void): () => void {
    return this.listen(this.videoReceived$, (e) => cb(e.session, e.frame));
  }

  /** onAudioReceived subscribes a callback to `audioReceived$`; returns its unsubscribe. */
  onAudioReceived(cb: (session: MediaSession, frame: AudioFrame) => void): () => void {
    return this.listen(this.audioReceived$, (e) => cb(e.session, e.frame));
  }

  /** onVideoSessionReady subscribes a callback to `sessionReady$`; returns its unsubscribe. */
  onVideoSessionReady(cb: (session: VideoSession) => void): () => void {
    return this.listen(this.sessionReady$, cb);
  }

  /** onClientDisconnected subscribes a callback to `disconnected$` (once per session). */
  onClientDisconnected(cb: (session: VideoSession) => void): () => void {
    return this.listen(this.disconnected$, cb);
  }

  /**
   * sendVideo sends one access unit (timestamps follow real time), or every chunk of an async
   * iterable in order (each with its own timestamp and keyframe flag). Sends to one session are
   * serialised. Resolves with the number of packets sent (0 for an audio-only session). H.264 data
   * is Annex-B, or one NAL unit without a start code (roomkit's `nal_bytes`); one call is one
   * access unit. Rejects with `RtpVideoError` `SESSION_NOT_FOUND` for a session that is not
   * this backend's, `SESSION_CLOSED` for one that has ended (checked before anything is sent),
   * and with the packetizer's error for data it cannot send (`H264_EMPTY_ACCESS_UNIT`, …).
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

  /**
   * sendVideoSync sends one access unit now; returns the number of packets (0 when none sent).
   * Throws as `sendVideo` rejects (`SESSION_NOT_FOUND`, `SESSION_CLOSED`, the packetizer's codes).
   */
  sendVideoSync(session: VideoSession, data: Uint8Array | VideoChunk): number {
    const s = this.active(session);
    if (s.video === undefined) return 0;
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

  /** requestKeyframe asks the remote for a keyframe with an RTCP PLI (no-op without video). */
  requestKeyframe(session: VideoSession): void {
    this.active(session).video?.requestKeyframe("pli");
  }

  /**
   * videoPacketPort is the session's video RTP session as a packet seam (its `onPacket` and
   * `forwardPacket`), for cut-through forwarding (the video bridge's `cutThrough`), as a source
   * of packets or as a target taking them; undefined for an audio-only, ended or unknown session
   * (a backend may refuse a role: see SipVideoBackend).
   */
  videoPacketPort(session: VideoSession, _role?: "source" | "target"): VideoRtpSession | undefined {
    const s = this.sessions.get(session.id);
    return s === undefined || s.state === "ended" ? undefined : s.video;
  }

  /** videoStats returns the video session's stats (undefined for an audio-only session). */
  videoStats(session: VideoSession): VideoSessionStats | undefined {
    return this.active(session).video?.stats();
  }

  /** audioStats returns the audio session's stats (packets, loss, and its security counters). */
  audioStats(session: MediaSession): AudioSessionStats {
    return this.active(session).audio.stats();
  }

  /** register adds a session whose RTP sessions are open, wires its streams, fires ready. */
  protected register(init: NewSession): MediaSession {
    const { video, audio } = init;
    const session: MutableSession = {
      id: init.id ?? randomUUID(),
      roomId: init.roomId,
      participantId: init.participantId,
      channelId: init.channelId,
      metadata: init.metadata,
      state: "active",
      videoCodec: video?.codec,
      video,
      audio,
      keyframeRequests$: video?.keyframeRequests$ ?? EMPTY,
      subs: [],
      sendChain: Promise.resolve(),
    };
    if (this.sessions.has(session.id)) {
      throw new RtpVideoError("BAD_OPTION", `session id ${session.id} is in use`);
    }
    this.sessions.set(session.id, session);
    if (video !== undefined) {
      session.subs.push(
        video.frames$.subscribe((frame) => this.videoSubject.next({ session, frame })),
      );
    }
    session.subs.push(
      audio.frames$.subscribe((frame) => this.audioSubject.next({ session, frame })),
    );
    this.readySubject.next(session);
    return session;
  }

  /** beforeClose runs before the RTP sessions close (e.g. send a SIP BYE). */
  protected beforeClose(_session: MediaSession, _reason: string): void {}

  /** afterClose runs after the RTP sessions closed (e.g. release ports). */
  protected afterClose(_session: MediaSession, _reason: string): void {}

  /** safely runs a callback, counting what it throws. */
  protected safely(fn: () => void): void {
    try {
      fn();
    } catch {
      this.callbackErrors++;
    }
  }

  /** listen subscribes a callback to one of the event streams, counting what it throws. */
  private listen<T>(events$: Observable<T>, cb: (event: T) => void): () => void {
    const sub = events$.subscribe((event) => this.safely(() => cb(event)));
    return () => sub.unsubscribe();
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
}

function hasVideo(s: MutableSession): s is MutableSession & MediaSessionWithVideo {
  return s.video !== undefined && s.videoCodec !== undefined;
}
