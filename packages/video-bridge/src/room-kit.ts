import {
  bridgeHooks,
  type HookEventMap,
  type HookFn,
  type HookOptions,
  HookRegistry,
  HookTrigger,
} from "@framewire/hooks";
import type { AudioFrame, MediaSession, VideoFrame } from "@framewire/rtp-video";
import { asyncScheduler, type Observable, type SchedulerLike, Subject, Subscription } from "rxjs";
import { AudioBridge } from "./audio-bridge.js";
import type { AudioBridgeFormat } from "./audio-bridge-types.js";
import type { ChannelBackend, VideoChannel } from "./channels.js";
import { VideoBridgeError } from "./errors.js";
import type { RoomSession } from "./room-session.js";
import { VideoBridge } from "./video-bridge.js";

/**
 * RoomHookMap is the event map of a RoomKit's hooks: sessions are RoomSessions (an RTP/SIP
 * endpoint's MediaSession, or a server-side participant's session).
 */
export type RoomHookMap = HookEventMap<RoomSession, VideoFrame, AudioFrame>;

/**
 * JoinOptions are `kit.join`'s options: a participant the channel's backend connects, or an
 * existing session to bind. An existing session may come with its own `backend` (a server-side
 * participant's, in-process): the kit then takes that session's media from that backend's
 * streams and sends to it through it, in the channel's bridges, like any other member.
 */
export type JoinOptions =
  | { readonly participantId: string; readonly metadata?: Record<string, unknown> }
  | { readonly session: RoomSession; readonly backend?: ChannelBackend };

/** RoomEvent is a session lifecycle event of a RoomKit. */
export interface RoomEvent {
  readonly type: "session-started" | "session-ended";
  readonly session: RoomSession;
  readonly roomId: string;
  readonly channelId: string;
}

/** RoomKitOptions configure a RoomKit. */
export interface RoomKitOptions {
  /** scheduler for bridges and hooks (virtual time in tests); default asyncScheduler. */
  readonly scheduler?: SchedulerLike;
}

interface Wired {
  readonly channel: VideoChannel;
  readonly video: VideoBridge<RoomSession> | undefined;
  readonly audio: AudioBridge<RoomSession> | undefined;
  /** subscription holds what the channel's bridges listen to (backend, filter, speakers). */
  readonly subscription: Subscription;
}

interface Bound {
  readonly session: RoomSession;
  readonly roomId: string;
  readonly wired: Wired;
  /** backend sends to the session and ends it: the channel's, or the session's own. */
  readonly backend: ChannelBackend;
  /** own holds the subscriptions to a session's own backend (undefined: the channel's). */
  readonly own: Subscription | undefined;
}

/**
 * RoomKit is roomkit's RoomKit composition: channels are registered, sessions join rooms through
 * a channel and are bridged (video and audio) to the room's other sessions, and hooks observe or
 * steer it all. ON_SESSION_STARTED / ON_VIDEO_SESSION_STARTED and their ENDED pairs fire exactly
 * once per session, whichever way it leaves (kit.leave, the backend's disconnect, a BYE).
 * Leaving ends the session's media (the backend disconnects it).
 */
export class RoomKit {
  /** hooks is the kit's registry (also reachable through `kit.hook`). */
  readonly hooks: HookRegistry<RoomHookMap>;
  /** events$ emits session-started / session-ended for every session. */
  readonly events$: Observable<RoomEvent>;
  private readonly scheduler: SchedulerLike;
  private readonly channels = new Map<string, Wired>();
  private readonly bound = new Map<string, Bound>();
  private readonly eventSubject = new Subject<RoomEvent>();
  private isClosed = false;

  constructor(options: RoomKitOptions = {}) {
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.hooks = new HookRegistry<RoomHookMap>({ scheduler: this.scheduler });
    this.events$ = this.eventSubject.asObservable();
  }

  /** hook registers a hook (see HookRegistry.hook); returns a function that removes it. */
  hook<T extends HookTrigger>(
    trigger: T,
    fn: HookFn<RoomHookMap[T], T>,
    options: HookOptions = {},
  ): () => void {
    return this.hooks.hook(trigger, fn, options);
  }

