// Byte search helpers for hot paths. Node's Buffer.prototype.indexOf is a native memmem that
// accepts any Uint8Array (it is bounded by the view's length and allocates nothing); elsewhere a
// plain loop does the same job.

type IndexOf = (this: Uint8Array, needle: Uint8Array, from: number) => number;

const nativeIndexOf: IndexOf | undefined = (
  globalThis as { Buffer?: { prototype: { indexOf: IndexOf } } }
).Buffer?.prototype.indexOf;

function loopIndexOf(hay: Uint8Array, needle: Uint8Array, from: number): number {
  const n = needle.length;
  const last = hay.length - n;
  outer: for (let i = Math.max(0, from); i <= last; i++) {
    for (let k = 0; k < n; k++) if (hay[i + k] !== needle[k]) continue outer;
    return i;
  }
  return -1;
}

/** indexOfBytes returns the first index ≥ `from` where `needle` occurs in `hay`, or -1. */
export function indexOfBytes(hay: Uint8Array, needle: Uint8Array, from: number): number {
  if (from >= hay.length) return -1;
  return nativeIndexOf === undefined
    ? loopIndexOf(hay, needle, from)
    : nativeIndexOf.call(hay, needle, from);
}

/** START_CODE is the 3-byte Annex-B start code prefix. */
export const START_CODE = Uint8Array.of(0, 0, 1);
/** ZERO_PAIR is the two zero bytes every start-code emulation begins with. */
export const ZERO_PAIR = Uint8Array.of(0, 0);
