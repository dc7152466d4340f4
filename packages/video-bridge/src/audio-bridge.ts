import { HookTrigger } from "@framewire/hooks";
import type { AudioFrame, MediaSession } from "@framewire/rtp-video";
import { type Observable, type SchedulerLike, Subject } from "rxjs";
import type { AudioBridgeOptions, AudioForwardingStrategy } from "./audio-bridge-options.js";
import {
  AUDIO_FRAME_MS,
  type ResolvedAudioBridgeOptions,
  resolveAudioBridgeOptions,
} from "./audio-bridge-options.js";
import type { AudioBridgeSessionStats, AudioBridgeStats } from "./audio-bridge-stats.js";
import type {
  AudioBridgeBackend,
  AudioBridgeEvent,
  AudioBridgeFormat,
  AudioBridgeSession,
  AudioDropReason,
  AudioFrameFilter,
  SourceAudio,
} from "./audio-bridge-types.js";
import { AudioFanOut } from "./audio-fan-out.js";
import { checkAudioFrame } from "./audio-frame-check.js";
import { AudioHookQueue } from "./audio-hook-queue.js";
import { type ActiveSpeaker, AudioLevelMonitor, type RoomAudioLevels } from "./audio-levels.js";
import type { AudioMember, AudioRoom } from "./audio-member.js";
import { AudioOutputClock } from "./audio-output-clock.js";
import { AudioTargetSender } from "./audio-target-sender.js";
import { type AudioTick, audioTicks } from "./audio-ticker.js";
import { AudioTranscoder } from "./audio-transcoder.js";
import { BridgeReporter, newBridgeCounters } from "./bridge-reporter.js";
import { RoomFullError, VideoBridgeError } from "./errors.js";
import { FilterFailure, runFilter } from "./frame-filter.js";
import { FrameHooks, type FrameHookVerdict } from "./frame-hooks.js";
import { RoomMix } from "./room-mix.js";

type Counters = {
  -readonly [K in Exclude<
    keyof AudioBridgeStats,
    "rooms" | "sessions" | "mixer" | "clock"
  >]: number;
};

type Member<S extends AudioBridgeSession> = AudioMember<S>;
type Room<S extends AudioBridgeSession> = AudioRoom<S>;

const BEFORE_BRIDGE_AUDIO = HookTrigger.BEFORE_BRIDGE_AUDIO;

/**
 * AudioBridge bridges audio between the sessions of a room (roomkit AudioBridge).
 *
 * - "forward": each packet goes to every other session of its room, unchanged when the target
 *   takes the same codec at the same rate, else decoded, resampled and re-encoded for it
 *   (`AudioTranscoder`). Meant for two parties: with more, a target receives everyone's packets
 *   interleaved on one stream.
 * - "mix": every 20 ms, each session receives the mix of everyone else in its room (mix-minus,
 *   `RoomMix`), encoded in its own format. Sessions at different rates are mixed at each rate.
 *
 * RFC 4733 telephone-events are relayed as they are to every other session in both strategies
 * (the duration field is rescaled when the clock rates differ). The bridge owns the RTP timeline
 * of what it sends to a session (`AudioOutputClock`).
 *
 * The verbs, options, filter, hook seam, stats and events are those of `VideoBridge`. The
 * filter fails closed. With a BEFORE_BRIDGE_AUDIO hook that decides in the room, each frame waits
 * for its verdict (`AudioHookQueue`: frames of one session stay in order); without one, `forward`
 * bridges synchronously and observe-only hooks see each frame. Hooks are fail-open. A target
 * whose `sendAudio` throws is counted and skipped; callbacks may add or remove sessions at any
 * time; `close()` may be called twice.
 */
