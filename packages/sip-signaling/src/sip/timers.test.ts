import { Core } from "sip.js";
import { describe, expect, it } from "vitest";
import { UDP_TRANSACTION_TIMERS, withUdpTransactionTimers } from "./timers.js";

describe("withUdpTransactionTimers", () => {
  it("sets D/I/J/K to the UDP values only during the call (RFC 3261 §17, Table 4)", () => {
    const before = { ...Core.Timers };
    expect(before).toMatchObject({ TIMER_D: 0, TIMER_I: 0, TIMER_J: 0, TIMER_K: 0 });
    const inside = withUdpTransactionTimers(() => ({ ...Core.Timers }));
    expect(inside).toMatchObject({
      TIMER_D: 32_000,
      TIMER_I: 5_000,
      TIMER_J: 32_000,
      TIMER_K: 5_000,
    });
    expect(UDP_TRANSACTION_TIMERS).toEqual({
      TIMER_D: 32_000,
      TIMER_I: 5_000,
      TIMER_J: 32_000,
      TIMER_K: 5_000,
    });
    expect({ ...Core.Timers }).toEqual(before);
  });
  it("restores after a throw and when nested", () => {
    expect(() =>
      withUdpTransactionTimers(() => {
        withUdpTransactionTimers(() => undefined);
        expect(Core.Timers.TIMER_J).toBe(32_000);
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expect(Core.Timers.TIMER_J).toBe(0);
  });
});
