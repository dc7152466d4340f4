import { HookTrigger } from "@framewire/hooks";
import { checkVideoFrame, type VideoFrame, type VideoSession } from "@framewire/rtp-video";
import { Observable, type SchedulerLike } from "rxjs";
import { BridgeReporter, newBridgeCounters } from "./bridge-reporter.js";
import { OutputClock } from "./continuity.js";
import { CutThrough } from "./cut-through.js";
import { RoomFullError, VideoBridgeError } from "./errors.js";
import { FrameHooks } from "./frame-hooks.js";
import { KeyframeGate } from "./keyframe-gate.js";
import { KeyframeRequester } from "./keyframe-requester.js";
import { SourceQueue } from "./source-queue.js";
import { SpeakerHistory } from "./speaker-selector.js";
import {
  type ResolvedVideoBridgeOptions,
  resolveVideoBridgeOptions,
  type VideoBridgeOptions,
} from "./video-bridge-options.js";
import type {
  BridgeSession,
  CutThroughStats,
  ForwardedVideoFrame,
  VideoBridgeBackend,
  VideoBridgeEvent,
  VideoBridgeOwnEvent,
  VideoBridgeStats,
  VideoDropReason,
  VideoFrameFilter,
  VideoFrameProcessor,
} from "./video-bridge-types.js";
import { VideoIngress } from "./video-ingress.js";
import { VideoParticipant, type VideoRoom } from "./video-participant.js";
import { VideoRouter } from "./video-router.js";
import { VideoSubscription } from "./video-subscription.js";
import { VideoTargetSender } from "./video-target-sender.js";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Counters = Omit<Mutable<VideoBridgeStats>, "rooms" | "sessions">;

type Participant<S extends BridgeSession> = VideoParticipant<S>;
type Room<S extends BridgeSession> = VideoRoom<S>;

const BEFORE_BRIDGE_VIDEO = HookTrigger.BEFORE_BRIDGE_VIDEO;

/**
 * VideoBridge forwards encoded video between the sessions of a room without decoding (roomkit's
 * VideoBridge, `forwarding_strategy="forward"`). Each target is sent through the backend it was
 * added with; rooms are isolated; a session never receives its own video.
 *
 * One stream per target. A SIP/RTP endpoint decodes one video stream per m=video line, so each
 * target receives one source at a time (roomkit forwards every source into the same stream,
 * interleaving pictures of several encoders that no decoder can show). The source is the pinned
 * one (`pin`), else the most recent speaker other than the target (`setActiveSpeaker`, driven by
 * the audio levels), else the source it already receives, else the first member that sends —
 * among sources that sent within `activeSourceTimeoutMs` in a codec the target decodes.
 *
 * Keyframes. A target gets a source's deltas only after a keyframe of that source (its
 * `KeyframeGate`, bounded by `keyframeWaitMs`). A switch happens only at a keyframe of the new
 * source (one is requested when the switch is decided); until then the old source keeps flowing.
 * Each source's last keyframe is cached (`KeyframeCache`) and sent at once to a target that has
 * no source yet (a late joiner, or one whose source left); its gate opens only if no delta
 * followed that keyframe. A target's PLI/FIR is relayed to the source it receives; requests are
 * rate-limited per source and retried while a target waits (`KeyframeRequester`).
 *
 * Timestamps. The bridge rewrites `timestampMs` per target with an `OutputClock`, so each
 * target's stream is monotonic across switches; its own RTP sender keeps SSRC and sequence
 * numbers continuous.
 *
 * Fast path and hooks. When no BEFORE_BRIDGE_VIDEO hook that decides applies to the source's
 * room, `forward` sends synchronously (observe-only hooks see each frame without delaying it).
 * Otherwise frames go through the source's `SourceQueue`, one hook run at a time, so per-source
 * order is kept even if the hooks go away meanwhile. Hooks are fail-open: a failed run forwards
 * the frame. A hook's `modify` may replace the frame; changes to the event's session or room are
 * ignored.
 *
 * Dropped frames. A frame the filter drops or a hook blocks breaks the source's decode chain:
 * its following deltas are dropped (`droppedBrokenChain`) until its next keyframe, which is
 * requested. `setEnabled(false)` drops everything; re-enabling closes every gate and requests
 * keyframes. The filter fails closed (one that throws or returns no frame drops the frame). A
 * throwing send or processor is counted and only skips that target, whose gate then closes.
 *
 * Re-entrancy: filters, hooks, processors, backends and observers may add or remove sessions,
 * change speakers or forward frames; loops run over snapshots, a frame forwarded from inside a
 * forward of the same source is queued behind the current one.
 */
