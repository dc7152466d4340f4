import type { RawVideoFrame } from "@framewire/media/frames";
import type { VideoFrame } from "@framewire/rtp-video";
import { AudioMixer, audioTicks, type RoomKit, type RoomSession } from "@framewire/video-bridge";
import {
  EMPTY,
  filter,
  map,
  merge,
  Observable,
  type SchedulerLike,
  Subject,
  Subscription,
  takeUntil,
} from "rxjs";
import type { VerifiedAccess } from "../access-grants.js";
import { ConnectorError } from "../errors.js";
import { requireGrant } from "../verify-access-token.js";
import { AudioPublication, type AudioPublishOptions } from "./audio-publication.js";
import {
  type AudioInput,
  type AudioStreamOptions,
  AudioTrackStream,
} from "./audio-track-stream.js";
import type { ConnectorBackend } from "./connector-backend.js";
import { loadMedia } from "./media-loader.js";
import type { ParticipantEvent } from "./participant-event.js";
import { ParticipantSession } from "./participant-session.js";
import { PcmConverter } from "./pcm-converter.js";
import type { PublishedTracks, RemoteMember, TrackKind } from "./remote-member.js";
import type { StreamEndReason } from "./stream-end-reason.js";
import { dtmfDigit, parseTelephoneEvent } from "./telephone-event.js";
import { VideoPublication, type VideoPublishOptions } from "./video-publication.js";
import { type VideoStreamOptions, VideoTrackStream } from "./video-track-stream.js";

/** MixedAudioOptions are an audio stream's options and which members the mix takes (default all). */
export interface MixedAudioOptions extends AudioStreamOptions {
  /** include says, per frame, whether a member is in the mix (e.g. only those subscribed to). */
  readonly include?: (member: RemoteMember) => boolean;
}

/** ServerParticipantParts are what a Connector gives the participant it joined. */
export interface ServerParticipantParts {
  readonly kit: RoomKit;
  readonly channelId: string;
  readonly session: ParticipantSession;
  readonly backend: ConnectorBackend;
  readonly scheduler: SchedulerLike;
  readonly access: VerifiedAccess | undefined;
}

interface Member {
  value: RemoteMember;
  readonly left: Subject<void>;
  readonly unpublished: { video: Subject<void>; audio: Subject<void> };
  readonly subscription: Subscription;
}

const MIX_ID = "\u0000mix";

/**
 * ServerParticipant is a program in a room: it joined a `RoomKit` room through a `Connector`,
 * sees the other members and their tracks (`members`, `events$`), takes each member's video
 * (`subscribeVideo`, per source, encoded or raw) and audio (`subscribeAudio`, or the room's mix
 * without itself: `subscribeMixedAudio`), publishes its own video and audio as a source the
 * bridges forward to everyone, and leaves (`leave`). Every stream it opened ends with a reason
 * when it leaves, when the member leaves or unpublishes, or when the room closes.
 */
export class ServerParticipant {
  readonly identity: string;
  readonly roomId: string;
  readonly session: ParticipantSession;
  /** access is what the participant's token granted (undefined when the connector needs no tokens). */
  readonly access: VerifiedAccess | undefined;
  /** events$ emits members joining and leaving, track changes, DTMF, and the disconnect; then completes. */
  readonly events$: Observable<ParticipantEvent>;
  readonly #parts: ServerParticipantParts;
  readonly #events = new Subject<ParticipantEvent>();
  readonly #members = new Map<string, Member>();
  readonly #left = new Subject<void>();
  readonly #streams = new Set<{ close(): Promise<void> }>();
  readonly #subscription = new Subscription();
  readonly #dtmfSeen = new Map<string, number>();
  #video: VideoPublication | undefined;
  #audio: AudioPublication | undefined;
  #state: "connected" | "leaving" | "disconnected" = "connected";
  #reason: "closed" | "roomClosed" | undefined;

