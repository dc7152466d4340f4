import type { Observable, SchedulerLike, Subscription } from "rxjs";
import { ConnectorError } from "../errors.js";
import { PcmConverter } from "./pcm-converter.js";
import { type PcmFrame, pcmFrame } from "./pcm-frame.js";
import { PullQueue } from "./pull-queue.js";
import type { StreamEndReason } from "./stream-end-reason.js";

/** DEFAULT_AUDIO_CAPACITY_MS is an audio stream's queue, in ms, unless told otherwise. */
export const DEFAULT_AUDIO_CAPACITY_MS = 500;

/** AudioStreamOptions configure one subscribed audio stream (a participant's, or the mix). */
export interface AudioStreamOptions {
  /** sampleRate delivered; default 48000. */
  readonly sampleRate?: number;
  /** channels delivered (1 or 2); default 1. */
  readonly channels?: number;
  /** frameSizeMs is the length of each delivered frame; default 20. */
  readonly frameSizeMs?: number;
  /** capacityMs bounds the queue the consumer pulls from; the oldest frames go first; default 500. */
  readonly capacityMs?: number;
}

/** AudioInput is one run of mono PCM a stream takes in (a participant's frame, or a mix tick). */
export interface AudioInput {
  readonly pcm: Int16Array;
  readonly sampleRate: number;
  readonly rtpTimestamp?: number;
}

/** AudioFrameEvent is one delivered frame of PCM and when it was taken in (scheduler clock). */
export interface AudioFrameEvent {
  readonly frame: PcmFrame;
  readonly receivedAtMs: number;
  /** rtpTimestamp of the input frame that completed this one (participants' streams). */
  readonly rtpTimestamp: number | undefined;
}

/** AudioStreamStats are one audio stream's counters (frames are `frameSizeMs` long). */
export interface AudioStreamStats {
  readonly received: number;
  readonly delivered: number;
  readonly dropped: number;
  readonly queued: number;
  readonly queuedMs: number;
}

/** AudioTrackStreamParts are what a participant gives the audio stream it opens. */
export interface AudioTrackStreamParts {
  readonly input$: Observable<AudioInput>;
  readonly scheduler: SchedulerLike;
  readonly endReason: () => StreamEndReason;
}

/**
 * AudioTrackStream is one participant's audio (or the room's mix) as PCM frames of
 * `frameSizeMs`, converted to the asked rate and channels, pulled by its consumer. Its queue holds
 * at most `capacityMs`; a full queue drops its oldest frame (counted). It ends with a
 * `StreamEndReason` on every path; `close()` ends it as `unsubscribed`.
 */
export class AudioTrackStream implements AsyncIterable<AudioFrameEvent> {
  readonly sampleRate: number;
  readonly channels: number;
  readonly frameSizeMs: number;
  readonly #queue: PullQueue<AudioFrameEvent>;
  readonly #parts: AudioTrackStreamParts;
  readonly #subscription: Subscription;
  readonly #converters = new Map<number, PcmConverter>();
  readonly #frameSamples: number;
  #acc: Int16Array;
  #accLen = 0;
  #received = 0;

