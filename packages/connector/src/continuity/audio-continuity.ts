import type { Observable, SchedulerLike } from "rxjs";
import { ConnectorError } from "../errors.js";
import { PacedOutput } from "./paced-output.js";

/** AUDIO_SAMPLE_RATES are the rates the Vonage connector accepts (Hz). */
export const AUDIO_SAMPLE_RATES: readonly number[] = Object.freeze([
  8000, 12000, 16000, 24000, 32000, 44100, 48000,
]);

/** DEFAULT_SILENCE_TOLERANCE_MS is how long a gap is bridged by sending nothing: 100 ms (ours). */
export const DEFAULT_SILENCE_TOLERANCE_MS = 100;

/** AudioContinuityOptions configure a published audio's pacing. */
export interface AudioContinuityOptions {
  /** sampleRate is one of `AUDIO_SAMPLE_RATES`. */
  readonly sampleRate: number;
  /** channels is 1 or 2; samples are interleaved 16-bit. */
  readonly channels: number;
  /** periodMs is the output period, 10 or 20 ms (default 20). */
  readonly periodMs?: number;
  /** silenceToleranceMs: a gap shorter than this sends nothing; after it, explicit silence (default 100). */
  readonly silenceToleranceMs?: number;
  /** leadingSilence sends silence from `start()` until the first samples (default true, Vonage). */
  readonly leadingSilence?: boolean;
  /** trailingSilence sends explicit silence once a gap outlasts the tolerance (default true, Vonage). */
  readonly trailingSilence?: boolean;
  /** maxQueuedMs bounds the queue; `add` drops the oldest samples, `write` waits (default 1000). */
  readonly maxQueuedMs?: number;
  /** scheduler is the output clock (default `asyncScheduler`). */
  readonly scheduler?: SchedulerLike;
}

/** AudioPeriodKind says what one period holds: app samples, app samples padded, or silence. */
export type AudioPeriodKind = "audio" | "padded" | "silence";

/** AudioPeriod is one output period: interleaved 16-bit samples, `periodMs` long. */
export interface AudioPeriod {
  readonly kind: AudioPeriodKind;
  readonly samples: Int16Array;
  /** atMs is the period's time on the scheduler's clock. */
  readonly atMs: number;
}

/** AudioContinuityStats count what the pacer took, sent and dropped, in samples per channel. */
export interface AudioContinuityStats {
  readonly addedSamples: number;
  readonly sentPeriods: number;
  readonly paddedPeriods: number;
  readonly silencePeriods: number;
  /** gapPeriods are periods in which nothing was sent (a gap inside the tolerance). */
  readonly gapPeriods: number;
  /** droppedSamples were dropped oldest-first by `add` on a full queue, or by `clear`. */
  readonly droppedSamples: number;
  readonly queuedSamples: number;
  readonly queuedDurationMs: number;
}

interface Writer {
  readonly samples: Int16Array;
  readonly resolve: () => void;
}

/**
 * AudioContinuity paces a published audio as the Vonage connector does, one period per tick:
 * silence from `start()` until the first samples; full periods while samples last; when less than
 * a period is queued, nothing at all is sent for up to `silenceToleranceMs` (a short gap: uneven
 * chunks from the app catch up without a click), then what is left of a partial period is flushed
 * padded with silence, then explicit silence. `drained$` fires on the first period that finds the queue empty
 * after samples were added (once per underrun). Two ways in: `add` (Vonage `addAudio`: never
 * waits, drops the oldest samples past `maxQueuedMs`, counted) and `write` (LiveKit
 * `captureFrame`: resolves once its samples are in a queue at or under `maxQueuedMs`, writers in
 * call order). `whenPlayedOut()` resolves when everything queued has been sent.
 */
export class AudioContinuity extends PacedOutput<AudioPeriod> {
  private readonly periodSamples: number;
  private readonly maxQueued: number;
  private readonly toleranceMs: number;
  private readonly leadingSilence: boolean;
  private readonly trailingSilence: boolean;
  private readonly channels: number;
  private chunks: Int16Array[] = [];
  private queued = 0;
  private writers: Writer[] = [];
  private playoutWaiters: Array<() => void> = [];
  private hadData = false;
  private gapStartMs: number | undefined;
  private counts = {
    addedSamples: 0,
    sentPeriods: 0,
    paddedPeriods: 0,
    silencePeriods: 0,
    gapPeriods: 0,
    droppedSamples: 0,
  };

  /** periods$ emits every period sent; completes on `close()`. */
  readonly periods$: Observable<AudioPeriod> = this.output$;

  constructor(options: AudioContinuityOptions) {
    const { sampleRate, channels } = options;
    if (!AUDIO_SAMPLE_RATES.includes(sampleRate))
      throw new ConnectorError(
        "BAD_OPTION",
        `sampleRate must be one of ${AUDIO_SAMPLE_RATES.join(", ")}, got ${sampleRate}`,
      );
    if (channels !== 1 && channels !== 2)
      throw new ConnectorError("BAD_OPTION", `channels must be 1 or 2, got ${channels}`);
    const periodMs = options.periodMs ?? 20;
    if (periodMs !== 10 && periodMs !== 20)
      throw new ConnectorError("BAD_OPTION", `periodMs must be 10 or 20, got ${periodMs}`);
    super(periodMs, options.scheduler);
    this.toleranceMs = options.silenceToleranceMs ?? DEFAULT_SILENCE_TOLERANCE_MS;
    if (!(this.toleranceMs >= 0))
      throw new ConnectorError(
        "BAD_OPTION",
        `silenceToleranceMs must be ≥ 0, got ${this.toleranceMs}`,
      );
    const maxQueuedMs = options.maxQueuedMs ?? 1000;
    if (!Number.isFinite(maxQueuedMs) || maxQueuedMs < this.periodMs)
      throw new ConnectorError("BAD_OPTION", `maxQueuedMs must be ≥ periodMs, got ${maxQueuedMs}`);
    this.channels = channels;
    this.periodSamples = (sampleRate * this.periodMs) / 1000;
    this.maxQueued = Math.floor((sampleRate * maxQueuedMs) / 1000);
    this.leadingSilence = options.leadingSilence ?? true;
    this.trailingSilence = options.trailingSilence ?? true;
    this.sampleRate = sampleRate;
  }

