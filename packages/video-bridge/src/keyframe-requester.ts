import type { SchedulerLike, Subscription } from "rxjs";
import { KeyframeRequestLimiter } from "./keyframe-request-limiter.js";
import type { KeyframeRequestReason } from "./video-bridge-types.js";

/** SourceKeyframes is what the requester keeps per source. */
export class SourceKeyframes {
  readonly limiter: KeyframeRequestLimiter;
  /** deferred is the one trailing request a rate-limited source gets when its interval ends. */
  deferred: Subscription | undefined = undefined;
  /** lastKeyframeAt is when the source's last keyframe arrived, on the bridge's clock. */
  lastKeyframeAt = Number.NEGATIVE_INFINITY;

  constructor(minIntervalMs: number) {
    this.limiter = new KeyframeRequestLimiter(minIntervalMs);
  }
}

/** KeyframeRequesterHost is what the requester needs of the bridge. */
export interface KeyframeRequesterHost<P> {
  /** isLive: the source is still bridged (a removed source is not asked). */
  isLive(source: P): boolean;
  /** send asks the source's endpoint for a keyframe (PLI); it may throw. */
  send(source: P): void;
  /** sent reports a request that went out now. */
  sent(source: P, reason: KeyframeRequestReason): void;
  /** retry asks again for every keyframe a target still waits for; true while any waits. */
  retry(): boolean;
}

/** KeyframeRequestCounters are the bridge's counters the requester keeps. */
export interface KeyframeRequestCounters {
  keyframeRequests: number;
  keyframeRequestsSuppressed: number;
  keyframeRequestErrors: number;
}

/**
 * KeyframeRequester asks sources for keyframes for the video bridge. Requests to one source are
 * rate-limited (`intervalMs`: the first goes at once, those within the interval collapse into one
 * sent when it ends, skipped if a keyframe came meanwhile), and while any target waits for a
 * keyframe they are repeated every `retryMs` by the scheduler, not only when frames arrive.
 */
export class KeyframeRequester<P extends { readonly keyframes: SourceKeyframes }> {
  private readonly scheduler: SchedulerLike;
  private readonly intervalMs: number;
  private readonly retryMs: number;
  private readonly host: KeyframeRequesterHost<P>;
  private readonly counters: KeyframeRequestCounters;
  private retryTimer: Subscription | undefined;
  private closed = false;

  constructor(
    scheduler: SchedulerLike,
    intervalMs: number,
    retryMs: number,
    host: KeyframeRequesterHost<P>,
    counters: KeyframeRequestCounters,
  ) {
    this.scheduler = scheduler;
    this.intervalMs = intervalMs;
    this.retryMs = retryMs;
    this.host = host;
    this.counters = counters;
  }

  /** source makes the state of a new source. */
  source(): SourceKeyframes {
    return new SourceKeyframes(this.intervalMs);
  }

  /**
   * request asks `src` for a keyframe now, or, when its rate limit holds the request back, once
   * when the interval ends (one trailing request per source, skipped if a keyframe of the source
   * arrived meanwhile). Returns true when a request was sent now.
   */
  request(src: P, reason: KeyframeRequestReason): boolean {
    if (this.closed || !this.host.isLive(src)) return false;
    const k = src.keyframes;
    const now = this.scheduler.now();
    if (!k.limiter.tryAcquire(now)) {
      this.counters.keyframeRequestsSuppressed++;
      if (k.deferred === undefined) {
        const wait = Math.max(0, k.limiter.lastRequestMs + k.limiter.minIntervalMs - now);
        k.deferred = this.scheduler.schedule(() => {
          k.deferred = undefined;
          if (k.lastKeyframeAt < now) this.request(src, reason);
        }, wait);
      }
      return false;
    }
    try {
      this.host.send(src);
    } catch {
      this.counters.keyframeRequestErrors++;
      return false;
    }
    this.counters.keyframeRequests++;
    this.host.sent(src, reason);
    return true;
  }

  /** armRetry schedules a retry tick unless one is pending. */
  armRetry(): void {
    if (this.retryTimer !== undefined || this.closed) return;
    this.retryTimer = this.scheduler.schedule(() => {
      this.retryTimer = undefined;
      if (!this.closed && this.host.retry()) this.armRetry();
    }, this.retryMs);
  }

  /** forget cancels the trailing request of a source that left. */
  forget(src: P): void {
    src.keyframes.deferred?.unsubscribe();
  }

  /** close cancels the retry timer; later requests are ignored. */
  close(): void {
    this.closed = true;
    this.retryTimer?.unsubscribe();
    this.retryTimer = undefined;
  }
}
