import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OutputClock } from "./continuity.js";

describe("OutputClock", () => {
  it("starts at 0 and follows the source's own frame deltas", () => {
    const clock = new OutputClock(33);
    expect(clock.lastMs).toBeUndefined();
    expect(clock.stamp("A", 5000, 100)).toBe(0);
    expect(clock.stamp("A", 5040, 100)).toBe(40);
    expect(clock.stamp("A", 5073, 900)).toBe(73);
  });

  it("on a switch adds the real elapsed time, or one frame interval when none elapsed", () => {
    const clock = new OutputClock(33);
    clock.stamp("A", 5000, 1000);
    clock.stamp("A", 5033, 1033);
    expect(clock.stamp("B", 90_000, 1070)).toBe(33 + 37);
    expect(clock.stamp("B", 90_033, 1070)).toBe(70 + 33);
    expect(clock.stamp("A", 5100, 1070)).toBe(103 + 33);
  });

  it("treats a replayed frame (null source) and the frame after it as discontinuities", () => {
    const clock = new OutputClock(33);
    clock.stamp(null, 1000, 0);
    expect(clock.stamp("A", 2500, 20)).toBe(20);
    expect(clock.stamp("A", 2533, 53)).toBe(53);
  });

  it("does not follow a source delta that goes back or leaps beyond maxGapMs", () => {
    const clock = new OutputClock(33, 5000);
    clock.stamp("A", 1000, 0);
    expect(clock.stamp("A", 900, 40)).toBe(40);
    expect(clock.stamp("A", 60_000, 80)).toBe(80);
  });

  it("is strictly increasing for any sources, source times and non-decreasing wall time", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            source: fc.constantFrom("A", "B", "C", null),
            ts: fc.integer({ min: -1e6, max: 1e6 }),
            dt: fc.integer({ min: 0, max: 200 }),
          }),
          { minLength: 1, maxLength: 200 },
        ),
        (steps) => {
          const clock = new OutputClock(33);
          let now = 0;
          let last = Number.NEGATIVE_INFINITY;
          for (const s of steps) {
            now += s.dt;
            const out = clock.stamp(s.source, s.ts, now);
            expect(out).toBeGreaterThan(last);
            last = out;
          }
        },
      ),
    );
  });
});