export class AudioBridge<S extends AudioBridgeSession = MediaSession> {
  /** levels$ emits each room's participant levels (every 100 ms by default). */
  readonly levels$: Observable<RoomAudioLevels>;
  /** activeSpeaker$ emits a room's new active speaker. */
  readonly activeSpeaker$: Observable<ActiveSpeaker>;
  /** events$ emits sessions added/removed, drops, target failures, close. */
  readonly events$: Observable<AudioBridgeEvent<S>>;
  /**
   * sourceAudio$ emits each frame a session sends, past the filter and hooks, with its PCM
   * (decoded once, shared with the bridge's own use; only while observed): what a listener of
   * each participant on its own (a server-side participant) takes. RFC 4733 events come with
   * `pcm` undefined. Completes on close.
   */
  readonly sourceAudio$: Observable<SourceAudio<S>>;
  /** forwardingStrategy the bridge runs. */
  readonly forwardingStrategy: AudioForwardingStrategy;
  /** maxParticipants per room. */
  readonly maxParticipants: number;
  private readonly options: ResolvedAudioBridgeOptions<S>;
  private readonly scheduler: SchedulerLike;
  private readonly hooks: FrameHooks<typeof BEFORE_BRIDGE_AUDIO, S, AudioFrame>;
  private readonly monitor: AudioLevelMonitor;
  private readonly levelsOn: boolean;
  private readonly rooms = new Map<string, Room<S>>();
  private readonly members = new Map<string, Member<S>>();
  private filter: AudioFrameFilter<S> | null = null;
  private isEnabled: boolean;
  private isClosed = false;
  private readonly counters: Counters = {
    ...newBridgeCounters(),
    forwarded: 0,
    transcoded: 0,
    mixed: 0,
    telephoneEvents: 0,
    notSent: 0,
    unsupported: 0,
  };
  private readonly reporter = new BridgeReporter<S, AudioDropReason, S | null>(this.counters);
  private readonly sender: AudioTargetSender<S>;
  private readonly fanOut: AudioFanOut<S>;
  private readonly clockCounters = { ticks: 0, lateTicks: 0, skippedTicks: 0 };
  private readonly sourceAudio = new Subject<SourceAudio<S>>();
  /** retiredMix sums the counters of the mixes of rooms and rates gone. */
  private readonly retiredMix = { droppedSamples: 0, underruns: 0, saturatedSamples: 0 };

  constructor(options: AudioBridgeOptions<S> = {}) {
    const o = resolveAudioBridgeOptions(options);
    this.options = o;
    this.scheduler = o.scheduler;
    this.isEnabled = o.enabled;
    this.maxParticipants = o.maxParticipants;
    this.forwardingStrategy = o.forwardingStrategy;
    this.hooks = new FrameHooks(
      o.hooks,
      BEFORE_BRIDGE_AUDIO,
      o.scheduler,
      (frame) => checkAudioFrame(frame, "BEFORE_BRIDGE_AUDIO hook result"),
      () => this.counters.hookErrors++,
    );
    this.levelsOn = o.levels !== false;
    this.monitor = new AudioLevelMonitor(o.levels === false ? {} : o.levels);
    this.levels$ = this.monitor.levels$;
    this.sourceAudio$ = this.sourceAudio.asObservable();
    this.activeSpeaker$ = this.monitor.activeSpeaker$;
    this.events$ = this.reporter.events$;
    this.sender = new AudioTargetSender(
      o.scheduler,
      o.maxPayloadBytes,
      this.counters,
      this.reporter,
    );
    this.fanOut = new AudioFanOut({
      scheduler: o.scheduler,
      sender: this.sender,
      counters: this.counters,
      monitor: this.levelsOn ? this.monitor : undefined,
      sendSilence: o.sendSilence,
      closed: () => this.isClosed,
    });
  }

  /** enabled is false while bridging is paused (frames are dropped and counted). */
  get enabled(): boolean {
    return this.isEnabled;
  }

  /** closed is true once `close()` ran. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** setEnabled pauses (false) or resumes (true) bridging. */
  setEnabled(enabled: boolean): void {
    if (this.isClosed) return;
    this.isEnabled = enabled;
  }

  /**
   * setFrameFilter sets (or with null removes) the filter every source frame passes first, before
   * hooks. It fails closed: a filter that throws or returns no AudioFrame drops the frame.
   */
  setFrameFilter(filter: AudioFrameFilter<S> | null): void {
    this.filter = filter;
  }

