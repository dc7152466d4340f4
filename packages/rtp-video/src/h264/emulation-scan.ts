// Start-code emulation search for NAL unit bodies (H.264 §7.4.1): the first position of
// 00 00 00, 00 00 01 or 00 00 02 in a range. It reads every byte of every NAL unit received, so
// it is the depacketizer's hottest loop. Real slices hold a zero byte every ~130 bytes, which
// makes a memchr-based search (Node's Buffer#indexOf) restart over a million times per 150 MB;
// a WebAssembly SIMD loop tests 16 positions per step instead, on a copy of the range in its own
// memory (copying a hot range costs a fraction of the search it replaces). The same loop finds
// the start codes of an access unit for the packetizer. That memory is shared by every caller
// (all of this is synchronous), grows to the largest range searched and is capped at 16 MiB.
// Where WebAssembly SIMD is missing, the native search (or a plain loop) does the same job.
import { indexOfBytes, START_CODE, ZERO_PAIR } from "../bytes.js";

/*
 * The module, in text form (one function, memory imported as "e" "m"):
 *
 * (func (export "f") (param $i i32) (param $to i32) (result i32)
 *   (block $scalar
 *     (loop $simd                                  ;; 16 positions per step while i + 18 <= to
 *       (br_if $scalar (i32.gt_u (i32.add (local.get $i) (i32.const 18)) (local.get $to)))
 *       (br_if $scalar (v128.any_true
 *         (v128.and
 *           (v128.and (i8x16.eq (v128.load offset=0 (local.get $i)) (v128.const i8x16 0 ...))
 *                     (i8x16.eq (v128.load offset=1 (local.get $i)) (v128.const i8x16 0 ...)))
 *           (i8x16.lt_u (v128.load offset=2 (local.get $i)) (v128.const i8x16 3 ...)))))
 *       (local.set $i (i32.add (local.get $i) (i32.const 16)))
 *       (br $simd)))
 *   (block $none                                   ;; the block with a hit, and the tail
 *     (loop $byte
 *       (br_if $none (i32.ge_u (i32.add (local.get $i) (i32.const 2)) (local.get $to)))
 *       (if (i32.and (i32.and (i32.eqz (i32.load8_u offset=0 (local.get $i)))
 *                             (i32.eqz (i32.load8_u offset=1 (local.get $i))))
 *                    (i32.lt_u (i32.load8_u offset=2 (local.get $i)) (i32.const 3)))
 *         (then (return (local.get $i))))
 *       (local.set $i (i32.add (local.get $i) (i32.const 1)))
 *       (br $byte)))
 *   (i32.const -1))
 */

const simd = (op: number): number[] => [0xfd, op]; // every opcode used is < 0x80 (one LEB byte)
const splat = (v: number): number[] => [...simd(0x0c), ...new Array<number>(16).fill(v)];
const GET_I = [0x20, 0];
const V128_LOAD = (offset: number): number[] => [...GET_I, ...simd(0x00), 0, offset];
const LOAD8_U = (offset: number): number[] => [...GET_I, 0x2d, 0, offset];

/** the hit mask of 16 positions from i + at: (b[k] == 0) & (b[k+1] == 0) & (b[k+2] < 3) */
const HITS = (at: number): number[] => [
  ...[...V128_LOAD(at), ...splat(0), ...simd(0x23)], // i8x16.eq
  ...[...V128_LOAD(at + 1), ...splat(0), ...simd(0x23)], // i8x16.eq
  ...simd(0x4e), // v128.and
  ...[...V128_LOAD(at + 2), ...splat(3), ...simd(0x26)], // i8x16.lt_u
  ...simd(0x4e), // v128.and
];

const CODE = [
  0x00, // no locals besides the two parameters
  ...[0x02, 0x40], // block $scalar
  ...[0x02, 0x40, 0x03, 0x40], // block $wide, loop $simd32: 32 positions per step
  ...[...GET_I, 0x41, 34, 0x6a, 0x20, 1, 0x4b, 0x0d, 1], // i + 34 > to: br_if $wide
  ...[...HITS(0), ...HITS(16), ...simd(0x50)], // v128.or of both halves
  ...[...simd(0x53), 0x0d, 1], // v128.any_true, br_if $wide (the 16-step loop finds it)
  ...[...GET_I, 0x41, 32, 0x6a, 0x21, 0, 0x0c, 0], // i += 32, br $simd32
  ...[0x0b, 0x0b], // end loop, end block $wide
  ...[0x03, 0x40], // loop $simd
  ...[...GET_I, 0x41, 18, 0x6a, 0x20, 1, 0x4b, 0x0d, 1], // i + 18 > to: br_if $scalar
  ...[...HITS(0), ...simd(0x53), 0x0d, 1], // v128.any_true, br_if $scalar
  ...[...GET_I, 0x41, 16, 0x6a, 0x21, 0, 0x0c, 0], // i += 16, br $simd
  ...[0x0b, 0x0b], // end loop, end block $scalar
  ...[0x02, 0x40, 0x03, 0x40], // block $none, loop $byte
  ...[...GET_I, 0x41, 2, 0x6a, 0x20, 1, 0x4f, 0x0d, 1], // i + 2 >= to: br_if $none
  ...[...LOAD8_U(0), 0x45, ...LOAD8_U(1), 0x45, 0x71], // eqz, eqz, i32.and
  ...[...LOAD8_U(2), 0x41, 3, 0x49, 0x71], // i32.lt_u 3, i32.and
  ...[0x04, 0x40, ...GET_I, 0x0f, 0x0b], // if: return i
  ...[...GET_I, 0x41, 1, 0x6a, 0x21, 0, 0x0c, 0], // i += 1, br $byte
  ...[0x0b, 0x0b], // end loop, end block
  ...[0x41, 0x7f, 0x0b], // i32.const -1, end
];

