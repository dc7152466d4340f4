import type { AudioFrame, MediaSession, OutgoingAudio } from "@framewire/rtp-video";
import { asyncScheduler, type Observable, type SchedulerLike, type Subscription } from "rxjs";
import { AudioBridgeError } from "./audio-bridge-error.js";
import {
  type AudioCodecPlug,
  type AudioDecoder,
  type AudioEncoder,
  L16_CODEC,
  opusPacketSamples,
  PCMA_CODEC,
  PCMU_CODEC,
} from "./audio-codec.js";
import {
  type ActiveSpeaker,
  AudioLevelMonitor,
  type AudioLevelOptions,
  type RoomAudioLevels,
} from "./audio-levels.js";
import { type AudioTick, audioTicks } from "./audio-ticker.js";
import { AudioMixer, type MixSaturation } from "./mixer.js";
import { type AudioSampleRate, isAudioSampleRate, Resampler } from "./resample.js";

/** AudioBridgeStrategy: "forward" relays each packet (transcoding where formats differ); "mix" mixes N parties. */
export type AudioBridgeStrategy = "forward" | "mix";

/** AudioBridgeCodec is a codec a bridged session sends and receives; "opus" needs a plug to be decoded. */
export type AudioBridgeCodec = "pcmu" | "pcma" | "l16" | "opus";

/** AudioBridgeFormat is what a session sends and wants to receive. */
export interface AudioBridgeFormat {
  readonly codec: AudioBridgeCodec;
  /** sampleRate is also the RTP clock rate: 8000 for G.711, 48000 for Opus (RFC 3551, RFC 7587). */
  readonly sampleRate: AudioSampleRate;
  /** payloadType to send audio to this session with. */
  readonly payloadType: number;
  /** telephoneEventPayloadType to send RFC 4733 events with; default the sender's. */
  readonly telephoneEventPayloadType?: number;
}

/** AudioBridgeSession is what the bridge needs of a session: its id. */
export interface AudioBridgeSession {
  readonly id: string;
}

/** AudioBridgeBackend sends audio to a session (RtpVideoBackend is one). */
export interface AudioBridgeBackend<S extends AudioBridgeSession = MediaSession> {
  sendAudio(session: S, audio: OutgoingAudio): boolean;
}

/** BEFORE_BRIDGE_AUDIO is the hook trigger run for each audio frame before it is bridged. */
export const BEFORE_BRIDGE_AUDIO = "before_bridge_audio";

/** AudioBridgeHookEvent is the event BEFORE_BRIDGE_AUDIO hooks receive. */
export interface AudioBridgeHookEvent<S extends AudioBridgeSession = MediaSession> {
  /** session the frame came from. */
  readonly session: S;
  /** frame about to be bridged; a "modify" result returns an event with a replaced frame. */
  readonly frame: AudioFrame;
  readonly roomId: string;
  /** timestamp is when the bridge took the frame, on its scheduler's clock (ms). */
  readonly timestamp: number;
}

/**
 * AudioHookResult is the verdict on a frame, in either shape: a hook result (`action`, with the
 * replacing event for "modify"), or a registry run result (`allowed`, with the final event).
 * A replacing event is an AudioBridgeHookEvent whose `frame` the bridge then forwards.
 */
export type AudioHookResult =
  | { readonly action: "allow" | "block" | "modify"; readonly event?: unknown }
  | { readonly allowed: boolean; readonly event?: unknown; readonly modified?: boolean };

/**
 * AudioHookRunner is the part of a hook registry the bridge uses (structural: the hooks
 * package's HookRegistry fits, though an adapter asking `hasHooks(trigger, roomId, "sync")`
 * keeps observe-only hooks off the frame path). `event` is an AudioBridgeHookEvent.
 */
export interface AudioHookRunner {
  hasHooks(trigger: string, roomId: string): boolean;
  run(trigger: string, event: unknown, roomId: string): Promise<AudioHookResult>;
}

/** AudioBridgeFilter inspects a frame before it is bridged: return it, a replacement, or null to drop it. */
export type AudioBridgeFilter<S extends AudioBridgeSession = MediaSession> = (
  session: S,
  frame: AudioFrame,
) => AudioFrame | null | undefined;

/** AudioBridgeMixOptions tune the "mix" strategy. */
export interface AudioBridgeMixOptions {
  /** jitterMs each participant buffers before it is heard; default 40. */
  readonly jitterMs?: number;
  /** maxBufferMs bounds each participant's buffer (oldest dropped); default 200. */
  readonly maxBufferMs?: number;
  /** saturation of the mix; default "clip". */
  readonly saturation?: MixSaturation;
  /** sendSilence: keep sending (encoded silence) when nobody else speaks; default true. */
  readonly sendSilence?: boolean;
}

