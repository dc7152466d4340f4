import { isFramewireError } from "@framewire/errors";
import type { RawVideoFrame } from "@framewire/media/frames";
import type { VideoFrame as EncodedVideoFrame } from "@framewire/rtp-video";
import { decodeJwt } from "jose";
import { asyncScheduler, merge, type SchedulerLike, Subscription } from "rxjs";
import { AudioContinuity } from "../continuity/audio-continuity.js";
import { VideoContinuity } from "../continuity/video-continuity.js";
import type { AudioPublication } from "../core/audio-publication.js";
import type { AudioTrackStream } from "../core/audio-track-stream.js";
import type { Connector } from "../core/connector.js";
import { loadMedia, type MediaModule } from "../core/media-loader.js";
import type { ParticipantEvent } from "../core/participant-event.js";
import type { RemoteMember, TrackKind } from "../core/remote-member.js";
import type { ServerParticipant } from "../core/server-participant.js";
import type { VideoPublication } from "../core/video-publication.js";
import type { VideoTrackStream } from "../core/video-track-stream.js";
import { ConnectorError, InvalidSettingError } from "../errors.js";
import type {
  PublisherCallbacks,
  SessionCallbacks,
  SubscriberCallbacks,
  VonageErrorCode,
} from "./callbacks.js";
import type {
  AudioData,
  Connection,
  MediaBufferStats,
  Publisher,
  PublisherSettings,
  Session,
  SessionAudioSettings,
  SessionSettings,
  SessionVideoPublisherSettings,
  Stream,
  Subscriber,
  SubscriberSettings,
  VideoFrame,
  VonageVideoFormat,
} from "./models.js";
import {
  checkAudioData,
  checkPublisherSettings,
  checkSessionSettings,
  checkSubscriberSettings,
  checkVideoFrame,
} from "./settings.js";
import { blackFrame, rawOfVonageFrame, vonageFrameOfRaw } from "./vonage-frames.js";

/** DEFAULT_AUDIO_SETTINGS are the publisher's and the mix's format unless set: 48 kHz mono. */
export const DEFAULT_AUDIO_SETTINGS: SessionAudioSettings = Object.freeze({
  sampleRate: 48000,
  numberOfChannels: 1,
});

/** DEFAULT_VIDEO_PUBLISHER_SETTINGS are the publisher's video unless set: 1280x720, 30 fps, YUV420P. */
export const DEFAULT_VIDEO_PUBLISHER_SETTINGS: SessionVideoPublisherSettings = Object.freeze({
  resolution: Object.freeze({ width: 1280, height: 720 }),
  fps: 30,
  format: "YUV420P",
});

/** VonageVideoClientOptions are ours, beside the Connector the client attaches to. */
export interface VonageVideoClientOptions {
  /** scheduler of the publisher's output clocks: give the Connector's (virtual time in tests); default asyncScheduler. */
  readonly scheduler?: SchedulerLike;
  /** identity in the room when the Connector needs no tokens (with tokens it is the token's); default generated. */
  readonly identity?: string;
  /** silenceToleranceMs: a gap in `addAudio` shorter than this sends nothing (default the continuity's 100 ms). */
  readonly silenceToleranceMs?: number;
}

type State = "idle" | "connecting" | "connected" | "disconnecting" | "disconnected";

interface Remote {
  member: RemoteMember;
  readonly connection: Connection;
  stream: Stream | undefined;
}

interface Subscribed {
  readonly subscriber: Subscriber;
  readonly callbacks: SubscriberCallbacks;
  readonly wantsVideo: boolean;
  readonly wantsAudio: boolean;
  readonly format: VonageVideoFormat;
  readonly size: { readonly width: number; readonly height: number } | undefined;
  readonly maxFps: number | undefined;
  video: VideoTrackStream<EncodedVideoFrame | RawVideoFrame> | undefined;
  closed: boolean;
}

interface Publishing {
  readonly publisher: Publisher;
  readonly callbacks: PublisherCallbacks;
  readonly subscription: Subscription;
  video:
    | { readonly pub: VideoPublication; readonly pacer: VideoContinuity<RawVideoFrame> }
    | undefined;
  audio:
    | {
        readonly pub: AudioPublication;
        readonly pacer: AudioContinuity;
        readonly format: SessionAudioSettings;
      }
    | undefined;
}

