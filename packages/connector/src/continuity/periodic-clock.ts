import type { SchedulerAction, SchedulerLike, Subscription } from "rxjs";

/**
 * startPeriodicClock calls `tick(atMs, index)` every `periodMs` on `scheduler`, the n-th call due
 * at `start + n * periodMs` (no drift however late a call runs: a late tick is not repeated, the
 * next one is due on the grid). The first tick is at `start + periodMs`. Unsubscribe to stop.
 */
export function startPeriodicClock(
  scheduler: SchedulerLike,
  periodMs: number,
  tick: (atMs: number, index: number) => void,
): Subscription {
  const start = scheduler.now();
  let index = 1;
  return scheduler.schedule(function run(this: SchedulerAction<undefined>) {
    const now = scheduler.now();
    // skip grid points that passed while we were late, keep the phase
    const due = start + index * periodMs;
    tick(due, index);
    index = Math.max(index + 1, Math.floor((now - start) / periodMs) + 1);
    this.schedule(undefined, Math.max(0, start + index * periodMs - scheduler.now()));
  }, periodMs);
}