/** AudioBridgeConfig configures an AudioBridge (roomkit AudioBridgeConfig). */
export interface AudioBridgeConfig {
  /** enabled: whether frames are bridged; default true (settable later). */
  readonly enabled?: boolean;
  /** maxParticipants per room; default 10 (roomkit max_participants). */
  readonly maxParticipants?: number;
  /** strategy; default "forward". */
  readonly strategy?: AudioBridgeStrategy;
  /** scheduler for the 20 ms room clocks and gap detection; default asyncScheduler. */
  readonly scheduler?: SchedulerLike;
  /** hooks runs BEFORE_BRIDGE_AUDIO; rooms with no such hook take the synchronous fast path. */
  readonly hooks?: AudioHookRunner;
  /** levels: measure levels and pick active speakers (options), or not (false); default on. */
  readonly levels?: boolean | AudioLevelOptions;
  /** mix tunes the "mix" strategy. */
  readonly mix?: AudioBridgeMixOptions;
  /** codecs adds codecs the bridge cannot decode by itself (Opus). */
  readonly codecs?: { readonly opus?: AudioCodecPlug };
  /** maxPayloadBytes: larger PCM payloads (L16 at 48 kHz) are sent as several packets; default 1200. */
  readonly maxPayloadBytes?: number;
  /** maxPendingHookFrames per session awaiting hooks; more are dropped (counted); default 50. */
  readonly maxPendingHookFrames?: number;
  /** random for initial RTP timestamps; default Math.random. */
  readonly random?: () => number;
}

/** AudioBridgeSessionStats are one bridged session's counters. */
export interface AudioBridgeSessionStats {
  readonly roomId: string;
  /** received frames given to `forward`. */
  readonly received: number;
  /** sent packets to this session. */
  readonly sent: number;
  /** sendErrors: sendAudio threw for this session. */
  readonly sendErrors: number;
  /** notSent: sendAudio returned false (no remote address yet). */
  readonly notSent: number;
  /** bufferedMs of its audio waiting in the mix (mix strategy). */
  readonly bufferedMs: number;
  /** droppedMs of its audio dropped from a full mix buffer. */
  readonly droppedMs: number;
}

/** AudioBridgeStats are the bridge's counters. */
export interface AudioBridgeStats {
  readonly rooms: number;
  readonly sessions: number;
  /** received frames given to `forward` for bridged sessions. */
  readonly received: number;
  /** forwarded packets sent unchanged. */
  readonly forwarded: number;
  /** transcoded frames sent after decode → resample → encode ("forward" with differing formats; a frame split in several packets counts once). */
  readonly transcoded: number;
  /** mixed frames sent by the "mix" strategy (one per target per tick; split frames count once). */
  readonly mixed: number;
  /** telephoneEvents: RFC 4733 packets relayed. */
  readonly telephoneEvents: number;
  /** sendErrors: sendAudio threw (the other targets were still served). */
  readonly sendErrors: number;
  /** notSent: sendAudio returned false. */
  readonly notSent: number;
  readonly dropped: {
    /** unknownSession: frames from sessions not in the bridge. */
    readonly unknownSession: number;
    /** disabled: frames while the bridge was disabled. */
    readonly disabled: number;
    /** unsupported: frames in a codec that could not be decoded for a target. */
    readonly unsupported: number;
    /** filtered: frames the filter dropped. */
    readonly filtered: number;
    /** blocked: frames a hook blocked. */
    readonly blocked: number;
    /** hookOverflow: frames dropped because too many were waiting for hooks. */
    readonly hookOverflow: number;
  };
  /** hookErrors: hooks that threw or returned an unusable result (the frame went through). */
  readonly hookErrors: number;
  /** filterErrors: filter calls that threw (the frame went through). */
  readonly filterErrors: number;
  readonly mixer: {
    readonly droppedSamples: number;
    readonly underruns: number;
    readonly saturatedSamples: number;
  };
  readonly clock: {
    readonly ticks: number;
    readonly lateTicks: number;
    readonly skippedTicks: number;
  };
}

interface TargetClock {
  /** ts is the RTP timestamp of the next sample. */
  ts: number;
  /** expectedMs is when, on the scheduler's clock, the next sample is due if the stream is continuous. */
  expectedMs: number;
  started: boolean;
  /** markerPending: a gap was jumped over by a telephone-event; the next audio packet has M set. */
  markerPending: boolean;
}

interface EventMapping {
  sourceTs: number;
  targetTs: number;
}

interface Member<S extends AudioBridgeSession> {
  readonly session: S;
  readonly id: string;
  readonly roomId: string;
  readonly backend: AudioBridgeBackend<S>;
  readonly format: AudioBridgeFormat;
  readonly plug: AudioCodecPlug | undefined;
  readonly decoders: Map<string, AudioDecoder>;
  encoder: AudioEncoder | undefined;
  readonly resamplers: Map<number, Resampler>;
  readonly clock: TargetClock;
  readonly events: Map<string, EventMapping>;
  talking: boolean;
  hookChain: Promise<void>;
  hookPending: number;
  removed: boolean;
  received: number;
  sent: number;
  sendErrors: number;
  notSent: number;
}

