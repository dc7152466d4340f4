/**
 * AudioHookQueue keeps one session's audio frames in order while BEFORE_BRIDGE_AUDIO hooks decide
 * on them. Unlike video frames, audio frames do not depend on each other, so the runs start at
 * once, side by side (a slow hook delays the stream once, not once per frame), and their
 * verdicts are applied in the order the frames arrived. At most `max` frames wait; `push` refuses
 * one more (the bridge drops it and counts it in `droppedQueue`).
 */
export class AudioHookQueue<V> {
  /** max is the most frames that wait for their verdict at once. */
  readonly max: number;
  private chain: Promise<void> = Promise.resolve();
  private waiting = 0;

  constructor(max: number) {
    this.max = max;
  }

  /** pending counts the frames waiting for their verdict. */
  get pending(): number {
    return this.waiting;
  }

  /**
   * push starts `verdict` for one frame now and calls `apply` with it once the verdicts of the
   * earlier frames were applied. A rejected `verdict` or an `apply` that throws is reported to
   * `onError`. Returns false, starting nothing, when full.
   */
  push(verdict: () => Promise<V>, apply: (verdict: V) => void, onError: () => void): boolean {
    if (this.waiting >= this.max) return false;
    this.waiting++;
    const decided = verdict();
    this.chain = this.chain
      .then(() => decided)
      .then(
        (v) => {
          this.waiting--;
          apply(v);
        },
        () => {
          this.waiting--;
          onError();
        },
      )
      .catch(onError);
    return true;
  }
}
