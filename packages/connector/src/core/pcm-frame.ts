/**
 * PcmFrame is a run of interleaved 16-bit PCM: what audio streams deliver and publications take
 * (LiveKit's `AudioFrame` and Vonage's `AudioData` are made from it by the facades).
 */
export interface PcmFrame {
  readonly data: Int16Array;
  readonly sampleRate: number;
  readonly channels: number;
  readonly samplesPerChannel: number;
}

/** pcmFrame makes a PcmFrame of `data` (whole frames of `channels` samples). */
export function pcmFrame(data: Int16Array, sampleRate: number, channels: number): PcmFrame {
  return { data, sampleRate, channels, samplesPerChannel: Math.floor(data.length / channels) };
}
