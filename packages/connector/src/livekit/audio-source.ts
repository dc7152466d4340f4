import type { Observable, SchedulerLike } from "rxjs";
import { AudioContinuity, type AudioPeriod } from "../continuity/audio-continuity.js";
import { ConnectorError } from "../errors.js";
import type { AudioFrame } from "./audio-frame.js";

/** AudioSourceOptions are ours, after LiveKit's three positional arguments. */
export interface AudioSourceOptions {
  /** scheduler is the output clock (default `asyncScheduler`). */
  readonly scheduler?: SchedulerLike;
  /** periodMs is the output period, 10 or 20 ms (default 10, as LiveKit's native source). */
  readonly periodMs?: number;
}

/**
 * AudioSource is LiveKit's `AudioSource(sampleRate, numChannels, queueSize = 1000)` with its
 * contract kept exactly where LiveKit users get hurt: `captureFrame` resolves once the frame is in
 * a queue at or under `queueSize` ms, and concurrent callers queue in call order (never the
 * "failed to capture frame" error); `waitForPlayout()` resolves when the last queued sample has
 * been sent on the output clock; `clearQueue()` drops the queue and releases every waiter;
 * `queuedDuration` (ms) is read from the real queue. Nothing is sent while nothing is queued (no
 * silence: that is the Vonage-style publisher's rule); a partial period left at the end is sent
 * padded with silence after one period.
 */
export class AudioSource {
  readonly sampleRate: number;
  readonly numChannels: number;
  readonly queueSize: number;
  #closed = false;
  readonly #pacer: AudioContinuity;

  /** periods$ is what the source sends, period by period (the participant core publishes it). */
  readonly periods$: Observable<AudioPeriod>;

  constructor(
    sampleRate: number,
    numChannels: number,
    queueSize = 1000,
    options: AudioSourceOptions = {},
  ) {
    this.#pacer = new AudioContinuity({
      sampleRate,
      channels: numChannels,
      periodMs: options.periodMs ?? 10,
      maxQueuedMs: queueSize,
      leadingSilence: false,
      trailingSilence: false,
      silenceToleranceMs: options.periodMs ?? 10,
      ...(options.scheduler === undefined ? {} : { scheduler: options.scheduler }),
    });
    this.sampleRate = sampleRate;
    this.numChannels = numChannels;
    this.queueSize = queueSize;
    this.periods$ = this.#pacer.periods$;
    this.#pacer.start();
  }

  /** closed is true once `close()` was called (LiveKit's `closed`). */
  get closed(): boolean {
    return this.#closed;
  }

  /** queuedDuration is the audio queued and not yet sent, in ms. */
  get queuedDuration(): number {
    return this.#pacer.stats().queuedDurationMs;
  }

  /** captureFrame queues `frame` (its format must be the source's); see the class for when it resolves. */
  captureFrame(frame: AudioFrame): Promise<void> {
    if (this.#closed)
      return Promise.reject(new ConnectorError("INVALID_STATE", "the AudioSource is closed"));
    if (frame.sampleRate !== this.sampleRate || frame.channels !== this.numChannels)
      return Promise.reject(
        new ConnectorError(
          "BAD_OPTION",
          `captureFrame: a ${frame.sampleRate} Hz × ${frame.channels} frame into a ${this.sampleRate} Hz × ${this.numChannels} source`,
        ),
      );
    return this.#pacer.write(frame.data);
  }

  /** waitForPlayout resolves once every captured sample has been sent (or on clear/close). */
  waitForPlayout(): Promise<void> {
    return this.#pacer.whenPlayedOut();
  }

  /** clearQueue drops what is queued and releases pending captures and playout waiters. */
  clearQueue(): void {
    this.#pacer.clear();
  }

  /** close stops the source, releasing every waiter; idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#pacer.close();
  }
}
