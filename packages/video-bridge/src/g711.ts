/**
 * G.711 companding (ITU-T G.711, 11/1988): µ-law (PCMU, RTP payload type 0) and A-law (PCMA,
 * payload type 8), between 16-bit linear PCM and 8-bit codes.
 *
 * Both laws are piecewise-linear: a code is a sign bit, a 3-bit segment (exponent) and a 4-bit
 * step within the segment (mantissa); each segment doubles the step of the one below.
 *
 * - µ-law works on 14-bit magnitudes biased by 33 (132 in the 16-bit domain): segment `e` holds
 *   biased magnitudes [32 << e, 64 << e), its step is 2 << e (8 << e in 16-bit units), and the
 *   code is transmitted with all bits inverted (so +0 is 0xff and −0 is 0x7f).
 * - A-law works on 12-bit magnitudes (13-bit signed): segments 0 and 1 share one step, each later
 *   segment doubles it, the sign bit is 1 for positive values, and even bits are inverted (XOR 0x55)
 *   so that +0 is 0xd5.
 *
 * 16-bit input is taken to the law's domain by dropping low bits (2 for µ-law, 3 for A-law) with
 * negative values folded by one's complement (−1 folds to magnitude 0), so the quantiser is
 * symmetric. Decoding returns the middle of each quantisation interval, scaled back to 16 bits:
 * µ-law spans ±32124, A-law ±32256. Every code round-trips (encode(decode(c)) === c) except µ-law's
 * negative zero: 0x7f decodes to 0, which encodes as +0, 0xff. A-law has no code for zero (its
 * smallest levels are ±8), so all 256 A-law codes round-trip.
 *
 * Encoding uses lookup tables built once from the algorithmic encoders below: the µ-law code only
 * depends on the top 14 bits of the sample (16,384 entries), the A-law code on the top 12 bits
 * (4,096 entries). Decoding uses 256-entry Int16Array tables.
 */

import { type AudioCodecPlug, statelessPlug } from "./audio-codec.js";

const MULAW_BIAS = 33;
const MULAW_CLIP = 0x1fff; // largest biased 14-bit magnitude

/** mulawEncodeSample encodes one 16-bit sample to a µ-law code (G.711 §2, Table 2) by computation. */
export function mulawEncodeSample(x: number): number {
  const negative = x < 0;
  // Fold to a 14-bit magnitude: one's complement for negatives so −1…−4 map to magnitude 0.
  let biased = ((negative ? ~x : x) >> 2) + MULAW_BIAS;
  if (biased > MULAW_CLIP) biased = MULAW_CLIP;
  // biased ∈ [33, 8191]: its highest set bit is bit 5 … 12, i.e. segment 0 … 7.
  const segment = 26 - Math.clz32(biased);
  const step = (biased >> (segment + 1)) & 0x0f;
  return ~((negative ? 0x80 : 0) | (segment << 4) | step) & 0xff;
}

/** mulawDecodeSample decodes one µ-law code to a 16-bit sample (interval midpoint) by computation. */
export function mulawDecodeSample(code: number): number {
  const c = ~code & 0xff;
  const segment = (c >> 4) & 0x07;
  const magnitude = ((((c & 0x0f) << 1) + MULAW_BIAS) << segment) - MULAW_BIAS;
  return (c & 0x80) !== 0 ? 0 - (magnitude << 2) : magnitude << 2;
}

/** alawEncodeSample encodes one 16-bit sample to an A-law code (G.711 §3, Table 1) by computation. */
export function alawEncodeSample(x: number): number {
  const positive = x >= 0;
  // 12-bit magnitude of the 13-bit signed sample, halved: segments 0 and 1 have a step of 2 there.
  const m = (positive ? x : ~x) >> 4; // 0 … 2047
  let code: number;
  if (m < 16) {
    code = m;
  } else {
    // highest set bit 4 … 10 is segment 1 … 7
    const segment = 28 - Math.clz32(m);
    code = (segment << 4) | ((m >> (segment - 1)) & 0x0f);
  }
  return ((positive ? 0x80 : 0) | code) ^ 0x55;
}

/** alawDecodeSample decodes one A-law code to a 16-bit sample (interval midpoint) by computation. */
export function alawDecodeSample(code: number): number {
  const c = (code ^ 0x55) & 0xff;
  const segment = (c >> 4) & 0x07;
  const step = c & 0x0f;
  const magnitude = segment === 0 ? (step << 4) + 8 : ((step << 4) + 264) << (segment - 1);
  return (c & 0x80) !== 0 ? magnitude : -magnitude;
}