interface Room<S extends AudioBridgeSession> {
  readonly id: string;
  readonly members: Map<string, Member<S>>;
  readonly mixers: Map<AudioSampleRate, AudioMixer>;
  clock: Subscription | undefined;
}

const FRAME_MS = 20;
const GAP_MS = 3 * FRAME_MS;

/**
 * AudioBridge bridges audio between the sessions of a room (roomkit AudioBridge).
 *
 * - "forward": each packet goes to every other session of its room, unchanged when the target
 *   takes the same codec at the same rate, else decoded, resampled and re-encoded for it. Meant
 *   for two parties: with more, a target receives everyone's packets interleaved on one stream.
 * - "mix": every 20 ms, each session receives the mix of everyone else in its room (mix-minus),
 *   encoded in its own format. Sessions at different rates are mixed at each rate in use.
 *
 * RFC 4733 telephone-events are relayed as they are to every other session in both strategies
 * (the duration field is rescaled when the clock rates differ). The bridge owns the RTP timeline
 * of what it sends to a session: every packet carries an explicit `rtpTimestamp` that advances by
 * the samples sent and jumps over gaps longer than 60 ms (with the marker bit set), and all the
 * packets of one event carry the same timestamp (RFC 4733 §2.5.1).
 *
 * With a BEFORE_BRIDGE_AUDIO hook in the room, each frame waits for the hook (frames of one
 * session stay in order); without one, `forward` bridges synchronously. A target whose
 * `sendAudio` throws is counted and skipped; callbacks may add or remove sessions at any time;
 * `close()` may be called twice.
 */
export class AudioBridge<S extends AudioBridgeSession = MediaSession> {
  /** levels$ emits each room's participant levels (every 100 ms by default). */
  readonly levels$: Observable<RoomAudioLevels>;
  /** activeSpeaker$ emits a room's new active speaker. */
  readonly activeSpeaker$: Observable<ActiveSpeaker>;
  /** strategy the bridge runs. */
  readonly strategy: AudioBridgeStrategy;
  /** maxParticipants per room. */
  readonly maxParticipants: number;
  private readonly scheduler: SchedulerLike;
  private readonly hooks: AudioHookRunner | undefined;
  private readonly monitor: AudioLevelMonitor;
  private readonly levelsOn: boolean;
  private readonly mixOptions: AudioBridgeMixOptions;
  private readonly sendSilence: boolean;
  private readonly opus: AudioCodecPlug | undefined;
  private readonly maxPayloadBytes: number;
  private readonly maxPendingHookFrames: number;
  private readonly random: () => number;
  private readonly rooms = new Map<string, Room<S>>();
  private readonly members = new Map<string, Member<S>>();
  private filter: AudioBridgeFilter<S> | undefined;
  private isEnabled: boolean;
  private closed = false;
  private readonly counters = {
    received: 0,
    forwarded: 0,
    transcoded: 0,
    mixed: 0,
    telephoneEvents: 0,
    sendErrors: 0,
    notSent: 0,
    unknownSession: 0,
    disabled: 0,
    unsupported: 0,
    filtered: 0,
    blocked: 0,
    hookOverflow: 0,
    hookErrors: 0,
    filterErrors: 0,
    ticks: 0,
    lateTicks: 0,
    skippedTicks: 0,
    mixerDroppedSamples: 0,
    mixerUnderruns: 0,
    mixerSaturatedSamples: 0,
  };

  constructor(config: AudioBridgeConfig = {}) {
    this.isEnabled = config.enabled ?? true;
    this.maxParticipants = config.maxParticipants ?? 10;
    this.strategy = config.strategy ?? "forward";
    if (!Number.isInteger(this.maxParticipants) || this.maxParticipants < 2) {
      throw new AudioBridgeError(
        "INVALID_ARGUMENT",
        `maxParticipants must be an integer ≥ 2, got ${config.maxParticipants}`,
      );
    }
    if (this.strategy !== "forward" && this.strategy !== "mix") {
      throw new AudioBridgeError(
        "INVALID_ARGUMENT",
        `strategy must be "forward" or "mix", got ${this.strategy}`,
      );
    }
    this.scheduler = config.scheduler ?? asyncScheduler;
    this.hooks = config.hooks;
    this.levelsOn = config.levels !== false;
    this.monitor = new AudioLevelMonitor(
      typeof config.levels === "object" ? { ...config.levels, frameMs: FRAME_MS } : {},
    );
    this.mixOptions = config.mix ?? {};
    this.sendSilence = this.mixOptions.sendSilence ?? true;
    this.opus = config.codecs?.opus;
    this.maxPayloadBytes = config.maxPayloadBytes ?? 1200;
    this.maxPendingHookFrames = config.maxPendingHookFrames ?? 50;
    this.random = config.random ?? Math.random;
    this.levels$ = this.monitor.levels$;
    this.activeSpeaker$ = this.monitor.activeSpeaker$;
  }

