import { HookTrigger } from "@framewire/hooks";
import { checkVideoFrame, type VideoFrame, type VideoSession } from "@framewire/rtp-video";
import {
  asyncScheduler,
  EMPTY,
  interval,
  map,
  type Observable,
  type SchedulerLike,
  Subject,
  type Subscription,
  takeUntil,
} from "rxjs";
import { OutputClock } from "./continuity.js";
import { RoomFullError, VideoBridgeError } from "./errors.js";
import { KeyframeCache } from "./keyframe-cache.js";
import { KeyframeRequestLimiter } from "./keyframe-request-limiter.js";
import { SpeakerHistory, selectSource } from "./speaker-selector.js";
import type {
  BridgeSession,
  ForwardedVideoFrame,
  KeyframeRequestReason,
  VideoBridgeBackend,
  VideoBridgeEvent,
  VideoBridgeHooks,
  VideoBridgeOptions,
  VideoBridgeStats,
  VideoDropReason,
  VideoFrameFilter,
  VideoFrameProcessor,
} from "./video-bridge-types.js";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** One bridged session, as a source (what it sends) and as a target (what it receives). */
interface Participant<S extends BridgeSession> {
  readonly id: string;
  readonly session: S;
  readonly roomId: string;
  backend: VideoBridgeBackend<S>;
  // target side
  /** current is the one source this target receives now. */
  current: Participant<S> | undefined;
  /**
   * gateOpen: the target decoded a keyframe of `current`, so deltas of it may follow (or it
   * waited `keyframeWaitMs` for one, see `keyless`).
   */
  gateOpen: boolean;
  /** waitFor is the source whose keyframe the target waits for since `waitSince` (its first held delta). */
  waitFor: Participant<S> | undefined;
  waitSince: number;
  /** keyless: the gate opened because the wait ran out; deltas sent are counted until a keyframe. */
  keyless: boolean;
  pinnedId: string | null;
  /** lastSent is the last source frame sent (guards against a frame sent twice on re-entry). */
  lastSent: VideoFrame | undefined;
  readonly clock: OutputClock;
  plis: Subscription | undefined;
  // source side
  readonly cache: KeyframeCache;
  readonly limiter: KeyframeRequestLimiter;
  /** deferred is the one trailing request a rate-limited source gets when its interval ends. */
  deferred: Subscription | undefined;
  lastFrameAt: number;
  lastKeyframeAt: number;
  codec: VideoFrame["codec"] | undefined;
  /** queue of frames waiting for BEFORE_BRIDGE_VIDEO hooks (or behind such frames). */
  readonly queue: VideoFrame[];
  pumping: boolean;
  /** inputBroken: a frame was dropped before the queue; deltas are dropped until a keyframe. */
  inputBroken: boolean;
  /** outputBroken: a hook blocked a frame; deltas are dropped until a keyframe. */
  outputBroken: boolean;
}

interface Room<S extends BridgeSession> {
  readonly id: string;
  /** members in join order; replaced (never mutated) so loops iterate a snapshot. */
  members: readonly Participant<S>[];
  readonly speakers: SpeakerHistory;
}

const BEFORE_BRIDGE_VIDEO = HookTrigger.BEFORE_BRIDGE_VIDEO;

