import { ManualScheduler } from "@framewire/test-support";
import { map, take } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { describe, expect, it } from "vitest";
import { type AudioTick, audioTicks } from "./audio-ticker.js";

describe("audioTicks", () => {
  it("ticks every 20 ms (marbles)", () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(({ expectObservable }) => {
      const ticks = audioTicks(ts).pipe(
        map((t) => t.index),
        take(3),
      );
      expectObservable(ticks).toBe("20ms a 19ms b 19ms (c|)", { a: 0, b: 1, c: 2 });
    });
  });

  it("honours periodMs (marbles)", () => {
    const ts = new TestScheduler((a, b) => expect(a).toEqual(b));
    ts.run(({ expectObservable }) => {
      const ticks = audioTicks(ts, { periodMs: 10 }).pipe(
        map((t) => t.timeMs),
        take(2),
      );
      expectObservable(ticks).toBe("10ms a 9ms (b|)", { a: 10, b: 20 });
    });
  });

  it("does not drift when timers run late: each wait is computed from the anchor", () => {
    const s = new ManualScheduler();
    const seen: AudioTick[] = [];
    const sub = audioTicks(s).subscribe((t) => seen.push(t));
    s.advance(20);
    expect(seen.map((t) => t.timeMs)).toEqual([20]);
    s.stall(27); // the timer due at 40 fires at 47
    s.advance(0);
    expect(seen[1]).toEqual({ index: 1, timeMs: 40, lateMs: 7, skipped: 0 });
    s.advance(13); // next due at 60, not 67
    expect(seen[2]).toEqual({ index: 2, timeMs: 60, lateMs: 0, skipped: 0 });
    s.advance(1000);
    expect(seen.length).toBe(53);
    expect(seen.at(-1)?.timeMs).toBe(1060);
    sub.unsubscribe();
  });

  it("catches up at most maxCatchUp ticks after a stall and reports the skipped ones", () => {
    const s = new ManualScheduler();
    const seen: AudioTick[] = [];
    const sub = audioTicks(s, { maxCatchUp: 5 }).subscribe((t) => seen.push(t));
    s.advance(20);
    s.stall(200); // now 220: ticks due at 40 … 220 (10) are overdue
    s.advance(0);
    expect(seen.slice(1).map((t) => [t.index, t.timeMs, t.skipped])).toEqual([
      [6, 140, 5],
      [7, 160, 0],
      [8, 180, 0],
      [9, 200, 0],
      [10, 220, 0],
    ]);
    s.advance(20);
    expect(seen.at(-1)).toEqual({ index: 11, timeMs: 240, lateMs: 0, skipped: 0 });
    sub.unsubscribe();
  });

  it("stops on unsubscribe, also from inside a tick", () => {
    const s = new ManualScheduler();
    let count = 0;
    const sub = audioTicks(s).subscribe(() => {
      count++;
      if (count === 3) sub.unsubscribe();
    });
    s.advance(200);
    expect(count).toBe(3);
    expect(s.pending).toBe(0);
  });

  it("rejects bad options", () => {
    const s = new ManualScheduler();
    expect(() => audioTicks(s, { periodMs: 0 })).toThrow(RangeError);
    expect(() => audioTicks(s, { maxCatchUp: 0 })).toThrow(RangeError);
  });
});
