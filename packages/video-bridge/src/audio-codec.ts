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

/** statelessPlug is the plug of a codec without per-stream state: one decoder and one encoder for all. */
export function statelessPlug(
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
