import { ManualScheduler } from "@framewire/test-support";
import { describe, expect, it } from "vitest";
import { VideoContinuity, type VideoTick } from "./video-continuity.js";

function pacer(fps: number, opts: { maxQueuedFrames?: number } = {}) {
  const scheduler = new ManualScheduler();
  const v = new VideoContinuity<string>({ fps, black: () => "black", scheduler, ...opts });
  const ticks: VideoTick<string>[] = [];
  let drained = 0;
  v.frames$.subscribe((t) => ticks.push(t));
  v.drained$.subscribe(() => drained++);
  return { v, scheduler, ticks, drained: () => drained };
}

const kinds = (ticks: readonly VideoTick<string>[]) =>
  ticks.map((t) => (t.kind === "frame" ? t.frame : t.kind));

describe("VideoContinuity (Vonage video continuity, virtual time)", () => {
  it("sends black from start until the first frame, one tick per 1/fps", () => {
    const { v, scheduler, ticks } = pacer(10);
    v.start();
    scheduler.advance(350);
    expect(kinds(ticks)).toEqual(["black", "black", "black"]);
    expect(ticks.map((t) => t.atMs)).toEqual([100, 200, 300]);
    v.add("f1");
    scheduler.advance(50);
    expect(kinds(ticks).at(-1)).toBe("f1");
    expect(ticks.at(-1)?.atMs).toBe(400);
  });

  it("repeats the last frame for exactly 2 s after it was sent, then black (30 fps: 59 repeats)", () => {
    const { v, scheduler, ticks } = pacer(30);
    v.start();
    v.add("f1");
    scheduler.advance(1000 / 30 + 0.001);
    expect(kinds(ticks)).toEqual(["f1"]);
    const sentAt = ticks[0]!.atMs;
    scheduler.advance(3000);
    const after = ticks.slice(1);
    const repeats = after.filter((t) => t.kind === "repeat");
    expect(repeats).toHaveLength(59);
    expect(repeats.every((t) => t.frame === "f1" && t.atMs - sentAt < 2000)).toBe(true);
    const firstBlack = after.find((t) => t.kind === "black")!;
    expect(firstBlack.atMs - sentAt).toBeCloseTo(2000, 6);
    expect(after.slice(59).every((t) => t.kind === "black")).toBe(true);
    expect(v.stats()).toMatchObject({ added: 1, sent: 1, repeated: 59 });
  });

  it("a new frame during the repeat restarts the window; no frame is ever sent twice as new", () => {
    const { v, scheduler, ticks } = pacer(10);
    v.start();
    v.add("a");
    scheduler.advance(1000); // a, then 9 repeats
    v.add("b");
    scheduler.advance(2500);
    expect(kinds(ticks).slice(0, 11)).toEqual(["a", ...Array(9).fill("repeat"), "b"]);
    const b = ticks.findIndex((t) => t.frame === "b");
    expect(kinds(ticks.slice(b + 1, b + 20))).toEqual(Array(19).fill("repeat"));
    expect(ticks[b + 20]?.kind).toBe("black");
  });

  it("drains once per underrun (hysteresis), not while the app keeps up", () => {
    const { v, scheduler, drained } = pacer(10);
    v.start();
    scheduler.advance(300); // black, never had data: no drain
    expect(drained()).toBe(0);
    for (let i = 0; i < 5; i++) {
      v.add(`f${i}`); // one frame per tick: keeps up
      scheduler.advance(100);
    }
    expect(drained()).toBe(0);
    scheduler.advance(500); // underrun for five ticks: one drain
    expect(drained()).toBe(1);
    v.add("g");
    scheduler.advance(300);
    expect(drained()).toBe(2);
  });

  it("bounds the queue: the oldest frames are dropped and counted; clear() drops the rest", () => {
    const { v, scheduler, ticks } = pacer(10, { maxQueuedFrames: 3 });
    v.start();
    for (const f of ["1", "2", "3", "4", "5"]) v.add(f);
    expect(v.stats()).toMatchObject({ added: 5, dropped: 2, queued: 3, queuedDurationMs: 300 });
    scheduler.advance(100);
    expect(kinds(ticks)).toEqual(["3"]);
    v.clear();
    expect(v.stats()).toMatchObject({ dropped: 4, queued: 0 });
  });

  it("checks options, and close() stops ticks, completes and is idempotent", () => {
    const s = new ManualScheduler();
    for (const fps of [0, 31, 2.5])
      expect(() => new VideoContinuity({ fps, black: () => 0, scheduler: s })).toThrow(
        /BAD_OPTION/,
      );
    const { v, scheduler, ticks } = pacer(10);
    let completed = false;
    v.frames$.subscribe({ complete: () => (completed = true) });
    v.start();
    scheduler.advance(200);
    v.close();
    v.close();
    scheduler.advance(1000);
    expect(ticks).toHaveLength(2);
    expect(completed).toBe(true);
  });
});
