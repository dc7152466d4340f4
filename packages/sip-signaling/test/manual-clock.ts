/** ManualClock is virtual time for the SIP layer's own timers: `advance(ms)` runs what falls due. */
import type { SipTimerHandle, SipTimers } from "../src/sip/timers.js";

interface Task {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
}

/** ManualClock implements {@link SipTimers}; nothing runs until {@link ManualClock.advance}. */
export class ManualClock implements SipTimers {
  private time = 0;
  private seq = 0;
  private readonly tasks = new Map<number, Task>();

  setTimeout(callback: () => void, ms: number): SipTimerHandle {
    const seq = this.seq++;
    this.tasks.set(seq, { at: this.time + Math.max(0, ms), seq, run: callback });
    return seq;
  }

  clearTimeout(handle: SipTimerHandle): void {
    if (typeof handle === "number") this.tasks.delete(handle);
  }

  now(): number {
    return this.time;
  }

  /** pending is the number of scheduled timers. */
  get pending(): number {
    return this.tasks.size;
  }

  /** advance moves the clock by `ms`, running due timers in time order (bounded). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (let guard = 0; guard < 100_000; guard++) {
      let next: Task | undefined;
      for (const task of this.tasks.values()) {
        if (
          task.at <= end &&
          (next === undefined || task.at < next.at || (task.at === next.at && task.seq < next.seq))
        ) {
          next = task;
        }
      }
      if (next === undefined) break;
      this.tasks.delete(next.seq);
      this.time = next.at;
      next.run();
    }
    this.time = end;
  }
}
