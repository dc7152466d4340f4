import { map, type Observable, type SchedulerLike, share } from "rxjs";
import { type AudioTick, audioTicks } from "./audio-ticker.js";
import type { AudioSampleRate } from "./resample.js";

/**
 * MixSaturation is what happens when a mix exceeds 16 bits:
 * - "clip": hard clipping at −32768 / 32767 (exact below full scale, harsh above);
 * - "soft": linear up to a knee at 3/4 of full scale (−2.5 dBFS), then a tanh curve that
 *   approaches full scale asymptotically: no wrap and no flat-topping, at the price of gentle
 *   compression of the loudest quarter of the range.
 */
export type MixSaturation = "clip" | "soft";

/** AudioMixerOptions configure an AudioMixer. */
export interface AudioMixerOptions {
  /** sampleRate of every frame pushed and mixed. */
  readonly sampleRate: AudioSampleRate;
  /** frameMs is the mix period; default 20. */
  readonly frameMs?: number;
  /** maxBufferMs bounds each participant's FIFO; the oldest samples are dropped beyond it; default 200. */
  readonly maxBufferMs?: number;
  /** jitterMs is how much a participant must have buffered before it plays (again); default 40. */
  readonly jitterMs?: number;
  /** saturation of the sums; default "clip". */
  readonly saturation?: MixSaturation;
}

/** MixerParticipantOptions configure one participant of an AudioMixer. */
export interface MixerParticipantOptions {
  /** listens: whether the mixer computes what this participant hears; default true. */
  readonly listens?: boolean;
}

/** MixedFrame is one participant's share of one mix tick; its arrays are reused by the next tick. */
export interface MixedFrame {
  readonly id: string;
  /** input is the frame taken from the participant's FIFO this tick (zeros when it had none). */
  readonly input: Int16Array;
  /** active: whether the participant contributed audio this tick. */
  readonly active: boolean;
  /** output is what the participant hears: everyone else, mixed; empty when it does not listen. */
  readonly output: Int16Array;
  /** othersActive: whether anyone else contributed (when false, `output` is silence). */
  readonly othersActive: boolean;
}

/** MixerParticipantStats are one participant's FIFO counters. */
export interface MixerParticipantStats {
  readonly bufferedSamples: number;
  readonly droppedSamples: number;
  readonly underruns: number;
  readonly framesPlayed: number;
}

/** AudioMixerStats are an AudioMixer's counters. */
export interface AudioMixerStats {
  readonly ticks: number;
  readonly participants: number;
  /** droppedSamples were dropped from full FIFOs (oldest first), over all participants ever. */
  readonly droppedSamples: number;
  /** underruns count a playing participant running dry mid-stream. */
  readonly underruns: number;
  /** saturatedSamples were clipped or soft-limited. */
  readonly saturatedSamples: number;
}

const KNEE = 24576;
const HEADROOM = 32767 - KNEE;

class Participant {
  readonly fifo: Int16Array;
  readonly input: Int16Array;
  output: Int16Array;
  read = 0;
  size = 0;
  playing = false;
  starving = 0;
  droppedSamples = 0;
  underruns = 0;
  framesPlayed = 0;
  active = false;
  readonly frame: { -readonly [K in keyof MixedFrame]: MixedFrame[K] };

  constructor(
    readonly id: string,
    capacity: number,
    frameSamples: number,
    public listens: boolean,
  ) {
    this.fifo = new Int16Array(capacity);
    this.input = new Int16Array(frameSamples);
    this.output = listens ? new Int16Array(frameSamples) : new Int16Array(0);
    this.frame = {
      id,
      input: this.input,
      active: false,
      output: this.output,
      othersActive: false,
    };
  }
}

/**
 * AudioMixer is an N-party mix-minus mixer at one sample rate: each tick takes one frame (20 ms by
 * default) from every participant's FIFO and gives each listener the sum of all the others'
 * frames, never its own. Sums are exact in 32-bit integers (total − own), then saturated.
 *
 * Each participant has a bounded FIFO of decoded PCM that absorbs network jitter: it plays once it
 * holds `jitterMs`, drops its oldest samples beyond `maxBufferMs` (counted), and when it runs dry
 * it is silent (an underrun, counted) until it has `jitterMs` again. A partial frame left at the
 * end of a talkspurt is played, padded with silence, after the participant has been starved for
 * `jitterMs`.
 *
 * `mix()` runs one tick by hand; `frames$(scheduler)` runs ticks on a drift-free 20 ms clock.
 */
