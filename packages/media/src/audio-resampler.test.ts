import { describe, expect, it } from "vitest";
import { AudioResampler } from "./audio-resampler.js";
import { nativeCounts } from "./native-counts.js";

function tone(rate: number, hz: number, seconds: number): Int16Array {
  const n = Math.round(rate * seconds);
  return Int16Array.from({ length: n }, (_, i) =>
    Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / rate)),
  );
}

/** crossings counts upward zero crossings: about the frequency times the duration. */
function crossings(s: Int16Array): number {
  let c = 0;
  for (let i = 1; i < s.length; i++) if (s[i - 1]! < 0 && s[i]! >= 0) c++;
  return c;
}

describe("AudioResampler", () => {
  it("48 kHz mono -> 8 kHz mono: a sixth of the samples, the 440 Hz tone kept", () => {
    const r = new AudioResampler(
      { sampleRate: 48000, channels: 1 },
      { sampleRate: 8000, channels: 1 },
    );
    let out = 0;
    let zc = 0;
    for (let k = 0; k < 50; k++) {
      const o = r.convert(tone(48000, 440, 1).subarray(k * 960, (k + 1) * 960));
      out += o.length;
      zc += crossings(o);
    }
    r.close();
    r.close();
    expect(Math.abs(out - 8000)).toBeLessThanOrEqual(64); // the filter delay, at most
    expect(Math.abs(zc - 440)).toBeLessThanOrEqual(30); // per-chunk edges miss some
    expect(nativeCounts().resamplers).toBe(0);
  });

  it("8 kHz mono -> 48 kHz stereo: six times the samples, two channels", () => {
    const r = new AudioResampler(
      { sampleRate: 8000, channels: 1 },
      { sampleRate: 48000, channels: 2 },
    );
    const o = r.convert(tone(8000, 440, 1));
    r.close();
    expect(Math.abs(o.length - 96000)).toBeLessThanOrEqual(2 * 64 * 6);
    expect(() => r.convert(new Int16Array(2))).toThrow(
      expect.objectContaining({ code: "INVALID_STATE" }),
    );
  });

  it("rejects an unknown rate, 3 channels and partial frames with BAD_OPTION", () => {
    expect(
      () =>
        new AudioResampler({ sampleRate: 22050, channels: 1 }, { sampleRate: 8000, channels: 1 }),
    ).toThrow(expect.objectContaining({ code: "BAD_OPTION" }));
    expect(
      () =>
        new AudioResampler({ sampleRate: 8000, channels: 3 }, { sampleRate: 8000, channels: 1 }),
    ).toThrow(expect.objectContaining({ code: "BAD_OPTION" }));
    const r = new AudioResampler(
      { sampleRate: 8000, channels: 2 },
      { sampleRate: 8000, channels: 1 },
    );
    expect(() => r.convert(new Int16Array(3))).toThrow(
      expect.objectContaining({ code: "BAD_OPTION" }),
    );
    r.close();
  });
});
