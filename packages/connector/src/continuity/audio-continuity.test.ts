import { ManualScheduler } from "@framewire/test-support";
import { describe, expect, it } from "vitest";
import {
  AudioContinuity,
  type AudioContinuityOptions,
  type AudioPeriod,
} from "./audio-continuity.js";

// 8 kHz mono, 20 ms periods: 160 samples a period
function pacer(opts: Partial<AudioContinuityOptions> = {}) {
  const scheduler = new ManualScheduler();
  const a = new AudioContinuity({ sampleRate: 8000, channels: 1, scheduler, ...opts });
  const periods: AudioPeriod[] = [];
  let drained = 0;
  a.periods$.subscribe((p) => periods.push(p));
  a.drained$.subscribe(() => drained++);
  return { a, scheduler, periods, drained: () => drained };
}

const ones = (n: number, v = 1) => new Int16Array(n).fill(v);
const kinds = (ps: readonly AudioPeriod[]) => ps.map((p) => p.kind);

describe("AudioContinuity (Vonage audio continuity, virtual time)", () => {
  it("sends silence from start until the first samples, then the samples, period by period", () => {
    const { a, scheduler, periods } = pacer();
    a.start();
    scheduler.advance(60);
    expect(kinds(periods)).toEqual(["silence", "silence", "silence"]);
    expect(periods.every((p) => p.samples.length === 160 && p.samples.every((s) => s === 0))).toBe(
      true,
    );
    a.add(ones(320, 7));
    scheduler.advance(40);
    expect(kinds(periods).slice(3)).toEqual(["audio", "audio"]);
    expect(periods[3]!.samples.every((s) => s === 7)).toBe(true);
    expect(periods.map((p) => p.atMs)).toEqual([20, 40, 60, 80, 100]);
  });

  it("bridges a gap shorter than the tolerance by sending nothing, then sends explicit silence", () => {
    const { a, scheduler, periods } = pacer({ silenceToleranceMs: 100 });
    a.start();
    a.add(ones(160));
    scheduler.advance(20);
    expect(kinds(periods)).toEqual(["audio"]);
    scheduler.advance(100); // 5 periods inside the tolerance: nothing sent
    expect(kinds(periods)).toEqual(["audio"]);
    expect(a.stats().gapPeriods).toBe(5);
    scheduler.advance(40);
    expect(kinds(periods)).toEqual(["audio", "silence", "silence"]);
    expect(periods[1]!.atMs).toBe(140); // the gap began at 40, silence from 40 + 100
    a.add(ones(160));
    scheduler.advance(20);
    expect(kinds(periods).at(-1)).toBe("audio");
  });

  it("holds a partial period through the tolerance, then flushes it padded with silence, then silence", () => {
    const { a, scheduler, periods } = pacer({ silenceToleranceMs: 100 });
    a.start();
    a.add(ones(200, 3)); // one period and 40 samples
    scheduler.advance(20);
    expect(kinds(periods)).toEqual(["audio"]);
    scheduler.advance(100); // 40..120: inside the tolerance, the 40 samples wait
    expect(kinds(periods)).toEqual(["audio"]);
    scheduler.advance(20); // 140: the gap began at 40, so the tolerance is over
    expect(kinds(periods)).toEqual(["audio", "padded"]);
    const padded = periods[1]!.samples;
    expect(padded.length).toBe(160);
    expect([...padded.subarray(0, 40)].every((s) => s === 3)).toBe(true);
    expect([...padded.subarray(40)].every((s) => s === 0)).toBe(true);
    scheduler.advance(20);
    expect(kinds(periods)).toEqual(["audio", "padded", "silence"]);
  });

  it("uneven, jittered chunks (30 ms each, 0–20 ms late) lose nothing: no padding, no silence", () => {
    const { a, scheduler, periods } = pacer();
    a.start();
    // chunk j is due at 30j ms and arrives 0, 10 or 20 ms late: the same rate, uneven arrivals
    const arrivals = new Set(Array.from({ length: 30 }, (_, j) => 30 * j + ((j * 7) % 3) * 10));
    let written = 0;
    for (let t = 0; t < 900; t += 5) {
      if (arrivals.has(t)) {
        a.add(ones(240, 5));
        written += 240;
      }
      scheduler.advance(5);
    }
    expect(a.stats().gapPeriods).toBeGreaterThan(0); // the jitter did leave partial periods at ticks
    expect(kinds(periods).filter((k) => k !== "audio")).toEqual([]);
    expect(written - periods.length * 160).toBeLessThan(480);
    expect(a.stats().droppedSamples).toBe(0);
  });

  it("drains once per underrun (hysteresis)", () => {
    const { a, scheduler, drained } = pacer();
    a.start();
    scheduler.advance(100);
    expect(drained()).toBe(0); // never had data
    a.add(ones(320));
    scheduler.advance(200);
    expect(drained()).toBe(1);
    a.add(ones(160));
    scheduler.advance(200);
    expect(drained()).toBe(2);
  });

  it("add drops the oldest samples past maxQueuedMs, counted; clear drops the rest", () => {
    const { a } = pacer({ maxQueuedMs: 100 }); // 800 samples
    a.add(ones(600, 1));
    a.add(ones(600, 2));
    expect(a.stats()).toMatchObject({
      addedSamples: 1200,
      droppedSamples: 400,
      queuedSamples: 800,
      queuedDurationMs: 100,
    });
    a.clear();
    expect(a.stats()).toMatchObject({ droppedSamples: 1200, queuedSamples: 0 });
  });

  it("write waits for room, in call order, and whenPlayedOut resolves when the last sample was sent", async () => {
    const { a, scheduler, periods } = pacer({ maxQueuedMs: 40 }); // 320 samples
    a.start();
    const order: string[] = [];
    const w1 = a.write(ones(320, 1)).then(() => order.push("w1"));
    const w2 = a.write(ones(160, 2)).then(() => order.push("w2"));
    const w3 = a.write(ones(160, 3)).then(() => order.push("w3"));
    await Promise.resolve();
    expect(order).toEqual(["w1"]);
    let played = false;
    void a.whenPlayedOut().then(() => (played = true));
    scheduler.advance(20); // sends 160 of w1: room for w2
    await w2;
    expect(order).toEqual(["w1", "w2"]);
    scheduler.advance(20);
    await w3;
    scheduler.advance(40);
    await Promise.resolve();
    expect(played).toBe(true);
    expect(periods.map((p) => p.samples[0])).toEqual([1, 1, 2, 3]);
    await w1;
  });

  it("clear and close release writers and playout waiters; close is idempotent and completes", async () => {
    const { a } = pacer({ maxQueuedMs: 20 });
    a.start();
    await a.write(ones(160));
    const pending = a.write(ones(160));
    const played = a.whenPlayedOut();
    a.clear();
    await Promise.all([pending, played]);
    expect(a.stats().queuedSamples).toBe(0);
    let completed = false;
    a.periods$.subscribe({ complete: () => (completed = true) });
    a.close();
    a.close();
    expect(completed).toBe(true);
  });

  it("stereo: whole frames only; options are checked", () => {
    const s = new ManualScheduler();
    const stereo = new AudioContinuity({ sampleRate: 48000, channels: 2, scheduler: s });
    expect(() => stereo.add(new Int16Array(3))).toThrow(/BAD_OPTION/);
    expect(() => stereo.add(new Float32Array(4) as unknown as Int16Array)).toThrow(/Int16Array/);
    for (const bad of [
      { sampleRate: 11025 },
      { channels: 3 },
      { periodMs: 15 },
      { maxQueuedMs: 5 },
      { silenceToleranceMs: -1 },
    ]) {
      expect(
        () => new AudioContinuity({ sampleRate: 8000, channels: 1, scheduler: s, ...bad }),
      ).toThrow(/BAD_OPTION/);
    }
  });
});
