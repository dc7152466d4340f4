/**
 * KeyframeRequestLimiter lets keyframe requests to one source through at most once per
 * `minIntervalMs`: joins, switches, relayed PLI/FIR and retries all share it, so a source is
 * never asked more often than that whatever the number of receivers.
 */
export class KeyframeRequestLimiter {
  /** minIntervalMs is the least time between two requests let through. */
  readonly minIntervalMs: number;
  private last = Number.NEGATIVE_INFINITY;

  constructor(minIntervalMs: number) {
    this.minIntervalMs = minIntervalMs;
  }

  /** tryAcquire returns true (and records `nowMs`) when a request may be sent now. */
  tryAcquire(nowMs: number): boolean {
    if (nowMs - this.last < this.minIntervalMs) return false;
    this.last = nowMs;
    return true;
  }

  /** lastRequestMs is when the last request was let through (-Infinity before the first). */
  get lastRequestMs(): number {
    return this.last;
  }
}
