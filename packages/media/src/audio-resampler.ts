import { AV_SAMPLE_FMT_S16 } from "node-av/constants";
import { avChannelLayoutDefault, SoftwareResampleContext } from "node-av/lib";
import { MediaError } from "./media-error.js";
import { countNative } from "./native-counts.js";

/** AudioFormat is a PCM format: 16-bit signed interleaved samples at `sampleRate` with `channels`. */
export interface AudioFormat {
  readonly sampleRate: number;
  readonly channels: number;
}

/** SAMPLE_RATES are the rates the resampler and the Opus codec take. */
export const SAMPLE_RATES = [8000, 12000, 16000, 24000, 32000, 44100, 48000] as const;

/** checkAudioFormat throws `BAD_OPTION` unless the rate is one of {@link SAMPLE_RATES} and channels 1–2. */
export function checkAudioFormat(name: string, f: AudioFormat): void {
  if (!(SAMPLE_RATES as readonly number[]).includes(f.sampleRate)) {
    throw new MediaError(
      "BAD_OPTION",
      `${name}.sampleRate must be one of ${SAMPLE_RATES.join(", ")}, got ${f.sampleRate}`,
    );
  }
  if (f.channels !== 1 && f.channels !== 2) {
    throw new MediaError("BAD_OPTION", `${name}.channels must be 1 or 2, got ${f.channels}`);
  }
}

/**
 * AudioResampler converts interleaved 16-bit PCM between rates and channel counts with
 * libswresample (`SoftwareResampleContext`, one context for its life). `convert` keeps the
 * resampler's delay across calls (a stream); `close()` frees it and may be called twice.
 */
export class AudioResampler {
  readonly from: AudioFormat;
  readonly to: AudioFormat;
  #swr: SoftwareResampleContext | null;

  constructor(from: AudioFormat, to: AudioFormat) {
    checkAudioFormat("from", from);
    checkAudioFormat("to", to);
    const swr = new SoftwareResampleContext();
    const ret = swr.allocSetOpts2(
      avChannelLayoutDefault(to.channels),
      AV_SAMPLE_FMT_S16,
      to.sampleRate,
      avChannelLayoutDefault(from.channels),
      AV_SAMPLE_FMT_S16,
      from.sampleRate,
    );
    if (ret < 0 || swr.init() < 0) {
      swr.free();
      throw new MediaError("CONVERT_FAILED", `cannot set up the resampler (${ret})`);
    }
    this.from = { ...from };
    this.to = { ...to };
    this.#swr = swr;
    countNative("resamplers", 1);
  }

  /** convert resamples `samples` (interleaved, `from` format) and returns what is ready (`to` format). */
  convert(samples: Int16Array): Int16Array {
    const swr = this.#swr;
    if (swr === null) throw new MediaError("INVALID_STATE", "the resampler is closed");
    if (samples.length % this.from.channels !== 0) {
      throw new MediaError(
        "BAD_OPTION",
        `samples must hold whole frames of ${this.from.channels} channel(s)`,
      );
    }
    const inCount = samples.length / this.from.channels;
    const outCount = swr.getOutSamples(inCount);
    // both buffers are ours and referenced for the whole (synchronous) call
    const input = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
    const out = Buffer.alloc(outCount * this.to.channels * 2);
    const got = swr.convertSync([out], outCount, inCount === 0 ? null : [input], inCount);
    if (got < 0) throw new MediaError("CONVERT_FAILED", `swresample failed (${got})`);
    return new Int16Array(out.buffer, out.byteOffset, got * this.to.channels).slice();
  }

  /** close frees the native context; calling it again does nothing. */
  close(): void {
    if (this.#swr === null) return;
    this.#swr.free();
    this.#swr = null;
    countNative("resamplers", -1);
  }
}
