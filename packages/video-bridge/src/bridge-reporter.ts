import {
  EMPTY,
  interval,
  map,
  type Observable,
  type SchedulerLike,
  Subject,
  takeUntil,
} from "rxjs";
import { positiveNumber } from "./bridge-options.js";
import type { BridgeDropReason, BridgeEvent, BridgeStats } from "./bridge-types.js";

/** BridgeCounters are the counters of `BridgeStats` a bridge keeps itself (not rooms, sessions). */
export type BridgeCounters = {
  -readonly [K in Exclude<keyof BridgeStats, "rooms" | "sessions">]: number;
};

/** newBridgeCounters is a set of BridgeCounters at zero. */
export function newBridgeCounters(): BridgeCounters {
  return {
    framesIn: 0,
    framesSent: 0,
    unknownSource: 0,
    droppedDisabled: 0,
    droppedFiltered: 0,
    filterErrors: 0,
    droppedByHook: 0,
    hookErrors: 0,
    droppedQueue: 0,
    targetErrors: 0,
  };
}

/**
 * BridgeReporter is how both bridges report: their `events$`, the common counters of drops and
 * target failures, and `statsEvery`. `S` is the session type, `D` the drop reasons, `Src` the
 * source a target failure names, `X` the bridge's own events. Events are built only while
 * someone listens, so the media path pays nothing for them otherwise; `close` emits `closed` and
 * completes every stream it made.
 */
export class BridgeReporter<S, D extends string = BridgeDropReason, Src = S, X = never> {
  /** events$ emits the bridge's events. */
  readonly events$: Observable<BridgeEvent<S, D, Src> | X>;
  private readonly subject = new Subject<BridgeEvent<S, D, Src> | X>();
  private readonly closed = new Subject<void>();
  private readonly counters: BridgeCounters;
  private isClosed = false;

  /** `counters` are the bridge's; `dropped` counts in them. */
  constructor(counters: BridgeCounters) {
    this.counters = counters;
    this.events$ = this.subject.asObservable();
  }

  /** emit sends the event `make` builds, and builds it only when `events$` has a subscriber. */
  emit(make: () => BridgeEvent<S, D, Src> | X): void {
    if (this.subject.observed) this.subject.next(make());
  }

  /** sessionAdded emits session-added. */
  sessionAdded(session: S, roomId: string): void {
    if (this.subject.observed) this.subject.next({ type: "session-added", session, roomId });
  }

  /** sessionRemoved emits session-removed. */
  sessionRemoved(session: S, roomId: string): void {
    if (this.subject.observed) this.subject.next({ type: "session-removed", session, roomId });
  }

  /**
   * dropped counts a source frame forwarded to nobody (the counter of its common reason; a
   * bridge counts its own reasons) and emits frame-dropped.
   */
  dropped(source: S, roomId: string, reason: D, error?: unknown): void {
    const r: string = reason;
    if (r === "disabled") this.counters.droppedDisabled++;
    else if (r === "filtered" || r === "filter-error") this.counters.droppedFiltered++;
    else if (r === "hook-blocked") this.counters.droppedByHook++;
    else if (r === "queue-overflow") this.counters.droppedQueue++;
    if (!this.subject.observed) return;
    this.subject.next(
      error === undefined
        ? { type: "frame-dropped", source, roomId, reason }
        : { type: "frame-dropped", source, roomId, reason, error },
    );
  }

  /** targetFailed counts a send (or a callback for the target) that threw and emits target-failed. */
  targetFailed(target: S, source: Src, roomId: string, error: unknown): void {
    this.counters.targetErrors++;
    if (this.subject.observed) {
      this.subject.next({ type: "target-failed", target, source, roomId, error });
    }
  }

  /**
   * every emits `read()` every `periodMs` (> 0, else BAD_OPTION) on `scheduler` until close; a
   * closed reporter gives EMPTY.
   */
  every<T>(periodMs: number, scheduler: SchedulerLike, read: () => T): Observable<T> {
    positiveNumber(periodMs, "periodMs");
    if (this.isClosed) return EMPTY;
    return interval(periodMs, scheduler).pipe(map(read), takeUntil(this.closed));
  }

  /** close emits `closed`, then completes `events$` and every stream `every` made; idempotent. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.subject.next({ type: "closed" });
    this.closed.next();
    this.closed.complete();
    this.subject.complete();
  }
}
