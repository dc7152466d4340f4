import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { findStartCodeEmulation, startCodePositions, useWasmScan } from "./emulation-scan.js";

/** startCodesReference: each 00 00 01, the search resuming after it (H.264 §B.1). */
function startCodesReference(b: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i + 2 < b.length; i++) {
    if (b[i] === 0 && b[i + 1] === 0 && b[i + 2] === 1) {
      out.push(i);
      i += 2;
    }
  }
  return out;
}

/** reference is the definition: the first 00 00 0x (x <= 2) starting in [from, to - 2). */
function reference(b: Uint8Array, from: number, to: number): number {
  for (let i = from; i + 2 < to; i++) if (b[i] === 0 && b[i + 1] === 0 && b[i + 2]! <= 2) return i;
  return -1;
}

// bytes drawn mostly from 0..4, so zero pairs, emulations and near misses (00 00 03) abound
const zeroHeavy = fc.uint8Array({ minLength: 0, maxLength: 400 }).map((a) => {
  for (let i = 0; i < a.length; i++) if (a[i]! < 200) a[i] = a[i]! % 5;
  return a;
});
const withRange = zeroHeavy.chain((b) =>
  fc
    .tuple(fc.nat({ max: b.length }), fc.nat({ max: b.length }))
    .map(([x, y]) => ({ b, from: Math.min(x, y), to: Math.max(x, y) })),
);

describe("findStartCodeEmulation (H.264 §7.4.1)", () => {
  afterEach(() => useWasmScan(true));

  for (const wasm of [true, false]) {
    const path = wasm ? "WebAssembly SIMD" : "native search";
    it(`${path}: equals the definition for any bytes and any range`, () => {
      useWasmScan(wasm);
      fc.assert(
        fc.property(withRange, ({ b, from, to }) => {
          expect(findStartCodeEmulation(b, from, to)).toBe(reference(b, from, to));
        }),
        { numRuns: 2000 },
      );
    });

    it(`${path}: startCodePositions finds every 00 00 01 prefix, as an Annex-B reader does`, () => {
      useWasmScan(wasm);
      fc.assert(
        fc.property(zeroHeavy, (b) => {
          expect(startCodePositions(b)).toEqual(startCodesReference(b));
        }),
        { numRuns: 2000 },
      );
    });

    it(`${path}: finds each pattern at every offset of a long clean range, never past the end`, () => {
      useWasmScan(wasm);
      const n = 200;
      for (const third of [0, 1, 2, 3]) {
        for (let at = 0; at + 3 <= n; at++) {
          const b = new Uint8Array(n + 8).fill(0x55);
          b.set([0, 0, third], at);
          const want = third <= 2 ? at : -1;
          expect(findStartCodeEmulation(b, 0, n)).toBe(want);
          // a range that ends inside the pattern does not see it
          expect(findStartCodeEmulation(b, 0, at + 2)).toBe(-1);
          // a range that starts after its first byte does not see it
          expect(findStartCodeEmulation(b, at + 1, n)).toBe(-1);
        }
      }
    });
  }

  it("handles a range larger than the scanner's memory (it grows)", () => {
    const b = new Uint8Array(300_000).fill(7);
    expect(findStartCodeEmulation(b, 0, b.length)).toBe(-1);
    b.set([0, 0, 1], 250_000);
    expect(findStartCodeEmulation(b, 10, b.length)).toBe(250_000);
    expect(findStartCodeEmulation(b.subarray(100), 0, b.length - 100)).toBe(249_900);
  });
});