  /** enabled: whether frames are bridged; false pauses bridging (frames are dropped, counted). */
  get enabled(): boolean {
    return this.isEnabled;
  }

  set enabled(value: boolean) {
    this.isEnabled = value;
  }

  /** setFilter installs (or with undefined removes) a synchronous filter run before hooks. */
  setFilter(filter: AudioBridgeFilter<S> | undefined): void {
    this.filter = filter;
  }

  /**
   * addSession bridges a session in a room: what it sends goes to the room's other sessions and
   * what they send comes to it through `backend`, in `format`. Adding a session again replaces it.
   */
  addSession(
    session: S,
    roomId: string,
    backend: AudioBridgeBackend<S>,
    format: AudioBridgeFormat,
  ): void {
    if (this.closed)
      throw new AudioBridgeError("BRIDGE_CLOSED", "addSession on a closed AudioBridge");
    const plug = this.checkFormat(format);
    const existing = this.members.get(session.id);
    const present = this.rooms.get(roomId)?.members.size ?? 0;
    if (present - (existing?.roomId === roomId ? 1 : 0) >= this.maxParticipants) {
      throw new AudioBridgeError(
        "ROOM_FULL",
        `room ${roomId} already has maxParticipants (${this.maxParticipants}) sessions`,
      );
    }
    if (existing !== undefined) this.removeSession(session.id);
    let room = this.rooms.get(roomId);
    if (room === undefined) {
      room = { id: roomId, members: new Map(), mixers: new Map(), clock: undefined };
      this.rooms.set(roomId, room);
    }
    const member: Member<S> = {
      session,
      id: session.id,
      roomId,
      backend,
      format,
      plug,
      decoders: new Map(),
      encoder: undefined,
      resamplers: new Map(),
      clock: {
        ts: Math.floor(this.random() * 0x100000000) >>> 0,
        expectedMs: 0,
        started: false,
        markerPending: false,
      },
      events: new Map(),
      talking: false,
      hookChain: Promise.resolve(),
      hookPending: 0,
      removed: false,
      received: 0,
      sent: 0,
      sendErrors: 0,
      notSent: 0,
    };
    room.members.set(member.id, member);
    this.members.set(member.id, member);
    if (this.strategy === "mix") this.joinMix(room, member);
    if (this.levelsOn) this.monitor.add(roomId, member.id);
    if (room.clock === undefined && (this.strategy === "mix" || this.levelsOn)) {
      const r = room;
      r.clock = audioTicks(this.scheduler, { periodMs: FRAME_MS }).subscribe((tick) =>
        this.tick(r, tick),
      );
    }
  }

  /** removeSession stops bridging a session (by session or id); false when it was not bridged. */
  removeSession(session: S | string): boolean {
    const id = typeof session === "string" ? session : session.id;
    const member = this.members.get(id);
    if (member === undefined) return false;
    member.removed = true;
    this.members.delete(id);
    const room = this.rooms.get(member.roomId);
    if (room === undefined) return true;
    room.members.delete(id);
    if (this.levelsOn) this.monitor.remove(room.id, id);
    for (const other of room.members.values()) other.events.delete(id);
    for (const [rate, mixer] of room.mixers) {
      mixer.remove(id);
      let listened = false;
      for (const other of room.members.values()) listened ||= other.format.sampleRate === rate;
      if (!listened) {
        this.retireMixer(mixer);
        room.mixers.delete(rate);
        for (const other of room.members.values()) {
          for (const key of other.resamplers.keys())
            if (key % 100000 === rate) other.resamplers.delete(key);
        }
      }
    }
    if (room.members.size === 0) {
      room.clock?.unsubscribe();
      room.clock = undefined;
      this.rooms.delete(room.id);
    }
    return true;
  }

  /** has tells whether a session is bridged. */
  has(session: S | string): boolean {
    return this.members.has(typeof session === "string" ? session : session.id);
  }

  /** sessions lists the sessions bridged in a room. */
  sessions(roomId: string): S[] {
    return [...(this.rooms.get(roomId)?.members.values() ?? [])].map((m) => m.session);
  }