  /**
   * addSession bridges a session in a room: what it sends goes to the room's other sessions and
   * what they send comes to it through `backend`, in `format`. Adding a session again replaces
   * it. Throws UNSUPPORTED for a format it cannot bridge, `RoomFullError` (code ROOM_FULL) when
   * the room holds `maxParticipants` sessions, BRIDGE_CLOSED after close.
   */
  addSession(
    session: S,
    roomId: string,
    backend: AudioBridgeBackend<S>,
    format: AudioBridgeFormat,
  ): void {
    if (this.isClosed) throw new VideoBridgeError("BRIDGE_CLOSED", "the audio bridge is closed");
    const codec = new AudioTranscoder(format, this.options.opus, this.forwardingStrategy);
    const existing = this.members.get(session.id);
    const present = this.rooms.get(roomId)?.members.size ?? 0;
    if (present - (existing?.roomId === roomId ? 1 : 0) >= this.maxParticipants) {
      throw new RoomFullError(roomId, this.maxParticipants);
    }
    if (existing !== undefined) this.removeSession(session.id);
    let room = this.rooms.get(roomId);
    if (room === undefined) {
      room = {
        id: roomId,
        members: new Map(),
        mix: new RoomMix(this.options.mixer),
        clock: undefined,
      };
      this.rooms.set(roomId, room);
    }
    const member: Member<S> = {
      session,
      id: session.id,
      roomId,
      backend,
      format,
      codec,
      bytesPerSample: codec.plug?.bytesPerSample ?? 0,
      clock: new AudioOutputClock(
        format.sampleRate,
        Math.floor(this.options.random() * 0x100000000),
      ),
      events: new Map(),
      talking: false,
      hooks: new AudioHookQueue(this.options.maxQueuedFrames),
      removed: false,
      framesIn: 0,
      packetsSent: 0,
      targetErrors: 0,
      notSent: 0,
    };
    room.members.set(member.id, member);
    this.members.set(member.id, member);
    if (this.forwardingStrategy === "mix")
      room.mix.add(member.id, format.sampleRate, room.members.values());
    if (this.levelsOn) this.monitor.add(roomId, member.id);
    if (room.clock === undefined && (this.forwardingStrategy === "mix" || this.levelsOn)) {
      const r = room;
      r.clock = audioTicks(this.scheduler, { periodMs: AUDIO_FRAME_MS }).subscribe((tick) =>
        this.tick(r, tick),
      );
    }
    this.reporter.sessionAdded(session, roomId);
  }

  /** removeSession stops bridging a session (by session or id); false when it was not bridged. */
  removeSession(session: S | string): boolean {
    const id = typeof session === "string" ? session : session.id;
    const member = this.members.get(id);
    if (member === undefined) return false;
    member.removed = true;
    this.members.delete(id);
    const room = this.rooms.get(member.roomId);
    if (room !== undefined) {
      room.members.delete(id);
      if (this.levelsOn) this.monitor.remove(room.id, id);
      for (const other of room.members.values()) other.events.delete(id);
      for (const rate of room.mix.remove(id, room.members.values())) {
        for (const other of room.members.values()) other.codec.forgetRate(rate);
      }
      if (room.members.size === 0) {
        room.clock?.unsubscribe();
        room.clock = undefined;
        this.retire(room.mix);
        this.rooms.delete(room.id);
      }
    }
    if (!this.isClosed) this.reporter.sessionRemoved(member.session, member.roomId);
    return true;
  }

  /** getParticipantCount is the number of sessions bridged in `roomId`. */
  getParticipantCount(roomId: string): number {
    return this.rooms.get(roomId)?.members.size ?? 0;
  }

  /** getSessions lists the sessions bridged in `roomId`, in join order. */
  getSessions(roomId: string): S[] {
    return [...(this.rooms.get(roomId)?.members.values() ?? [])].map((m) => m.session);
  }

  /** getRoomId is the room a session is bridged in, or undefined. */
  getRoomId(session: S | string): string | undefined {
    return this.members.get(typeof session === "string" ? session : session.id)?.roomId;
  }

  /**
   * forward bridges one frame a session sent. Synchronous unless a BEFORE_BRIDGE_AUDIO hook that
   * decides applies to the session's room; never throws for a target's failure.
   */
  forward(session: S, frame: AudioFrame): void {
    if (this.isClosed) return;
    const member = this.members.get(session.id);
    if (member === undefined) {
      this.counters.unknownSource++;
      return;
    }
    member.framesIn++;
    this.counters.framesIn++;
    if (!this.isEnabled) {
      this.drop(member, "disabled");
      return;
    }
    let f = frame;
    if (this.filter !== null) {
      const out = runFilter(this.filter, member.session, frame, checkFilterResult, this.counters);
      if (member.removed || this.isClosed) return;
      if (out === null || out instanceof FilterFailure) {
        this.drop(member, out === null ? "filtered" : "filter-error", out?.error);
        return;
      }
      f = out;
    }
    if (this.hooks.decides(member.roomId)) {
      const out = f;
      const queued = member.hooks.push(
        () => this.hooks.run(member.session, out, member.roomId),
        (verdict) => this.applyVerdict(member, out, verdict),
        () => this.counters.hookErrors++,
      );
      if (!queued) this.drop(member, "queue-overflow");
      return;
    }
    this.deliver(member, f);
    this.hooks.observe(member.session, f, member.roomId);
  }

  /** stats returns the bridge's counters. */
  stats(): AudioBridgeStats {
    let { droppedSamples, underruns, saturatedSamples } = this.retiredMix;
    for (const room of this.rooms.values()) {
      const s = room.mix.stats();
      droppedSamples += s.droppedSamples;
      underruns += s.underruns;
      saturatedSamples += s.saturatedSamples;
    }
    return {
      rooms: this.rooms.size,
      sessions: this.members.size,
      ...this.counters,
      mixer: { droppedSamples, underruns, saturatedSamples },
      clock: { ...this.clockCounters },
    };
  }

