// fuzz-random: the per-input random source of the fuzzers, so that input `index` of a run with
// `seed` is made again from (seed, index) alone, whatever came before it.
import { prng } from "./prng.js";

/** fuzzInputSeed mixes a run's seed, an input index and a stream number into one 32-bit seed. */
export function fuzzInputSeed(seed: number, index: number, stream = 0): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** FuzzRandom is a seeded random source with the draws mutators need (test-support's prng). */
export class FuzzRandom {
  private readonly next: () => number;

  constructor(seed: number) {
    this.next = prng(seed);
  }

  /** float is a number in [0, 1). */
  float(): number {
    return this.next();
  }

  /** int is an integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** range is an integer in [lo, hi], both included. */
  range(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** chance is true with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** pick is one element of a non-empty list. */
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)] as T;
  }

  /** bytes is `n` random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(this.next() * 256);
    return out;
  }
}

/** fuzzRandom is the random source of input `index` of a run with `seed` (and `stream`). */
export function fuzzRandom(seed: number, index: number, stream = 0): FuzzRandom {
  return new FuzzRandom(fuzzInputSeed(seed, index, stream));
}