export class AudioMixer {
  /** sampleRate of all frames. */
  readonly sampleRate: AudioSampleRate;
  /** frameMs is the mix period. */
  readonly frameMs: number;
  /** frameSamples is samples per frame (sampleRate · frameMs / 1000). */
  readonly frameSamples: number;
  private readonly capacity: number;
  private readonly jitterSamples: number;
  private readonly starveTicks: number;
  private readonly soft: boolean;
  private readonly participants = new Map<string, Participant>();
  private readonly acc: Int32Array;
  private readonly frames: MixedFrame[] = [];
  private ticks = 0;
  private droppedSamples = 0;
  private underruns = 0;
  private saturatedSamples = 0;

  constructor(options: AudioMixerOptions) {
    this.sampleRate = options.sampleRate;
    this.frameMs = options.frameMs ?? 20;
    this.frameSamples = (this.sampleRate * this.frameMs) / 1000;
    if (!Number.isInteger(this.frameSamples) || this.frameSamples <= 0) {
      throw new RangeError(`AudioMixer: frameMs ${this.frameMs} is not a whole number of samples`);
    }
    const maxBufferMs = options.maxBufferMs ?? 200;
    const jitterMs = options.jitterMs ?? 40;
    this.capacity = Math.floor((this.sampleRate * maxBufferMs) / 1000);
    this.jitterSamples = Math.max(
      this.frameSamples,
      Math.floor((this.sampleRate * jitterMs) / 1000),
    );
    if (this.capacity < this.jitterSamples) {
      throw new RangeError(`AudioMixer: maxBufferMs ${maxBufferMs} < jitterMs ${jitterMs}`);
    }
    this.starveTicks = Math.max(1, Math.ceil(jitterMs / this.frameMs));
    this.soft = (options.saturation ?? "clip") === "soft";
    this.acc = new Int32Array(this.frameSamples);
  }

  /** add registers a participant (again: keeps its FIFO, updates `listens`). */
  add(id: string, options: MixerParticipantOptions = {}): void {
    const listens = options.listens ?? true;
    const existing = this.participants.get(id);
    if (existing !== undefined) {
      if (existing.listens !== listens) {
        existing.listens = listens;
        existing.output = listens ? new Int16Array(this.frameSamples) : new Int16Array(0);
        existing.frame.output = existing.output;
      }
      return;
    }
    this.participants.set(id, new Participant(id, this.capacity, this.frameSamples, listens));
  }

  /** remove forgets a participant and its buffered audio; false when it was not there. */
  remove(id: string): boolean {
    return this.participants.delete(id);
  }

  /** has tells whether a participant is registered. */
  has(id: string): boolean {
    return this.participants.has(id);
  }

  /** size is the number of participants. */
  get size(): number {
    return this.participants.size;
  }

  /** push appends decoded PCM at `sampleRate` to a participant's FIFO; false for an unknown id. */
  push(id: string, pcm: Int16Array): boolean {
    const p = this.participants.get(id);
    if (p === undefined) return false;
    const cap = this.capacity;
    let src = pcm;
    if (src.length > cap) {
      const excess = src.length - cap;
      p.droppedSamples += excess;
      this.droppedSamples += excess;
      src = src.subarray(excess);
    }
    const overflow = p.size + src.length - cap;
    if (overflow > 0) {
      p.read = (p.read + overflow) % cap;
      p.size -= overflow;
      p.droppedSamples += overflow;
      this.droppedSamples += overflow;
    }
    const write = (p.read + p.size) % cap;
    const first = Math.min(src.length, cap - write);
    p.fifo.set(src.subarray(0, first), write);
    if (first < src.length) p.fifo.set(src.subarray(first), 0);
    p.size += src.length;
    return true;
  }

  /** buffered is how many samples a participant has waiting (0 for an unknown id). */
  buffered(id: string): number {
    return this.participants.get(id)?.size ?? 0;
  }