export class VideoBridge<S extends BridgeSession = VideoSession> {
  /** forwarded$ emits each frame sent to a target. */
  readonly forwarded$: Observable<ForwardedVideoFrame<S>>;
  /** events$ emits sessions added/removed, switches, keyframe requests, drops, failures, close. */
  readonly events$: Observable<VideoBridgeEvent<S>>;
  /** maxParticipants is the per-room limit. */
  readonly maxParticipants: number;
  private readonly options: ResolvedVideoBridgeOptions<S>;
  private readonly scheduler: SchedulerLike;
  private readonly hooks: FrameHooks<typeof BEFORE_BRIDGE_VIDEO, S, VideoFrame>;
  private readonly requester: KeyframeRequester<Participant<S>>;
  private readonly participants = new Map<string, Participant<S>>();
  private readonly rooms = new Map<string, Room<S>>();
  private readonly clocks = new WeakMap<S, OutputClock>();
  private readonly counters: Counters = newCounters();
  private readonly reporter = new BridgeReporter<S, VideoDropReason, S, VideoBridgeOwnEvent<S>>(
    this.counters,
  );
  private readonly sender: VideoTargetSender<S>;
  private readonly router: VideoRouter<S>;
  private readonly ingress: VideoIngress<S>;
  private readonly cutThrough: CutThrough<S> | undefined;
  private isEnabled: boolean;
  private isClosed = false;

  constructor(options: VideoBridgeOptions<S> = {}) {
    const o = resolveVideoBridgeOptions(options);
    this.options = o;
    this.scheduler = o.scheduler;
    this.maxParticipants = o.maxParticipants;
    this.isEnabled = o.enabled;
    this.hooks = new FrameHooks(
      o.hooks,
      BEFORE_BRIDGE_VIDEO,
      o.scheduler,
      (frame) => checkVideoFrame(frame, "BEFORE_BRIDGE_VIDEO hook result"),
      () => this.counters.hookErrors++,
    );
    this.requester = new KeyframeRequester<Participant<S>>(
      o.scheduler,
      o.keyframeRequestIntervalMs,
      o.keyframeRetryMs,
      {
        isLive: (p) => this.isLive(p),
        send: (p) => p.backend.requestKeyframe(p.session),
        sent: (p, reason) =>
          this.reporter.emit(() => ({
            type: "keyframe-requested",
            source: p.session,
            roomId: p.roomId,
            reason,
          })),
        retry: () => !this.isClosed && this.router.retry(this.rooms.values()),
      },
      this.counters,
    );
    this.sender = new VideoTargetSender(o.scheduler, this.counters, this.reporter);
    this.cutThrough = o.cutThrough
      ? new CutThrough<S>({
          scheduler: o.scheduler,
          keyframeGate: o.keyframeWaitMs > 0,
          requester: this.requester,
          reporter: this.reporter,
          counters: this.counters,
          room: (id) => this.rooms.get(id),
          isLive: (p) => this.isLive(p),
          enabled: () => this.isEnabled,
          frameLevel: () => this.ingress.filter !== null || this.sender.processor !== null,
          decides: (roomId) => this.hooks.decides(roomId),
          select: (t) => this.router.select(t),
          forwarded: (t, src, frame, timestampMs, cached) =>
            this.sender.announce(t, src, frame, timestampMs, cached),
        })
      : undefined;
    this.router = new VideoRouter({
      cutThrough: this.cutThrough,
      scheduler: o.scheduler,
      activeSourceTimeoutMs: o.activeSourceTimeoutMs,
      sender: this.sender,
      requester: this.requester,
      counters: this.counters,
      room: (id) => this.rooms.get(id),
      isLive: (p) => this.isLive(p),
    });
    this.ingress = new VideoIngress({
      hooks: this.hooks,
      requester: this.requester,
      router: this.router,
      reporter: this.reporter,
      counters: this.counters,
      isLive: (p) => this.isLive(p),
      enabled: () => this.isEnabled,
    });
    this.forwarded$ = this.sender.forwarded$;
    this.events$ = this.reporter.events$;
  }

  /** enabled is false while forwarding is paused. */
  get enabled(): boolean {
    return this.isEnabled;
  }

