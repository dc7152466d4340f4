import { type Observable, type SchedulerLike, Subject, type Subscription } from "rxjs";
import { audioTicks } from "./audio-ticker.js";

/** DBOV_SILENCE is the level reported for digital silence (RFC 6464: 127 means −127 dBov or less). */
export const DBOV_SILENCE = -127;

const FULL_SCALE_SQUARED = 32768 * 32768;

/**
 * energyToDbov converts a sum of squared Int16 samples over `count` samples to dBov: the RMS
 * level relative to the overload point, a full-scale square wave (RFC 6464 §3), so a full-scale
 * sine is −3 dBov. Clamped to [−127, 0].
 */
export function energyToDbov(sumOfSquares: number, count: number): number {
  if (count <= 0 || sumOfSquares <= 0) return DBOV_SILENCE;
  const dbov = 10 * Math.log10(sumOfSquares / count / FULL_SCALE_SQUARED);
  return dbov < DBOV_SILENCE ? DBOV_SILENCE : Math.min(dbov, 0);
}

/** sumOfSquares of Int16 samples [from, to). */
export function sumOfSquares(pcm: Int16Array, from = 0, to = pcm.length): number {
  let s = 0;
  for (let i = from; i < to; i++) {
    const v = pcm[i] as number;
    s += v * v;
  }
  return s;
}

/** rmsDbov is the RMS level of Int16 samples [from, to) in dBov (see energyToDbov). */
export function rmsDbov(pcm: Int16Array, from = 0, to = pcm.length): number {
  return energyToDbov(sumOfSquares(pcm, from, to), to - from);
}

/** dbovToAudioLevel maps dBov to the RFC 6464 audio level: 0 (0 dBov, loudest) … 127 (silence). */
export function dbovToAudioLevel(dbov: number): number {
  const level = Math.round(-dbov);
  return level <= 0 ? 0 : Math.min(level, 127);
}

/** ParticipantLevel is one participant's level at one tick. */
export interface ParticipantLevel {
  readonly sessionId: string;
  /** dbov is the RMS level of the last frame (≈ 20 ms), in dBov. */
  readonly dbov: number;
  /** level is `dbov` on the RFC 6464 scale: 0 … 127 = 0 … −127 dBov. */
  readonly level: number;
  /** smoothedDbov follows `dbov` (smoothed in power) with a fast attack and a slower release. */
  readonly smoothedDbov: number;
  /** speaking: whether `smoothedDbov` is at least the speech threshold. */
  readonly speaking: boolean;
}

/** RoomAudioLevels are the levels of every participant of a room at one time. */
export interface RoomAudioLevels {
  readonly roomId: string;
  readonly timeMs: number;
  readonly levels: readonly ParticipantLevel[];
}

/** ActiveSpeaker names a room's new active speaker. */
export interface ActiveSpeaker {
  readonly roomId: string;
  readonly sessionId: string;
}

/** AudioLevelOptions configure an AudioLevelMonitor. */
export interface AudioLevelOptions {
  /** frameMs is the tick period; default 20. */
  readonly frameMs?: number;
  /** attackMs is the smoothing time constant for rising power; default 20. */
  readonly attackMs?: number;
  /** releaseMs is the smoothing time constant for falling power; default 150. */
  readonly releaseMs?: number;
  /** speechDbov: a smoothed level at least this is speech; default −50. */
  readonly speechDbov?: number;
  /** marginDb a challenger must be louder than the active speaker by; default 6. */
  readonly marginDb?: number;
  /** holdMs a challenger must stay loudest (and louder by the margin) to take over; default 300. */
  readonly holdMs?: number;
  /** levelsIntervalMs between `levels$` emissions per room, a multiple of frameMs; default 100. */
  readonly levelsIntervalMs?: number;
}

interface Meter {
  energy: number;
  count: number;
  emptyTicks: number;
  /** power of the last measurement, relative to full scale squared. */
  power: number;
  dbov: number;
  /** smoothed power, relative to full scale squared. */
  smoothed: number;
  smoothedDbov: number;
}