interface Connected {
  readonly session: Session;
  readonly participant: ServerParticipant;
  readonly connection: Connection;
  readonly callbacks: SessionCallbacks;
  readonly settings: SessionSettings;
  readonly media: MediaModule;
  readonly subscription: Subscription;
  readonly remotes: Map<string, Remote>;
  readonly subscribed: Map<string, Subscribed>;
  mix: AudioTrackStream | undefined;
  publishing: Publishing | undefined;
  publishingBusy: boolean;
}

let generatedIdentities = 0;

/**
 * VonageVideoClient is the Vonage Video Connector's `VonageVideoClient` (seed 004) over the
 * participant core: constructed with the `Connector` it attaches to (in-process), it `connect`s
 * to a session (the room named by the session id; the Connector checks the token and that it was
 * issued for `applicationId`), reports connections and streams, subscribes to streams (each
 * subscriber's frames through `onRenderFrame`, the subscribed streams' audio mixed through
 * `onAudioData`), and publishes what `addVideo` / `addAudio` give it with the seed's continuity
 * (black before the first frame, the last frame repeated for 2 s then black; leading silence, a
 * tolerated gap, explicit silence, a padded flush) on the injected scheduler. Lifecycle calls
 * return Promises and reject with typed errors, which the matching `onError` also gets.
 * `disconnect` leaves nothing behind: streams ended, publications and decoders closed.
 */
export class VonageVideoClient {
  readonly connector: Connector;
  readonly #options: VonageVideoClientOptions;
  readonly #scheduler: SchedulerLike;
  readonly #pending = new Set<Promise<void>>();
  #state: State = "idle";
  #connected: Connected | undefined;
  #callbackErrors = 0;

  constructor(connector: Connector, options: VonageVideoClientOptions = {}) {
    this.connector = connector;
    this.#options = options;
    this.#scheduler = options.scheduler ?? asyncScheduler;
  }

  /** callbackErrors counts application callbacks that threw (caught; the media path went on). */
  get callbackErrors(): number {
    return this.#callbackErrors;
  }