  /**
   * registerChannel adds a channel and creates its bridges from the channel's configs; both get
   * the kit's scheduler and its hooks (`bridgeHooks`: sync hooks decide, async hooks observe).
   */
  registerChannel(channel: VideoChannel): void {
    if (this.channels.has(channel.id)) {
      throw new VideoBridgeError("CHANNEL_EXISTS", `channel ${channel.id} is already registered`);
    }
    const video =
      channel.videoConfig === undefined
        ? undefined
        : new VideoBridge<RoomSession>({
            ...channel.videoConfig,
            hooks: bridgeHooks(this.hooks, HookTrigger.BEFORE_BRIDGE_VIDEO),
            scheduler: this.scheduler,
          });
    const audio =
      channel.audioConfig === undefined
        ? undefined
        : new AudioBridge<RoomSession>({
            ...channel.audioConfig,
            hooks: bridgeHooks(this.hooks, HookTrigger.BEFORE_BRIDGE_AUDIO),
            scheduler: this.scheduler,
          });
    const wired: Wired = { channel, video, audio, subscription: new Subscription() };
    const backend = channel.backend;
    const subs = wired.subscription;
    if (video !== undefined) {
      subs.add(channel.bridgeFilter$.subscribe((f) => video.setFrameFilter(f)));
    }
    subs.add(this.listen(wired, backend, undefined));
    if (audio !== undefined) {
      if (video !== undefined) {
        // the current speaker (by audio level) is who the others see in rooms of three or more
        subs.add(
          audio.activeSpeaker$.subscribe((s) => video.setActiveSpeaker(s.roomId, s.sessionId)),
        );
      }
    }
    this.channels.set(channel.id, wired);
  }

  /**
   * join binds a session to a room through a channel: an existing session (`{session}`, e.g. a
   * SIP call from `onCall`), or a new one the channel's backend connects (`{participantId}`).
   * Joining again with a bound session returns it unchanged. A full room throws (RoomFullError)
   * and a session the kit connected for it is disconnected again.
   */
  join<T extends RoomSession>(
    roomId: string,
    channelId: string,
    options: { readonly session: T; readonly backend?: ChannelBackend },
  ): Promise<T>;
  /**
   * join with a participant id returns the session the channel's backend connected: `T` is that
   * backend's session type (`MediaSession` for the RTP and SIP backends, the default).
   */
  join<T extends RoomSession = MediaSession>(
    roomId: string,
    channelId: string,
    options: { readonly participantId: string; readonly metadata?: Record<string, unknown> },
  ): Promise<T>;
  join(roomId: string, channelId: string, options: JoinOptions): Promise<RoomSession>;
  async join(roomId: string, channelId: string, options: JoinOptions): Promise<RoomSession> {
    if (this.isClosed) throw new VideoBridgeError("KIT_CLOSED", "join on a closed RoomKit");
    const wired = this.channels.get(channelId);
    if (wired === undefined) throw new VideoBridgeError("NO_CHANNEL", `no channel ${channelId}`);
    let backend = wired.channel.backend;
    let created = false;
    let session: RoomSession;
    if ("session" in options) {
      session = options.session;
      if (options.backend !== undefined) backend = options.backend;
    } else {
      if (backend.connect === undefined) {
        throw new VideoBridgeError(
          "UNSUPPORTED",
          `the backend of channel ${channelId} cannot connect sessions`,
        );
      }
      session = await backend.connect(
        roomId,
        options.participantId,
        channelId,
        options.metadata ?? {},
      );
      created = true;
    }
    const present = this.bound.get(session.id);
    if (present !== undefined) return present.session;
    try {
      wired.video?.addSession(session, roomId, backend);
      const format = audioFormatOf(session);
      if (wired.audio !== undefined && format !== undefined)
        wired.audio.addSession(session, roomId, backend, format);
    } catch (e) {
      wired.video?.removeSession(session);
      wired.audio?.removeSession(session);
      if (created) backend.disconnect(session);
      throw e;
    }
    const own =
      backend === wired.channel.backend ? undefined : this.listen(wired, backend, session);
    this.bound.set(session.id, { session, roomId, wired, backend, own });
    this.lifecycle("session-started", session, roomId, wired);
    return session;
  }

  /** leave unbinds a session from its room and ends its media; a second call does nothing. */
  async leave(session: RoomSession): Promise<void> {
    const b = this.bound.get(session.id);
    if (b === undefined) return;
    this.unbind(session.id);
    b.backend.disconnect(session);
  }

  /** closed is true once `close()` has begun (sessions ended by it see it set). */
  get closed(): boolean {
    return this.isClosed;
  }

  /** getRoomId is the room a session is bound to, or undefined. */
  getRoomId(session: RoomSession | string): string | undefined {
    return this.bound.get(typeof session === "string" ? session : session.id)?.roomId;
  }

