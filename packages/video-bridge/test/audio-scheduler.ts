import { type SchedulerAction, type SchedulerLike, Subscription } from "rxjs";

class TestAction<T> extends Subscription implements SchedulerAction<T> {
  at = 0;
  seq = 0;
  queued = false;

  constructor(
    private readonly owner: AudioTestScheduler,
    private readonly work: (this: SchedulerAction<T>, state?: T) => void,
    public state: T | undefined,
  ) {
    super();
    this.add(() => owner.dequeue(this));
  }

  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this;
    this.state = state;
    this.owner.enqueue(this, delay);
    return this;
  }

  run(): void {
    this.work.call(this, this.state);
  }
}

/**
 * AudioTestScheduler is virtual time for the audio tests: `advance(ms)` runs what falls due in time
 * order (rescheduling keeps one subscription, as rxjs's AsyncAction does); `stall(ms)` moves the
 * clock without running anything, so overdue work runs late, as after a blocked event loop.
 */
export class AudioTestScheduler implements SchedulerLike {
  private time = 0;
  private seq = 0;
  private readonly queue = new Set<TestAction<unknown>>();

  now(): number {
    return this.time;
  }

  schedule<T>(
    work: (this: SchedulerAction<T>, state?: T) => void,
    delay = 0,
    state?: T,
  ): Subscription {
    const action = new TestAction<T>(this, work, state);
    this.enqueue(action, delay);
    return action;
  }

  /** enqueue (internal) queues an action `delay` ms from now. */
  enqueue<T>(action: TestAction<T>, delay: number): void {
    action.at = this.time + Math.max(0, delay);
    action.seq = this.seq++;
    this.queue.add(action as TestAction<unknown>);
  }

  /** dequeue (internal) forgets an action. */
  dequeue<T>(action: TestAction<T>): void {
    this.queue.delete(action as TestAction<unknown>);
  }

  /** pending is how many actions are queued. */
  get pending(): number {
    return this.queue.size;
  }

  /** advance runs every action due within the next `ms` (late ones at once) and ends at now + ms. */
  advance(ms: number): void {
    const target = this.time + ms;
    for (let guard = 0; guard < 10_000_000; guard++) {
      let next: TestAction<unknown> | undefined;
      for (const a of this.queue) {
        if (
          a.at <= target &&
          (next === undefined || a.at < next.at || (a.at === next.at && a.seq < next.seq))
        ) {
          next = a;
        }
      }
      if (next === undefined) break;
      this.queue.delete(next);
      this.time = Math.max(this.time, next.at);
      next.run();
    }
    this.time = target;
  }

  /** stall moves the clock by `ms` without running anything. */
  stall(ms: number): void {
    this.time += ms;
  }
}
