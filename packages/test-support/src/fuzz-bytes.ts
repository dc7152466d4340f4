// fuzz-bytes: the byte-level mutator shared by the RTP, RTCP and SIP fuzzers: bit flips, byte
// overwrites with boundary values, truncation, insertion, deletion, duplication and 16/32-bit
// length-like fields set to lying values. Structure-aware mutators call it last.
import type { FuzzRandom } from "./fuzz-random.js";

/** MAX_FUZZ_INPUT_BYTES caps what the byte mutator makes (the largest UDP payload). */
export const MAX_FUZZ_INPUT_BYTES = 65_507;

const INTERESTING_8 = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x20, 0x0a, 0x0d, 0x3a] as const;
const INTERESTING_16 = [0x0000, 0x0001, 0x7fff, 0x8000, 0xffff, 0x00ff, 0xff00] as const;

/** ByteMutation names one byte-level mutation (the names appear in no outcome; for docs). */
export type ByteMutation =
  | "flip-bit"
  | "set-byte"
  | "random-byte"
  | "truncate"
  | "append"
  | "insert"
  | "delete"
  | "duplicate"
  | "set-u16"
  | "set-u32";

/** BYTE_MUTATIONS lists every byte-level mutation `mutateBytes` may apply. */
export const BYTE_MUTATIONS: readonly ByteMutation[] = [
  "flip-bit",
  "set-byte",
  "random-byte",
  "truncate",
  "append",
  "insert",
  "delete",
  "duplicate",
  "set-u16",
  "set-u32",
];

/** mutateByteOnce applies mutation `m` to `input` and returns the result (a new array or `input`). */
export function mutateByteOnce(r: FuzzRandom, input: Uint8Array, m: ByteMutation): Uint8Array {
  const n = input.length;
  switch (m) {
    case "flip-bit": {
      if (n === 0) return input;
      const out = input.slice();
      out[r.int(n)]! ^= 1 << r.int(8);
      return out;
    }
    case "set-byte": {
      if (n === 0) return input;
      const out = input.slice();
      out[r.int(n)] = r.pick(INTERESTING_8);
      return out;
    }
    case "random-byte": {
      if (n === 0) return input;
      const out = input.slice();
      out[r.int(n)] = r.int(256);
      return out;
    }
    case "truncate":
      return input.subarray(0, r.int(n + 1));
    case "append":
      return concat(input, r.bytes(1 + r.int(64)));
    case "insert": {
      const at = r.int(n + 1);
      return concat(input.subarray(0, at), r.bytes(1 + r.int(16)), input.subarray(at));
    }
    case "delete": {
      if (n === 0) return input;
      const at = r.int(n);
      return concat(input.subarray(0, at), input.subarray(at + 1 + r.int(Math.min(16, n - at))));
    }
    case "duplicate": {
      if (n === 0) return input;
      const at = r.int(n);
      const len = 1 + r.int(Math.min(64, n - at));
      return concat(input.subarray(0, at + len), input.subarray(at));
    }
    case "set-u16": {
      if (n < 2) return input;
      const out = input.slice();
      const at = r.int(n - 1);
      const v = r.chance(0.5) ? r.pick(INTERESTING_16) : (n + r.range(-2, 2)) & 0xffff;
      out[at] = v >> 8;
      out[at + 1] = v & 0xff;
      return out;
    }
    case "set-u32": {
      if (n < 4) return input;
      const out = input.slice();
      const at = r.int(n - 3);
      new DataView(out.buffer, out.byteOffset + at, 4).setUint32(
        0,
        r.pick([0, 1, 0x7fffffff, 0x80000000, 0xffffffff]),
      );
      return out;
    }
  }
}

/** mutateBytes applies 1..`max` random byte-level mutations to `input`; the result is capped. */
export function mutateBytes(r: FuzzRandom, input: Uint8Array, max = 4): Uint8Array {
  let out = input;
  const times = 1 + r.int(max);
  for (let i = 0; i < times; i++) out = mutateByteOnce(r, out, r.pick(BYTE_MUTATIONS));
  return out.length > MAX_FUZZ_INPUT_BYTES ? out.subarray(0, MAX_FUZZ_INPUT_BYTES) : out;
}

/** concat joins byte arrays (or lists of byte values) into a new array. */
export function concat(...parts: readonly (Uint8Array | readonly number[])[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
