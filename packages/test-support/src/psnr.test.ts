import { describe, expect, it } from "vitest";
import { MediaCheckError } from "./media-check-error.js";
import { prng } from "./prng.js";
import { psnr, psnrI420 } from "./psnr.js";

describe("psnr", () => {
  it("is Infinity for equal buffers and 10·log10(255²/MSE) otherwise", () => {
    const a = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
    expect(psnr(a, a.slice())).toBe(Number.POSITIVE_INFINITY);
    // every sample off by 1: MSE 1 → 48.13 dB; by 16: MSE 256 → 24.05 dB
    const b = a.map((v) => (v === 255 ? 254 : v + 1));
    expect(psnr(a, b)).toBeCloseTo(20 * Math.log10(255), 10);
    const c = a.map((v) => (v < 128 ? v + 16 : v - 16));
    expect(psnr(a, c)).toBeCloseTo(10 * Math.log10((255 * 255) / 256), 10);
    // one sample off by 255 in 1000: MSE 65.025 → 30 dB
    const d = a.slice();
    d[0] = 255;
    expect(psnr(a, d)).toBeCloseTo(30, 10);
  });

  it("falls as noise grows, and is symmetric", () => {
    const rand = prng(7);
    const a = Uint8Array.from({ length: 4096 }, () => Math.floor(rand() * 256));
    const noisy = (amp: number) =>
      a.map((v) => Math.max(0, Math.min(255, v + Math.round((rand() - 0.5) * 2 * amp))));
    const [p2, p8, p32] = [2, 8, 32].map((amp) => psnr(a, noisy(amp)));
    expect(p2).toBeGreaterThan(p8!);
    expect(p8).toBeGreaterThan(p32!);
    const n = noisy(4);
    expect(psnr(a, n)).toBe(psnr(n, a));
  });

  it("refuses buffers of different or zero length (BAD_OPTION)", () => {
    expect(() => psnr(new Uint8Array(3), new Uint8Array(4))).toThrow(MediaCheckError);
    expect(() => psnr(new Uint8Array(0), new Uint8Array(0))).toThrow(/BAD_OPTION/);
  });
});

describe("psnrI420", () => {
  it("splits the planes of an odd-sized picture (chroma rounded up)", () => {
    const [w, h] = [5, 3]; // Y 15, U and V 3x2 = 6 each: 27 bytes
    const a = new Uint8Array(27).fill(100);
    const b = a.slice();
    b[15] = 110; // one U sample off by 10: MSE_u = 100/6
    const r = psnrI420(a, b, w, h);
    expect(r.y).toBe(Number.POSITIVE_INFINITY);
    expect(r.v).toBe(Number.POSITIVE_INFINITY);
    expect(r.u).toBeCloseTo(10 * Math.log10((255 * 255 * 6) / 100), 10);
    expect(r.all).toBeCloseTo(psnr(a, b), 10);
    b[26] = 90; // the last V sample
    expect(psnrI420(a, b, w, h).v).toBeCloseTo(r.u, 10);
  });

  it("refuses a buffer that is not an i420 picture of that size", () => {
    expect(() => psnrI420(new Uint8Array(26), new Uint8Array(26), 5, 3)).toThrow(/BAD_OPTION/);
    expect(() => psnrI420(new Uint8Array(1), new Uint8Array(1), 0, 1)).toThrow(/BAD_OPTION/);
  });
});
