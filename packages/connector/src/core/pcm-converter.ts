import { isAudioSampleRate, Resampler } from "@framewire/video-bridge";
import { ConnectorError } from "../errors.js";
import { requireLoadedMedia } from "./media-loader.js";

/** PcmFormat is a rate and a channel count (interleaved 16-bit). */
export interface PcmFormat {
  readonly sampleRate: number;
  readonly channels: number;
}

/**
 * PcmConverter converts a stream of interleaved 16-bit PCM between rates and channel counts.
 * Between 8, 16 and 48 kHz it runs video-bridge's own resampler (pure TypeScript, no native
 * code); other rates (12, 24, 32, 44.1 kHz) use `@framewire/media`'s libswresample, which must
 * be loaded (`loadMedia`). Channels: mono is duplicated to stereo, stereo averaged to mono.
 */
export class PcmConverter {
  readonly from: PcmFormat;
  readonly to: PcmFormat;
  readonly #convert: (samples: Int16Array) => Int16Array;
  readonly #close: () => void;

  constructor(from: PcmFormat, to: PcmFormat) {
    for (const [name, f] of [
      ["from", from],
      ["to", to],
    ] as const) {
      if (f.channels !== 1 && f.channels !== 2)
        throw new ConnectorError(
          "BAD_OPTION",
          `${name}.channels must be 1 or 2, got ${f.channels}`,
        );
      if (!Number.isInteger(f.sampleRate) || f.sampleRate <= 0)
        throw new ConnectorError("BAD_OPTION", `${name}.sampleRate must be a positive integer`);
    }
    this.from = { ...from };
    this.to = { ...to };
    if (from.sampleRate === to.sampleRate && from.channels === to.channels) {
      this.#convert = (s) => s;
      this.#close = () => {};
    } else if (isAudioSampleRate(from.sampleRate) && isAudioSampleRate(to.sampleRate)) {
      const rs =
        from.sampleRate === to.sampleRate
          ? undefined
          : new Resampler(from.sampleRate, to.sampleRate);
      this.#convert = (s) => {
        const mono = from.channels === 2 ? downmix(s) : s;
        const out = rs === undefined ? mono : rs.process(mono);
        return to.channels === 2 ? upmix(out) : out;
      };
      this.#close = () => {};
    } else {
      const media = requireLoadedMedia(`audio at ${from.sampleRate} → ${to.sampleRate} Hz`);
      const swr = new media.AudioResampler(from, to);
      this.#convert = (s) => swr.convert(s);
      this.#close = () => swr.close();
    }
  }

  /** convert takes the next chunk of the stream and returns what is ready. */
  convert(samples: Int16Array): Int16Array {
    return this.#convert(samples);
  }

  /** close frees a native resampler; idempotent. */
  close(): void {
    this.#close();
  }
}

function downmix(s: Int16Array): Int16Array {
  const out = new Int16Array(s.length >> 1);
  for (let i = 0; i < out.length; i++)
    out[i] = ((s[2 * i] as number) + (s[2 * i + 1] as number)) >> 1;
  return out;
}

function upmix(s: Int16Array): Int16Array {
  const out = new Int16Array(s.length * 2);
  for (let i = 0; i < s.length; i++) {
    const v = s[i] as number;
    out[2 * i] = v;
    out[2 * i + 1] = v;
  }
  return out;
}
