import { describe, expect, it } from "vitest";
import { DEFAULT_RATE_LIMITS, RequestRateLimiter } from "./request-rate-limiter.js";

describe("RequestRateLimiter (token buckets per source and method, virtual clock)", () => {
  it("admits a burst, then refills at the rate; Retry-After is the wait for a token", () => {
    let now = 0;
    const limiter = new RequestRateLimiter({ options: { perSecond: 10, burst: 5 } }, () => now);
    const verdicts = Array.from({ length: 7 }, () => limiter.admit("OPTIONS", "192.0.2.1"));
    expect(verdicts.filter((v) => v === undefined)).toHaveLength(5);
    expect(verdicts.at(-1)).toEqual({ retryAfterSeconds: 1 });
    now += 100; // one token back
    expect(limiter.admit("OPTIONS", "192.0.2.1")).toBeUndefined();
    expect(limiter.admit("OPTIONS", "192.0.2.1")).toBeDefined();
    now += 10_000; // never more than the burst
    const refilled = Array.from({ length: 6 }, () => limiter.admit("OPTIONS", "192.0.2.1"));
    expect(refilled.filter((v) => v === undefined)).toHaveLength(5);
  });

  it("keeps one bucket per source address and per method; ACK, BYE, CANCEL are never limited", () => {
    const limiter = new RequestRateLimiter(
      { invite: { perSecond: 1, burst: 1 }, options: { perSecond: 1, burst: 1 } },
      () => 0,
    );
    expect(limiter.admit("INVITE", "a")).toBeUndefined();
    expect(limiter.admit("INVITE", "a")).toBeDefined();
    expect(limiter.admit("INVITE", "b")).toBeUndefined();
    expect(limiter.admit("OPTIONS", "a")).toBeUndefined();
    for (const method of ["ACK", "BYE", "CANCEL"]) {
      for (let i = 0; i < 100; i++) expect(limiter.admit(method, "a")).toBeUndefined();
    }
  });

  it("null turns a method off; maxSources bounds the buckets (oldest dropped)", () => {
    const limiter = new RequestRateLimiter(
      { options: null, register: { perSecond: 1, burst: 1 }, maxSources: 2 },
      () => 0,
    );
    for (let i = 0; i < 5000; i++) expect(limiter.admit("OPTIONS", "a")).toBeUndefined();
    expect(limiter.admit("REGISTER", "a")).toBeUndefined();
    expect(limiter.admit("REGISTER", "b")).toBeUndefined();
    expect(limiter.admit("REGISTER", "c")).toBeUndefined();
    expect(limiter.sources).toBe(2);
    expect(limiter.admit("REGISTER", "a")).toBeUndefined(); // a's bucket was dropped: full again
  });

  it("defaults: INVITE 200/s, REGISTER 20/s, OPTIONS 500/s with bursts of 2 s", () => {
    const limiter = new RequestRateLimiter({}, () => 0);
    const admitted = (method: string) =>
      Array.from({ length: 2000 }, () => limiter.admit(method, "a")).filter((v) => v === undefined)
        .length;
    expect(admitted("INVITE")).toBe(2 * DEFAULT_RATE_LIMITS.invite.perSecond);
    expect(admitted("REGISTER")).toBe(2 * DEFAULT_RATE_LIMITS.register.perSecond);
    expect(admitted("OPTIONS")).toBe(2 * DEFAULT_RATE_LIMITS.options.perSecond);
  });
});
