/**
 * KeyframeGate is one target's gate on the deltas of its source `P`: closed until the target
 * got a keyframe of that source (deltas on their own do not decode), or until it has waited
 * `waitMs` (the bridge's `keyframeWaitMs`: 0 no gate, Infinity no bound) for one. The wait starts
 * at the first delta held back, measured on `clock` (the bridge's scheduler).
 */
export class KeyframeGate<P> {
  /** open: the target decoded a keyframe of its source (or waited long enough), so deltas pass. */
  open = false;
  /** keyless: the gate opened because the wait ran out; the deltas sent are counted until a keyframe. */
  keyless = false;
  private readonly waitMs: number;
  private readonly clock: { now(): number };
  private waitFor: P | undefined;
  private waitSince = 0;

  constructor(waitMs: number, clock: { now(): number }) {
    this.waitMs = waitMs;
    this.clock = clock;
  }

  /** close makes the target wait for a keyframe of its source again (a new wait). */
  close(): void {
    this.open = false;
    this.waitFor = undefined;
    this.keyless = false;
  }

  /** forget ends a wait for `source` (it left). */
  forget(source: P): void {
    if (this.waitFor === source) this.waitFor = undefined;
  }

  /**
   * waitRanOut tells whether the target has waited `waitMs` for a keyframe of `source` by now
   * (0: at once; Infinity: never). The first call for a source starts the wait.
   */
  waitRanOut(source: P): boolean {
    const wait = this.waitMs;
    if (wait === 0) return true;
    if (wait === Number.POSITIVE_INFINITY) return false;
    const now = this.clock.now();
    if (this.waitFor !== source) {
      this.waitFor = source;
      this.waitSince = now;
      return false;
    }
    return now - this.waitSince >= wait;
  }

  /** waitStart is when the wait for `source` began (now if none is under way). */
  waitStart(source: P): number {
    return this.waitFor === source ? this.waitSince : this.clock.now();
  }

  /** resumeWait puts back a wait for `source` begun at `sinceMs` (the delta that was to end it failed). */
  resumeWait(source: P, sinceMs: number): void {
    this.keyless = false;
    this.waitFor = source;
    this.waitSince = sinceMs;
  }

  /** openAfterWait opens the gate without a keyframe: the wait ran out and a delta went through. */
  openAfterWait(): void {
    this.open = true;
    this.waitFor = undefined;
  }

  /** keyframeSent records a keyframe sent to the target: it opens the gate when `decodable`. */
  keyframeSent(decodable: boolean): void {
    this.open = decodable;
    if (decodable) {
      this.waitFor = undefined;
      this.keyless = false;
    }
  }
}
