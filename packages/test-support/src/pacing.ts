// paced: steps on a fixed real-time clock, bounded by a deadline.
import { sleep } from "./waiting.js";

/** Paced is how a paced run went. */
export interface Paced {
  /** steps is the number of steps run. */
  readonly steps: number;
  readonly durationMs: number;
  /** maxLateMs is the largest delay of a step behind its schedule (timer jitter). */
  readonly maxLateMs: number;
}

/**
 * paced calls step(i) at t0 + i·intervalMs for i in [0, count) without drift (each wait comes
 * from the schedule, not from the previous step); a step that returns (or resolves to) `false`
 * ends the run, and an asynchronous step is awaited before the next wait.
 * Throws once `deadlineMs` has passed, so it is bounded and never ends short silently.
 */
export async function paced(
  count: number,
  intervalMs: number,
  deadlineMs: number,
  step: (i: number) => unknown,
): Promise<Paced> {
  const t0 = performance.now();
  let maxLateMs = 0;
  let steps = 0;
  for (let i = 0; i < count; i++) {
    const due = t0 + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const now = performance.now();
    if (now - t0 > deadlineMs) throw new Error(`paced: past ${deadlineMs} ms at step ${i}`);
    maxLateMs = Math.max(maxLateMs, now - due);
    steps++;
    if ((await step(i)) === false) break;
  }
  return { steps, durationMs: performance.now() - t0, maxLateMs };
}