function section(id: number, bytes: readonly number[]): number[] {
  return [id, ...uleb(bytes.length), ...bytes];
}

function uleb(n: number): number[] {
  const out: number[] = [];
  let v = n;
  do {
    const b = v & 0x7f;
    v >>>= 7;
    out.push(v === 0 ? b : b | 0x80);
  } while (v !== 0);
  return out;
}

const MODULE = Uint8Array.from([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
  ...section(1, [1, 0x60, 2, 0x7f, 0x7f, 1, 0x7f]), // type: (i32, i32) -> i32
  ...section(2, [1, 1, 0x65, 1, 0x6d, 0x02, 0x00, 1]), // import "e" "m": memory, min 1 page
  ...section(3, [1, 0]), // one function of type 0
  ...section(7, [1, 1, 0x66, 0x00, 0]), // export "f": function 0
  ...section(10, [1, ...uleb(CODE.length), ...CODE]),
]);

interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (
    module: object,
    imports: { e: { m: WasmMemory } },
  ) => { exports: { f: (from: number, to: number) => number } };
  Memory: new (descriptor: { initial: number }) => WasmMemory;
}

const PAGE = 65536;
/** below this many bytes the native search is as fast as the copy and the call */
const MIN_WASM_BYTES = 64;
/**
 * the scanner's memory grows to the largest range searched and never shrinks: ranges above this
 * (larger than any frame under the default 8 MiB cap) use the native search instead
 */
const MAX_WASM_BYTES = 16 * 1024 * 1024;

interface Scanner {
  readonly memory: WasmMemory;
  view: Uint8Array;
  readonly find: (from: number, to: number) => number;
}

let scanner: Scanner | null | undefined; // undefined: not tried yet; null: unavailable

function loadScanner(): Scanner | null {
  try {
    const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (api === undefined || !api.validate(MODULE)) return null; // no WebAssembly, or no SIMD
    const memory = new api.Memory({ initial: 1 });
    const instance = new api.Instance(new api.Module(MODULE), { e: { m: memory } });
    return { memory, view: new Uint8Array(memory.buffer), find: instance.exports.f };
  } catch {
    return null; // e.g. a content security policy without 'wasm-unsafe-eval'
  }
}

/** useWasmScan turns the WebAssembly search off (false) or back on (true), for tests. */
export function useWasmScan(on: boolean): void {
  scanner = on ? undefined : null;
}

/**
 * findStartCodeEmulation returns the first index i in [from, to - 2) where src[i], src[i + 1]
 * are 0 and src[i + 2] is 0, 1 or 2 (a start-code emulation, H.264 §7.4.1), or -1.
 */
export function findStartCodeEmulation(src: Uint8Array, from: number, to: number): number {
  const n = to - from;
  if (n < 3) return -1;
  if (scanner === undefined) scanner = loadScanner();
  if (scanner === null || n < MIN_WASM_BYTES || n > MAX_WASM_BYTES) {
    return nativeFind(src, from, to);
  }
  const view = scannerView(scanner, n);
  if (view === undefined) return nativeFind(src, from, to);
  view.set(from === 0 && to === src.length ? src : src.subarray(from, to));
  const at = scanner.find(0, n);
  return at < 0 ? -1 : from + at;
}

/**
 * startCodePositions returns the index of every start code prefix 00 00 01 in `data`, in order
 * (H.264 §B.1); the search resumes after each prefix, as an Annex-B reader does.
 */
export function startCodePositions(data: Uint8Array): number[] {
  const out: number[] = [];
  const n = data.length;
  if (scanner === undefined) scanner = loadScanner();
  const view =
    scanner === null || n < MIN_WASM_BYTES || n > MAX_WASM_BYTES
      ? undefined
      : scannerView(scanner, n);
  if (scanner === null || view === undefined) {
    let at = indexOfBytes(data, START_CODE, 0);
    while (at >= 0) {
      out.push(at);
      at = indexOfBytes(data, START_CODE, at + 3);
    }
    return out;
  }
  // one copy, then every 00 00 0x (x <= 2) of the unit; keep those with x = 1
  view.set(data);
  let i = scanner.find(0, n);
  while (i >= 0) {
    if (view[i + 2] === 1) {
      out.push(i);
      i = scanner.find(i + 3, n);
    } else {
      i = scanner.find(i + 1, n);
    }
  }
  return out;
}

/** scannerView is the scanner's memory, grown to `n` bytes; undefined if it cannot grow. */
function scannerView(s: Scanner, n: number): Uint8Array | undefined {
  if (s.view.length < n) {
    try {
      s.memory.grow(Math.ceil((n - s.view.length) / PAGE));
    } catch {
      return undefined; // out of memory: the native search needs none
    }
    s.view = new Uint8Array(s.memory.buffer);
  }
  return s.view;
}

function nativeFind(src: Uint8Array, from: number, to: number): number {
  // the search is bounded by src, not by `to`: stop at the first pair at or past to - 2
  let i = indexOfBytes(src, ZERO_PAIR, from);
  while (i >= 0 && i + 2 < to) {
    if (src[i + 2]! <= 2) return i;
    i = indexOfBytes(src, ZERO_PAIR, i + 1);
  }
  return -1;
}