  /**
   * forward bridges one frame a session sent. Synchronous unless a BEFORE_BRIDGE_AUDIO hook is
   * registered for the session's room; never throws for a target's failure.
   */
  forward(session: S, frame: AudioFrame): void {
    if (this.closed) return;
    const member = this.members.get(session.id);
    if (member === undefined) {
      this.counters.unknownSession++;
      return;
    }
    if (!this.isEnabled) {
      this.counters.disabled++;
      return;
    }
    member.received++;
    this.counters.received++;
    let f: AudioFrame = frame;
    if (this.filter !== undefined) {
      try {
        const out = this.filter(session, frame);
        if (out === null || out === undefined) {
          this.counters.filtered++;
          return;
        }
        f = out;
      } catch {
        this.counters.filterErrors++;
      }
      if (member.removed || this.closed) return;
    }
    if (this.hooks !== undefined && this.roomHasHooks(member.roomId)) {
      this.runHook(member, f);
      return;
    }
    this.deliver(member, f);
  }

  /** stats returns the bridge's counters. */
  stats(): AudioBridgeStats {
    const c = this.counters;
    let droppedSamples = c.mixerDroppedSamples;
    let underruns = c.mixerUnderruns;
    let saturatedSamples = c.mixerSaturatedSamples;
    for (const room of this.rooms.values()) {
      for (const mixer of room.mixers.values()) {
        const s = mixer.stats();
        droppedSamples += s.droppedSamples;
        underruns += s.underruns;
        saturatedSamples += s.saturatedSamples;
      }
    }
    return {
      rooms: this.rooms.size,
      sessions: this.members.size,
      received: c.received,
      forwarded: c.forwarded,
      transcoded: c.transcoded,
      mixed: c.mixed,
      telephoneEvents: c.telephoneEvents,
      sendErrors: c.sendErrors,
      notSent: c.notSent,
      dropped: {
        unknownSession: c.unknownSession,
        disabled: c.disabled,
        unsupported: c.unsupported,
        filtered: c.filtered,
        blocked: c.blocked,
        hookOverflow: c.hookOverflow,
      },
      hookErrors: c.hookErrors,
      filterErrors: c.filterErrors,
      mixer: { droppedSamples, underruns, saturatedSamples },
      clock: { ticks: c.ticks, lateTicks: c.lateTicks, skippedTicks: c.skippedTicks },
    };
  }

  /** sessionStats returns one bridged session's counters. */
  sessionStats(session: S | string): AudioBridgeSessionStats | undefined {
    const member = this.members.get(typeof session === "string" ? session : session.id);
    if (member === undefined) return undefined;
    const rate = member.format.sampleRate;
    const s = this.rooms.get(member.roomId)?.mixers.get(rate)?.participantStats(member.id);
    return {
      roomId: member.roomId,
      received: member.received,
      sent: member.sent,
      sendErrors: member.sendErrors,
      notSent: member.notSent,
      bufferedMs: s === undefined ? 0 : (s.bufferedSamples * 1000) / rate,
      droppedMs: s === undefined ? 0 : (s.droppedSamples * 1000) / rate,
    };
  }

  /** close removes every session, stops the room clocks and completes the observables; idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const id of [...this.members.keys()]) this.removeSession(id);
    for (const room of this.rooms.values()) room.clock?.unsubscribe();
    this.rooms.clear();
    this.monitor.close();
  }

  // ---- formats and codecs ----

  private checkFormat(format: AudioBridgeFormat): AudioCodecPlug | undefined {
    const { codec, sampleRate, payloadType } = format;
    if (!isAudioSampleRate(sampleRate)) {
      throw new AudioBridgeError(
        "UNSUPPORTED",
        `sampleRate ${sampleRate} is not 8000, 16000 or 48000`,
      );
    }
    if (!Number.isInteger(payloadType) || payloadType < 0 || payloadType > 127) {
      throw new AudioBridgeError("UNSUPPORTED", `payloadType ${payloadType} is not 0…127`);
    }
    const plug = this.plugFor(codec);
    if (codec === "opus") {
      if (sampleRate !== 48000) {
        throw new AudioBridgeError("UNSUPPORTED", "opus runs at 48000 Hz (RFC 7587 §4.1)");
      }
      if (plug === undefined && this.strategy === "mix") {
        throw new AudioBridgeError(
          "UNSUPPORTED",
          "the mix strategy needs an opus codec plug (config.codecs.opus) to decode Opus",
        );
      }
      return plug;
    }
    if (plug === undefined) throw new AudioBridgeError("UNSUPPORTED", `codec ${codec}`);
    if (plug.fixedRate !== undefined && plug.fixedRate !== sampleRate) {
      throw new AudioBridgeError(
        "UNSUPPORTED",
        `${codec} runs at ${plug.fixedRate} Hz (RFC 3551 §4.5.14), not ${sampleRate}`,
      );
    }
    return plug;
  }

  private plugFor(codec: string): AudioCodecPlug | undefined {
    switch (codec) {
      case "pcmu":
        return PCMU_CODEC;
      case "pcma":
        return PCMA_CODEC;
      case "l16":
        return L16_CODEC;
      case "opus":
        return this.opus;
      default:
        return undefined;
    }
  }

  /** frameRate is the sample rate of a frame's payload as the sender sends it. */
  private frameRate(member: Member<S>, codec: string): AudioSampleRate {
    if (codec === "pcmu" || codec === "pcma") return 8000;
    if (codec === "opus") return 48000;
    return member.format.sampleRate;
  }

