/** SourceQueueOverflow says what `SourceQueue.push` dropped to stay within its bound. */
export interface SourceQueueOverflow {
  /** dropped counts the frames dropped, the pushed one included when `broken`. */
  readonly dropped: number;
  /**
   * broken: the dropped chain reached the end of the queue and the pushed frame is a delta that
   * depends on it, so it was dropped too; the source's deltas must be dropped until a keyframe.
   */
  readonly broken: boolean;
}

const NO_OVERFLOW: SourceQueueOverflow = Object.freeze({ dropped: 0, broken: false });

/**
 * SourceQueueSink is what a queue hands its frames to: the video bridge, for the source `P`
 * whose queue it is.
 */
export interface SourceQueueSink<P, F> {
  /** live: the source is still bridged (the queue of a source that left is cleared). */
  live(source: P): boolean;
  /** decides: a hook that decides applies now, so the next frame goes through `runHooks`. */
  decides(source: P): boolean;
  /** deliver forwards one frame now (the fast path). */
  deliver(source: P, frame: F): void;
  /** runHooks runs the hooks for one frame and forwards it, or not, as they decide. */
  runHooks(source: P, frame: F): Promise<void>;
}

/**
 * SourceQueue holds one source's video frames, in order, while BEFORE_BRIDGE_VIDEO hooks decide
 * on them one run at a time, so the source's order is kept (a frame arriving while older ones
 * wait goes behind them, even if the hooks are gone meanwhile). It holds at most `max` frames;
 * when full, the oldest delta goes with the deltas that depend on it up to the next queued
 * keyframe (a keyframe goes only when the queue holds nothing but keyframes), so what is left
 * still decodes.
 */
export class SourceQueue<F extends { readonly keyframe: boolean }> {
  /** max is the most frames the queue holds. */
  readonly max: number;
  private readonly frames: F[] = [];
  /** pumping: a frame taken from the queue is being delivered or waits for its hook run. */
  private pumping = false;

  constructor(max: number) {
    this.max = max;
  }

  /** length is the number of frames queued. */
  get length(): number {
    return this.frames.length;
  }

  /** push queues `frame` (unless the overflow says `broken`) and says what the bound dropped. */
  push(frame: F): SourceQueueOverflow {
    const q = this.frames;
    if (q.length < this.max) {
      q.push(frame);
      return NO_OVERFLOW;
    }
    const first = q.findIndex((f) => !f.keyframe);
    if (first < 0) {
      q.shift();
      q.push(frame);
      return { dropped: 1, broken: false };
    }
    let end = first + 1;
    while (end < q.length && !q[end]!.keyframe) end++;
    const chainReachesEnd = end === q.length;
    q.splice(first, end - first);
    if (chainReachesEnd && !frame.keyframe) return { dropped: end - first + 1, broken: true };
    q.push(frame);
    return { dropped: end - first, broken: false };
  }

  /**
   * pump hands the queued frames of `source` to `sink` in order: synchronously while no hook
   * decides, else one through `runHooks`, after which pumping goes on. A call while a frame is
   * under way (a re-entrant forward, a frame waiting for hooks) only queues.
   */
  pump<P>(source: P, sink: SourceQueueSink<P, F>): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.frames.length > 0) {
        if (!sink.live(source)) {
          this.clear();
          break;
        }
        const frame = this.frames.shift()!;
        if (sink.decides(source)) {
          void this.throughHooks(source, sink, frame);
          return;
        }
        sink.deliver(source, frame);
      }
    } catch {
      // the sink catches every user callback; this guards the pumping flag only.
    }
    this.pumping = false;
  }

  /** clear drops every queued frame (the source left). */
  clear(): void {
    this.frames.length = 0;
  }

  private async throughHooks<P>(source: P, sink: SourceQueueSink<P, F>, frame: F): Promise<void> {
    try {
      await sink.runHooks(source, frame);
    } catch {
      // see pump
    }
    this.pumping = false;
    this.pump(source, sink);
  }
}
