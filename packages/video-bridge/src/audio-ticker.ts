import { Observable, type SchedulerAction, type SchedulerLike } from "rxjs";

/** AudioTick is one period of an audio clock. */
export interface AudioTick {
  /** index counts ticks from 0 (skipped ticks included). */
  readonly index: number;
  /** timeMs is when the tick was due on the scheduler's clock. */
  readonly timeMs: number;
  /** lateMs is how long after `timeMs` it ran (0 in virtual time). */
  readonly lateMs: number;
  /** skipped is how many ticks were dropped just before this one because the clock fell too far behind. */
  readonly skipped: number;
}

/** AudioTickerOptions configure audioTicks. */
export interface AudioTickerOptions {
  /** periodMs between ticks; default 20 (one audio frame). */
  readonly periodMs?: number;
  /** maxCatchUp is how many overdue ticks run back to back after a stall; default 5 (100 ms). */
  readonly maxCatchUp?: number;
}

/**
 * audioTicks emits a tick every `periodMs` on `scheduler`, anchored at subscription time: tick k is
 * due at start + (k + 1) · period and each wait is computed from that anchor, so timer lateness
 * does not accumulate (no drift). After a stall, up to `maxCatchUp` overdue ticks are emitted at
 * once; older ones are skipped and reported in the next tick's `skipped`.
 */
export function audioTicks(
  scheduler: SchedulerLike,
  options: AudioTickerOptions = {},
): Observable<AudioTick> {
  const period = options.periodMs ?? 20;
  const maxCatchUp = options.maxCatchUp ?? 5;
  if (!(period > 0)) throw new RangeError(`audioTicks: periodMs must be > 0, got ${period}`);
  if (!(maxCatchUp >= 1))
    throw new RangeError(`audioTicks: maxCatchUp must be ≥ 1, got ${maxCatchUp}`);
  return new Observable<AudioTick>((subscriber) => {
    const start = scheduler.now();
    let index = 0;
    let stopped = false;
    function due(): number {
      return start + (index + 1) * period;
    }
    function run(this: SchedulerAction<undefined>): void {
      if (stopped) return;
      let now = scheduler.now();
      let skipped = 0;
      const behind = Math.floor((now - due()) / period) + 1;
      if (behind > maxCatchUp) {
        skipped = behind - maxCatchUp;
        index += skipped;
      }
      for (let emitted = 0; due() <= now && emitted < maxCatchUp; emitted++) {
        const timeMs = due();
        subscriber.next({ index, timeMs, lateMs: now - timeMs, skipped });
        skipped = 0;
        index++;
        if (stopped) return;
        now = scheduler.now();
      }
      pending = this.schedule(undefined, Math.max(0, due() - scheduler.now()));
    }
    let pending = scheduler.schedule(run, period);
    return () => {
      stopped = true;
      pending.unsubscribe();
    };
  });
}