  private frameSamples(codec: string, data: Uint8Array): number {
    switch (codec) {
      case "l16":
        return data.length >> 1;
      case "opus":
        return opusPacketSamples(data) || 960;
      default:
        return data.length;
    }
  }

  private decode(member: Member<S>, frame: AudioFrame): Int16Array | undefined {
    let decoder = member.decoders.get(frame.codec);
    if (decoder === undefined) {
      const plug = this.plugFor(frame.codec);
      if (plug === undefined) return undefined;
      decoder = plug.createDecoder(this.frameRate(member, frame.codec));
      member.decoders.set(frame.codec, decoder);
    }
    try {
      return decoder.decode(frame.data);
    } catch {
      return undefined;
    }
  }

  private resampler(member: Member<S>, from: AudioSampleRate, to: AudioSampleRate): Resampler {
    const key = from * 100000 + to;
    let r = member.resamplers.get(key);
    if (r === undefined) {
      r = new Resampler(from, to);
      member.resamplers.set(key, r);
    }
    return r;
  }

  // ---- hooks ----

  private roomHasHooks(roomId: string): boolean {
    try {
      return this.hooks?.hasHooks(BEFORE_BRIDGE_AUDIO, roomId) ?? false;
    } catch {
      this.counters.hookErrors++;
      return false;
    }
  }

  private runHook(member: Member<S>, frame: AudioFrame): void {
    const hooks = this.hooks;
    if (hooks === undefined) return;
    if (member.hookPending >= this.maxPendingHookFrames) {
      this.counters.hookOverflow++;
      return;
    }
    member.hookPending++;
    const event: AudioBridgeHookEvent<S> = {
      session: member.session,
      frame,
      roomId: member.roomId,
      timestamp: this.scheduler.now(),
    };
    let verdict: Promise<AudioHookResult>;
    try {
      verdict = hooks.run(BEFORE_BRIDGE_AUDIO, event, member.roomId);
    } catch (err) {
      verdict = Promise.reject(err);
    }
    // Hooks run concurrently; verdicts are applied in arrival order.
    member.hookChain = member.hookChain
      .then(() =>
        verdict.then(
          (result) => {
            member.hookPending--;
            this.applyVerdict(member, frame, result);
          },
          () => {
            member.hookPending--;
            this.counters.hookErrors++;
            this.deliver(member, frame);
          },
        ),
      )
      .catch(() => {
        this.counters.hookErrors++;
      });
  }

  private applyVerdict(member: Member<S>, frame: AudioFrame, result: AudioHookResult): void {
    if (this.closed || member.removed) return;
    const r = result as Partial<Record<"action" | "allowed" | "event" | "modified", unknown>>;
    let verdict: "allow" | "block" | "modify" | undefined;
    if (typeof r?.allowed === "boolean") {
      verdict = !r.allowed ? "block" : r.modified === false ? "allow" : "modify";
      if (verdict === "modify" && (r.event as { frame?: unknown } | undefined)?.frame === frame) {
        verdict = "allow";
      }
    } else if (r?.action === "allow" || r?.action === "block" || r?.action === "modify") {
      verdict = r.action;
    }
    switch (verdict) {
      case "allow":
        this.deliver(member, frame);
        return;
      case "block":
        this.counters.blocked++;
        return;
      case "modify": {
        const replaced = (r.event as { frame?: unknown } | undefined)?.frame;
        if (isAudioFrame(replaced)) {
          this.deliver(member, replaced);
        } else {
          this.counters.hookErrors++;
          this.deliver(member, frame);
        }
        return;
      }
      default:
        this.counters.hookErrors++;
        this.deliver(member, frame);
    }
  }

  // ---- bridging ----

  private deliver(member: Member<S>, frame: AudioFrame): void {
    if (this.closed || member.removed || !this.isEnabled) return;
    const room = this.rooms.get(member.roomId);
    if (room === undefined) return;
    if (frame.codec === "telephone-event") {
      this.relayEvent(room, member, frame);
      return;
    }
    if (this.strategy === "mix") this.mixIn(room, member, frame);
    else this.forwardAudio(room, member, frame);
  }

