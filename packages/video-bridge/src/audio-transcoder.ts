import type { AudioFrame } from "@framewire/rtp-video";
import type { AudioForwardingStrategy } from "./audio-bridge-options.js";
import type { AudioBridgeFormat } from "./audio-bridge-types.js";
import type { AudioCodecPlug, AudioDecoder, AudioEncoder } from "./audio-codec.js";
import { VideoBridgeError } from "./errors.js";
import { PCMA_CODEC, PCMU_CODEC } from "./g711.js";
import { L16_CODEC } from "./l16.js";
import { opusPacketSamples } from "./opus-packet.js";
import { type AudioSampleRate, isAudioSampleRate, Resampler } from "./resample.js";

/**
 * AudioTranscoder is one bridged session's codec state: the decoders of what it sends (one per
 * codec seen), the resamplers from its rate to the rates of the others, and the encoder of what
 * it receives. The built-in codecs (G.711, L16) are stateless; an Opus plug's are not, so each
 * session has its own.
 */
export class AudioTranscoder {
  /** format is what the session sends and receives. */
  readonly format: AudioBridgeFormat;
  /** plug is the codec of `format`, or undefined for Opus without a plug (relayed only). */
  readonly plug: AudioCodecPlug | undefined;
  private readonly opus: AudioCodecPlug | undefined;
  private readonly decoders = new Map<string, AudioDecoder>();
  private readonly resamplers = new Map<number, Resampler>();
  private encoder: AudioEncoder | undefined;

  /**
   * The constructor checks `format` (UNSUPPORTED for a rate, payload type or codec the bridge
   * cannot bridge with `strategy`); `opus` is the bridge's Opus plug, if any.
   */
  constructor(
    format: AudioBridgeFormat,
    opus: AudioCodecPlug | undefined,
    strategy: AudioForwardingStrategy,
  ) {
    this.format = format;
    this.opus = opus;
    this.plug = checkFormat(format, opus, strategy);
  }

  /** shared: the built-in codecs are stateless, so one encoding serves every target of the same format. */
  get shared(): boolean {
    return this.plug !== this.opus;
  }

  /** rateOf is the sample rate of a payload in `codec` as this session sends it. */
  rateOf(codec: string): AudioSampleRate {
    if (codec === "pcmu" || codec === "pcma") return 8000;
    if (codec === "opus") return 48000;
    return this.format.sampleRate;
  }

  /** decode is a frame the session sent, as PCM; undefined when it cannot be decoded. */
  decode(frame: AudioFrame): Int16Array | undefined {
    let decoder = this.decoders.get(frame.codec);
    if (decoder === undefined) {
      const plug = plugFor(frame.codec, this.opus);
      if (plug === undefined) return undefined;
      decoder = plug.createDecoder(this.rateOf(frame.codec));
      this.decoders.set(frame.codec, decoder);
    }
    try {
      return decoder.decode(frame.data);
    } catch {
      return undefined;
    }
  }

  /** resample converts PCM the session sent at `from` to `to` (stateful: one resampler per pair). */
  resample(pcm: Int16Array, from: AudioSampleRate, to: AudioSampleRate): Int16Array {
    const key = from * 100000 + to;
    let r = this.resamplers.get(key);
    if (r === undefined) {
      r = new Resampler(from, to);
      this.resamplers.set(key, r);
    }
    return r.process(pcm);
  }

  /** forgetRate drops the resamplers to `rate` (nobody in the room receives it any more). */
  forgetRate(rate: AudioSampleRate): void {
    for (const key of this.resamplers.keys())
      if (key % 100000 === rate) this.resamplers.delete(key);
  }

  /** encode is PCM at the session's rate in its codec; undefined when it cannot be encoded. */
  encode(pcm: Int16Array): Uint8Array | undefined {
    const plug = this.plug;
    if (plug === undefined) return undefined;
    this.encoder ??= plug.createEncoder(this.format.sampleRate);
    try {
      return this.encoder.encode(pcm);
    } catch {
      return undefined;
    }
  }
}

/** frameSamples is the number of samples a payload in `codec` holds. */
export function frameSamples(codec: string, data: Uint8Array): number {
  switch (codec) {
    case "l16":
      return data.length >> 1;
    case "opus":
      return opusPacketSamples(data) || 960;
    default:
      return data.length;
  }
}

function plugFor(codec: string, opus: AudioCodecPlug | undefined): AudioCodecPlug | undefined {
  switch (codec) {
    case "pcmu":
      return PCMU_CODEC;
    case "pcma":
      return PCMA_CODEC;
    case "l16":
      return L16_CODEC;
    case "opus":
      return opus;
    default:
      return undefined;
  }
}

function checkFormat(
  format: AudioBridgeFormat,
  opus: AudioCodecPlug | undefined,
  strategy: AudioForwardingStrategy,
): AudioCodecPlug | undefined {
  const { codec, sampleRate, payloadType } = format;
  if (!isAudioSampleRate(sampleRate)) {
    throw new VideoBridgeError(
      "UNSUPPORTED",
      `sampleRate ${sampleRate} is not 8000, 16000 or 48000`,
    );
  }
  if (!Number.isInteger(payloadType) || payloadType < 0 || payloadType > 127) {
    throw new VideoBridgeError("UNSUPPORTED", `payloadType ${payloadType} is not 0…127`);
  }
  const plug = plugFor(codec, opus);
  if (codec === "opus") {
    if (sampleRate !== 48000) {
      throw new VideoBridgeError("UNSUPPORTED", "opus runs at 48000 Hz (RFC 7587 §4.1)");
    }
    if (plug === undefined && strategy === "mix") {
      throw new VideoBridgeError(
        "UNSUPPORTED",
        "the mix strategy needs an opus codec plug (config.codecs.opus) to decode Opus",
      );
    }
    return plug;
  }
  if (plug === undefined) throw new VideoBridgeError("UNSUPPORTED", `codec ${codec}`);
  if (plug.fixedRate !== undefined && plug.fixedRate !== sampleRate) {
    throw new VideoBridgeError(
      "UNSUPPORTED",
      `${codec} runs at ${plug.fixedRate} Hz (RFC 3551 §4.5.14), not ${sampleRate}`,
    );
  }
  return plug;
}
