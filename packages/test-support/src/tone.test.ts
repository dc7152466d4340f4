import { describe, expect, it } from "vitest";
import { prng } from "./prng.js";
import { dominantFrequency, rmsDbfs, sineTone, toneLevels } from "./tone.js";

describe("dominantFrequency", () => {
  it("finds a pure tone within 0.2 Hz at 8, 16 and 48 kHz", () => {
    for (const [hz, rate] of [
      [440, 8000],
      [1000, 8000],
      [1234.5, 16000],
      [997, 48000],
      [3500, 8000],
    ] as const) {
      const f = dominantFrequency(sineTone(hz, rate, rate * 2), rate);
      expect(Math.abs(f - hz), `${hz} Hz at ${rate}`).toBeLessThan(0.2);
    }
  });

  it("reads Float32 samples as well as Int16", () => {
    const f32 = Float32Array.from(sineTone(1000, 8000, 8000), (v) => v / 32768);
    expect(dominantFrequency(f32, 8000)).toBeCloseTo(1000, 0);
  });

  it("takes the strongest of mixed tones, and keeps to the band", () => {
    const a = sineTone(440, 8000, 16000, 0.2);
    const b = sineTone(880, 8000, 16000, 0.4);
    const mix = a.map((v, i) => v + b[i]!);
    expect(dominantFrequency(mix, 8000)).toBeCloseTo(880, 0);
    expect(dominantFrequency(mix, 8000, { minHz: 300, maxHz: 600 })).toBeCloseTo(440, 0);
    expect(dominantFrequency(mix, 8000, { minHz: 1000 })).not.toBeCloseTo(880, 0);
  });

  it("finds a tone in noise, in a short signal (zero-padded), and NaN in silence", () => {
    const rand = prng(3);
    const tone = sineTone(700, 8000, 8000, 0.1);
    const noisy = tone.map((v) => v + Math.round((rand() - 0.5) * 0.3 * 32768));
    expect(Math.abs(dominantFrequency(noisy, 8000) - 700)).toBeLessThan(1);
    // 20 ms of 1 kHz: bins of ~1 Hz over a padded 160-sample window still peak at 1 kHz
    expect(Math.abs(dominantFrequency(sineTone(1000, 8000, 160), 8000) - 1000)).toBeLessThan(10);
    expect(dominantFrequency(new Int16Array(8000), 8000)).toBeNaN();
    expect(dominantFrequency(new Int16Array(0), 8000)).toBeNaN();
  });

  it("refuses a band outside 0..rate/2", () => {
    expect(() => dominantFrequency(new Int16Array(10), 8000, { maxHz: 5000 })).toThrow(
      /BAD_OPTION/,
    );
    expect(() => dominantFrequency(new Int16Array(10), 8000, { minHz: 500, maxHz: 400 })).toThrow(
      /BAD_OPTION/,
    );
    expect(() => dominantFrequency(new Int16Array(10), 0)).toThrow(/BAD_OPTION/);
  });
});

describe("toneLevels", () => {
  it("gives each tone's amplitude in dBFS (0.25 of full scale is -12.04)", () => {
    const [l440, l1000] = toneLevels(sineTone(440, 8000, 8000), 8000, [440, 1000]);
    expect(l440).toBeCloseTo(20 * Math.log10(0.25), 1);
    expect(l1000).toBeLessThan(-80);
  });

  it("finds both callers' tones in a mix (440 and 880 Hz) and not a third", () => {
    const mix = sineTone([440, 880], 8000, 8000, 0.2);
    const [a, b, c] = toneLevels(mix, 8000, [440, 880, 660]);
    expect(a).toBeCloseTo(20 * Math.log10(0.2), 1);
    expect(b).toBeCloseTo(20 * Math.log10(0.2), 1);
    expect(c).toBeLessThan(-80);
    // only one caller: the other's tone is missing
    const [x, y] = toneLevels(sineTone(440, 8000, 8000, 0.2), 8000, [440, 880]);
    expect(x! - y!).toBeGreaterThan(60);
  });

  it("is -Infinity for silence and refuses a frequency above rate/2", () => {
    expect(toneLevels(new Int16Array(800), 8000, [440])).toEqual([Number.NEGATIVE_INFINITY]);
    expect(() => toneLevels(new Int16Array(8), 8000, [4001])).toThrow(/BAD_OPTION/);
  });
});

describe("rmsDbfs and sineTone", () => {
  it("a full-scale sine is -3.01 dBFS; silence -Infinity", () => {
    expect(rmsDbfs(sineTone(1000, 8000, 8000, 1))).toBeCloseTo(-3.01, 1);
    expect(rmsDbfs(new Float32Array(10))).toBe(Number.NEGATIVE_INFINITY);
  });

  it("sineTone starts at phase 0 and refuses amplitudes that clip", () => {
    const t = sineTone(2000, 8000, 4, 0.25); // quarter-period steps: 0, +A, 0, -A (A = 0.25·32767)
    expect([...t]).toEqual([0, 8192, 0, -8192]);
    expect(() => sineTone([440, 880], 8000, 10, 0.6)).toThrow(/BAD_OPTION/);
  });
});