  /**
   * connect joins session `sessionId` (the room) with `token`. Rejects (and reports to
   * `onError`) with InvalidSettingError for bad settings or ids, TOKEN_* / PERMISSION_DENIED from
   * the Connector, TOKEN_WRONG_APPLICATION when the token is not for `applicationId`,
   * MEDIA_UNAVAILABLE without `@framewire/media`, INVALID_STATE when already connected.
   */
  async connect(
    applicationId: string,
    sessionId: string,
    token: string,
    sessionSettings?: SessionSettings,
    callbacks: SessionCallbacks = {},
  ): Promise<Session> {
    const session: Session = { id: typeof sessionId === "string" ? sessionId : "" };
    try {
      if (this.#state !== "idle" && this.#state !== "disconnected")
        throw new ConnectorError("INVALID_STATE", `the client is ${this.#state}`);
      if (typeof applicationId !== "string" || applicationId === "")
        throw new InvalidSettingError("applicationId", "must be a non-empty string");
      if (typeof sessionId !== "string" || sessionId === "")
        throw new InvalidSettingError("sessionId", "must be a non-empty string");
      const settings = checkSessionSettings(sessionSettings);
      this.#checkApplication(applicationId, token);
      this.#state = "connecting";
      let participant: ServerParticipant;
      let media: MediaModule;
      try {
        media = await loadMedia();
        participant = await this.connector.join({
          roomId: sessionId,
          ...(this.connector.requiresTokens
            ? { token }
            : { identity: this.#options.identity ?? `vonage-client-${++generatedIdentities}` }),
        });
      } catch (e) {
        this.#state = "idle";
        throw e;
      }
      if (participant.access !== undefined && participant.access.applicationId !== applicationId) {
        await participant.leave();
        this.#state = "idle";
        throw new ConnectorError(
          "TOKEN_WRONG_APPLICATION",
          `the token was issued for application ${JSON.stringify(participant.access.applicationId)}, not ${JSON.stringify(applicationId)}`,
        );
      }
      const c: Connected = {
        session,
        participant,
        connection: {
          id: participant.session.id,
          creationTime: new Date(this.#scheduler.now()),
          data: participant.access?.metadata ?? "",
        },
        callbacks,
        settings,
        media,
        subscription: new Subscription(),
        remotes: new Map(),
        subscribed: new Map(),
        mix: undefined,
        publishing: undefined,
        publishingBusy: false,
      };
      this.#connected = c;
      this.#state = "connected";
      c.subscription.add(participant.events$.subscribe((e) => this.#event(c, e)));
      for (const m of participant.members()) c.remotes.set(m.sessionId, this.#remote(m));
      this.#call(callbacks.onConnected, session);
      for (const r of c.remotes.values())
        this.#call(callbacks.onConnectionCreated, session, r.connection);
      for (const r of c.remotes.values()) this.#streamMaybeReceived(c, r);
      return session;
    } catch (e) {
      const error = asError(e);
      this.#report(callbacks.onError, session, error);
      throw error;
    }
  }

  /**
   * disconnect unpublishes (`onStreamDestroyed`), ends every subscription (`onDisconnected` of
   * each subscriber), leaves the room and frees what the client held, then `onDisconnected`.
   * Resolves at once when not connected.
   */
  async disconnect(): Promise<void> {
    const c = this.#connected;
    if (c === undefined || this.#state !== "connected") {
      await this.#settled();
      return;
    }
    this.#state = "disconnecting";
    c.subscription.unsubscribe();
    await this.#stopPublishing(c);
    for (const s of [...c.subscribed.values()]) this.#endSubscriber(c, s);
    await c.participant.leave();
    await c.participant.whenIdle();
    await this.#settled();
    this.#connected = undefined;
    this.#state = "disconnected";
    this.#call(c.callbacks.onDisconnected, c.session);
  }

  /**
   * publish publishes the client's stream: video at `av.videoPublisher`'s size and fps (frames
   * from `addVideo`, black until the first), audio in `av.audioPublisher`'s format (from
   * `addAudio`, silence until the first), then `onStreamCreated` and, with audio,
   * `onReadyForAudio`. Rejects (and reports to `onError`) with InvalidSettingError, INVALID_STATE
   * when not connected or already publishing, PERMISSION_DENIED without `canPublish`.
   */
  async publish(
    publisherSettings: PublisherSettings,
    callbacks: PublisherCallbacks = {},
  ): Promise<Publisher> {
    const c = this.#connected;
    const publisher: Publisher = {
      stream: {
        id: streamId(c?.connection.id ?? ""),
        connection: c?.connection ?? { id: "", creationTime: new Date(0), data: "" },
      },
    };
    try {
      if (c === undefined || this.#state !== "connected")
        throw new ConnectorError("INVALID_STATE", "publish needs a connected client");
      if (c.publishing !== undefined || c.publishingBusy)
        throw new ConnectorError("INVALID_STATE", "the client publishes already");
      const settings = checkPublisherSettings(publisherSettings);
      const video = c.settings.av?.videoPublisher ?? DEFAULT_VIDEO_PUBLISHER_SETTINGS;
      const audio = c.settings.av?.audioPublisher ?? DEFAULT_AUDIO_SETTINGS;
      const hasVideo = settings.hasVideo !== false;
      const hasAudio = settings.hasAudio !== false;
      const { width, height } = video.resolution;
      if (hasVideo && (width % 2 !== 0 || height % 2 !== 0 || width < 16 || height < 16))
        throw new InvalidSettingError(
          "sessionSettings.av.videoPublisher.resolution",
          `a published video needs even sides of at least 16 pixels, got ${width}x${height}`,
        );
      c.publishingBusy = true;
      const p: Publishing = {
        publisher,
        callbacks,
        subscription: new Subscription(),
        video: undefined,
        audio: undefined,
      };
      try {
        if (hasVideo) {
          const pub = await c.participant.publishVideo({ width, height, fps: video.fps });
          const pacer = new VideoContinuity<RawVideoFrame>({
            fps: video.fps,
            black: () => blackFrame(c.media, width, height),
            scheduler: this.#scheduler,
          });
          p.video = { pub, pacer };
          let encodeErrors = 0;
          p.subscription.add(
            pacer.frames$.subscribe((t) => {
              if (pub.closed) return;
              try {
                pub.captureFrame(t.frame);
              } catch (e) {
                this.#report(callbacks.onError, publisher, asError(e));
              }
              const errors = pub.stats().encodeErrors;
              if (errors > encodeErrors) {
                const n = errors - encodeErrors;
                encodeErrors = errors;
                this.#report(
                  callbacks.onError,
                  publisher,
                  new c.media.MediaError("ENCODE_FAILED", `${n} frame(s) failed to encode`),
                );
              }
            }),
          );
        }
        if (hasAudio) {
          const format = {
            sampleRate: audio.sampleRate,
            numberOfChannels: audio.numberOfChannels,
          };
          const pub = c.participant.publishAudio({
            sampleRate: format.sampleRate,
            channels: format.numberOfChannels,
          });
          const pacer = new AudioContinuity({
            sampleRate: format.sampleRate,
            channels: format.numberOfChannels,
            periodMs: 20,
            scheduler: this.#scheduler,
            ...(this.#options.silenceToleranceMs === undefined
              ? {}
              : { silenceToleranceMs: this.#options.silenceToleranceMs }),
          });
          p.audio = { pub, pacer, format };
          p.subscription.add(
            pacer.periods$.subscribe((period) => {
              if (!pub.closed) pub.send(period.samples);
            }),
          );
        }
      } catch (e) {
        await closePublishing(p);
        throw e;
      } finally {
        c.publishingBusy = false;
      }
      if (this.#connected !== c || this.#state !== "connected") {
        await closePublishing(p);
        throw new ConnectorError("SESSION_CLOSED", "the client was disconnected while publishing");
      }
      const pacers = [p.video?.pacer, p.audio?.pacer].filter((x) => x !== undefined);
      p.subscription.add(
        merge(...pacers.map((x) => x.drained$)).subscribe(() =>
          this.#call(c.callbacks.onMediaBufferDrained, this.getMediaBufferStats()),
        ),
      );
      c.publishing = p;
      for (const x of pacers) x.start();
      this.#call(callbacks.onStreamCreated, publisher);
      if (p.audio !== undefined) this.#call(c.callbacks.onReadyForAudio, c.session);
      return publisher;
    } catch (e) {
      const error = asError(e);
      this.#report(callbacks.onError, publisher, error);
      throw error;
    }
  }

  /** unpublish stops the published stream (`onStreamDestroyed`); INVALID_STATE when not publishing. */
  async unpublish(): Promise<void> {
    const c = this.#connected;
    if (c?.publishing === undefined)
      throw new ConnectorError("INVALID_STATE", "the client publishes nothing");
    await this.#stopPublishing(c);
  }

  /**
   * subscribe subscribes to `stream`: its video (unless `subscribeToVideo: false`) through
   * `onRenderFrame` at `preferredResolution` (else the stream's size), at most
   * `preferredFramerate`, in `videoSettings.format` (default YUV420P); its audio (unless
   * `subscribeToAudio: false`) in the session's `onAudioData` mix. Then `onConnected`. Rejects
   * (and reports to `onError`) with InvalidSettingError, SESSION_NOT_FOUND for a stream not in
   * the session, INVALID_STATE when subscribed already or not connected, PERMISSION_DENIED.
   */
  async subscribe(
    stream: Stream,
    subscriberSettings?: SubscriberSettings,
    callbacks: SubscriberCallbacks = {},
  ): Promise<Subscriber> {
    const subscriber: Subscriber = { stream };
    try {
      const c = this.#connected;
      if (c === undefined || this.#state !== "connected")
        throw new ConnectorError("INVALID_STATE", "subscribe needs a connected client");
      const settings = checkSubscriberSettings(subscriberSettings);
      const preferred = settings.videoSettings?.preferredResolution;
      if (preferred !== undefined && (preferred.width < 2 || preferred.height < 2))
        throw new InvalidSettingError(
          "subscriberSettings.videoSettings.preferredResolution",
          `must be at least 2x2, got ${preferred.width}x${preferred.height}`,
        );
      const remote = [...c.remotes.values()].find((r) => r.stream?.id === stream?.id);
      if (remote === undefined)
        throw new ConnectorError(
          "SESSION_NOT_FOUND",
          `no stream ${String(stream?.id)} in session ${c.session.id}`,
        );
      if (c.subscribed.has(stream.id))
        throw new ConnectorError("INVALID_STATE", `stream ${stream.id} is subscribed already`);
      const s: Subscribed = {
        subscriber: { stream: remote.stream! },
        callbacks,
        wantsVideo: settings.subscribeToVideo !== false,
        wantsAudio: settings.subscribeToAudio !== false,
        format: settings.videoSettings?.format ?? "YUV420P",
        size: preferred === undefined ? undefined : { ...preferred },
        maxFps: settings.videoSettings?.preferredFramerate,
        video: undefined,
        closed: false,
      };
      if (s.wantsVideo && remote.member.tracks.video) this.#openVideo(c, remote, s);
      c.subscribed.set(stream.id, s);
      try {
        this.#updateMix(c);
      } catch (e) {
        this.#endSubscriber(c, s, false);
        throw e;
      }
      this.#call(callbacks.onConnected, s.subscriber);
      return s.subscriber;
    } catch (e) {
      const error = asError(e);
      this.#report(callbacks.onError, subscriber, error);
      throw error;
    }
  }

  /** unsubscribe ends the subscription to `stream` (`onDisconnected`); resolves at once if there is none. */
  async unsubscribe(stream: Stream): Promise<void> {
    const c = this.#connected;
    const s = c?.subscribed.get(stream?.id);
    if (c === undefined || s === undefined) return;
    this.#endSubscriber(c, s);
    await this.#settled();
  }

  /**
   * addAudio queues 16-bit PCM in the publisher's audio format (`av.audioPublisher`) for the
   * published stream; the oldest audio past 1 s is dropped. InvalidSettingError for bad data,
   * INVALID_STATE when no audio is published.
   */
  addAudio(audioData: AudioData): void {
    const audio = this.#connected?.publishing?.audio;
    if (audio === undefined)
      throw new ConnectorError("INVALID_STATE", "addAudio needs a publisher with audio");
    const data = checkAudioData(audioData, audio.format);
    audio.pacer.add(data.sampleBuffer);
  }

  /**
   * addVideo queues a frame (any of the three formats, up to 1920x1080; scaled to the
   * publisher's size) for the published stream's next tick; at most fps frames wait, the oldest
   * dropped. InvalidSettingError for a bad frame, INVALID_STATE when no video is published.
   */
  addVideo(videoFrame: VideoFrame): void {
    const c = this.#connected;
    const video = c?.publishing?.video;
    if (c === undefined || video === undefined)
      throw new ConnectorError("INVALID_STATE", "addVideo needs a publisher with video");
    video.pacer.add(rawOfVonageFrame(c.media, checkVideoFrame(videoFrame)));
  }

  /** getMediaBufferStats reads the publisher's queues: audio and video not yet sent. */
  getMediaBufferStats(): MediaBufferStats {
    const p = this.#connected?.publishing;
    return {
      ...(p?.audio === undefined
        ? {}
        : { audio: { durationMs: p.audio.pacer.stats().queuedDurationMs } }),
      ...(p?.video === undefined
        ? {}
        : { video: { durationMs: p.video.pacer.stats().queuedDurationMs } }),
    };
  }

  /** clearMediaBuffers drops the audio and video queued and not yet sent. */
  clearMediaBuffers(): void {
    const p = this.#connected?.publishing;
    p?.audio?.pacer.clear();
    p?.video?.pacer.clear();
  }

  /** getConnection is the client's own connection, or undefined when not connected. */
  getConnection(): Connection | undefined {
    return this.#state === "connected" ? this.#connected?.connection : undefined;
  }

  /** isConnected is true between `onConnected` and the start of a disconnect. */
  isConnected(): boolean {
    return this.#state === "connected";
  }

  /** isPublishing is true between `onStreamCreated` and the start of an unpublish. */
  isPublishing(): boolean {
    return this.#connected?.publishing !== undefined;
  }

  #checkApplication(applicationId: string, token: unknown): void {
    if (!this.connector.requiresTokens || typeof token !== "string") return;
    let iss: unknown;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      return; // not a JWT: the Connector says TOKEN_INVALID
    }
    if (typeof iss === "string" && iss !== applicationId)
      throw new ConnectorError(
        "TOKEN_WRONG_APPLICATION",
        `the token was issued for application ${JSON.stringify(iss)}, not ${JSON.stringify(applicationId)}`,
      );
  }

  #remote(member: RemoteMember): Remote {
    return {
      member,
      connection: {
        id: member.sessionId,
        creationTime: new Date(member.joinedAtMs),
        data: connectionData(member.metadata),
      },
      stream: undefined,
    };
  }

  #event(c: Connected, e: ParticipantEvent): void {
    if (this.#connected !== c) return;
    switch (e.type) {
      case "participant-joined": {
        const r = this.#remote(e.member);
        c.remotes.set(e.member.sessionId, r);
        this.#call(c.callbacks.onConnectionCreated, c.session, r.connection);
        return;
      }
      case "track-published":
      case "track-unpublished":
        this.#tracksChanged(c, e.member, e.kind);
        return;
      case "participant-left": {
        const r = c.remotes.get(e.member.sessionId);
        if (r === undefined) return;
        this.#dropStream(c, r);
        c.remotes.delete(e.member.sessionId);
        this.#call(c.callbacks.onConnectionDropped, c.session, r.connection);
        return;
      }
      case "disconnected":
        this.#lost(c, e.reason);
        return;
      default:
        return;
    }
  }

  #tracksChanged(c: Connected, member: RemoteMember, kind: TrackKind): void {
    const r = c.remotes.get(member.sessionId);
    if (r === undefined) return;
    r.member = member;
    if (!member.tracks.video && !member.tracks.audio) {
      this.#dropStream(c, r);
      return;
    }
    if (r.stream === undefined) {
      this.#streamMaybeReceived(c, r);
      return;
    }
    const s = c.subscribed.get(r.stream.id);
    if (s !== undefined && kind === "video" && member.tracks.video && s.wantsVideo && !s.video)
      this.#openVideo(c, r, s);
  }

  #streamMaybeReceived(c: Connected, r: Remote): void {
    if (r.stream !== undefined || (!r.member.tracks.video && !r.member.tracks.audio)) return;
    r.stream = { id: streamId(r.connection.id), connection: r.connection };
    this.#call(c.callbacks.onStreamReceived, c.session, r.stream);
  }

  #dropStream(c: Connected, r: Remote): void {
    const stream = r.stream;
    if (stream === undefined) return;
    r.stream = undefined;
    this.#call(c.callbacks.onStreamDropped, c.session, stream);
    // the application may have unsubscribed in onStreamDropped (the seed's example does)
    const s = c.subscribed.get(stream.id);
    if (s !== undefined) this.#endSubscriber(c, s);
  }

  #openVideo(c: Connected, r: Remote, s: Subscribed): void {
    const format = c.media.pixelFormatOfVonage(s.format);
    const stream = c.participant.subscribeVideo(r.member, {
      format,
      ...(s.size ?? {}),
      ...(s.maxFps === undefined ? {} : { maxFps: s.maxFps }),
    });
    s.video = stream;
    this.#track(this.#pumpVideo(s, stream));
  }

  async #pumpVideo(
    s: Subscribed,
    stream: VideoTrackStream<EncodedVideoFrame | RawVideoFrame>,
  ): Promise<void> {
    let decodeErrors = 0;
    try {
      for (;;) {
        const r = await stream.next();
        const errors = stream.stats().decodeErrors;
        if (errors > decodeErrors && !s.closed) {
          const n = errors - decodeErrors;
          decodeErrors = errors;
          const media = this.#connected?.media;
          if (media !== undefined)
            this.#report(
              s.callbacks.onError,
              s.subscriber,
              new media.MediaError("DECODE_FAILED", `${n} access unit(s) failed to decode`),
            );
        }
        if (r.done) break;
        if (s.closed) continue;
        const frame = vonageFrameOfRaw(r.value.frame as RawVideoFrame, s.format);
        this.#call(s.callbacks.onRenderFrame, s.subscriber, frame);
      }
    } catch (e) {
      if (!s.closed) this.#report(s.callbacks.onError, s.subscriber, asError(e));
    } finally {
      if (s.video === stream) s.video = undefined;
      await stream.close();
    }
  }

  #updateMix(c: Connected): void {
    const wanted =
      c.callbacks.onAudioData !== undefined &&
      this.#state === "connected" &&
      [...c.subscribed.values()].some((s) => s.wantsAudio && !s.closed);
    if (wanted && c.mix === undefined) {
      const format = c.settings.av?.audioSubscribersMix ?? DEFAULT_AUDIO_SETTINGS;
      const mix = c.participant.subscribeMixedAudio({
        sampleRate: format.sampleRate,
        channels: format.numberOfChannels,
        frameSizeMs: 20,
        // the mix holds the streams subscribed with audio, as the seed's audio callback
        include: (member) => {
          const stream = c.remotes.get(member.sessionId)?.stream;
          const s = stream === undefined ? undefined : c.subscribed.get(stream.id);
          return s !== undefined && s.wantsAudio && !s.closed;
        },
      });
      c.mix = mix;
      this.#track(this.#pumpMix(c, mix));
    } else if (!wanted && c.mix !== undefined) {
      const mix = c.mix;
      c.mix = undefined;
      this.#track(mix.close());
    }
  }

