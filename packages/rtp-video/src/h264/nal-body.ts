// The byte checks the H.264 depacketizer makes on a NAL unit as it writes it (RFC 6184 §5.2,
// H.264 §7.4.1): a single-NAL header, trailing zero bytes, start code emulation.
import { findStartCodeEmulation } from "./emulation-scan.js";

/** isSingleNalHeader is true for a NAL header with F = 0 and a type of 1..23 (RFC 6184 §5.2). */
export function isSingleNalHeader(header: number): boolean {
  const type = header & 0x1f;
  return (header & 0x80) === 0 && type >= 1 && type <= 23;
}

/**
 * withoutTrailingZeros returns where src[from, to) ends once trailing 0x00 bytes are cut: the
 * trailing_zero_8bits of a byte stream (H.264 §7.4.1, B.1.1) that some senders leave on a unit
 * when they split Annex-B at 3-byte start codes (baresip 1.0 sends its SPS so). They belong to
 * no NAL unit: the unit itself is fine.
 */
export function withoutTrailingZeros(src: Uint8Array, from: number, to: number): number {
  let end = to;
  while (end > from && src[end - 1] === 0) end--;
  return end;
}

/**
 * bodyOk checks NAL unit bytes src[from, to) as they are appended after `prev2`, `prev1` (the two
 * bytes already written before them; pass non-zero values at the start of a unit): no start code
 * emulation (00 00 00, 00 00 01, 00 00 02, H.264 §7.4.1) and, when `complete`, no trailing zero
 * byte. Such a unit would be split or merged wrongly by every Annex-B reader downstream. The
 * search is `findStartCodeEmulation` (WebAssembly SIMD, or the native byte search).
 */
export function bodyOk(
  src: Uint8Array,
  from: number,
  to: number,
  prev2: number,
  prev1: number,
  complete: boolean,
): boolean {
  if (to <= from) return !(complete && prev1 === 0);
  const b0 = src[from]!;
  if (
    prev1 === 0 &&
    ((prev2 === 0 && b0 <= 2) || (b0 === 0 && to - from > 1 && src[from + 1]! <= 2))
  ) {
    return false;
  }
  if (complete && src[to - 1] === 0) return false;
  return findStartCodeEmulation(src, from, to) < 0;
}

/** sameBytes is true when a and b hold the same bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