  constructor(parts: AudioTrackStreamParts, options: AudioStreamOptions = {}) {
    const sampleRate = options.sampleRate ?? 48000;
    const channels = options.channels ?? 1;
    const frameSizeMs = options.frameSizeMs ?? 20;
    const capacityMs = options.capacityMs ?? DEFAULT_AUDIO_CAPACITY_MS;
    if (!Number.isInteger(sampleRate) || sampleRate < 8000 || sampleRate > 48000)
      throw new ConnectorError(
        "BAD_OPTION",
        `sampleRate must be in 8000..48000, got ${sampleRate}`,
      );
    if (channels !== 1 && channels !== 2)
      throw new ConnectorError("BAD_OPTION", `channels must be 1 or 2, got ${channels}`);
    const frameSamples = (sampleRate * frameSizeMs) / 1000;
    if (!Number.isInteger(frameSamples) || frameSizeMs < 5 || frameSizeMs > 100)
      throw new ConnectorError(
        "BAD_OPTION",
        `frameSizeMs must be 5..100 and a whole number of samples at ${sampleRate} Hz, got ${frameSizeMs}`,
      );
    if (!(capacityMs >= frameSizeMs))
      throw new ConnectorError("BAD_OPTION", `capacityMs must be ≥ frameSizeMs, got ${capacityMs}`);
    this.sampleRate = sampleRate;
    this.channels = channels;
    this.frameSizeMs = frameSizeMs;
    this.#frameSamples = frameSamples * channels;
    this.#acc = new Int16Array(this.#frameSamples);
    this.#queue = new PullQueue(Math.floor(capacityMs / frameSizeMs));
    this.#parts = parts;
    this.#subscription = parts.input$.subscribe({
      next: (input) => this.#take(input),
      complete: () => this.#end(parts.endReason()),
      error: () => this.#end(parts.endReason()),
    });
  }

  /** ended resolves with the reason once the stream has ended. */
  get ended(): Promise<StreamEndReason> {
    return this.#queue.ended;
  }

  /** endReason is why the stream ended, or undefined while it runs. */
  get endReason(): StreamEndReason | undefined {
    return this.#queue.endReason;
  }

  stats(): AudioStreamStats {
    const queued = this.#queue.size;
    return {
      received: this.#received,
      delivered: this.#delivered,
      dropped: this.#queue.dropped,
      queued,
      queuedMs: queued * this.frameSizeMs,
    };
  }

  #delivered = 0;

  /** next resolves the next frame, or `{ done: true, value: reason }` once ended and read out. */
  async next(): Promise<IteratorResult<AudioFrameEvent, StreamEndReason>> {
    const item = await this.#queue.next();
    if (item === undefined) {
      this.#release();
      return { done: true, value: this.#queue.endReason ?? "closed" };
    }
    this.#delivered++;
    return { done: false, value: item };
  }

  async return(): Promise<IteratorResult<AudioFrameEvent, StreamEndReason>> {
    await this.close();
    return { done: true, value: this.#queue.endReason ?? "unsubscribed" };
  }

  [Symbol.asyncIterator](): AsyncIterator<AudioFrameEvent, StreamEndReason> {
    return this;
  }

  /** close ends the stream as `unsubscribed` (unless it had ended) and drops what is queued. */
  async close(): Promise<void> {
    this.#end("unsubscribed");
    this.#queue.clear();
    this.#release();
  }

  #take(input: AudioInput): void {
    if (this.#queue.endReason !== undefined) return;
    this.#received++;
    let conv = this.#converters.get(input.sampleRate);
    if (conv === undefined) {
      conv = new PcmConverter(
        { sampleRate: input.sampleRate, channels: 1 },
        { sampleRate: this.sampleRate, channels: this.channels },
      );
      this.#converters.set(input.sampleRate, conv);
    }
    const out = conv.convert(input.pcm);
    const now = this.#parts.scheduler.now();
    let i = 0;
    while (i < out.length) {
      const n = Math.min(out.length - i, this.#frameSamples - this.#accLen);
      this.#acc.set(out.subarray(i, i + n), this.#accLen);
      this.#accLen += n;
      i += n;
      if (this.#accLen === this.#frameSamples) {
        this.#queue.push({
          frame: pcmFrame(this.#acc, this.sampleRate, this.channels),
          receivedAtMs: now,
          rtpTimestamp: input.rtpTimestamp,
        });
        this.#acc = new Int16Array(this.#frameSamples);
        this.#accLen = 0;
      }
    }
  }

  #end(reason: StreamEndReason): void {
    if (this.#queue.endReason !== undefined) return;
    this.#subscription?.unsubscribe();
    this.#queue.end(reason);
  }

  #release(): void {
    for (const c of this.#converters.values()) c.close();
    this.#converters.clear();
  }
}