  /**
   * mix runs one tick: takes a frame from every FIFO and computes each listener's mix-minus.
   * The returned frames and their arrays are reused by the next call.
   */
  mix(): readonly MixedFrame[] {
    this.ticks++;
    const n = this.frameSamples;
    const acc = this.acc;
    acc.fill(0);
    let activeCount = 0;
    for (const p of this.participants.values()) {
      p.active = this.take(p);
      if (!p.active) continue;
      activeCount++;
      const input = p.input;
      for (let i = 0; i < n; i++) acc[i] = (acc[i] as number) + (input[i] as number);
    }
    const frames = this.frames;
    frames.length = 0;
    for (const p of this.participants.values()) {
      const f = p.frame;
      f.active = p.active;
      const othersActive = activeCount - (p.active ? 1 : 0) > 0;
      f.othersActive = othersActive;
      if (p.listens) {
        const out = p.output;
        if (!othersActive) out.fill(0);
        else if (p.active) this.saturate(acc, p.input, out);
        else this.saturate(acc, undefined, out);
      }
      frames.push(f);
    }
    return frames;
  }

  /** frames$ runs `mix()` on a drift-free `frameMs` clock on `scheduler` while subscribed. */
  frames$(scheduler: SchedulerLike): Observable<readonly MixedFrame[]> {
    return audioTicks(scheduler, { periodMs: this.frameMs }).pipe(
      map((_tick: AudioTick) => this.mix()),
      share(),
    );
  }

  /** participantStats returns one participant's FIFO counters. */
  participantStats(id: string): MixerParticipantStats | undefined {
    const p = this.participants.get(id);
    if (p === undefined) return undefined;
    return {
      bufferedSamples: p.size,
      droppedSamples: p.droppedSamples,
      underruns: p.underruns,
      framesPlayed: p.framesPlayed,
    };
  }

  /** stats returns the mixer's counters. */
  stats(): AudioMixerStats {
    return {
      ticks: this.ticks,
      participants: this.participants.size,
      droppedSamples: this.droppedSamples,
      underruns: this.underruns,
      saturatedSamples: this.saturatedSamples,
    };
  }

  private take(p: Participant): boolean {
    const n = this.frameSamples;
    if (!p.playing) {
      if (p.size >= this.jitterSamples) {
        p.playing = true;
        p.starving = 0;
      } else if (p.size > 0 && ++p.starving >= this.starveTicks) {
        // Flush the tail of a talkspurt (one frame of it per tick), padded with silence.
        const tail = Math.min(p.size, n);
        this.read(p, p.input, tail);
        p.input.fill(0, tail);
        // what is left of the tail goes out on the next tick, without waiting again
        p.starving = p.size > 0 ? this.starveTicks - 1 : 0;
        p.framesPlayed++;
        return true;
      } else {
        return false;
      }
    }
    if (p.size < n) {
      p.playing = false;
      p.starving = 0;
      p.underruns++;
      this.underruns++;
      return false;
    }
    this.read(p, p.input, n);
    p.framesPlayed++;
    return true;
  }

  private read(p: Participant, dst: Int16Array, count: number): void {
    const cap = this.capacity;
    const first = Math.min(count, cap - p.read);
    dst.set(p.fifo.subarray(p.read, p.read + first), 0);
    if (first < count) dst.set(p.fifo.subarray(0, count - first), first);
    p.read = (p.read + count) % cap;
    p.size -= count;
  }

  private saturate(acc: Int32Array, own: Int16Array | undefined, out: Int16Array): void {
    const n = acc.length;
    let saturated = 0;
    for (let i = 0; i < n; i++) {
      const v = own === undefined ? (acc[i] as number) : (acc[i] as number) - (own[i] as number);
      if (this.soft) {
        if (v > KNEE) {
          out[i] = Math.round(KNEE + HEADROOM * Math.tanh((v - KNEE) / HEADROOM));
          saturated++;
        } else if (v < -KNEE) {
          out[i] = Math.round(-KNEE - HEADROOM * Math.tanh((-v - KNEE) / HEADROOM));
          saturated++;
        } else {
          out[i] = v;
        }
      } else if (v > 32767) {
        out[i] = 32767;
        saturated++;
      } else if (v < -32768) {
        out[i] = -32768;
        saturated++;
      } else {
        out[i] = v;
      }
    }
    this.saturatedSamples += saturated;
  }
}