/** mulawStepSize is the quantisation step, in 16-bit units, of the segment a µ-law code is in. */
export function mulawStepSize(code: number): number {
  return 8 << ((~code >> 4) & 0x07);
}

/** alawStepSize is the quantisation step, in 16-bit units, of the segment an A-law code is in. */
export function alawStepSize(code: number): number {
  const segment = ((code ^ 0x55) >> 4) & 0x07;
  return segment === 0 ? 16 : 8 << segment;
}

function buildDecodeTable(decode: (code: number) => number): Int16Array {
  const t = new Int16Array(256);
  for (let c = 0; c < 256; c++) t[c] = decode(c);
  return t;
}

const MULAW_DECODE = buildDecodeTable(mulawDecodeSample);
const ALAW_DECODE = buildDecodeTable(alawDecodeSample);

// Encode tables indexed by the sample's top bits as an unsigned field: (x >> 2) & 0x3fff for
// µ-law, (x >> 4) & 0xfff for A-law (the arithmetic shift commutes with the one's complement fold).
const MULAW_ENCODE = new Uint8Array(1 << 14);
for (let i = 0; i < 1 << 14; i++) MULAW_ENCODE[i] = mulawEncodeSample(((i << 18) >> 18) << 2);
const ALAW_ENCODE = new Uint8Array(1 << 12);
for (let i = 0; i < 1 << 12; i++) ALAW_ENCODE[i] = alawEncodeSample(((i << 20) >> 20) << 4);

/** encodeMulaw encodes Int16 PCM to µ-law bytes (one per sample), into `out` when given. */
export function encodeMulaw(pcm: Int16Array, out?: Uint8Array): Uint8Array {
  const n = pcm.length;
  const dst = out ?? new Uint8Array(n);
  if (dst.length < n) throw new RangeError(`encodeMulaw: out holds ${dst.length} < ${n} bytes`);
  for (let i = 0; i < n; i++) dst[i] = MULAW_ENCODE[((pcm[i] as number) >> 2) & 0x3fff] as number;
  return dst;
}

/** decodeMulaw decodes µ-law bytes to Int16 PCM (one sample per byte), into `out` when given. */
export function decodeMulaw(data: Uint8Array, out?: Int16Array): Int16Array {
  const n = data.length;
  const dst = out ?? new Int16Array(n);
  if (dst.length < n) throw new RangeError(`decodeMulaw: out holds ${dst.length} < ${n} samples`);
  for (let i = 0; i < n; i++) dst[i] = MULAW_DECODE[data[i] as number] as number;
  return dst;
}

/** encodeAlaw encodes Int16 PCM to A-law bytes (one per sample), into `out` when given. */
export function encodeAlaw(pcm: Int16Array, out?: Uint8Array): Uint8Array {
  const n = pcm.length;
  const dst = out ?? new Uint8Array(n);
  if (dst.length < n) throw new RangeError(`encodeAlaw: out holds ${dst.length} < ${n} bytes`);
  for (let i = 0; i < n; i++) dst[i] = ALAW_ENCODE[((pcm[i] as number) >> 4) & 0x0fff] as number;
  return dst;
}

/** decodeAlaw decodes A-law bytes to Int16 PCM (one sample per byte), into `out` when given. */
export function decodeAlaw(data: Uint8Array, out?: Int16Array): Int16Array {
  const n = data.length;
  const dst = out ?? new Int16Array(n);
  if (dst.length < n) throw new RangeError(`decodeAlaw: out holds ${dst.length} < ${n} samples`);
  for (let i = 0; i < n; i++) dst[i] = ALAW_DECODE[data[i] as number] as number;
  return dst;
}

/** MULAW_SILENCE is the µ-law code of a zero sample (+0). */
export const MULAW_SILENCE = 0xff;

/** ALAW_SILENCE is the A-law code of a zero sample (+0). */
export const ALAW_SILENCE = 0xd5;

/** PCMU_CODEC is G.711 µ-law at 8 kHz (RTP payload type 0). */
export const PCMU_CODEC: AudioCodecPlug = statelessPlug(
  1,
  (d) => decodeMulaw(d),
  (p) => encodeMulaw(p),
  8000,
);

/** PCMA_CODEC is G.711 A-law at 8 kHz (RTP payload type 8). */
export const PCMA_CODEC: AudioCodecPlug = statelessPlug(
  1,
  (d) => decodeAlaw(d),
  (p) => encodeAlaw(p),
  8000,
);