  /** getSessions lists the sessions bound to a room, in join order. */
  getSessions(roomId: string): RoomSession[] {
    return [...this.bound.values()].filter((b) => b.roomId === roomId).map((b) => b.session);
  }

  /** videoBridge of a channel (for frame processors, pins, stats). */
  videoBridge(channelId: string): VideoBridge<RoomSession> | undefined {
    return this.channels.get(channelId)?.video;
  }

  /** audioBridge of a channel. */
  audioBridge(channelId: string): AudioBridge<RoomSession> | undefined {
    return this.channels.get(channelId)?.audio;
  }

  /** close unbinds every session (their media ends) and closes the bridges; idempotent. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const b of [...this.bound.values()]) {
      this.unbind(b.session.id);
      b.backend.disconnect(b.session);
    }
    for (const w of this.channels.values()) {
      w.subscription.unsubscribe();
      w.video?.close();
      w.audio?.close();
    }
    this.eventSubject.complete();
  }

  private unbind(sessionId: string): void {
    const b = this.bound.get(sessionId);
    if (b === undefined) return;
    this.bound.delete(sessionId);
    b.own?.unsubscribe();
    b.wired.video?.removeSession(b.session);
    b.wired.audio?.removeSession(b.session);
    this.lifecycle("session-ended", b.session, b.roomId, b.wired);
  }

  /**
   * listen takes the media of `backend`'s sessions bound through `wired` into its bridges, and
   * unbinds them when the backend ends them: for the channel's backend (`only` undefined), or
   * for one session with a backend of its own.
   */
  private listen(
    wired: Wired,
    backend: ChannelBackend,
    only: RoomSession | undefined,
  ): Subscription {
    const subs = new Subscription();
    const mine = (session: RoomSession): boolean => {
      if (only !== undefined && session.id !== only.id) return false;
      const b = this.bound.get(session.id);
      return b !== undefined && b.wired === wired && b.backend === backend;
    };
    const video = wired.video;
    const audio = wired.audio;
    if (video !== undefined) {
      subs.add(
        backend.videoReceived$.subscribe(
          guarded(({ session, frame }) => {
            if (mine(session)) video.forward(session, frame);
          }),
        ),
      );
    }
    if (audio !== undefined) {
      subs.add(
        backend.audioReceived$.subscribe(
          guarded(({ session, frame }) => {
            if (mine(session)) audio.forward(session, frame);
          }),
        ),
      );
    }
    subs.add(
      backend.disconnected$.subscribe((session) => {
        if (mine(session)) this.unbind(session.id);
      }),
    );
    return subs;
  }

  private lifecycle(
    type: RoomEvent["type"],
    session: RoomSession,
    roomId: string,
    wired: Wired,
  ): void {
    const started = type === "session-started";
    const event = { session, roomId, timestamp: this.scheduler.now() };
    void this.hooks.run(
      started ? HookTrigger.ON_SESSION_STARTED : HookTrigger.ON_SESSION_ENDED,
      event,
      roomId,
    );
    if (session.videoCodec !== undefined) {
      void this.hooks.run(
        started ? HookTrigger.ON_VIDEO_SESSION_STARTED : HookTrigger.ON_VIDEO_SESSION_ENDED,
        event,
        roomId,
      );
    }
    if (!this.eventSubject.closed)
      this.eventSubject.next({ type, session, roomId, channelId: wired.channel.id });
  }
}

/**
 * guarded runs `fn` for each event and keeps what it throws from the backend's stream (as the
 * backends' `on*` subscriptions do): an RxJS subscriber that throws would be reported as an
 * uncaught error.
 */
function guarded<T>(fn: (event: T) => void): (event: T) => void {
  return (event) => {
    try {
      fn(event);
    } catch {
      // a malformed frame is the bridge's to refuse; the other sessions keep flowing
    }
  };
}

/** audioFormatOf maps a session's audio sending format to the audio bridge's (undefined: not bridgeable). */
function audioFormatOf(session: RoomSession): AudioBridgeFormat | undefined {
  const f = session.audio.sendFormat;
  if (f.codec !== "pcmu" && f.codec !== "pcma" && f.codec !== "l16") return undefined;
  if (f.clockRate !== 8000 && f.clockRate !== 16000 && f.clockRate !== 48000) return undefined;
  return { codec: f.codec, sampleRate: f.clockRate, payloadType: f.payloadType };
}

export type { ChannelBackend };
