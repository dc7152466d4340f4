/**
 * RequestRateLimiter is the overload guard's per-source token buckets (RFC 3261 §21.5.4: a
 * server that is overloaded answers 503 with Retry-After; RFC 7339 §1 on why it must be cheap):
 * INVITE, REGISTER and OPTIONS each have a rate and a burst per source address. It decides on
 * the start line and the datagram's source alone, before sip.js parses anything. Time comes
 * from an injected monotonic clock (milliseconds), so tests run it in virtual time.
 */

/** RateLimit is one token bucket: `perSecond` tokens refill, at most `burst` (default 2 s worth). */
export interface RateLimit {
  readonly perSecond: number;
  readonly burst?: number;
}

/**
 * RequestRateLimits configures the guard: one bucket per source address and method; `null`
 * turns a method's limit off. `maxSources` bounds the buckets kept (the oldest go first).
 */
export interface RequestRateLimits {
  readonly invite?: RateLimit | null;
  readonly register?: RateLimit | null;
  readonly options?: RateLimit | null;
  readonly maxSources?: number;
}

/**
 * DEFAULT_RATE_LIMITS: per source address, INVITE 200/s, REGISTER 20/s, OPTIONS 500/s, each
 * with a burst of 2 s worth; 10 000 sources tracked.
 */
export const DEFAULT_RATE_LIMITS = {
  invite: { perSecond: 200 },
  register: { perSecond: 20 },
  options: { perSecond: 500 },
  maxSources: 10_000,
} as const satisfies RequestRateLimits;

/** RateVerdict: undefined admits; otherwise the Retry-After seconds of the 503. */
export type RateVerdict = { readonly retryAfterSeconds: number } | undefined;

interface Bucket {
  tokens: number;
  at: number;
}

type Limited = "INVITE" | "REGISTER" | "OPTIONS";

function resolved(
  limit: RateLimit | null | undefined,
  fallback: RateLimit,
): Required<RateLimit> | undefined {
  const chosen = limit === undefined ? fallback : limit;
  if (chosen === null) return undefined;
  if (!(chosen.perSecond > 0)) return undefined;
  return { perSecond: chosen.perSecond, burst: Math.max(1, chosen.burst ?? 2 * chosen.perSecond) };
}

/** RequestRateLimiter holds the buckets (see the file comment). */
export class RequestRateLimiter {
  private readonly limits: ReadonlyMap<Limited, Required<RateLimit>>;
  private readonly maxSources: number;
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    limits: RequestRateLimits,
    private readonly now: () => number,
  ) {
    const table = new Map<Limited, Required<RateLimit>>();
    const invite = resolved(limits.invite, DEFAULT_RATE_LIMITS.invite);
    const register = resolved(limits.register, DEFAULT_RATE_LIMITS.register);
    const options = resolved(limits.options, DEFAULT_RATE_LIMITS.options);
    if (invite !== undefined) table.set("INVITE", invite);
    if (register !== undefined) table.set("REGISTER", register);
    if (options !== undefined) table.set("OPTIONS", options);
    this.limits = table;
    this.maxSources = Math.max(1, limits.maxSources ?? DEFAULT_RATE_LIMITS.maxSources);
  }

  /** sources is the number of buckets held. */
  get sources(): number {
    return this.buckets.size;
  }

  /** admit takes one token of `method`'s bucket for `sourceHost`; a verdict when there is none. */
  admit(method: string, sourceHost: string): RateVerdict {
    const limit = this.limits.get(method as Limited);
    if (limit === undefined) return undefined;
    const key = `${method} ${sourceHost}`;
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxSources) {
        const oldest = this.buckets.keys().next();
        if (oldest.done !== true) this.buckets.delete(oldest.value);
      }
      bucket = { tokens: limit.burst, at: now };
      this.buckets.set(key, bucket);
    } else {
      const elapsed = Math.max(0, now - bucket.at);
      bucket.tokens = Math.min(limit.burst, bucket.tokens + (elapsed * limit.perSecond) / 1000);
      bucket.at = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    return { retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / limit.perSecond)) };
  }
}
