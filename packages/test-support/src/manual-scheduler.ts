// ManualScheduler: a SchedulerLike whose clock moves only when the test says so.
import { type SchedulerAction, type SchedulerLike, Subscription } from "rxjs";

interface Task {
  at: number;
  seq: number;
  run: () => void;
  sub: Subscription;
}

/** ManualScheduler is virtual time for tests: `advance(ms)` runs what falls due, in order. */
export class ManualScheduler implements SchedulerLike {
  private time: number;
  private seq = 0;
  private tasks: Task[] = [];

  /** @param start - the clock's first reading in ms (default 0; an epoch time where one matters). */
  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  schedule<T>(
    work: (this: SchedulerAction<T>, state?: T) => void,
    delay = 0,
    state?: T,
  ): Subscription {
    const sub = new Subscription(() => {
      this.tasks = this.tasks.filter((t) => t.sub !== sub);
    });
    this.enqueue(work, delay, state, sub);
    return sub;
  }

  /** enqueue adds a task; an action re-scheduling itself keeps its subscription, as rxjs's do. */
  private enqueue<T>(
    work: (this: SchedulerAction<T>, state?: T) => void,
    delay: number,
    state: T | undefined,
    sub: Subscription,
  ): void {
    const task: Task = { at: this.time + Math.max(0, delay), seq: this.seq++, sub, run: () => {} };
    const action = {
      schedule: (s?: T, d = 0) => {
        if (!sub.closed) this.enqueue(work, d, s, sub);
        return sub;
      },
      get closed() {
        return sub.closed;
      },
      unsubscribe: () => sub.unsubscribe(),
    } as unknown as SchedulerAction<T>;
    task.run = () => work.call(action, state);
    this.tasks.push(task);
  }

  /** advance moves the clock by `ms`, running every task that falls due (bounded: 1e6 tasks). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (let guard = 0; guard < 1_000_000; guard++) {
      let next: Task | undefined;
      for (const t of this.tasks) {
        if (
          t.at <= end &&
          (next === undefined || t.at < next.at || (t.at === next.at && t.seq < next.seq))
        )
          next = t;
      }
      if (next === undefined) break;
      this.tasks = this.tasks.filter((t) => t !== next);
      this.time = Math.max(this.time, next.at);
      next.run();
    }
    this.time = end;
  }

  /** stall moves the clock by `ms` without running anything: overdue tasks run late, at the next
   * `advance`, as after a blocked event loop. */
  stall(ms: number): void {
    this.time += ms;
  }

  /** pending is the number of scheduled tasks. */
  get pending(): number {
    return this.tasks.length;
  }
}
