import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { concat, db, goertzelPower, rms, sine, zeroCrossings } from "../test/audio-signals.js";
import {
  AUDIO_SAMPLE_RATES,
  type AudioSampleRate,
  frequencyResponseDb,
  isAudioSampleRate,
  lowPassPrototype,
  Resampler,
  resample,
} from "./resample.js";

const PAIRS: [AudioSampleRate, AudioSampleRate][] = [];
for (const a of AUDIO_SAMPLE_RATES) for (const b of AUDIO_SAMPLE_RATES) PAIRS.push([a, b]);

/** skip is how many output samples to leave out of measurements: the filter's start-up. */
function skip(r: Resampler): number {
  return Math.ceil((r.delayMs * 2 * r.to) / 1000) + 4;
}

describe("Resampler", () => {
  it("knows its rates", () => {
    expect(isAudioSampleRate(16000)).toBe(true);
    expect(isAudioSampleRate(44100)).toBe(false);
    expect(() => new Resampler(44100 as AudioSampleRate, 8000)).toThrow(RangeError);
    expect(() => lowPassPrototype(2, { tapsPerPhase: 1 })).toThrow(RangeError);
    expect(() => lowPassPrototype(2, { cutoff: 0 })).toThrow(RangeError);
  });

  it("filter design: passband flat, stopband ≥ 70 dB (measured for R = 2, 3, 6)", () => {
    const lines: string[] = [];
    for (const ratio of [2, 3, 6]) {
      const h = lowPassPrototype(ratio);
      const high = 48000;
      const lowNyquist = high / ratio / 2;
      let ripple = 0;
      for (let f = 0; f <= 0.75 * lowNyquist; f += lowNyquist / 200) {
        ripple = Math.max(ripple, Math.abs(frequencyResponseDb(h, f, high)));
      }
      let stop = -Infinity;
      for (let f = 1.08 * lowNyquist; f <= high / 2; f += lowNyquist / 400) {
        stop = Math.max(stop, frequencyResponseDb(h, f, high));
      }
      const at = frequencyResponseDb(h, 0.92 * lowNyquist, high);
      lines.push(
        `R=${ratio} N=${h.length}: passband ripple ${ripple.toFixed(3)} dB, ` +
          `${(0.92 * lowNyquist).toFixed(0)} Hz ${at.toFixed(1)} dB, stopband max ${stop.toFixed(1)} dB`,
      );
      expect(ripple).toBeLessThan(0.05);
      expect(at).toBeGreaterThan(-6.5);
      expect(at).toBeLessThan(-5.5);
      expect(stop).toBeLessThan(-70);
    }
    console.info(`resample filter (at 48 kHz scale): ${lines.join("; ")}`);
  });

  for (const [from, to] of PAIRS) {
    it(`${from} → ${to}: a 1 kHz sine keeps its frequency and its level within 1 dB`, () => {
      const r = new Resampler(from, to);
      const x = sine(1000, from, from, 12_000); // 1 s
      const y = r.process(x);
      expect(y.length).toBe(to);
      const s = skip(r);
      const seconds = (y.length - s) / to;
      // 2 crossings per period; ±1 for where the window cuts the wave.
      expect(Math.abs(zeroCrossings(y, s) - 2000 * seconds)).toBeLessThanOrEqual(2);
      const level = db(rms(y, s) / rms(x, Math.ceil((s * from) / to)));
      expect(Math.abs(level)).toBeLessThan(1);
      // Almost all the power is at 1 kHz.
      const p = goertzelPower(y, 1000, to, s, s + Math.floor((y.length - s) / 8) * 8);
      expect(Math.abs(db(Math.sqrt(2 * p) / 12_000))).toBeLessThan(0.5);
    });
  }

  it("48 → 8 kHz: a 6 kHz tone is attenuated ≥ 60 dB (its alias at 2 kHz is gone)", () => {
    const r = new Resampler(48000, 8000);
    const x = sine(6000, 48000, 48000, 16_000);
    const y = r.process(x);
    const s = skip(r);
    const outRms = rms(y, s);
    const attenuation = -db(outRms / rms(x));
    console.info(`48→8 kHz, 6 kHz tone: attenuated ${attenuation.toFixed(1)} dB`);
    expect(attenuation).toBeGreaterThan(60);
    // Without a filter, picking every 6th sample would alias the tone to 2 kHz at full level.
    const naive = new Int16Array(8000);
    for (let i = 0; i < 8000; i++) naive[i] = x[i * 6 + 1] as number;
    expect(-db(rms(naive) / rms(x))).toBeLessThan(3);
  });

  it("16 → 8 kHz and 48 → 16 kHz: tones above the new Nyquist frequency are attenuated ≥ 60 dB", () => {
    for (const [from, to, hz] of [
      [16000, 8000, 5000],
      [48000, 16000, 10000],
      [48000, 16000, 20000],
    ] as const) {
      const r = new Resampler(from, to);
      const x = sine(hz, from, from, 16_000);
      const y = r.process(x);
      expect(-db(rms(y, skip(r)) / rms(x))).toBeGreaterThan(60);
    }
  });

  it("8 → 48 kHz: images of a 1 kHz tone (at 7, 9, 15, 17 kHz) are ≥ 60 dB down", () => {
    const r = new Resampler(8000, 48000);
    const y = r.process(sine(1000, 8000, 8000, 16_000));
    const s = skip(r);
    const n = y.length - s;
    const main = goertzelPower(y, 1000, 48000, s, s + n);
    for (const image of [7000, 9000, 15000, 17000]) {
      expect(10 * Math.log10(goertzelPower(y, image, 48000, s, s + n) / main)).toBeLessThan(-60);
    }
  });

  it("chunked processing equals one-shot processing, for any chunking (fast-check)", () => {
    const x = concat([sine(440, 48000, 3000, 9000), sine(3100, 48000, 3000, 9000)]);
    fc.assert(
      fc.property(
        fc.constantFrom(...PAIRS),
        fc.array(fc.integer({ min: 0, max: 700 }), { minLength: 1, maxLength: 20 }),
        ([from, to], cuts) => {
          const whole = resample(x, from, to);
          const r = new Resampler(from, to);
          const parts: Int16Array[] = [];
          let at = 0;
          for (const c of cuts) {
            const end = Math.min(x.length, at + c);
            const expected = r.outputLength(end - at);
            const part = r.process(x.subarray(at, end));
            expect(part.length).toBe(expected);
            parts.push(part);
            at = end;
          }
          parts.push(r.process(x.subarray(at)));
          expect(concat(parts)).toEqual(whole);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("no click between 20 ms chunks: the output of a chunked sine has no jump larger than the sine's", () => {
    for (const [from, to] of PAIRS) {
      const r = new Resampler(from, to);
      const frame = from / 50;
      const parts: Int16Array[] = [];
      const x = sine(440, from, from, 20_000);
      for (let at = 0; at < x.length; at += frame)
        parts.push(r.process(x.subarray(at, at + frame)));
      const y = concat(parts);
      const maxStep = 2 * Math.PI * (440 / to) * 20_000 * 1.05;
      let worst = 0;
      for (let i = skip(r); i < y.length; i++) {
        worst = Math.max(worst, Math.abs((y[i] as number) - (y[i - 1] as number)));
      }
      expect(worst).toBeLessThan(maxStep);
    }
  });

  it("reset starts the stream again from silence", () => {
    const r = new Resampler(8000, 16000);
    const x = sine(700, 8000, 160);
    const first = r.process(x);
    r.process(x);
    r.reset();
    expect(r.process(x)).toEqual(first);
  });

  it("saturates instead of wrapping: Gibbs overshoot of a full-scale square wave clips at the rails", () => {
    for (const [from, to] of PAIRS) {
      if (from === to) continue;
      const half = from / 100; // 10 ms flats
      const x = new Int16Array(from / 5);
      for (let i = 0; i < x.length; i++) x[i] = Math.floor(i / half) % 2 === 0 ? 32767 : -32768;
      const r = new Resampler(from, to);
      const y = r.process(x);
      const delayIn = (r.delayMs * from) / 1000;
      let railHits = 0;
      for (let j = 0; j < y.length; j++) {
        // An upsampled output j is at input time j / R; a downsampled one at the last of its R inputs.
        const t = from > to ? j * (from / to) + from / to - 1 - delayIn : (j * from) / to - delayIn;
        const margin = 2 * Math.max(1, from / to); // the filter's rise time, in input samples
        if (t < margin) continue;
        const pos = t % half;
        if (pos < margin || pos > half - margin) continue; // at a transition
        const high = Math.floor(t / half) % 2 === 0;
        const v = y[j] as number;
        if (high ? v < 16_000 : v > -16_000) expect.fail(`${from}→${to}: y[${j}] = ${v}`);
        if (v === 32767 || v === -32768) railHits++;
      }
      expect(railHits).toBeGreaterThan(0);
    }
  });

  it("equal rates copy the input", () => {
    const x = sine(1000, 16000, 320);
    const r = new Resampler(16000, 16000);
    const y = r.process(x);
    expect(y).toEqual(x);
    expect(y).not.toBe(x);
    expect(r.delayMs).toBe(0);
  });
});