  /** closed is true once `close()` ran. */
  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * setEnabled pauses (false) or resumes (true) forwarding. On resume every gate is closed and
   * keyframes are requested, since targets missed the frames sent meanwhile.
   */
  setEnabled(enabled: boolean): void {
    if (this.isClosed || enabled === this.isEnabled) return;
    this.isEnabled = enabled;
    if (!enabled) return;
    for (const room of [...this.rooms.values()]) {
      for (const t of room.members) t.gate.close();
      this.router.reevaluate(room, "resume");
    }
  }

  /**
   * addSession bridges `session` in `roomId`, sent to and asked for keyframes through `backend`.
   * Re-adding a session already in that room only updates its backend (not a new participant);
   * adding it to another room moves it. Throws `RoomFullError` (code ROOM_FULL) when the room
   * holds `maxParticipants` sessions, `BRIDGE_CLOSED` after close. The joiner receives the cached
   * keyframe of its source at once, and a keyframe is requested from that source.
   */
  addSession(session: S, roomId: string, backend: VideoBridgeBackend<S>): void {
    if (this.isClosed) throw new VideoBridgeError("BRIDGE_CLOSED", "the video bridge is closed");
    const existing = this.participants.get(session.id);
    if (existing !== undefined && existing.roomId === roomId) {
      existing.backend = backend;
      this.cutThrough?.attach(existing, backend);
      return;
    }
    const room = this.rooms.get(roomId);
    if (room !== undefined && room.members.length >= this.maxParticipants) {
      throw new RoomFullError(roomId, this.maxParticipants);
    }
    if (existing !== undefined) this.removeSession(existing.session);
    const p = this.newParticipant(session, roomId, backend);
    let r = this.rooms.get(roomId);
    if (r === undefined) {
      r = { id: roomId, members: [], speakers: new SpeakerHistory() };
      this.rooms.set(roomId, r);
    }
    r.members = [...r.members, p];
    this.participants.set(p.id, p);
    this.cutThrough?.attach(p, backend);
    if (session.keyframeRequests$ !== undefined) {
      p.plis = session.keyframeRequests$.subscribe(() => this.router.keyframeRequested(p));
      if (!this.isLive(p)) p.plis.unsubscribe();
    }
    this.reporter.sessionAdded(session, roomId);
    if (!this.isLive(p)) return;
    const want = this.router.select(p);
    if (want !== undefined) this.router.prime(p, want, "join");
    else for (const o of r.members) if (o !== p) this.requester.request(o, "join");
  }

  /** removeSession unbridges a session (by object or id); returns false if it was not bridged. */
  removeSession(session: S | string): boolean {
    const id = typeof session === "string" ? session : session.id;
    const p = this.participants.get(id);
    if (p === undefined) return false;
    this.participants.delete(id);
    this.cutThrough?.detach(p);
    p.plis?.unsubscribe();
    this.requester.forget(p);
    p.queue.clear();
    endSubscriptions(p);
    const room = this.rooms.get(p.roomId);
    if (room !== undefined) {
      room.members = room.members.filter((m) => m !== p);
      room.speakers.remove(id);
      for (const t of room.members) {
        if (t.current === p) {
          t.current = undefined;
          t.gate.close();
        }
        t.gate.forget(p);
        if (t.pinnedId === id) t.pinnedId = null;
      }
      if (room.members.length === 0) this.rooms.delete(room.id);
    }
    this.reporter.sessionRemoved(p.session, p.roomId);
    if (room !== undefined && room.members.length > 0) this.router.reevaluate(room, "switch");
    return true;
  }

  /**
   * forward takes one frame of `session` and sends it to the targets that receive that source.
   * Synchronous on the fast path (no BEFORE_BRIDGE_VIDEO hook for the room). It throws only for a
   * frame that is no well-formed `VideoFrame` (a caller's mistake: `InvalidVideoFrameError` of
   * `@framewire/rtp-video`, code INVALID_VIDEO_FRAME, naming the field); nothing else throws.
   */
  forward(session: S, frame: VideoFrame): void {
    checkVideoFrame(frame, "VideoBridge.forward");
    if (this.isClosed) return;
    const p = this.participants.get(session.id);
    if (p === undefined) {
      this.counters.unknownSource++;
      return;
    }
    this.counters.framesIn++;
    if (!this.isEnabled) {
      this.ingress.drop(p, "disabled");
      return;
    }
    this.ingress.take(p, frame);
  }