  private forwardAudio(room: Room<S>, source: Member<S>, frame: AudioFrame): void {
    const rate = this.frameRate(source, frame.codec);
    const samples = this.frameSamples(frame.codec, frame.data);
    let pcm: Int16Array | undefined;
    let decoded = false;
    const decodeOnce = (): Int16Array | undefined => {
      if (!decoded) {
        decoded = true;
        pcm = this.decode(source, frame);
      }
      return pcm;
    };
    if (this.levelsOn && room.members.size > 1) {
      const p = decodeOnce();
      if (p !== undefined) this.monitor.feed(room.id, source.id, p);
    }
    // Per-call caches, made on the first target that needs transcoding.
    let resampled: Map<AudioSampleRate, Int16Array> | undefined;
    let encoded: Map<string, Uint8Array> | undefined;
    for (const target of [...room.members.values()]) {
      if (source.removed || this.closed) return;
      if (target === source || target.removed) continue;
      const tf = target.format;
      if (frame.codec === tf.codec && rate === tf.sampleRate) {
        if (this.sendTo(target, frame.data, samples, frame.marker, tf.payloadType)) {
          this.counters.forwarded++;
        }
        continue;
      }
      const p = decodeOnce();
      if (p === undefined || target.plug === undefined) {
        this.counters.unsupported++;
        continue;
      }
      resampled ??= new Map();
      encoded ??= new Map();
      let out = resampled.get(tf.sampleRate);
      if (out === undefined) {
        out = rate === tf.sampleRate ? p : this.resampler(source, rate, tf.sampleRate).process(p);
        resampled.set(tf.sampleRate, out);
      }
      // Built-in codecs are stateless: one encoding serves every target of the same format.
      const shared = target.plug !== this.opus;
      const key = `${tf.codec}/${tf.sampleRate}`;
      let payload = shared ? encoded.get(key) : undefined;
      if (payload === undefined) {
        payload = this.encode(target, out);
        if (payload === undefined) continue;
        if (shared) encoded.set(key, payload);
      }
      if (this.sendPcmPayload(target, payload, out.length, frame.marker))
        this.counters.transcoded++;
    }
  }

  private mixIn(room: Room<S>, source: Member<S>, frame: AudioFrame): void {
    const pcm = this.decode(source, frame);
    if (pcm === undefined) {
      this.counters.unsupported++;
      return;
    }
    const rate = this.frameRate(source, frame.codec);
    for (const [mixRate, mixer] of room.mixers) {
      mixer.push(
        source.id,
        mixRate === rate ? pcm : this.resampler(source, rate, mixRate).process(pcm),
      );
    }
  }

  private relayEvent(room: Room<S>, source: Member<S>, frame: AudioFrame): void {
    const sourceRate = source.format.sampleRate;
    const now = this.scheduler.now();
    for (const target of [...room.members.values()]) {
      if (source.removed || this.closed) return;
      if (target === source || target.removed) continue;
      let mapping = target.events.get(source.id);
      if (mapping === undefined || mapping.sourceTs !== frame.rtpTimestamp) {
        const stamp = this.clockAt(target, now);
        if (stamp.jumped) target.clock.markerPending = true;
        mapping = { sourceTs: frame.rtpTimestamp, targetTs: stamp.ts };
        target.events.set(source.id, mapping);
      }
      const targetRate = target.format.sampleRate;
      let data = frame.data;
      if (targetRate !== sourceRate && data.length >= 4) {
        data = data.slice();
        const duration = ((data[2] as number) << 8) | (data[3] as number);
        const scaled = Math.min(0xffff, Math.round((duration * targetRate) / sourceRate));
        data[2] = scaled >> 8;
        data[3] = scaled & 0xff;
      }
      const ok = this.send(target, {
        data,
        samples: 0,
        payloadType: target.format.telephoneEventPayloadType ?? frame.payloadType,
        marker: frame.marker,
        rtpTimestamp: mapping.targetTs,
      });
      if (ok) this.counters.telephoneEvents++;
    }
  }

  // ---- the room clock (mix and levels) ----

  private joinMix(room: Room<S>, member: Member<S>): void {
    const rate = member.format.sampleRate;
    if (!room.mixers.has(rate)) {
      const mixer = new AudioMixer({
        sampleRate: rate,
        frameMs: FRAME_MS,
        ...(this.mixOptions.jitterMs === undefined ? {} : { jitterMs: this.mixOptions.jitterMs }),
        ...(this.mixOptions.maxBufferMs === undefined
          ? {}
          : { maxBufferMs: this.mixOptions.maxBufferMs }),
        ...(this.mixOptions.saturation === undefined
          ? {}
          : { saturation: this.mixOptions.saturation }),
      });
      for (const other of room.members.values()) {
        if (other !== member) mixer.add(other.id, { listens: other.format.sampleRate === rate });
      }
      room.mixers.set(rate, mixer);
    }
    for (const [mixRate, mixer] of room.mixers) mixer.add(member.id, { listens: mixRate === rate });
  }

  private retireMixer(mixer: AudioMixer): void {
    const s = mixer.stats();
    this.counters.mixerDroppedSamples += s.droppedSamples;
    this.counters.mixerUnderruns += s.underruns;
    this.counters.mixerSaturatedSamples += s.saturatedSamples;
  }