function newStats(): Mutable<VideoBridgeStats> {
  return {
    framesIn: 0,
    framesRouted: 0,
    framesSent: 0,
    keyframesSent: 0,
    cachedKeyframesSent: 0,
    unknownSource: 0,
    droppedDisabled: 0,
    droppedFiltered: 0,
    filterErrors: 0,
    droppedByHook: 0,
    hookErrors: 0,
    droppedQueue: 0,
    droppedBrokenChain: 0,
    droppedGated: 0,
    deltasPassedAfterWait: 0,
    codecMismatch: 0,
    targetErrors: 0,
    switches: 0,
    keyframeRequests: 0,
    keyframeRequestsSuppressed: 0,
    keyframeRequestErrors: 0,
    pliReceived: 0,
    pliRelayed: 0,
  };
}

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
 * among sources that sent within `activeSourceTimeoutMs` in a codec the target decodes. With two
 * participants each simply receives the other; when only one sends, everyone else receives it.
 *
 * Keyframes. A target gets a source's deltas only after a keyframe of that source (a gate per
 * target and its current source). A switch happens only at a keyframe of the new source (one is
 * requested when the switch is decided); until then the old source keeps flowing. Each source's
 * last keyframe is cached (with SPS/PPS prepended when an H.264 keyframe lacks them) and sent at
 * once to a target that has no source yet (a late joiner, or one whose source left), so its first
 * picture arrives immediately; its gate opens only if no delta followed that keyframe, otherwise
 * at the next live keyframe (requested at once). A target's PLI/FIR is relayed to the source it
 * receives. Requests to one source are rate-limited (`keyframeRequestIntervalMs`: the first goes
 * at once, those within the interval collapse into one sent when it ends, skipped if a keyframe
 * came meanwhile) and, while any target waits for a keyframe, repeated every `keyframeRetryMs`
 * by the injected scheduler, not only when frames arrive. `keyframeWaitMs` bounds the gate
 * (roomkit's `keyframe_wait_s`): by default a target waits for a keyframe indefinitely; with a
 * positive value, once a target has held back a source's deltas that long (from the first delta
 * held), the next delta passes and opens the gate (`deltasPassedAfterWait` counts the deltas sent
 * so until a keyframe of the source arrives), so a source that never answers PLI is not black
 * forever; the same wait bounds a switch to a source that sends no keyframe. `0` turns the gate
 * off: every frame passes at once (keyframes are still requested on joins and switches).
 *
 * Timestamps. The target's own RTP sender re-packetizes, so SSRC and sequence numbers stay
 * continuous; the bridge rewrites `timestampMs` per target with an `OutputClock`: same source →
 * previous output + the source's frame delta; switch or replayed keyframe → previous output + the
 * real time elapsed (or one frame interval), so the stream is monotonic across switches.
 *
 * Fast path and hooks. When no BEFORE_BRIDGE_VIDEO hook applies to the source's room, `forward`
 * sends synchronously. Otherwise frames go through a per-source FIFO queue, one hook run at a
 * time, so per-source order is kept (a frame arriving while older frames of the same source are
 * queued waits behind them even if the hooks are gone). The queue holds `maxQueuedFrames`; when
 * full, the oldest delta is dropped with the deltas that depend on it up to the next queued
 * keyframe (a keyframe is dropped only when the queue holds nothing but keyframes); when no
 * keyframe follows, later deltas are dropped until one arrives, and one is requested. Hooks are
 * fail-open: a rejected run forwards the frame. A hook's `modify` may replace the frame; changes
 * to the event's session or room are ignored.
 *
 * Dropped frames. A frame the filter drops or a hook blocks breaks the source's decode chain:
 * its following deltas are dropped (`droppedBrokenChain`) until its next keyframe, which is
 * requested. `enabled = false` drops everything; re-enabling closes every gate and requests
 * keyframes. The filter is fail-closed (a throwing filter drops the frame). A throwing send or
 * processor is counted and only skips that target, whose gate then closes until the next keyframe.
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
  private readonly scheduler: SchedulerLike;
  private readonly hooks: VideoBridgeHooks<S> | undefined;
  private readonly requestIntervalMs: number;
  private readonly retryMs: number;
  private readonly maxQueued: number;
  private readonly frameIntervalMs: number;
  private readonly activeTimeoutMs: number;
  /** keyframeWaitMs bounds the gate; Infinity (the default) waits for a keyframe indefinitely. */
  private readonly keyframeWaitMs: number;
  private readonly participants = new Map<string, Participant<S>>();
  private readonly rooms = new Map<string, Room<S>>();
  private readonly clocks = new WeakMap<S, OutputClock>();
  private readonly forwardedSubject = new Subject<ForwardedVideoFrame<S>>();
  private readonly eventSubject = new Subject<VideoBridgeEvent<S>>();
  private readonly closedSubject = new Subject<void>();
  private readonly counters = newStats();
  private filter: VideoFrameFilter<S> | null = null;
  private processor: VideoFrameProcessor<S> | null = null;
  private isEnabled: boolean;
  private isClosed = false;
  private retryTimer: Subscription | undefined;

  constructor(options: VideoBridgeOptions<S> = {}) {
    const strategy: string = options.forwardingStrategy ?? "forward";
    if (strategy !== "forward") {
      throw new VideoBridgeError(
        "UNSUPPORTED",
        `forwardingStrategy "${strategy}" is not supported: only "forward" (compositing is planned)`,
      );
    }
    this.maxParticipants = options.maxParticipants ?? 10;
    if (!(this.maxParticipants >= 1) || !Number.isInteger(this.maxParticipants)) {
      throw new VideoBridgeError(
        "INVALID_ARGUMENT",
        `maxParticipants must be an integer >= 1, got ${this.maxParticipants}`,
      );
    }
    this.isEnabled = options.enabled ?? true;
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.hooks = options.hooks;
    this.requestIntervalMs = positive(
      options.keyframeRequestIntervalMs ?? 500,
      "keyframeRequestIntervalMs",
    );
    this.retryMs = positive(options.keyframeRetryMs ?? 1000, "keyframeRetryMs");
    this.maxQueued = positive(options.maxQueuedFrames ?? 30, "maxQueuedFrames");
    this.frameIntervalMs = positive(options.frameIntervalMs ?? 33, "frameIntervalMs");
    this.activeTimeoutMs = positive(options.activeSourceTimeoutMs ?? 2000, "activeSourceTimeoutMs");
    this.keyframeWaitMs =
      options.keyframeWaitMs === undefined
        ? Number.POSITIVE_INFINITY
        : finiteNonNegative(options.keyframeWaitMs, "keyframeWaitMs");
    this.forwarded$ = this.forwardedSubject.asObservable();
    this.events$ = this.eventSubject.asObservable();
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
      for (const t of room.members) closeGate(t);
      this.reevaluate(room, "resume");
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
      return;
    }
    const room = this.rooms.get(roomId);
    if (room !== undefined && room.members.length >= this.maxParticipants) {
      throw new RoomFullError(roomId, this.maxParticipants);
    }
    if (existing !== undefined) this.removeSession(existing.session);
    let clock = this.clocks.get(session);
    if (clock === undefined) {
      clock = new OutputClock(this.frameIntervalMs);
      this.clocks.set(session, clock);
    }
    const p: Participant<S> = {
      id: session.id,
      session,
      roomId,
      backend,
      current: undefined,
      gateOpen: false,
      waitFor: undefined,
      waitSince: 0,
      keyless: false,
      pinnedId: null,
      lastSent: undefined,
      clock,
      plis: undefined,
      cache: new KeyframeCache(),
      limiter: new KeyframeRequestLimiter(this.requestIntervalMs),
      deferred: undefined,
      lastFrameAt: Number.NEGATIVE_INFINITY,
      lastKeyframeAt: Number.NEGATIVE_INFINITY,
      codec: undefined,
      queue: [],
      pumping: false,
      inputBroken: false,
      outputBroken: false,
    };
    let r = this.rooms.get(roomId);
    if (r === undefined) {
      r = { id: roomId, members: [], speakers: new SpeakerHistory() };
      this.rooms.set(roomId, r);
    }
    r.members = [...r.members, p];
    this.participants.set(p.id, p);
    if (session.keyframeRequests$ !== undefined) {
      p.plis = session.keyframeRequests$.subscribe(() => this.onKeyframeRequest(p));
      if (!this.isLive(p)) p.plis.unsubscribe();
    }
    this.emit(() => ({ type: "session-added", session, roomId }));
    if (!this.isLive(p)) return;
    const want = this.select(p);
    if (want !== undefined) this.prime(p, want, "join");
    else for (const o of r.members) if (o !== p) this.requestKeyframe(o, "join");
  }

  /** removeSession unbridges a session (by object or id); returns false if it was not bridged. */
  removeSession(session: S | string): boolean {
    const id = typeof session === "string" ? session : session.id;
    const p = this.participants.get(id);
    if (p === undefined) return false;
    this.participants.delete(id);
    p.plis?.unsubscribe();
    p.deferred?.unsubscribe();
    p.queue.length = 0;
    const room = this.rooms.get(p.roomId);
    if (room !== undefined) {
      room.members = room.members.filter((m) => m !== p);
      room.speakers.remove(id);
      for (const t of room.members) {
        if (t.current === p) {
          t.current = undefined;
          closeGate(t);
        }
        if (t.waitFor === p) t.waitFor = undefined;
        if (t.pinnedId === id) t.pinnedId = null;
      }
      if (room.members.length === 0) this.rooms.delete(room.id);
    }
    this.emit(() => ({ type: "session-removed", session: p.session, roomId: p.roomId }));
    if (room !== undefined && room.members.length > 0) this.reevaluate(room, "switch");
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
      this.drop(p, "disabled");
      return;
    }
    let f: VideoFrame | null = frame;
    const filter = this.filter;
    if (filter !== null) {
      let failure: { error: unknown } | undefined;
      try {
        f = filter(p.session, frame);
        // a filter's own frame must be a VideoFrame too (undefined is not null: a mistake)
        if (f !== frame && f !== null) checkVideoFrame(f, "VideoBridge filter result");
      } catch (error) {
        this.counters.filterErrors++;
        failure = { error };
        f = null;
      }
      if (!this.isLive(p)) return;
      if (f === null) {
        p.inputBroken = true;
        if (failure === undefined) this.drop(p, "filtered");
        else this.drop(p, "filter-error", failure.error);
        return;
      }
    }
    if (f.keyframe) p.inputBroken = false;
    else if (p.inputBroken) {
      this.drop(p, "broken-chain");
      this.requestKeyframe(p, "recover");
      return;
    }
    this.enqueue(p, f);
    this.pump(p);
  }

  /** setFrameFilter sets (or with null removes) the filter every source frame passes first. */
  setFrameFilter(filter: VideoFrameFilter<S> | null): void {
    this.filter = filter;
  }

  /** setFrameProcessor sets (or removes) the per-target transform applied just before sending. */
  setFrameProcessor(processor: VideoFrameProcessor<S> | null): void {
    this.processor = processor;
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
    this.reevaluate(room, "switch");
  }

  /** getActiveSpeaker is the room's current speaker, or null. */
  getActiveSpeaker(roomId: string): S | null {
    const id = this.rooms.get(roomId)?.speakers.active ?? null;
    return id === null ? null : (this.participants.get(id)?.session ?? null);
  }

  /**
   * pin makes `target` receive `source` (same room) whenever it sends, whoever speaks; null
   * unpins. Throws SESSION_NOT_FOUND for sessions not in the bridge or in different rooms.
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
      if (s === t) throw new VideoBridgeError("INVALID_ARGUMENT", "a session cannot pin itself");
    }
    t.pinnedId = source?.id ?? null;
    const room = this.rooms.get(t.roomId);
    if (room !== undefined) this.reevaluate(room, "switch", t);
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

  /** getParticipantCount is the number of sessions bridged in `roomId`. */
  getParticipantCount(roomId: string): number {
    return this.rooms.get(roomId)?.members.length ?? 0;
  }

  /** getBridgedSessions lists the sessions of `roomId` in join order. */
  getBridgedSessions(roomId: string): S[] {
    return (this.rooms.get(roomId)?.members ?? []).map((p) => p.session);
  }

  /** getRoomId is the room a session is bridged in, or undefined. */
  getRoomId(session: S | string): string | undefined {
    return this.participants.get(typeof session === "string" ? session : session.id)?.roomId;
  }

  /** stats returns a snapshot of the counters. */
  stats(): VideoBridgeStats {
    return { ...this.counters };
  }

  /** statsEvery emits a stats snapshot every `periodMs` on the bridge's scheduler until close. */
  statsEvery(periodMs: number): Observable<VideoBridgeStats> {
    if (this.isClosed) return EMPTY;
    return interval(periodMs, this.scheduler).pipe(
      map(() => this.stats()),
      takeUntil(this.closedSubject),
    );
  }

  /** close unbridges everything and completes the observables; calling it again does nothing. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.retryTimer?.unsubscribe();
    this.retryTimer = undefined;
    for (const p of this.participants.values()) {
      p.plis?.unsubscribe();
      p.deferred?.unsubscribe();
      p.queue.length = 0;
    }
    this.participants.clear();
    this.rooms.clear();
    this.eventSubject.next({ type: "closed" });
    this.closedSubject.next();
    this.closedSubject.complete();
    this.eventSubject.complete();
    this.forwardedSubject.complete();
  }

  // ---- queue and hooks ----

  private enqueue(p: Participant<S>, frame: VideoFrame): void {
    const q = p.queue;
    if (q.length < this.maxQueued) {
      q.push(frame);
      return;
    }
    const first = q.findIndex((f) => !f.keyframe);
    if (first < 0) {
      q.shift();
      this.drop(p, "queue-overflow");
      q.push(frame);
      return;
    }
    let end = first + 1;
    while (end < q.length && !q[end]!.keyframe) end++;
    const chainReachesEnd = end === q.length;
    q.splice(first, end - first);
    for (let i = first; i < end; i++) this.drop(p, "queue-overflow");
    if (chainReachesEnd && !frame.keyframe) {
      this.drop(p, "queue-overflow");
      p.inputBroken = true;
      this.requestKeyframe(p, "recover");
      return;
    }
    q.push(frame);
  }

  private hooksApply(roomId: string): boolean {
    return this.hooks?.hasHooks(BEFORE_BRIDGE_VIDEO, roomId) === true;
  }

  private pump(p: Participant<S>): void {
    if (p.pumping) return;
    p.pumping = true;
    try {
      while (p.queue.length > 0) {
        if (!this.isLive(p)) {
          p.queue.length = 0;
          break;
        }
        const frame = p.queue.shift()!;
        if (this.hooksApply(p.roomId)) {
          void this.pumpThroughHooks(p, frame);
          return;
        }
        this.deliver(p, frame);
        const hooks = this.hooks;
        if (
          hooks?.observe !== undefined &&
          hooks.hasObservers?.(BEFORE_BRIDGE_VIDEO, p.roomId) === true
        ) {
          const event = {
            session: p.session,
            frame,
            roomId: p.roomId,
            timestamp: this.scheduler.now(),
          };
          hooks.observe(BEFORE_BRIDGE_VIDEO, event, p.roomId);
        }
      }
    } catch {
      // deliver catches every user callback; this guards the pump flag only.
    }
    p.pumping = false;
  }

  private async pumpThroughHooks(p: Participant<S>, frame: VideoFrame): Promise<void> {
    try {
      const out = await this.runHooks(p, frame);
      if (out !== null && this.isLive(p)) this.deliver(p, out);
    } catch {
      // see pump
    }
    p.pumping = false;
    this.pump(p);
  }

  private async runHooks(p: Participant<S>, frame: VideoFrame): Promise<VideoFrame | null> {
    const hooks = this.hooks!;
    const event = { session: p.session, frame, roomId: p.roomId, timestamp: this.scheduler.now() };
    try {
      const result = await hooks.run(BEFORE_BRIDGE_VIDEO, event, p.roomId);
      if (result.allowed) {
        const out = result.event.frame;
        // a hook's modified frame must be a VideoFrame; if not, the hook failed (fail-open)
        if (out !== frame) checkVideoFrame(out, "BEFORE_BRIDGE_VIDEO hook result");
        return out;
      }
      if (this.isLive(p)) {
        p.outputBroken = true;
        this.drop(p, "hook-blocked");
      }
      return null;
    } catch {
      this.counters.hookErrors++;
      return frame;
    }
  }

  // ---- routing ----

  private deliver(p: Participant<S>, frame: VideoFrame): void {
    if (!this.isEnabled) {
      this.drop(p, "disabled");
      return;
    }
    if (frame.keyframe) p.outputBroken = false;
    else if (p.outputBroken) {
      this.drop(p, "broken-chain");
      this.requestKeyframe(p, "recover");
      return;
    }
    const now = this.scheduler.now();
    const f = p.cache.ingest(frame);
    p.lastFrameAt = now;
    if (f.keyframe) p.lastKeyframeAt = now;
    p.codec = f.codec;
    this.counters.framesRouted++;
    const room = this.rooms.get(p.roomId);
    if (room === undefined) return;
    for (const t of room.members) {
      if (!this.isLive(p)) return;
      if (t === p || !this.isLive(t)) continue;
      this.route(p, t, f);
    }
  }

  private route(src: Participant<S>, t: Participant<S>, frame: VideoFrame): void {
    // a re-entrant prime may already have sent this very frame (as the cached keyframe)
    if (t.lastSent === frame) return;
    if (t.session.videoCodec !== frame.codec) {
      this.counters.codecMismatch++;
      return;
    }
    if (t.current === src) {
      if (t.gateOpen || frame.keyframe) {
        this.send(t, src, frame, false);
        return;
      }
      if (this.waitRanOut(t, src)) {
        this.passAfterWait(t, src, frame);
        return;
      }
      this.counters.droppedGated++;
      const want = this.select(t);
      if (want === undefined || want === src) {
        this.requestKeyframe(src, "gate");
        this.armRetry();
      }
      return;
    }
    if (this.select(t) !== src) return;
    if (frame.keyframe) {
      this.send(t, src, frame, false);
      return;
    }
    if (this.waitRanOut(t, src)) {
      this.passAfterWait(t, src, frame);
      return;
    }
    this.counters.droppedGated++;
    this.requestKeyframe(src, "switch");
    this.armRetry();
  }

  /**
   * waitRanOut tells whether `t` has waited `keyframeWaitMs` for a keyframe of `src`: its first
   * held delta of `src` starts the wait (measured on the scheduler's clock), a keyframe ends it.
   */
  private waitRanOut(t: Participant<S>, src: Participant<S>): boolean {
    const wait = this.keyframeWaitMs;
    if (wait === 0) return true;
    if (wait === Number.POSITIVE_INFINITY) return false;
    const now = this.scheduler.now();
    if (t.waitFor !== src) {
      t.waitFor = src;
      t.waitSince = now;
      return false;
    }
    return now - t.waitSince >= wait;
  }

  /** passAfterWait sends a delta of `src` to `t` without a keyframe before it and opens the gate. */
  private passAfterWait(t: Participant<S>, src: Participant<S>, frame: VideoFrame): void {
    const since = t.waitFor === src ? t.waitSince : this.scheduler.now();
    t.keyless = true;
    if (!this.send(t, src, frame, false)) {
      // the wait still ran out: the next delta is tried at once
      t.keyless = false;
      t.waitFor = src;
      t.waitSince = since;
      return;
    }
    const waitedMs = this.scheduler.now() - since;
    t.gateOpen = true;
    t.waitFor = undefined;
    this.emit(() => ({
      type: "keyframe-wait-ended",
      target: t.session,
      source: src.session,
      roomId: t.roomId,
      waitedMs,
    }));
  }

  /**
   * prime gives a target with no source its first picture at once: the cached keyframe of `want`
   * (gate open only if no delta followed it), then asks `want` for a live keyframe if needed.
   */
  private prime(t: Participant<S>, want: Participant<S>, reason: KeyframeRequestReason): void {
    const cached = want.cache.keyframe;
    if (cached !== undefined && cached.codec === t.session.videoCodec) {
      const fresh = want.cache.deltasSinceKeyframe === 0;
      if (this.send(t, want, cached, true) && fresh) return;
    }
    if (!this.isLive(t) || !this.isLive(want)) return;
    this.requestKeyframe(want, reason);
    this.armRetry();
  }

  /** send processes, stamps and sends one frame to one target; false when the target failed. */
  private send(
    t: Participant<S>,
    src: Participant<S>,
    frame: VideoFrame,
    cached: boolean,
  ): boolean {
    let out = frame;
    try {
      if (this.processor !== null) {
        out = this.processor(t.session, frame);
        if (out !== frame) checkVideoFrame(out, "VideoBridge processor result");
      }
      const timestampMs = t.clock.stamp(
        cached ? null : src.id,
        frame.timestampMs,
        this.scheduler.now(),
      );
      t.backend.sendVideoSync(t.session, { data: out.data, keyframe: out.keyframe, timestampMs });
      t.lastSent = frame;
      this.counters.framesSent++;
      if (frame.keyframe) {
        this.counters.keyframesSent++;
        if (cached) this.counters.cachedKeyframesSent++;
      } else if (t.keyless) this.counters.deltasPassedAfterWait++;
      const from = t.current;
      if (from !== src) {
        t.current = src;
        this.counters.switches++;
        this.emit(() => ({
          type: "source-switched",
          target: t.session,
          from: from?.session ?? null,
          to: src.session,
          roomId: t.roomId,
          cached,
        }));
      }
      if (frame.keyframe) {
        t.gateOpen = !cached || src.cache.deltasSinceKeyframe === 0;
        if (t.gateOpen) {
          t.waitFor = undefined;
          t.keyless = false;
        }
      }
      if (this.forwardedSubject.observed) {
        this.forwardedSubject.next({
          source: src.session,
          target: t.session,
          roomId: t.roomId,
          frame: out,
          timestampMs,
          cached,
        });
      }
      return true;
    } catch (error) {
      this.counters.targetErrors++;
      // the target missed a frame of its source: its next frame of it must be a keyframe
      if (t.current === src) closeGate(t);
      this.emit(() => ({
        type: "target-failed",
        target: t.session,
        source: src.session,
        roomId: t.roomId,
        error,
      }));
      return false;
    }
  }

  /** reevaluate applies a change of speakers, pins, members or pause to the targets of a room. */
  private reevaluate(room: Room<S>, reason: KeyframeRequestReason, only?: Participant<S>): void {
    for (const t of room.members) {
      if (only !== undefined && t !== only) continue;
      if (!this.isLive(t)) continue;
      const want = this.select(t);
      if (want === undefined) continue;
      if (t.current === undefined) this.prime(t, want, reason);
      else if (want !== t.current || !t.gateOpen) {
        this.requestKeyframe(want, reason);
        this.armRetry();
      }
    }
  }

  private select(t: Participant<S>): Participant<S> | undefined {
    const room = this.rooms.get(t.roomId);
    if (room === undefined) return undefined;
    const now = this.scheduler.now();
    return selectSource({
      target: t,
      members: room.members,
      speakers: room.speakers.speakers,
      pinnedId: t.pinnedId,
      current: t.current,
      eligible: (s) =>
        this.isLive(s) &&
        s.roomId === t.roomId &&
        s.codec !== undefined &&
        s.codec === t.session.videoCodec &&
        now - s.lastFrameAt <= this.activeTimeoutMs,
    });
  }

  // ---- keyframe requests ----

  private onKeyframeRequest(t: Participant<S>): void {
    if (!this.isLive(t)) return;
    this.counters.pliReceived++;
    const src = t.current ?? this.select(t);
    if (src !== undefined && this.requestKeyframe(src, "pli")) this.counters.pliRelayed++;
  }

  /**
   * requestKeyframe asks a source for a keyframe now, or, when the per-source rate limit holds it
   * back, once when the interval ends (one trailing request per source, skipped if a keyframe of
   * the source arrived meanwhile). Returns true when a request was sent now.
   */
  private requestKeyframe(src: Participant<S>, reason: KeyframeRequestReason): boolean {
    if (!this.isLive(src)) return false;
    const now = this.scheduler.now();
    if (!src.limiter.tryAcquire(now)) {
      this.counters.keyframeRequestsSuppressed++;
      if (src.deferred === undefined) {
        const wait = Math.max(0, src.limiter.lastRequestMs + src.limiter.minIntervalMs - now);
        src.deferred = this.scheduler.schedule(() => {
          src.deferred = undefined;
          if (src.lastKeyframeAt < now) this.requestKeyframe(src, reason);
        }, wait);
      }
      return false;
    }
    try {
      src.backend.requestKeyframe(src.session);
    } catch {
      this.counters.keyframeRequestErrors++;
      return false;
    }
    this.counters.keyframeRequests++;
    this.emit(() => ({
      type: "keyframe-requested",
      source: src.session,
      roomId: src.roomId,
      reason,
    }));
    return true;
  }

  /** armRetry schedules a retry tick unless one is pending. */
  private armRetry(): void {
    if (this.retryTimer !== undefined || this.isClosed) return;
    this.retryTimer = this.scheduler.schedule(() => {
      this.retryTimer = undefined;
      this.retryTick();
    }, this.retryMs);
  }

  /** retryTick asks again for every keyframe a target still waits for; re-arms while any waits. */
  private retryTick(): void {
    if (this.isClosed) return;
    let waiting = false;
    for (const room of [...this.rooms.values()]) {
      for (const t of room.members) {
        if (!this.isLive(t)) continue;
        const want = this.select(t);
        if (want === undefined || (want === t.current && t.gateOpen)) continue;
        waiting = true;
        this.requestKeyframe(want, "retry");
      }
    }
    if (waiting) this.armRetry();
  }

  // ---- helpers ----

  private isLive(p: Participant<S>): boolean {
    return !this.isClosed && this.participants.get(p.id) === p;
  }

  private drop(p: Participant<S>, reason: VideoDropReason, error?: unknown): void {
    switch (reason) {
      case "disabled":
        this.counters.droppedDisabled++;
        break;
      case "filtered":
      case "filter-error":
        this.counters.droppedFiltered++;
        break;
      case "hook-blocked":
        this.counters.droppedByHook++;
        break;
      case "queue-overflow":
        this.counters.droppedQueue++;
        break;
      case "broken-chain":
        this.counters.droppedBrokenChain++;
        break;
    }
    this.emit(() =>
      error === undefined
        ? { type: "frame-dropped", source: p.session, roomId: p.roomId, reason }
        : { type: "frame-dropped", source: p.session, roomId: p.roomId, reason, error },
    );
  }

  private emit(make: () => VideoBridgeEvent<S>): void {
    if (this.eventSubject.observed) this.eventSubject.next(make());
  }
}

/** closeGate makes a target wait for a keyframe of its source again (a new wait). */
function closeGate<S extends BridgeSession>(t: Participant<S>): void {
  t.gateOpen = false;
  t.waitFor = undefined;
  t.keyless = false;
}

function finiteNonNegative(value: number, name: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new VideoBridgeError(
      "INVALID_ARGUMENT",
      `${name} must be a finite number >= 0 (ms; leave it out to wait indefinitely), got ${String(value)}`,
    );
  }
  return value;
}

function positive(value: number, name: string): number {
  if (!(value > 0))
    throw new VideoBridgeError("INVALID_ARGUMENT", `${name} must be > 0, got ${value}`);
  return value;
}
