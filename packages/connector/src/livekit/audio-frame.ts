import { ConnectorError } from "../errors.js";

/**
 * AudioFrame is LiveKit's audio frame (`@livekit/rtc-node` 1.1.0): interleaved 16-bit PCM,
 * `samplesPerChannel` samples of each of `channels`. The constructor checks that `data` holds
 * exactly that many (LiveKit's does not; a short buffer there fails later).
 */
export class AudioFrame {
  data: Int16Array;
  sampleRate: number;
  channels: number;
  samplesPerChannel: number;
  readonly #userdata: Record<string, unknown>;

  constructor(
    data: Int16Array,
    sampleRate: number,
    channels: number,
    samplesPerChannel: number,
    userdata: Record<string, unknown> = {},
  ) {
    if (!(data instanceof Int16Array))
      throw new ConnectorError("BAD_OPTION", "AudioFrame data must be an Int16Array");
    for (const [name, v] of [
      ["sampleRate", sampleRate],
      ["channels", channels],
      ["samplesPerChannel", samplesPerChannel],
    ] as const) {
      if (!Number.isInteger(v) || v < (name === "samplesPerChannel" ? 0 : 1))
        throw new ConnectorError(
          "BAD_OPTION",
          `AudioFrame ${name} must be a positive integer, got ${v}`,
        );
    }
    if (data.length !== channels * samplesPerChannel)
      throw new ConnectorError(
        "BAD_OPTION",
        `AudioFrame data holds ${data.length} samples, not channels × samplesPerChannel = ${channels * samplesPerChannel}`,
      );
    this.data = data;
    this.sampleRate = sampleRate;
    this.channels = channels;
    this.samplesPerChannel = samplesPerChannel;
    this.#userdata = userdata;
  }

  /** create makes a silent frame of that format. */
  static create(
    sampleRate: number,
    channels: number,
    samplesPerChannel: number,
    userdata?: Record<string, unknown>,
  ): AudioFrame {
    return new AudioFrame(
      new Int16Array(channels * samplesPerChannel),
      sampleRate,
      channels,
      samplesPerChannel,
      userdata,
    );
  }

  /** userdata is the application data given at construction. */
  get userdata(): Record<string, unknown> {
    return this.#userdata;
  }
}

/** combineAudioFrames joins frames of one format into one frame (LiveKit's `combineAudioFrames`). */
export function combineAudioFrames(buffer: AudioFrame | AudioFrame[]): AudioFrame {
  const frames = Array.isArray(buffer) ? buffer : [buffer];
  const first = frames[0];
  if (first === undefined)
    throw new ConnectorError("BAD_OPTION", "combineAudioFrames needs at least one frame");
  let samples = 0;
  for (const f of frames) {
    if (f.sampleRate !== first.sampleRate || f.channels !== first.channels)
      throw new ConnectorError(
        "BAD_OPTION",
        `combineAudioFrames: ${f.sampleRate} Hz × ${f.channels} does not match ${first.sampleRate} Hz × ${first.channels}`,
      );
    samples += f.samplesPerChannel;
  }
  const data = new Int16Array(samples * first.channels);
  let at = 0;
  for (const f of frames) {
    data.set(f.data, at);
    at += f.data.length;
  }
  return new AudioFrame(data, first.sampleRate, first.channels, samples);
}
