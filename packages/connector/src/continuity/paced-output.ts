import { audioTicks } from "@framewire/video-bridge";
import {
  asyncScheduler,
  type Observable,
  type SchedulerLike,
  Subject,
  type Subscription,
} from "rxjs";

/**
 * PacedOutput is what a published video and a published audio share: an output clock on an
 * injected scheduler that calls `tick` every period from `start()`, one output Observable, the
 * drain signal with its hysteresis (once per underrun: `arm()` when data comes in, `underrun()`
 * on a tick that finds none), and an idempotent `close()` that stops the clock and completes both.
 */
export abstract class PacedOutput<T> {
  /** scheduler is the output clock. */
  protected readonly scheduler: SchedulerLike;
  /** closed is true once `close()` ran. */
  protected closed = false;
  private readonly output = new Subject<T>();
  private readonly drained = new Subject<void>();
  private clock: Subscription | undefined;
  private armed = false;

  /** output$ emits what each tick sends; completes on `close()`. */
  protected readonly output$: Observable<T> = this.output.asObservable();
  /** drained$ emits when the queue has run empty: once, then not until data came and ran out again. */
  readonly drained$: Observable<void> = this.drained.asObservable();

  protected constructor(
    protected readonly periodMs: number,
    scheduler: SchedulerLike | undefined,
  ) {
    this.scheduler = scheduler ?? asyncScheduler;
  }

  /** start begins the output ticks; a second call, or one after `close()`, does nothing. */
  start(): void {
    if (this.clock !== undefined || this.closed) return;
    // the house's drift-free period clock (video-bridge's audioTicks): due times on a grid from
    // start, a bounded catch-up after a stall
    this.clock = audioTicks(this.scheduler, { periodMs: this.periodMs }).subscribe((t) =>
      this.tick(t.timeMs),
    );
  }

  /** close stops the ticks, lets the subclass release what it holds, completes; idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clock?.unsubscribe();
    this.release();
    this.output.complete();
    this.drained.complete();
  }

  /** emit sends one output value. */
  protected emit(value: T): void {
    this.output.next(value);
  }

  /** arm notes that data came in, so the next underrun is reported. */
  protected arm(): void {
    this.armed = true;
  }

  /** underrun reports a tick that found the queue empty, once per arm. */
  protected underrun(): void {
    if (!this.armed) return;
    this.armed = false;
    this.drained.next();
  }

  /** tick runs once per period, at `atMs` on the scheduler's clock (on the period grid). */
  protected abstract tick(atMs: number): void;

  /** release drops queues and releases waiters on close. */
  protected abstract release(): void;
}