  /** statsEvery emits a stats snapshot every `periodMs` on the bridge's scheduler until close. */
  statsEvery(periodMs: number): Observable<AudioBridgeStats> {
    return this.reporter.every(periodMs, this.scheduler, () => this.stats());
  }

  /** sessionStats returns one bridged session's counters. */
  sessionStats(session: S | string): AudioBridgeSessionStats | undefined {
    const member = this.members.get(typeof session === "string" ? session : session.id);
    if (member === undefined) return undefined;
    const rate = member.format.sampleRate;
    const s = this.rooms.get(member.roomId)?.mix.participantStats(member.id, rate);
    return {
      roomId: member.roomId,
      framesIn: member.framesIn,
      packetsSent: member.packetsSent,
      targetErrors: member.targetErrors,
      notSent: member.notSent,
      bufferedMs: s === undefined ? 0 : (s.bufferedSamples * 1000) / rate,
      droppedMs: s === undefined ? 0 : (s.droppedSamples * 1000) / rate,
    };
  }

  /** close removes every session, stops the room clocks and completes the observables; idempotent. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const id of [...this.members.keys()]) this.removeSession(id);
    for (const room of this.rooms.values()) room.clock?.unsubscribe();
    this.rooms.clear();
    this.monitor.close();
    this.reporter.close();
    this.sourceAudio.complete();
  }

  // ---- bridging ----

  private applyVerdict(
    member: Member<S>,
    frame: AudioFrame,
    verdict: FrameHookVerdict<AudioFrame>,
  ): void {
    if (this.isClosed || member.removed) return;
    if (verdict.kind === "blocked") this.drop(member, "hook-blocked");
    else this.deliver(member, verdict.kind === "forward" ? verdict.frame : frame);
  }

  private deliver(member: Member<S>, frame: AudioFrame): void {
    if (this.isClosed || member.removed) return;
    if (!this.isEnabled) {
      this.drop(member, "disabled");
      return;
    }
    const room = this.rooms.get(member.roomId);
    if (room === undefined) return;
    let predecoded: { readonly pcm: Int16Array | undefined } | undefined;
    if (this.sourceAudio.observed) {
      const speech = frame.codec !== "telephone-event";
      const pcm = speech ? member.codec.decode(frame) : undefined;
      if (speech) predecoded = { pcm };
      if (!speech || pcm !== undefined) {
        this.sourceAudio.next({
          source: member.session,
          roomId: member.roomId,
          frame,
          pcm,
          sampleRate: member.codec.rateOf(frame.codec),
        });
      }
      if (member.removed || this.isClosed) return;
    }
    if (frame.codec === "telephone-event") this.fanOut.relayEvent(room, member, frame);
    else if (this.forwardingStrategy === "mix") this.mixIn(room, member, frame, predecoded);
    else this.fanOut.forward(room, member, frame, predecoded);
  }

  private mixIn(
    room: Room<S>,
    source: Member<S>,
    frame: AudioFrame,
    predecoded: { readonly pcm: Int16Array | undefined } | undefined,
  ): void {
    const pcm = predecoded === undefined ? source.codec.decode(frame) : predecoded.pcm;
    if (pcm === undefined) {
      this.counters.unsupported++;
      return;
    }
    room.mix.push(source.id, pcm, source.codec.rateOf(frame.codec), source.codec);
  }

  // ---- the room clock (mix and levels) ----

  private tick(room: Room<S>, tick: AudioTick): void {
    if (this.isClosed) return;
    this.clockCounters.ticks++;
    if (tick.lateMs >= AUDIO_FRAME_MS) this.clockCounters.lateTicks++;
    this.clockCounters.skippedTicks += tick.skipped;
    if (this.forwardingStrategy === "mix") this.fanOut.mixOut(room, () => this.isEnabled);
    if (this.levelsOn && !this.isClosed) this.monitor.tick(room.id, tick.timeMs);
  }

  private retire(mix: RoomMix): void {
    const s = mix.stats();
    this.retiredMix.droppedSamples += s.droppedSamples;
    this.retiredMix.underruns += s.underruns;
    this.retiredMix.saturatedSamples += s.saturatedSamples;
  }

  private drop(member: Member<S>, reason: AudioDropReason, error?: unknown): void {
    this.reporter.dropped(member.session, member.roomId, reason, error);
  }
}

function checkFilterResult(frame: unknown): void {
  checkAudioFrame(frame, "AudioBridge filter result");
}