  /**
   * setFrameFilter sets (or with null removes) the filter every source frame passes first. It
   * fails closed: a filter that throws or returns no VideoFrame drops the frame (`filter-error`).
   */
  setFrameFilter(filter: VideoFrameFilter<S> | null): void {
    this.ingress.filter = filter;
  }

  /** setFrameProcessor sets (or removes) the per-target transform applied just before sending. */
  setFrameProcessor(processor: VideoFrameProcessor<S> | null): void {
    this.sender.processor = processor;
  }

  /**
   * setActiveSpeaker makes `sessionId` the room's current speaker (null: nobody speaks; the
   * order of earlier speakers is kept). Targets switch to the new speaker at its next keyframe,
   * which is requested now; the speaker itself keeps seeing the previous speaker. Ignored for an
   * unknown room or a session that is not in it.
   */
  setActiveSpeaker(roomId: string, sessionId: string | null): void {
    const room = this.rooms.get(roomId);
    if (room === undefined) return;
    if (sessionId !== null && !room.members.some((m) => m.id === sessionId)) return;
    room.speakers.setActive(sessionId);
    this.router.reevaluate(room, "switch");
  }

  /** getActiveSpeaker is the room's current speaker, or null. */
  getActiveSpeaker(roomId: string): S | null {
    const id = this.rooms.get(roomId)?.speakers.active ?? null;
    return id === null ? null : (this.participants.get(id)?.session ?? null);
  }

  /**
   * pin makes `target` receive `source` (same room) whenever it sends, whoever speaks; null
   * unpins. Throws SESSION_NOT_FOUND for sessions not in the bridge or in different rooms,
   * BAD_OPTION for a session pinned to itself.
   */
  pin(target: S, source: S | null): void {
    const t = this.participants.get(target.id);
    if (t === undefined) {
      throw new VideoBridgeError("SESSION_NOT_FOUND", `session ${target.id} is not bridged`);
    }
    if (source !== null) {
      const s = this.participants.get(source.id);
      if (s === undefined || s.roomId !== t.roomId) {
        throw new VideoBridgeError(
          "SESSION_NOT_FOUND",
          `session ${source.id} is not bridged in room ${t.roomId}`,
        );
      }
      if (s === t) throw new VideoBridgeError("BAD_OPTION", "a session cannot pin itself");
    }
    t.pinnedId = source?.id ?? null;
    const room = this.rooms.get(t.roomId);
    if (room !== undefined) this.router.reevaluate(room, "switch", t);
  }

  /**
   * subscribe gives `target` every frame of `source` (both bridged in one room), from a keyframe
   * on: the source's cached keyframe at once when no delta followed it, else the next one, which
   * is requested (and retried while the subscription waits). Independent of the source `target`
   * is selected to receive: a target whose `subscribesVideo` is true receives only its
   * subscriptions. Each subscription has its own keyframe gate; after a gap on the subscriber's
   * side (a frame it dropped), `requestKeyframe(target, source)` closes the gate and asks for a
   * keyframe. Frames are the source's own (no processor, no output clock: the source's timing).
   * The Observable completes when either session leaves the bridge or the bridge closes; it
   * errors with SESSION_NOT_FOUND when the sessions are not bridged in one room, BAD_OPTION for
   * a session subscribing to itself. Unsubscribing ends the subscription.
   */
  subscribe(target: S, source: S): Observable<VideoFrame> {
    return new Observable<VideoFrame>((subscriber) => {
      const t = this.participants.get(target.id);
      const s = this.participants.get(source.id);
      if (t === undefined || s === undefined || s.roomId !== t.roomId) {
        subscriber.error(
          new VideoBridgeError(
            "SESSION_NOT_FOUND",
            `sessions ${target.id} and ${source.id} are not bridged in one room`,
          ),
        );
        return undefined;
      }
      if (s === t) {
        subscriber.error(
          new VideoBridgeError("BAD_OPTION", "a session cannot subscribe to itself"),
        );
        return undefined;
      }
      const sub = new VideoSubscription(t, s, {
        next: (frame) => subscriber.next(frame),
        complete: () => subscriber.complete(),
      });
      t.subscriptions = [...t.subscriptions, sub];
      s.subscribers = [...s.subscribers, sub];
      this.router.primeSubscription(sub);
      return () => {
        sub.ended = true;
        t.subscriptions = t.subscriptions.filter((x) => x !== sub);
        s.subscribers = s.subscribers.filter((x) => x !== sub);
      };
    });
  }