interface RoomLevels {
  readonly meters: Map<string, Meter>;
  speaker: string | undefined;
  challenger: string | undefined;
  challengerSince: number;
  ticks: number;
}

/**
 * AudioLevelMonitor measures each participant's level per tick (RMS over the audio fed since the
 * last tick, one 20 ms frame), smooths it in the power domain (attack 20 ms, release 150 ms: the
 * release bridges the gaps between words), emits `levels$` per room and picks each room's active
 * speaker with hysteresis on the smoothed levels: a challenger must be the loudest speaker, louder
 * than the current one by `marginDb`, for `holdMs` in a row (the first speaker of a room only needs
 * to be the loudest above the speech threshold for `holdMs`). Because of the release, a burst
 * counts for about 140 ms more than it lasts. The speaker stays when everyone goes quiet.
 *
 * A tick in which no audio arrived repeats the previous measurement once (packets jitter around
 * the tick), then reads as silence.
 *
 * Ticks come from whoever owns the clock: `tick(roomId, nowMs)` (AudioBridge calls it on its
 * room clock) or `start(scheduler)`, which ticks every room on a drift-free clock.
 */
export class AudioLevelMonitor {
  /** levels$ emits every room's levels every `levelsIntervalMs`. */
  readonly levels$: Observable<RoomAudioLevels>;
  /** activeSpeaker$ emits when a room's active speaker changes. */
  readonly activeSpeaker$: Observable<ActiveSpeaker>;
  private readonly levelsSubject = new Subject<RoomAudioLevels>();
  private readonly speakerSubject = new Subject<ActiveSpeaker>();
  private readonly rooms = new Map<string, RoomLevels>();
  private readonly frameMs: number;
  private readonly attack: number;
  private readonly release: number;
  private readonly speechDbov: number;
  private readonly marginDb: number;
  private readonly holdMs: number;
  private readonly levelsEvery: number;
  private closed = false;

  constructor(options: AudioLevelOptions = {}) {
    this.frameMs = options.frameMs ?? 20;
    this.attack = 1 - Math.exp(-this.frameMs / (options.attackMs ?? 20));
    this.release = 1 - Math.exp(-this.frameMs / (options.releaseMs ?? 150));
    this.speechDbov = options.speechDbov ?? -50;
    this.marginDb = options.marginDb ?? 6;
    this.holdMs = options.holdMs ?? 300;
    const interval = options.levelsIntervalMs ?? 100;
    this.levelsEvery = Math.max(1, Math.round(interval / this.frameMs));
    this.levels$ = this.levelsSubject.asObservable();
    this.activeSpeaker$ = this.speakerSubject.asObservable();
  }

  /** add starts metering a participant of a room. */
  add(roomId: string, sessionId: string): void {
    if (this.closed) return;
    let room = this.rooms.get(roomId);
    if (room === undefined) {
      room = {
        meters: new Map(),
        speaker: undefined,
        challenger: undefined,
        challengerSince: 0,
        ticks: 0,
      };
      this.rooms.set(roomId, room);
    }
    if (!room.meters.has(sessionId)) {
      room.meters.set(sessionId, {
        energy: 0,
        count: 0,
        emptyTicks: 2,
        power: 0,
        dbov: DBOV_SILENCE,
        smoothed: 0,
        smoothedDbov: DBOV_SILENCE,
      });
    }
  }

  /** remove stops metering a participant; a room with no one left is forgotten. */
  remove(roomId: string, sessionId: string): void {
    const room = this.rooms.get(roomId);
    if (room === undefined) return;
    room.meters.delete(sessionId);
    if (room.speaker === sessionId) room.speaker = undefined;
    if (room.challenger === sessionId) room.challenger = undefined;
    if (room.meters.size === 0) this.rooms.delete(roomId);
  }