  private tick(room: Room<S>, tick: AudioTick): void {
    if (this.closed) return;
    this.counters.ticks++;
    if (tick.lateMs >= FRAME_MS) this.counters.lateTicks++;
    this.counters.skippedTicks += tick.skipped;
    if (this.strategy === "mix") {
      for (const [rate, mixer] of [...room.mixers]) {
        if (this.closed) return;
        const frames = mixer.mix();
        const send = this.isEnabled && room.members.size > 1;
        for (const f of frames) {
          const member = room.members.get(f.id);
          if (member === undefined || member.removed || member.format.sampleRate !== rate) continue;
          if (this.levelsOn && f.active) this.monitor.feed(room.id, f.id, f.input);
          if (!send) continue;
          if (!f.othersActive && !this.sendSilence) {
            member.talking = false;
            continue;
          }
          const payload = this.encode(member, f.output);
          if (payload === undefined) continue;
          const marker = !member.talking;
          member.talking = true;
          if (this.sendPcmPayload(member, payload, f.output.length, marker)) this.counters.mixed++;
        }
      }
    }
    if (this.levelsOn && !this.closed) this.monitor.tick(room.id, tick.timeMs);
  }

  // ---- sending ----

  private encode(target: Member<S>, pcm: Int16Array): Uint8Array | undefined {
    const plug = target.plug;
    if (plug === undefined) return undefined;
    target.encoder ??= plug.createEncoder(target.format.sampleRate);
    try {
      return target.encoder.encode(pcm);
    } catch {
      this.counters.unsupported++;
      return undefined;
    }
  }

  /** sendPcmPayload sends an encoded payload, split on sample boundaries when it is too big. */
  private sendPcmPayload(
    target: Member<S>,
    payload: Uint8Array,
    samples: number,
    marker: boolean,
  ): boolean {
    const bps = target.plug?.bytesPerSample ?? 0;
    if (bps === 0 || payload.length <= this.maxPayloadBytes) {
      return this.sendTo(target, payload, samples, marker, target.format.payloadType);
    }
    const parts = Math.ceil(payload.length / this.maxPayloadBytes);
    const perPart = Math.ceil(samples / parts);
    let ok = true;
    for (let at = 0; at < samples; at += perPart) {
      const n = Math.min(perPart, samples - at);
      const chunk = payload.subarray(at * bps, (at + n) * bps);
      ok = this.sendTo(target, chunk, n, marker && at === 0, target.format.payloadType) && ok;
      if (target.removed || this.closed) return false;
    }
    return ok;
  }

  /** sendTo sends audio on the target's timeline: the timestamp advances by `samples`. */
  private sendTo(
    target: Member<S>,
    data: Uint8Array,
    samples: number,
    marker: boolean,
    payloadType: number,
  ): boolean {
    const stamp = this.clockAt(target, this.scheduler.now());
    const clock = target.clock;
    clock.ts = (stamp.ts + samples) >>> 0;
    clock.expectedMs += (samples * 1000) / target.format.sampleRate;
    const m = marker || stamp.jumped || clock.markerPending;
    clock.markerPending = false;
    return this.send(target, { data, samples, payloadType, marker: m, rtpTimestamp: stamp.ts });
  }

  /** clockAt is the target's timestamp for `now`, after jumping over a gap longer than GAP_MS. */
  private clockAt(target: Member<S>, now: number): { ts: number; jumped: boolean } {
    const clock = target.clock;
    if (!clock.started) {
      clock.started = true;
      clock.expectedMs = now;
      return { ts: clock.ts, jumped: true };
    }
    const late = now - clock.expectedMs;
    if (late > GAP_MS) {
      clock.ts = (clock.ts + Math.round((late * target.format.sampleRate) / 1000)) >>> 0;
      clock.expectedMs = now;
      return { ts: clock.ts, jumped: true };
    }
    return { ts: clock.ts, jumped: false };
  }

  private send(target: Member<S>, audio: OutgoingAudio): boolean {
    try {
      if (target.backend.sendAudio(target.session, audio)) {
        target.sent++;
        return true;
      }
      target.notSent++;
      this.counters.notSent++;
      return false;
    } catch {
      target.sendErrors++;
      this.counters.sendErrors++;
      return false;
    }
  }
}

function isAudioFrame(value: unknown): value is AudioFrame {
  if (typeof value !== "object" || value === null) return false;
  const f = value as Partial<Record<keyof AudioFrame, unknown>>;
  return (
    f.data instanceof Uint8Array &&
    typeof f.codec === "string" &&
    typeof f.payloadType === "number" &&
    typeof f.rtpTimestamp === "number" &&
    typeof f.marker === "boolean"
  );
}