  constructor(parts: ServerParticipantParts) {
    this.#parts = parts;
    this.session = parts.session;
    this.identity = parts.session.participantId;
    this.roomId = parts.session.roomId;
    this.access = parts.access;
    this.events$ = this.#events.asObservable();
    const kit = parts.kit;
    this.#subscription.add(
      kit.events$.subscribe((e) => {
        if (e.roomId !== this.roomId || e.session.id === this.session.id) return;
        if (e.type === "session-started") this.#memberJoined(e.session);
        else this.#memberLeft(e.session.id);
      }),
    );
    for (const s of kit.getSessions(this.roomId))
      if (s.id !== this.session.id) this.#memberJoined(s);
    const audio = kit.audioBridge(parts.channelId);
    if (audio !== undefined) {
      this.#subscription.add(
        audio.sourceAudio$.subscribe((s) => {
          if (s.pcm !== undefined || s.roomId !== this.roomId) return;
          this.#telephoneEvent(s.source.id, s.frame.data, s.frame.rtpTimestamp);
        }),
      );
    }
  }

  /** connected is true until the participant left or was disconnected. */
  get connected(): boolean {
    return this.#state === "connected";
  }

  /** members lists the room's other members, in the order the participant saw them join. */
  members(): RemoteMember[] {
    return [...this.#members.values()].map((m) => m.value);
  }

  /** member finds a member by identity or session id. */
  member(identityOrSessionId: string): RemoteMember | undefined {
    const bySession = this.#members.get(identityOrSessionId);
    if (bySession !== undefined) return bySession.value;
    let found: RemoteMember | undefined;
    for (const m of this.#members.values())
      if (m.value.identity === identityOrSessionId) found = m.value;
    return found;
  }

  /** videoPublication is the published video, if any. */
  get videoPublication(): VideoPublication | undefined {
    return this.#video;
  }

  /** audioPublication is the published audio, if any. */
  get audioPublication(): AudioPublication | undefined {
    return this.#audio;
  }

  /**
   * subscribeVideo opens a stream of `member`'s video: encoded access units (`format:
   * "encoded"`, the default; node-av is never loaded) or raw frames of a pixel format (decoded
   * with `@framewire/media`). Throws PERMISSION_DENIED without `canSubscribe`, SESSION_NOT_FOUND
   * for a member not in the room, INVALID_STATE when it publishes no video or the participant left.
   */
  subscribeVideo(
    member: RemoteMember | string,
    options: VideoStreamOptions = {},
  ): VideoTrackStream<VideoFrame | RawVideoFrame> {
    const m = this.#subscribable(member, "video");
    const bridge = this.#parts.kit.videoBridge(this.#parts.channelId);
    if (bridge === undefined)
      throw new ConnectorError(
        "INVALID_STATE",
        `channel ${this.#parts.channelId} bridges no video`,
      );
    const source = m.value.session;
    const frames$ = bridge
      .subscribe(this.session, source)
      .pipe(takeUntil(merge(m.unpublished.video, m.left, this.#left)));
    const stream = new VideoTrackStream<VideoFrame | RawVideoFrame>(
      {
        frames$,
        scheduler: this.#parts.scheduler,
        requestKeyframe: () => bridge.requestKeyframe(this.session, source),
        endReason: () => this.#endReason(m, "video"),
      },
      options,
    );
    this.#track(stream);
    return stream;
  }

  /**
   * subscribeAudio opens a stream of `member`'s audio as PCM (decoded once by the audio bridge,
   * converted to the asked rate and channels). Errors as `subscribeVideo`.
   */
  subscribeAudio(
    member: RemoteMember | string,
    options: AudioStreamOptions = {},
  ): AudioTrackStream {
    const m = this.#subscribable(member, "audio");
    const audio = this.#audioBridge();
    const id = m.value.sessionId;
    const input$: Observable<AudioInput> = audio.sourceAudio$.pipe(
      filter((s) => s.source.id === id && s.pcm !== undefined),
      map((s) => ({ pcm: s.pcm!, sampleRate: s.sampleRate, rtpTimestamp: s.frame.rtpTimestamp })),
      takeUntil(merge(m.unpublished.audio, m.left, this.#left)),
    );
    const stream = new AudioTrackStream(
      { input$, scheduler: this.#parts.scheduler, endReason: () => this.#endReason(m, "audio") },
      options,
    );
    this.#track(stream);
    return stream;
  }

  /**
   * subscribeMixedAudio opens the room's audio mixed without the participant itself ("everyone
   * but me"; `include` narrows it to some members), on a 20 ms clock (silence while nobody
   * speaks), beside any per-member streams.
   */
  subscribeMixedAudio(options: MixedAudioOptions = {}): AudioTrackStream {
    this.#requireConnected();
    if (this.access !== undefined) requireGrant(this.access, "canSubscribe");
    const audio = this.#audioBridge();
    const scheduler = this.#parts.scheduler;
    const input$ = new Observable<AudioInput>((subscriber) => {
      const mixer = new AudioMixer({ sampleRate: 48000, frameMs: 20 });
      mixer.add(MIX_ID, { listens: true });
      const converters = new Map<string, PcmConverter>();
      const subs = new Subscription();
      subs.add(
        audio.sourceAudio$.subscribe((s) => {
          if (s.roomId !== this.roomId || s.source.id === this.session.id || s.pcm === undefined)
            return;
          const include = options.include;
          if (include !== undefined) {
            const m = this.#members.get(s.source.id);
            if (m === undefined || !include(m.value)) return;
          }
          let c = converters.get(s.source.id);
          if (c === undefined || c.from.sampleRate !== s.sampleRate) {
            c = new PcmConverter(
              { sampleRate: s.sampleRate, channels: 1 },
              { sampleRate: 48000, channels: 1 },
            );
            converters.set(s.source.id, c);
            if (!mixer.has(s.source.id)) mixer.add(s.source.id, { listens: false });
          }
          mixer.push(s.source.id, c.convert(s.pcm));
        }),
      );
      subs.add(
        this.#events.subscribe((e) => {
          if (e.type !== "participant-left") return;
          mixer.remove(e.member.sessionId);
          converters.get(e.member.sessionId)?.close();
          converters.delete(e.member.sessionId);
        }),
      );
      subs.add(
        audioTicks(scheduler, { periodMs: 20 }).subscribe(() => {
          const me = mixer.mix().find((f) => f.id === MIX_ID);
          if (me !== undefined) subscriber.next({ pcm: me.output.slice(), sampleRate: 48000 });
        }),
      );
      return () => {
        subs.unsubscribe();
        for (const c of converters.values()) c.close();
      };
    }).pipe(takeUntil(this.#left));
    const stream = new AudioTrackStream(
      { input$, scheduler, endReason: () => this.#selfReason() },
      options,
    );
    this.#track(stream);
    return stream;
  }

  /**
   * publishVideo publishes the participant's video (one at a time): raw frames encoded in the
   * session's codec, or encoded access units (`encoded: true`). PERMISSION_DENIED without
   * `canPublish`; INVALID_STATE when one is published already.
   */
  async publishVideo(options: VideoPublishOptions): Promise<VideoPublication> {
    this.#requirePublish("video");
    const media = options.encoded === true ? undefined : await loadMedia();
    this.#requirePublish("video");
    const pub = await VideoPublication.create(
      {
        codec: this.session.videoCodec,
        scheduler: this.#parts.scheduler,
        media,
        send: (f) => this.#parts.backend.publishVideo(this.session, f),
        onClose: () => {
          if (this.#video === pub) this.#video = undefined;
          this.session.setPublished("video", false);
        },
      },
      options,
    );
    if (!this.connected || this.#video !== undefined) {
      await pub.close();
      this.#requirePublish("video");
    }
    this.#video = pub;
    this.session.setPublished("video", true);
    return pub;
  }

  /** publishAudio publishes the participant's audio (one at a time); errors as `publishVideo`. */
  publishAudio(options: AudioPublishOptions): AudioPublication {
    this.#requirePublish("audio");
    const pub: AudioPublication = new AudioPublication(
      {
        scheduler: this.#parts.scheduler,
        send: (f) => this.#parts.backend.publishAudio(this.session, f),
        onClose: () => {
          if (this.#audio === pub) this.#audio = undefined;
          this.session.setPublished("audio", false);
        },
      },
      options,
    );
    this.#audio = pub;
    this.session.setPublished("audio", true);
    return pub;
  }

  /** leave ends every stream (`closed`), unpublishes and leaves the room; idempotent. */
  async leave(): Promise<void> {
    if (this.#state !== "connected") return;
    this.#state = "leaving";
    this.#reason = "closed";
    await this.#parts.kit.leave(this.session);
    this.ended();
  }

  /** keyframeRequested: a member asked for a keyframe of the participant's video (backend link). */
  keyframeRequested(): void {
    this.#video?.keyframeRequested();
  }

  /** ended: the kit ended the participant's session (backend link); idempotent. */
  ended(): void {
    if (this.#state === "disconnected") return;
    this.#reason ??= this.#parts.kit.closed ? "roomClosed" : "closed";
    this.#state = "disconnected";
    this.#left.next();
    this.#left.complete();
    const closing: Promise<void>[] = [];
    if (this.#video !== undefined) closing.push(this.#video.close());
    this.#audio?.close();
    this.session.ended();
    for (const m of this.#members.values()) m.subscription.unsubscribe();
    this.#subscription.unsubscribe();
    this.#events.next({ type: "disconnected", reason: this.#reason });
    this.#events.complete();
    this.#closing = Promise.all(closing).then(() => undefined);
  }

  #closing: Promise<void> = Promise.resolve();

  /** closed resolves once the participant is out and its publications freed what they held. */
  async closed(): Promise<void> {
    await this.#closing;
  }

  /** whenIdle resolves once every stream the participant opened has freed what it held. */
  async whenIdle(): Promise<void> {
    await Promise.all([...this.#streams].map((s) => s.close()));
  }

  #track(stream: { close(): Promise<void>; ended: Promise<StreamEndReason> }): void {
    this.#streams.add(stream);
    void stream.ended.then(() => this.#streams.delete(stream));
  }

  #audioBridge() {
    const audio = this.#parts.kit.audioBridge(this.#parts.channelId);
    if (audio === undefined)
      throw new ConnectorError(
        "INVALID_STATE",
        `channel ${this.#parts.channelId} bridges no audio`,
      );
    return audio;
  }

  #requireConnected(): void {
    if (!this.connected)
      throw new ConnectorError(
        "SESSION_CLOSED",
        `participant ${this.identity} has left room ${this.roomId}`,
      );
  }

  #requirePublish(kind: TrackKind): void {
    this.#requireConnected();
    if (this.access !== undefined) requireGrant(this.access, "canPublish");
    if ((kind === "video" ? this.#video : this.#audio) !== undefined)
      throw new ConnectorError("INVALID_STATE", `${this.identity} already publishes ${kind}`);
  }

  #subscribable(member: RemoteMember | string, kind: TrackKind): Member {
    this.#requireConnected();
    if (this.access !== undefined) requireGrant(this.access, "canSubscribe");
    const key = typeof member === "string" ? member : member.sessionId;
    const m = this.#members.get(key) ?? this.#members.get(this.member(key)?.sessionId ?? "");
    if (m === undefined)
      throw new ConnectorError(
        "SESSION_NOT_FOUND",
        `${key} is not a member of room ${this.roomId}`,
      );
    if (!m.value.tracks[kind])
      throw new ConnectorError("INVALID_STATE", `${m.value.identity} publishes no ${kind}`);
    return m;
  }

  #selfReason(): StreamEndReason {
    if (this.#parts.kit.closed) return "roomClosed";
    return this.#state === "connected" ? "unsubscribed" : (this.#reason ?? "closed");
  }

  #endReason(m: Member, kind: TrackKind): StreamEndReason {
    if (this.#parts.kit.closed) return "roomClosed";
    if (this.#state !== "connected") return this.#reason ?? "closed";
    if (
      !this.#members.has(m.value.sessionId) ||
      this.#parts.kit.getRoomId(m.value.sessionId) === undefined
    )
      return "participantLeft";
    if (!m.value.tracks[kind]) return "unpublished";
    return "closed";
  }

  #memberJoined(session: RoomSession): void {
    if (this.#members.has(session.id)) return;
    const own = session instanceof ParticipantSession ? session : undefined;
    const tracks: PublishedTracks = own?.tracks ?? {
      video: session.videoCodec !== undefined,
      audio: true,
    };
    const m: Member = {
      value: {
        identity: session.participantId,
        sessionId: session.id,
        session,
        metadata: session.metadata,
        tracks,
        joinedAtMs: this.#parts.scheduler.now(),
      },
      left: new Subject<void>(),
      unpublished: { video: new Subject<void>(), audio: new Subject<void>() },
      subscription: new Subscription(),
    };
    this.#members.set(session.id, m);
    this.#events.next({ type: "participant-joined", member: m.value });
    for (const kind of ["video", "audio"] as const)
      if (tracks[kind]) this.#events.next({ type: "track-published", member: m.value, kind });
    const tracks$ = own?.tracks$ ?? EMPTY;
    m.subscription.add(
      tracks$.subscribe((t) => {
        const before = m.value.tracks;
        if (before.video === t.video && before.audio === t.audio) return;
        m.value = { ...m.value, tracks: t };
        for (const kind of ["video", "audio"] as const) {
          if (before[kind] === t[kind]) continue;
          if (!t[kind]) m.unpublished[kind].next();
          this.#events.next({
            type: t[kind] ? "track-published" : "track-unpublished",
            member: m.value,
            kind,
          });
        }
      }),
    );
  }

  #memberLeft(sessionId: string): void {
    const m = this.#members.get(sessionId);
    if (m === undefined) return;
    this.#members.delete(sessionId);
    this.#dtmfSeen.delete(sessionId);
    m.subscription.unsubscribe();
    m.left.next();
    m.left.complete();
    this.#events.next({ type: "participant-left", member: m.value });
  }

  #telephoneEvent(sessionId: string, data: Uint8Array, rtpTimestamp: number): void {
    const m = this.#members.get(sessionId);
    const ev = parseTelephoneEvent(data);
    if (m === undefined || ev === undefined || !ev.end) return;
    // the end packet is sent three times (RFC 4733 §2.5.1.4): one event per event timestamp
    if (this.#dtmfSeen.get(sessionId) === rtpTimestamp) return;
    this.#dtmfSeen.set(sessionId, rtpTimestamp);
    const digit = dtmfDigit(ev.code);
    if (digit === undefined) return;
    const rate = m.value.session.audio.sendFormat.clockRate || 8000;
    this.#events.next({
      type: "dtmf",
      member: m.value,
      code: ev.code,
      digit,
      durationMs: Math.round((ev.duration * 1000) / rate),
    });
  }
}