  /** feed adds a participant's decoded audio to the current tick's measurement. */
  feed(roomId: string, sessionId: string, pcm: Int16Array): void {
    const m = this.rooms.get(roomId)?.meters.get(sessionId);
    if (m === undefined) return;
    m.energy += sumOfSquares(pcm);
    m.count += pcm.length;
  }

  /** activeSpeaker is a room's current active speaker, if any. */
  activeSpeaker(roomId: string): string | undefined {
    return this.rooms.get(roomId)?.speaker;
  }

  /** levels returns a room's levels as of its last tick. */
  levels(roomId: string, timeMs = 0): RoomAudioLevels | undefined {
    const room = this.rooms.get(roomId);
    if (room === undefined) return undefined;
    return { roomId, timeMs, levels: this.snapshot(room) };
  }

  /** tick closes the current measurement of a room at `nowMs`: smooths, selects, maybe emits. */
  tick(roomId: string, nowMs: number): void {
    const room = this.rooms.get(roomId);
    if (room === undefined || this.closed) return;
    let loudest: string | undefined;
    let loudestDb = -Infinity;
    for (const [id, m] of room.meters) {
      if (m.count > 0) {
        m.power = m.energy / m.count / FULL_SCALE_SQUARED;
        m.dbov = energyToDbov(m.energy, m.count);
        m.emptyTicks = 0;
      } else if (++m.emptyTicks > 1) {
        m.power = 0;
        m.dbov = DBOV_SILENCE;
      }
      m.energy = 0;
      m.count = 0;
      const a = m.power > m.smoothed ? this.attack : this.release;
      m.smoothed += a * (m.power - m.smoothed);
      m.smoothedDbov = energyToDbov(m.smoothed, 1 / FULL_SCALE_SQUARED);
      if (m.smoothedDbov >= this.speechDbov && m.smoothedDbov > loudestDb) {
        loudest = id;
        loudestDb = m.smoothedDbov;
      }
    }
    this.select(roomId, room, loudest, loudestDb, nowMs);
    if (++room.ticks % this.levelsEvery === 0) {
      this.levelsSubject.next({ roomId, timeMs: nowMs, levels: this.snapshot(room) });
    }
  }

  /** start ticks every room on a drift-free `frameMs` clock on `scheduler`. */
  start(scheduler: SchedulerLike): Subscription {
    return audioTicks(scheduler, { periodMs: this.frameMs }).subscribe((t) => {
      for (const roomId of [...this.rooms.keys()]) this.tick(roomId, t.timeMs);
    });
  }

  /** close completes `levels$` and `activeSpeaker$` and forgets every room; idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.rooms.clear();
    this.levelsSubject.complete();
    this.speakerSubject.complete();
  }

  private select(
    roomId: string,
    room: RoomLevels,
    loudest: string | undefined,
    loudestDb: number,
    nowMs: number,
  ): void {
    const current = room.speaker === undefined ? undefined : room.meters.get(room.speaker);
    const challenges =
      loudest !== undefined &&
      loudest !== room.speaker &&
      (current === undefined || loudestDb >= current.smoothedDbov + this.marginDb);
    if (!challenges) {
      room.challenger = undefined;
      return;
    }
    if (room.challenger !== loudest) {
      room.challenger = loudest;
      room.challengerSince = nowMs;
    }
    // The challenger must have led through holdMs of ticks, counting the tick it was first seen.
    if (nowMs - room.challengerSince + this.frameMs >= this.holdMs) {
      room.speaker = loudest;
      room.challenger = undefined;
      this.speakerSubject.next({ roomId, sessionId: loudest });
    }
  }

  private snapshot(room: RoomLevels): ParticipantLevel[] {
    const out: ParticipantLevel[] = [];
    for (const [sessionId, m] of room.meters) {
      out.push({
        sessionId,
        dbov: m.dbov,
        level: dbovToAudioLevel(m.dbov),
        smoothedDbov: m.smoothedDbov,
        speaking: m.smoothedDbov >= this.speechDbov,
      });
    }
    return out;
  }
}
