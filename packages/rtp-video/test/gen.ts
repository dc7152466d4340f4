// Synthetic H.264 access units for tests: real parameter sets, slices of chosen size.
import { joinAnnexB } from "../src/index.js";

/** SPS of the fixture stream (x264 constrained baseline, 640x360). */
export const SPS = hex(
  "67 42 c0 1f da 02 80 bf e5 c0 44 00 00 03 00 04 00 00 03 00 f2 3c 60 ca 80",
);
/** PPS of the fixture stream. */
export const PPS = hex("68 ce 3c 80");

/** hex turns "67 42 c0" into bytes. */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/[^0-9a-f]/gi, "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** rng is test-support's seeded PRNG (mulberry32), under the name this package's tests use. */
export { prng as rng } from "@framewire/test-support";

/**
 * slice makes a slice NAL unit of `size` bytes (header included) whose body never contains
 * a zero byte, so it is valid in an Annex-B stream; first_mb_in_slice is 0 (first bit set).
 */
export function slice(type: 1 | 5, size: number, random: () => number): Uint8Array {
  const nal = new Uint8Array(Math.max(2, size));
  nal[0] = (type === 5 ? 0x60 : 0x40) | type;
  nal[1] = 0x80 | (1 + Math.floor(random() * 127));
  for (let i = 2; i < nal.length; i++) nal[i] = 1 + Math.floor(random() * 255);
  return nal;
}

/** accessUnit makes the NAL units of one frame: SPS+PPS+IDR for a keyframe, else one P slice. */
export function accessUnitNals(
  keyframe: boolean,
  size: number,
  random: () => number,
): Uint8Array[] {
  return keyframe ? [SPS, PPS, slice(5, size, random)] : [slice(1, size, random)];
}

/** stream makes `count` Annex-B access units, a keyframe every `gop` frames. */
export function stream(
  count: number,
  gop: number,
  size: (i: number) => number,
  random: () => number,
): Uint8Array[] {
  const aus: Uint8Array[] = [];
  for (let i = 0; i < count; i++)
    aus.push(joinAnnexB(accessUnitNals(i % gop === 0, size(i), random)));
  return aus;
}

/**
 * nalFromRbsp builds a NAL unit from a header byte and RBSP bytes: emulation prevention bytes
 * inserted (H.264 §7.4.1) and a non-zero last byte (rbsp_stop_one_bit).
 */
export function nalFromRbsp(header: number, rbsp: Uint8Array): Uint8Array {
  const out: number[] = [header];
  let zeros = 0;
  for (const b of rbsp) {
    if (zeros >= 2 && b <= 3) {
      out.push(3);
      zeros = 0;
    }
    out.push(b);
    zeros = b === 0 ? zeros + 1 : 0;
  }
  if (out.length === 1 || out[out.length - 1] === 0) out.push(0x80);
  return Uint8Array.from(out);
}
