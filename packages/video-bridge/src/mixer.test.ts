import { ManualScheduler } from "@framewire/test-support";
import type { Subscription } from "rxjs";
import { describe, expect, it } from "vitest";
import { goertzelPower, sine } from "../test/audio-signals.js";
import { AudioMixer, type MixedFrame } from "./mixer.js";

const dc = (value: number, n = 160): Int16Array => new Int16Array(n).fill(value);

function byId(frames: readonly MixedFrame[]): Map<string, MixedFrame> {
  return new Map(frames.map((f) => [f.id, f]));
}

describe("AudioMixer", () => {
  it("mix-minus: each listener hears the sum of everyone else, never itself", () => {
    const m = new AudioMixer({ sampleRate: 8000, jitterMs: 20 });
    for (const id of ["a", "b", "c"]) m.add(id);
    m.push("a", dc(100));
    m.push("b", dc(200));
    m.push("c", dc(400));
    const f = byId(m.mix());
    expect(f.get("a")?.output).toEqual(dc(600));
    expect(f.get("b")?.output).toEqual(dc(500));
    expect(f.get("c")?.output).toEqual(dc(300));
    expect(f.get("a")?.input).toEqual(dc(100));
    expect([...f.values()].every((x) => x.active && x.othersActive)).toBe(true);
  });

  it("silence for a participant with nothing buffered; a lone talker hears silence", () => {
    const m = new AudioMixer({ sampleRate: 8000, jitterMs: 20 });
    m.add("a");
    m.add("b");
    m.push("a", dc(1000));
    const f = byId(m.mix());
    expect(f.get("a")?.output).toEqual(dc(0));
    expect(f.get("a")?.othersActive).toBe(false);
    expect(f.get("b")?.output).toEqual(dc(1000));
    expect(f.get("b")?.active).toBe(false);
    const g = byId(m.mix());
    expect(g.get("b")?.output).toEqual(dc(0));
    expect(g.get("b")?.othersActive).toBe(false);
  });

  it("waits for jitterMs before playing a participant, then plays frame by frame", () => {
    const m = new AudioMixer({ sampleRate: 8000, jitterMs: 40 });
    m.add("a");
    m.add("b");
    m.push("a", dc(1, 160));
    expect(byId(m.mix()).get("b")?.othersActive).toBe(false);
    m.push("a", dc(2, 160));
    const f = byId(m.mix());
    expect(f.get("b")?.output).toEqual(dc(1));
    expect(m.buffered("a")).toBe(160);
    expect(byId(m.mix()).get("b")?.output).toEqual(dc(2));
  });

  it("a talkspurt's tail longer than a frame but under jitterMs is played out frame by frame, padded", () => {
    const m = new AudioMixer({ sampleRate: 48000 });
    m.add("a", { listens: false });
    m.add("b");
    m.push("a", new Int16Array(1440).fill(100)); // 1.5 frames: under the 40 ms jitter
    const heard: number[][] = [];
    for (let t = 0; t < 4; t++) {
      const b = m.mix().find((f) => f.id === "b")!;
      heard.push([b.output[0]!, b.output[959]!]);
    }
    // starved for two ticks, then the tail: one whole frame, then the half frame padded
    expect(heard).toEqual([
      [0, 0],
      [100, 100],
      [100, 0],
      [0, 0],
    ]);
  });

  it("FIFO is bounded: beyond maxBufferMs the oldest samples are dropped and counted", () => {
    const m = new AudioMixer({ sampleRate: 8000, maxBufferMs: 200, jitterMs: 20 });
    m.add("a");
    m.add("b");
    for (let i = 0; i < 15; i++) m.push("a", dc(i, 160)); // 300 ms
    expect(m.buffered("a")).toBe(1600);
    expect(m.participantStats("a")?.droppedSamples).toBe(800);
    expect(m.stats().droppedSamples).toBe(800);
    // The oldest five frames (0 … 4) are gone: playback resumes with frame 5.
    expect(byId(m.mix()).get("b")?.output).toEqual(dc(5));
    // One push larger than the whole buffer keeps its newest part.
    m.push("a", sine(100, 8000, 4000));
    expect(m.buffered("a")).toBe(1600);
  });

  it("wraps around the ring buffer without losing or reordering samples", () => {
    const m = new AudioMixer({ sampleRate: 8000, maxBufferMs: 60, jitterMs: 20 });
    m.add("a");
    m.add("b");
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 50; round++) {
      const n = 70 + ((round * 37) % 120);
      const chunk = new Int16Array(n);
      for (let i = 0; i < n; i++) chunk[i] = next++ % 30000;
      m.push("a", chunk);
      while (m.buffered("a") >= 160) {
        const out = byId(m.mix()).get("b")?.output as Int16Array;
        if (out.some((v) => v !== 0)) {
          for (let i = 0; i < 160; i++) expect(out[i]).toBe(expected++ % 30000);
        }
      }
    }
    expect(m.stats().droppedSamples).toBe(0);
    expect(expected).toBeGreaterThan(5000);
  });

  it("an underrun is counted, the participant goes silent and re-buffers jitterMs", () => {
    const m = new AudioMixer({ sampleRate: 8000, jitterMs: 40 });
    m.add("a");
    m.add("b");
    m.push("a", dc(7, 320));
    m.mix();
    m.mix();
    expect(m.participantStats("a")?.framesPlayed).toBe(2);
    expect(byId(m.mix()).get("b")?.othersActive).toBe(false);
    expect(m.stats().underruns).toBe(1);
    m.push("a", dc(8, 160));
    expect(byId(m.mix()).get("b")?.othersActive).toBe(false); // 20 ms < jitterMs
    m.push("a", dc(9, 160));
    expect(byId(m.mix()).get("b")?.output).toEqual(dc(8));
  });

  it("plays the tail of a talkspurt, padded with silence, after jitterMs of starving", () => {
    const m = new AudioMixer({ sampleRate: 8000, jitterMs: 40 });
    m.add("a");
    m.add("b");
    m.push("a", dc(5, 400)); // 2.5 frames
    m.mix();
    m.mix();
    m.mix(); // underrun: 80 samples left
    m.mix(); // starving 1
    const out = byId(m.mix()).get("b")?.output as Int16Array; // starving 2 → flush
    expect(out.subarray(0, 80)).toEqual(dc(5, 80));
    expect(out.subarray(80)).toEqual(dc(0, 80));
    expect(m.buffered("a")).toBe(0);
  });

  it("clip saturation: sums beyond 16 bits clip at the rails and are counted", () => {
    const m = new AudioMixer({ sampleRate: 8000, jitterMs: 20 });
    for (const id of ["a", "b", "c"]) m.add(id);
    m.push("a", dc(30000));
    m.push("b", dc(30000));
    m.push("c", dc(-30000));
    const f = byId(m.mix());
    expect(f.get("c")?.output).toEqual(dc(32767));
    expect(f.get("a")?.output).toEqual(dc(0));
    expect(m.stats().saturatedSamples).toBe(160);
    m.push("a", dc(-30000));
    m.push("b", dc(-30000));
    m.push("c", dc(0));
    expect(byId(m.mix()).get("c")?.output).toEqual(dc(-32768));
  });

  it("soft saturation: linear below the knee, then compressed, never reaching beyond full scale", () => {
    const m = new AudioMixer({ sampleRate: 8000, jitterMs: 20, saturation: "soft" });
    m.add("a");
    m.add("b");
    m.add("c");
    const ramp = new Int16Array(160);
    for (let i = 0; i < 160; i++) ramp[i] = -32768 + Math.round((65535 * i) / 159);
    m.push("a", ramp);
    m.push("b", ramp);
    m.push("c", dc(0));
    const out = byId(m.mix()).get("c")?.output as Int16Array;
    for (let i = 1; i < 160; i++)
      expect(out[i] as number).toBeGreaterThanOrEqual(out[i - 1] as number);
    for (let i = 0; i < 160; i++) {
      const sum = 2 * (ramp[i] as number);
      if (Math.abs(sum) <= 24576) expect(out[i]).toBe(sum);
      else expect(Math.abs(out[i] as number)).toBeLessThanOrEqual(32767);
    }
    expect(Math.max(...out)).toBeGreaterThan(32000);
    expect(m.stats().saturatedSamples).toBeGreaterThan(0);
  });

  it("non-listeners contribute but get no output", () => {
    const m = new AudioMixer({ sampleRate: 16000, jitterMs: 20 });
    m.add("a", { listens: false });
    m.add("b");
    m.push("a", dc(3, 320));
    const f = byId(m.mix());
    expect(f.get("a")?.output.length).toBe(0);
    expect(f.get("b")?.output).toEqual(dc(3, 320));
    m.add("a", { listens: true });
    expect(byId(m.mix()).get("a")?.output.length).toBe(320);
  });

  it("remove forgets a participant; push to an unknown id is refused", () => {
    const m = new AudioMixer({ sampleRate: 8000 });
    m.add("a");
    expect(m.has("a")).toBe(true);
    expect(m.remove("a")).toBe(true);
    expect(m.remove("a")).toBe(false);
    expect(m.push("a", dc(1))).toBe(false);
    expect(m.size).toBe(0);
    expect(m.participantStats("a")).toBeUndefined();
  });

  it("rejects frames that are not whole samples and buffers smaller than the jitter", () => {
    expect(() => new AudioMixer({ sampleRate: 8000, frameMs: 0.01 })).toThrow(RangeError);
    expect(() => new AudioMixer({ sampleRate: 8000, maxBufferMs: 20, jitterMs: 40 })).toThrow(
      RangeError,
    );
  });

  it("frames$ mixes on a 20 ms virtual clock: 50 ticks a second, a tone goes through intact", () => {
    const s = new ManualScheduler();
    const m = new AudioMixer({ sampleRate: 48000, jitterMs: 20 });
    m.add("a");
    m.add("b");
    const times: number[] = [];
    const heard: Int16Array[] = [];
    const tone = sine(1000, 48000, 48000, 8000);
    let at = 0;
    const sub: Subscription = m.frames$(s).subscribe((frames) => {
      times.push(s.now());
      heard.push(byId(frames).get("b")?.output.slice() as Int16Array);
    });
    for (let i = 0; i < 50; i++) {
      m.push("a", tone.subarray(at, at + 960));
      at += 960;
      s.advance(20);
    }
    sub.unsubscribe();
    expect(times).toEqual(Array.from({ length: 50 }, (_, i) => 20 * (i + 1)));
    const all = new Int16Array(48000);
    for (const [i, h] of heard.entries()) all.set(h, i * 960);
    expect(all).toEqual(tone);
    expect(Math.sqrt(2 * goertzelPower(all, 1000, 48000))).toBeCloseTo(8000, -1);
  });
});
