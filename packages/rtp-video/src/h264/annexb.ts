import { startCodePositions } from "./emulation-scan.js";
import { H264NalType } from "./nal.js";

/**
 * splitAnnexB returns the NAL units of an Annex-B byte stream (H.264 Annex B), as views into
 * `data` without start codes. 3- and 4-byte start codes are accepted; bytes before the first
 * start code, and trailing zero bytes of a NAL unit (trailing_zero_8bits), are not part of it.
 */
export function splitAnnexB(data: Uint8Array): Uint8Array[] {
  const bounds: number[] = [];
  const count = annexBUnitBounds(data, bounds);
  const units: Uint8Array[] = [];
  for (let k = 0; k < count; k++) units.push(data.subarray(bounds[2 * k]!, bounds[2 * k + 1]!));
  return units;
}

/**
 * annexBUnitBounds finds the NAL units of an Annex-B byte stream as `splitAnnexB` does, but
 * writes their [start, end) offsets into `out` (pairs, start codes and trailing zeros
 * excluded, empty units skipped) instead of making views; returns the number of units.
 */
export function annexBUnitBounds(data: Uint8Array, out: number[]): number {
  out.length = 0;
  const at = startCodePositions(data);
  for (let k = 0; k < at.length; k++) {
    const start = at[k]! + 3;
    const next = k + 1 < at.length ? at[k + 1]! : -1;
    const end = next < 0 ? data.length : trimZeros(data, start, next);
    if (end > start) out.push(start, end);
  }
  return out.length / 2;
}

function trimZeros(data: Uint8Array, start: number, end: number): number {
  let e = end;
  while (e > start && data[e - 1] === 0) e--;
  return e;
}

/**
 * annexBStartCodeLength is the start code H.264 §B.1.2 prescribes before a NAL unit: 4 bytes
 * (zero_byte + 00 00 01) for the first NAL unit of an access unit and for SPS and PPS, 3 otherwise.
 */
export function annexBStartCodeLength(nalHeader: number, firstInAccessUnit: boolean): 3 | 4 {
  const type = nalHeader & 0x1f;
  return firstInAccessUnit || type === H264NalType.SPS || type === H264NalType.PPS ? 4 : 3;
}

/** joinAnnexB writes NAL units as one access unit in Annex-B form (start codes per §B.1.2). */
export function joinAnnexB(units: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (let i = 0; i < units.length; i++) {
    const u = units[i]!;
    if (u.length === 0) continue;
    size += annexBStartCodeLength(u[0]!, size === 0) + u.length;
  }
  const out = new Uint8Array(size);
  let o = 0;
  for (let i = 0; i < units.length; i++) {
    const u = units[i]!;
    if (u.length === 0) continue;
    if (annexBStartCodeLength(u[0]!, o === 0) === 4) o++;
    out[o + 2] = 1;
    o += 3;
    out.set(u, o);
    o += u.length;
  }
  return out;
}