  private readonly sampleRate: number;

  /** add queues interleaved samples now, dropping the oldest past `maxQueuedMs` (Vonage `addAudio`). */
  add(samples: Int16Array): void {
    this.check(samples);
    if (this.closed) return;
    this.enqueue(samples);
    const over = this.queued - this.maxQueued;
    if (over > 0) this.dropOldest(over);
  }

  /**
   * write queues samples once the queue has room for them (at or under `maxQueuedMs` after they
   * are in; an empty queue takes any size), in call order; resolves when they are queued, or
   * without queueing them on `clear()` / `close()`.
   */
  write(samples: Int16Array): Promise<void> {
    this.check(samples);
    if (this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.writers.push({ samples, resolve });
      this.admitWriters();
    });
  }

  /** whenPlayedOut resolves once every queued sample has been sent (or on clear/close). */
  whenPlayedOut(): Promise<void> {
    if (this.queued === 0 && this.writers.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.playoutWaiters.push(resolve));
  }

  /** clear drops the queue (counted) and releases pending writers and playout waiters. */
  clear(): void {
    this.counts.droppedSamples += this.queued / this.channels;
    this.chunks = [];
    this.queued = 0;
    this.releaseAll();
  }

  /** stats reads the counters and the queue (samples per channel). */
  stats(): AudioContinuityStats {
    const perChannel = this.queued / this.channels;
    return {
      ...this.counts,
      queuedSamples: perChannel,
      queuedDurationMs: (perChannel * 1000) / this.sampleRate,
    };
  }

  protected release(): void {
    this.chunks = [];
    this.queued = 0;
    this.releaseAll();
  }

  private check(samples: Int16Array): void {
    if (!(samples instanceof Int16Array))
      throw new ConnectorError(
        "BAD_OPTION",
        "samples must be an Int16Array (interleaved 16-bit PCM)",
      );
    if (samples.length % this.channels !== 0)
      throw new ConnectorError(
        "BAD_OPTION",
        `samples must hold whole frames of ${this.channels} channels, got ${samples.length} values`,
      );
  }

  private enqueue(samples: Int16Array): void {
    if (samples.length === 0) return;
    this.chunks.push(samples.slice());
    this.queued += samples.length;
    this.counts.addedSamples += samples.length / this.channels;
    this.hadData = true;
    this.arm();
  }

  private dropOldest(values: number): void {
    let left = values - (values % this.channels);
    while (left > 0 && this.chunks.length > 0) {
      const head = this.chunks[0]!;
      if (head.length <= left) {
        this.chunks.shift();
        left -= head.length;
        this.queued -= head.length;
        this.counts.droppedSamples += head.length / this.channels;
      } else {
        this.chunks[0] = head.subarray(left);
        this.queued -= left;
        this.counts.droppedSamples += left / this.channels;
        left = 0;
      }
    }
  }

  private take(values: number): Int16Array {
    const out = new Int16Array(this.periodSamples * this.channels);
    let at = 0;
    while (at < values) {
      const head = this.chunks[0]!;
      const n = Math.min(head.length, values - at);
      out.set(head.subarray(0, n), at);
      at += n;
      if (n === head.length) this.chunks.shift();
      else this.chunks[0] = head.subarray(n);
    }
    this.queued -= values;
    return out;
  }

  private admitWriters(): void {
    while (this.writers.length > 0) {
      const w = this.writers[0]!;
      if (this.queued > 0 && this.queued + w.samples.length > this.maxQueued) return;
      this.writers.shift();
      this.enqueue(w.samples);
      w.resolve();
    }
  }

  private releaseAll(): void {
    const writers = this.writers;
    const waiters = this.playoutWaiters;
    this.writers = [];
    this.playoutWaiters = [];
    for (const w of writers) w.resolve();
    for (const resolve of waiters) resolve();
  }

  private send(kind: AudioPeriodKind, samples: Int16Array, atMs: number): void {
    if (kind === "silence") this.counts.silencePeriods++;
    else if (kind === "padded") this.counts.paddedPeriods++;
    else this.counts.sentPeriods++;
    this.emit({ kind, samples, atMs });
  }

  protected tick(atMs: number): void {
    const need = this.periodSamples * this.channels;
    if (this.queued >= need) {
      this.gapStartMs = undefined;
      this.send("audio", this.take(need), atMs);
    } else if (!this.hadData) {
      if (this.leadingSilence) this.send("silence", new Int16Array(need), atMs);
    } else {
      // less than a period left: a gap (an underrun, maybe the app's chunks are just uneven)
      if (this.queued === 0) this.underrun();
      this.gapStartMs ??= atMs;
      if (atMs - this.gapStartMs < this.toleranceMs) this.counts.gapPeriods++;
      else if (this.queued > 0) this.send("padded", this.take(this.queued), atMs);
      else if (this.trailingSilence) this.send("silence", new Int16Array(need), atMs);
    }
    this.admitWriters();
    if (this.queued === 0 && this.writers.length === 0 && this.playoutWaiters.length > 0) {
      const waiters = this.playoutWaiters;
      this.playoutWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
