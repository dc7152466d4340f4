/**
 * RateMeter measures events per second and bits per second over a sliding window, from times
 * the caller passes in (so it runs in virtual time). Memory is a fixed ring.
 */
export class RateMeter {
  private readonly times: Float64Array;
  private readonly sizes: Float64Array;
  private head = 0;
  private count = 0;
  private readonly windowMs: number;

  constructor(windowMs = 1000, capacity = 1024) {
    this.windowMs = windowMs;
    this.times = new Float64Array(capacity);
    this.sizes = new Float64Array(capacity);
  }

  /** record notes one event of `bytes` at `nowMs`. */
  record(nowMs: number, bytes: number): void {
    this.times[this.head] = nowMs;
    this.sizes[this.head] = bytes;
    this.head = (this.head + 1) % this.times.length;
    if (this.count < this.times.length) this.count++;
  }

  /** rate returns events/s and bits/s over the window ending at `nowMs`. */
  rate(nowMs: number): { perSecond: number; bitsPerSecond: number } {
    let n = 0;
    let bytes = 0;
    const cap = this.times.length;
    for (let k = 1; k <= this.count; k++) {
      const i = (this.head - k + cap) % cap;
      if (nowMs - this.times[i]! >= this.windowMs) break;
      n++;
      bytes += this.sizes[i]!;
    }
    const seconds = this.windowMs / 1000;
    return { perSecond: n / seconds, bitsPerSecond: (bytes * 8) / seconds };
  }
}
