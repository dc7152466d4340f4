import { type AudioCodecPlug, statelessPlug } from "./audio-codec.js";

/** encodeL16 writes Int16 PCM as L16: 16-bit big-endian signed samples (RFC 3551 §4.5.11). */
export function encodeL16(pcm: Int16Array, out?: Uint8Array): Uint8Array {
  const n = pcm.length;
  const dst = out ?? new Uint8Array(n * 2);
  if (dst.length < n * 2)
    throw new RangeError(`encodeL16: out holds ${dst.length} < ${n * 2} bytes`);
  for (let i = 0, j = 0; i < n; i++, j += 2) {
    const v = pcm[i] as number;
    dst[j] = (v >> 8) & 0xff;
    dst[j + 1] = v & 0xff;
  }
  return dst;
}

/** decodeL16 reads L16 (16-bit big-endian) into Int16 PCM; a trailing odd byte is ignored. */
export function decodeL16(data: Uint8Array, out?: Int16Array): Int16Array {
  const n = data.length >> 1;
  const dst = out ?? new Int16Array(n);
  if (dst.length < n) throw new RangeError(`decodeL16: out holds ${dst.length} < ${n} samples`);
  for (let i = 0, j = 0; i < n; i++, j += 2) {
    dst[i] = (((data[j] as number) << 24) >> 16) | (data[j + 1] as number);
  }
  return dst;
}

/** L16_CODEC is 16-bit linear PCM, big-endian, at any supported rate (RFC 3551 §4.5.11). */
export const L16_CODEC: AudioCodecPlug = statelessPlug(
  2,
  (d) => decodeL16(d),
  (p) => encodeL16(p),
);