  /**
   * requestKeyframe closes the gate of `target`'s subscription to `source` and asks `source`
   * for a keyframe (rate-limited per source): what a subscriber does after it dropped a frame.
   * Does nothing when there is no such subscription.
   */
  requestKeyframe(target: S, source: S): void {
    const t = this.participants.get(target.id);
    const sub = t?.subscriptions.find((x) => x.source.id === source.id);
    if (sub === undefined || this.isClosed) return;
    this.counters.pliReceived++;
    this.router.reopen(sub, "pli");
    this.counters.pliRelayed++;
  }

  /** getPinned is what `target` pinned, or null. */
  getPinned(target: S): S | null {
    const id = this.participants.get(target.id)?.pinnedId ?? null;
    return id === null ? null : (this.participants.get(id)?.session ?? null);
  }

  /** getCurrentSource is the source `target` receives now, or null. */
  getCurrentSource(target: S): S | null {
    return this.participants.get(target.id)?.current?.session ?? null;
  }

  /**
   * getCutThroughStats is the counters of `target`'s cut-through route (option `cutThrough`, a
   * backend with the packet seam), or undefined when it has none.
   */
  getCutThroughStats(target: S): CutThroughStats | undefined {
    return this.participants.get(target.id)?.cutRoute?.stats();
  }

  /** getParticipantCount is the number of sessions bridged in `roomId`. */
  getParticipantCount(roomId: string): number {
    return this.rooms.get(roomId)?.members.length ?? 0;
  }

  /** getSessions lists the sessions bridged in `roomId`, in join order. */
  getSessions(roomId: string): S[] {
    return (this.rooms.get(roomId)?.members ?? []).map((p) => p.session);
  }

  /** getRoomId is the room a session is bridged in, or undefined. */
  getRoomId(session: S | string): string | undefined {
    return this.participants.get(typeof session === "string" ? session : session.id)?.roomId;
  }

  /** stats returns a snapshot of the counters. */
  stats(): VideoBridgeStats {
    return { rooms: this.rooms.size, sessions: this.participants.size, ...this.counters };
  }

  /** statsEvery emits a stats snapshot every `periodMs` on the bridge's scheduler until close. */
  statsEvery(periodMs: number): Observable<VideoBridgeStats> {
    return this.reporter.every(periodMs, this.scheduler, () => this.stats());
  }

  /** close unbridges everything and completes the observables; calling it again does nothing. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.requester.close();
    for (const p of this.participants.values()) {
      this.cutThrough?.detach(p);
      p.plis?.unsubscribe();
      this.requester.forget(p);
      p.queue.clear();
      endSubscriptions(p);
    }
    this.participants.clear();
    this.rooms.clear();
    this.reporter.close();
    this.sender.close();
  }

  private newParticipant(session: S, roomId: string, backend: VideoBridgeBackend<S>) {
    let clock = this.clocks.get(session);
    if (clock === undefined) {
      clock = new OutputClock(this.options.frameIntervalMs);
      this.clocks.set(session, clock);
    }
    return new VideoParticipant<S>(session, roomId, backend, {
      clock,
      gate: new KeyframeGate(this.options.keyframeWaitMs, this.scheduler),
      keyframes: this.requester.source(),
      queue: new SourceQueue(this.options.maxQueuedFrames),
    });
  }

  private isLive(p: Participant<S>): boolean {
    return !this.isClosed && this.participants.get(p.id) === p;
  }
}

/** endSubscriptions completes every subscription `p` holds or is the source of. */
function endSubscriptions<S extends BridgeSession>(p: Participant<S>): void {
  const subs = [...p.subscriptions, ...p.subscribers];
  p.subscriptions = [];
  p.subscribers = [];
  for (const sub of subs) {
    if (sub.ended) continue;
    sub.ended = true;
    const other = sub.target === p ? sub.source : sub.target;
    other.subscriptions = other.subscriptions.filter((x) => x !== sub);
    other.subscribers = other.subscribers.filter((x) => x !== sub);
    sub.sink.complete();
  }
}

function newCounters(): Counters {
  return {
    ...newBridgeCounters(),
    framesRouted: 0,
    keyframesSent: 0,
    cachedKeyframesSent: 0,
    droppedBrokenChain: 0,
    droppedGated: 0,
    deltasPassedAfterWait: 0,
    codecMismatch: 0,
    switches: 0,
    keyframeRequests: 0,
    keyframeRequestsSuppressed: 0,
    keyframeRequestErrors: 0,
    pliReceived: 0,
    pliRelayed: 0,
    packetsCutThrough: 0,
  };
}
