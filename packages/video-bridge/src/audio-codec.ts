import { decodeAlaw, decodeMulaw, encodeAlaw, encodeMulaw } from "./g711.js";
import type { AudioSampleRate } from "./resample.js";

/** AudioDecoder turns one payload of a stream into Int16 PCM at the stream's sample rate. */
export interface AudioDecoder {
  decode(payload: Uint8Array): Int16Array;
}

/** AudioEncoder turns Int16 PCM at the stream's sample rate into one payload. */
export interface AudioEncoder {
  encode(pcm: Int16Array): Uint8Array;
}

/**
 * AudioCodecPlug makes a decoder per inbound stream and an encoder per outbound stream (codecs such
 * as Opus keep state per stream). G.711 and L16 are built in; a plug adds a codec such as Opus.
 */
export interface AudioCodecPlug {
  /** bytesPerSample when payloads may be split on sample boundaries (G.711 1, L16 2); 0 if not. */
  readonly bytesPerSample: number;
  /** fixedRate is the one rate the codec runs at (G.711: 8000), if it has one. */
  readonly fixedRate?: AudioSampleRate;
  createDecoder(sampleRate: AudioSampleRate): AudioDecoder;
  createEncoder(sampleRate: AudioSampleRate): AudioEncoder;
}

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

function stateless(
  bytesPerSample: number,
  decode: (data: Uint8Array) => Int16Array,
  encode: (pcm: Int16Array) => Uint8Array,
  fixedRate?: AudioSampleRate,
): AudioCodecPlug {
  const decoder: AudioDecoder = { decode };
  const encoder: AudioEncoder = { encode };
  return {
    bytesPerSample,
    ...(fixedRate === undefined ? {} : { fixedRate }),
    createDecoder: () => decoder,
    createEncoder: () => encoder,
  };
}

/** PCMU_CODEC is G.711 µ-law at 8 kHz (RTP payload type 0). */
export const PCMU_CODEC: AudioCodecPlug = stateless(
  1,
  (d) => decodeMulaw(d),
  (p) => encodeMulaw(p),
  8000,
);

/** PCMA_CODEC is G.711 A-law at 8 kHz (RTP payload type 8). */
export const PCMA_CODEC: AudioCodecPlug = stateless(
  1,
  (d) => decodeAlaw(d),
  (p) => encodeAlaw(p),
  8000,
);

/** L16_CODEC is 16-bit linear PCM, big-endian, at any supported rate (RFC 3551 §4.5.11). */
export const L16_CODEC: AudioCodecPlug = stateless(
  2,
  (d) => decodeL16(d),
  (p) => encodeL16(p),
);

/**
 * opusPacketSamples is an Opus packet's duration in 48 kHz samples, from its TOC byte
 * (RFC 6716 §3.1: configuration → frame size, code → frame count); 0 for a malformed packet.
 */
export function opusPacketSamples(packet: Uint8Array): number {
  const toc = packet[0];
  if (toc === undefined) return 0;
  const config = toc >> 3;
  // Frame size in 1/10 ms: SILK-only 10/20/40/60, hybrid 10/20, CELT-only 2.5/5/10/20.
  const tenths =
    config < 12
      ? ([100, 200, 400, 600] as const)[config & 3]
      : config < 16
        ? ([100, 200] as const)[config & 1]
        : ([25, 50, 100, 200] as const)[config & 3];
  const code = toc & 3;
  let frames: number;
  if (code === 0) frames = 1;
  else if (code === 3) {
    const count = packet[1];
    if (count === undefined) return 0;
    frames = count & 0x3f;
  } else frames = 2;
  return ((tenths as number) * 48 * frames) / 10;
}