  async #pumpMix(c: Connected, mix: AudioTrackStream): Promise<void> {
    try {
      for (;;) {
        const r = await mix.next();
        if (r.done) break;
        if (c.mix !== mix) continue;
        const f = r.value.frame;
        const audioData: AudioData = {
          sampleBuffer: f.data,
          sampleRate: f.sampleRate,
          numberOfChannels: f.channels,
          numberOfFrames: f.samplesPerChannel,
        };
        this.#call(c.callbacks.onAudioData, c.session, audioData);
      }
    } catch (e) {
      if (c.mix === mix) this.#report(c.callbacks.onError, c.session, asError(e));
    } finally {
      if (c.mix === mix) c.mix = undefined;
      await mix.close();
    }
  }

  /** endSubscriber ends a subscription now (its callback at once), freeing its stream in the background. */
  #endSubscriber(c: Connected, s: Subscribed, notify = true): void {
    if (s.closed) return;
    s.closed = true;
    c.subscribed.delete(s.subscriber.stream.id);
    const video = s.video;
    s.video = undefined;
    if (video !== undefined) this.#track(video.close());
    this.#updateMix(c);
    if (notify) this.#call(s.callbacks.onDisconnected, s.subscriber);
  }

  async #stopPublishing(c: Connected): Promise<void> {
    const p = c.publishing;
    if (p === undefined) return;
    c.publishing = undefined;
    await closePublishing(p);
    this.#call(p.callbacks.onStreamDestroyed, p.publisher);
  }

  /** lost: the room ended the client's session (the kit closed, or it was made to leave). */
  #lost(c: Connected, reason: "closed" | "roomClosed"): void {
    if (this.#state !== "connected") return;
    this.#state = "disconnecting";
    c.subscription.unsubscribe();
    const p = c.publishing;
    c.publishing = undefined;
    if (p !== undefined) {
      this.#track(closePublishing(p));
      this.#call(p.callbacks.onStreamDestroyed, p.publisher);
    }
    for (const s of [...c.subscribed.values()]) this.#endSubscriber(c, s);
    if (c.mix !== undefined) {
      this.#track(c.mix.close());
      c.mix = undefined;
    }
    this.#track(c.participant.whenIdle());
    this.#connected = undefined;
    this.#state = "disconnected";
    this.#report(
      c.callbacks.onError,
      c.session,
      new ConnectorError(
        "SESSION_CLOSED",
        reason === "roomClosed"
          ? `session ${c.session.id} ended: the room was closed`
          : `session ${c.session.id} ended: the client was removed from the room`,
      ),
    );
    this.#call(c.callbacks.onDisconnected, c.session);
  }

  #track(p: Promise<void>): void {
    const tracked = p.catch(() => undefined);
    this.#pending.add(tracked);
    void tracked.then(() => this.#pending.delete(tracked));
  }

  async #settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  #call<A extends unknown[]>(f: ((...args: A) => void) | undefined, ...args: A): void {
    if (f === undefined) return;
    try {
      f(...args);
    } catch {
      this.#callbackErrors++;
    }
  }

  #report<T>(
    f: ((target: T, description: string, code: VonageErrorCode, error: Error) => void) | undefined,
    target: T,
    error: Error & { readonly code?: unknown },
  ): void {
    const code = (isFramewireError(error) ? error.code : "INVALID_STATE") as VonageErrorCode;
    this.#call(f, target, error.message, code, error);
  }
}

async function closePublishing(p: Publishing): Promise<void> {
  p.subscription.unsubscribe();
  p.video?.pacer.close();
  p.audio?.pacer.close();
  p.audio?.pub.close();
  await p.video?.pub.close();
}

function asError(e: unknown): Error {
  if (e instanceof Error) return e;
  return new ConnectorError("INVALID_STATE", String(e), { cause: e });
}

/**
 * streamId names a connection's stream: one at a time per connection (the core's tracks), the
 * same id for every observer and for the publisher itself; a republish is received again under it.
 */
function streamId(connectionId: string): string {
  return `${connectionId}/stream`;
}

/** connectionData is a member's connection data: the token's metadata, else its metadata as JSON. */
function connectionData(metadata: Readonly<Record<string, unknown>>): string {
  const fromToken = metadata.tokenMetadata;
  if (typeof fromToken === "string") return fromToken;
  return Object.keys(metadata).length === 0 ? "" : JSON.stringify(metadata);
}
