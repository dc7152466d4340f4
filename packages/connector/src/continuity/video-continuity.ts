import type { Observable, SchedulerLike } from "rxjs";
import { ConnectorError } from "../errors.js";
import { PacedOutput } from "./paced-output.js";

/** VIDEO_REPEAT_MS is how long the last frame is repeated after the app stops: 2 s (Vonage). */
export const VIDEO_REPEAT_MS = 2000;

/** EPSILON_MS absorbs the rounding of a fractional period (1000/30 ms) in the repeat window. */
const EPSILON_MS = 1e-6;

/** VideoContinuityOptions configure a published video's pacing. */
export interface VideoContinuityOptions<F> {
  /** fps is the output rate, 1–30 frames per second. */
  readonly fps: number;
  /** black makes the black frame sent before the first frame and after the repeat period. */
  readonly black: () => F;
  /** repeatMs is how long the last frame repeats once frames stop coming (default 2000). */
  readonly repeatMs?: number;
  /** maxQueuedFrames bounds the queue of frames not yet sent; the oldest is dropped (default fps). */
  readonly maxQueuedFrames?: number;
  /** scheduler is the output clock (default `asyncScheduler`). */
  readonly scheduler?: SchedulerLike;
}

/** VideoTickKind says what one output tick sent: a new frame, the last one again, or black. */
export type VideoTickKind = "frame" | "repeat" | "black";

/** VideoTick is one output frame: what, which frame, and when on the output clock. */
export interface VideoTick<F> {
  readonly kind: VideoTickKind;
  readonly frame: F;
  /** atMs is the tick's time on the scheduler's clock (on the fps grid). */
  readonly atMs: number;
}

/** VideoContinuityStats count what the pacer took and sent. */
export interface VideoContinuityStats {
  readonly added: number;
  readonly sent: number;
  readonly repeated: number;
  readonly black: number;
  /** dropped are frames dropped oldest-first from a full queue. */
  readonly dropped: number;
  readonly queued: number;
  /** queuedDurationMs is the queue's length at the output rate. */
  readonly queuedDurationMs: number;
}

/**
 * VideoContinuity paces a published video as the Vonage connector does: one frame per tick at
 * `fps`; black frames from `start()` until the first `add()`; when frames stop, the last frame is
 * repeated on the ticks less than `repeatMs` (2 s) after it was first sent, black from then on.
 * Frames added faster than `fps` wait in a bounded queue (oldest dropped, counted). `drained$`
 * fires on the first tick that finds the queue empty (an underrun), once: not again until a frame
 * has been added and a tick has found the queue empty again.
 */
export class VideoContinuity<F> extends PacedOutput<VideoTick<F>> {
  private readonly repeatMs: number;
  private readonly maxQueued: number;
  private readonly queue: F[] = [];
  private last: { frame: F; sentAtMs: number } | undefined;
  private blackFrame: F | undefined;
  private counts = { added: 0, sent: 0, repeated: 0, black: 0, dropped: 0 };

  /** frames$ emits every output tick; completes on `close()`. */
  readonly frames$: Observable<VideoTick<F>> = this.output$;

  constructor(private readonly options: VideoContinuityOptions<F>) {
    const { fps } = options;
    if (!Number.isInteger(fps) || fps < 1 || fps > 30)
      throw new ConnectorError("BAD_OPTION", `fps must be an integer in 1..30, got ${fps}`);
    super(1000 / fps, options.scheduler);
    this.repeatMs = options.repeatMs ?? VIDEO_REPEAT_MS;
    if (!Number.isFinite(this.repeatMs) || this.repeatMs < 0)
      throw new ConnectorError("BAD_OPTION", `repeatMs must be ≥ 0, got ${this.repeatMs}`);
    this.maxQueued = options.maxQueuedFrames ?? fps;
    if (!Number.isInteger(this.maxQueued) || this.maxQueued < 1)
      throw new ConnectorError(
        "BAD_OPTION",
        `maxQueuedFrames must be an integer ≥ 1, got ${this.maxQueued}`,
      );
  }

  /** add queues a frame for the next free tick (the Vonage `addVideo`); ignored after `close()`. */
  add(frame: F): void {
    if (this.closed) return;
    this.counts.added++;
    if (this.queue.length >= this.maxQueued) {
      this.queue.shift();
      this.counts.dropped++;
    }
    this.queue.push(frame);
    this.arm();
  }

  /** clear empties the queue (the Vonage `clearMediaBuffers`); cleared frames count as dropped. */
  clear(): void {
    this.counts.dropped += this.queue.length;
    this.queue.length = 0;
  }

  /** stats reads the counters and the queue. */
  stats(): VideoContinuityStats {
    return {
      ...this.counts,
      queued: this.queue.length,
      queuedDurationMs: this.queue.length * this.periodMs,
    };
  }

  protected release(): void {
    this.queue.length = 0;
  }

  protected tick(atMs: number): void {
    const next = this.queue.shift();
    if (next !== undefined) {
      this.last = { frame: next, sentAtMs: atMs };
      this.counts.sent++;
      this.emit({ kind: "frame", frame: next, atMs });
      return;
    }
    // an underrun: nothing new to send on this tick
    this.underrun();
    if (this.last !== undefined && atMs - this.last.sentAtMs < this.repeatMs - EPSILON_MS) {
      this.counts.repeated++;
      this.emit({ kind: "repeat", frame: this.last.frame, atMs });
      return;
    }
    this.last = undefined;
    this.blackFrame ??= this.options.black();
    this.counts.black++;
    this.emit({ kind: "black", frame: this.blackFrame, atMs });
  }
}
