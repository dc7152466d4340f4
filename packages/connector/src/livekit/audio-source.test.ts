import { ManualScheduler } from "@framewire/test-support";
import { describe, expect, it } from "vitest";
import type { AudioPeriod } from "../continuity/audio-continuity.js";
import { AudioFrame, combineAudioFrames } from "./audio-frame.js";
import { AudioSource } from "./audio-source.js";

// 16 kHz mono, 10 ms periods: 160 samples a period
function source(queueSize = 100) {
  const scheduler = new ManualScheduler();
  const s = new AudioSource(16000, 1, queueSize, { scheduler });
  const periods: AudioPeriod[] = [];
  s.periods$.subscribe((p) => periods.push(p));
  return { s, scheduler, periods };
}
const frame = (ms: number, v = 1) =>
  new AudioFrame(new Int16Array(16 * ms).fill(v), 16000, 1, 16 * ms);
const settled = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe("AudioSource (LiveKit's contract, virtual time)", () => {
  it("sends nothing until frames come, then the frames, period by period", async () => {
    const { s, scheduler, periods } = source();
    scheduler.advance(100);
    expect(periods).toEqual([]);
    await s.captureFrame(frame(20, 4));
    expect(s.queuedDuration).toBe(20);
    scheduler.advance(20);
    expect(periods.map((p) => [p.kind, p.samples.length, p.samples[0]])).toEqual([
      ["audio", 160, 4],
      ["audio", 160, 4],
    ]);
    scheduler.advance(100);
    expect(periods).toHaveLength(2); // no silence after
  });

  it("captureFrame resolves once the frame fits in queueSize, concurrent callers in call order", async () => {
    const { s, scheduler, periods } = source(30);
    const done: number[] = [];
    const all = [1, 2, 3, 4].map((v) => s.captureFrame(frame(20, v)).then(() => done.push(v)));
    await settled();
    expect(done).toEqual([1]); // 20 ms queued; a second 20 ms frame would make 40 > 30
    scheduler.advance(10);
    await settled();
    expect(done).toEqual([1, 2]); // 10 + 20 = 30 ≤ 30
    scheduler.advance(20);
    await settled();
    expect(done).toEqual([1, 2, 3]);
    scheduler.advance(20);
    await Promise.all(all);
    scheduler.advance(100);
    expect(periods.map((p) => p.samples[0])).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
  });

  it("waitForPlayout resolves when the last sample was sent on the output clock, a partial tail padded", async () => {
    const { s, scheduler, periods } = source();
    await s.captureFrame(frame(25, 7)); // 2.5 periods
    let played = false;
    void s.waitForPlayout().then(() => (played = true));
    scheduler.advance(20);
    await settled();
    expect(played).toBe(false);
    scheduler.advance(20); // 30: the half period waits one period, 40: flushed padded
    await settled();
    expect(played).toBe(true);
    expect(periods.map((p) => p.kind)).toEqual(["audio", "audio", "padded"]);
    expect(s.queuedDuration).toBe(0);
  });

  it("clearQueue drops the queue and releases captures and waiters; close rejects later captures", async () => {
    const { s, scheduler } = source(20);
    await s.captureFrame(frame(20));
    const pending = s.captureFrame(frame(20));
    const played = s.waitForPlayout();
    s.clearQueue();
    await Promise.all([pending, played]);
    expect(s.queuedDuration).toBe(0);
    await s.close();
    await s.close();
    await expect(s.captureFrame(frame(10))).rejects.toMatchObject({ code: "INVALID_STATE" });
    scheduler.advance(100);
  });

  it("refuses a frame of another format, and AudioFrame checks its own size", async () => {
    const { s } = source();
    await expect(
      s.captureFrame(new AudioFrame(new Int16Array(480), 48000, 1, 480)),
    ).rejects.toMatchObject({
      code: "BAD_OPTION",
    });
    expect(() => new AudioFrame(new Int16Array(100), 16000, 2, 100)).toThrow(/BAD_OPTION/);
    expect(AudioFrame.create(48000, 2, 480).data.length).toBe(960);
    const joined = combineAudioFrames([frame(10, 1), frame(20, 2)]);
    expect([joined.samplesPerChannel, joined.data[0], joined.data[479]]).toEqual([480, 1, 2]);
    expect(() => combineAudioFrames([frame(10), AudioFrame.create(8000, 1, 80)])).toThrow(
      /BAD_OPTION/,
    );
  });
});
