import {
  AV_CODEC_ID_OPUS,
  AV_LOG_QUIET,
  AV_SAMPLE_FMT_FLTP,
  AV_SAMPLE_FMT_S16,
  AVERROR_EAGAIN,
  AVERROR_EOF,
  FF_ENCODER_LIBOPUS,
} from "node-av/constants";
import {
  avChannelLayoutDefault,
  Codec,
  CodecContext,
  Frame,
  Log,
  Packet,
  Rational,
  SoftwareResampleContext,
} from "node-av/lib";
import { MediaError } from "./media-error.js";
import { OwnedCodecContext } from "./owned-codec-context.js";

/** OPUS_RATE is the rate Opus runs at here: 48 kHz. */
export const OPUS_RATE = 48000;
/** OPUS_FRAME_SAMPLES is one 20 ms Opus frame per channel at 48 kHz. */
export const OPUS_FRAME_SAMPLES = 960;

/** OpusOptions: `channels` (1 or 2), `bitrate` in bit/s (6000..510000, default 32000). */
export interface OpusOptions {
  readonly channels: 1 | 2;
  readonly bitrate?: number;
}

function checkChannels(channels: number): void {
  if (channels !== 1 && channels !== 2) {
    throw new MediaError("BAD_OPTION", `channels must be 1 or 2, got ${channels}`);
  }
}

/**
 * OpusEncoder turns 20 ms of 48 kHz interleaved 16-bit PCM into one Opus packet (libopus,
 * VoIP application). Made by `OpusEncoder.create` (async open); `close()` may be called twice.
 */
export class OpusEncoder {
  readonly channels: 1 | 2;
  #native: OwnedCodecContext;
  #frame: Frame;
  #packet: Packet;
  #pts = 0n;

  /** create opens a libopus encoder. */
  static async create(options: OpusOptions): Promise<OpusEncoder> {
    checkChannels(options.channels);
    const bitrate = options.bitrate ?? 32000;
    if (!Number.isInteger(bitrate) || bitrate < 6000 || bitrate > 510000) {
      throw new MediaError("BAD_OPTION", `bitrate must be an integer 6000..510000, got ${bitrate}`);
    }
    Log.setLevel(AV_LOG_QUIET);
    const codec = Codec.findEncoderByName(FF_ENCODER_LIBOPUS);
    if (codec === null) throw new MediaError("CODEC_UNSUPPORTED", "no libopus encoder");
    const ctx = new CodecContext();
    ctx.allocContext3(codec);
    ctx.sampleRate = OPUS_RATE;
    ctx.sampleFormat = AV_SAMPLE_FMT_S16;
    ctx.channelLayout = avChannelLayoutDefault(options.channels);
    ctx.timeBase = new Rational(1, OPUS_RATE);
    ctx.bitRate = BigInt(bitrate);
    const ret = await ctx.open2(codec, null);
    if (ret < 0) {
      ctx.freeContext();
      throw new MediaError("CODEC_OPEN_FAILED", `cannot open libopus (${ret})`);
    }
    return new OpusEncoder(options.channels, ctx);
  }

  private constructor(channels: 1 | 2, ctx: CodecContext) {
    this.channels = channels;
    this.#frame = new Frame();
    this.#frame.alloc();
    this.#packet = new Packet();
    this.#packet.alloc();
    this.#native = new OwnedCodecContext(ctx, "the encoder", "encoders", [
      this.#frame,
      this.#packet,
    ]);
  }

  /** encode takes 960 samples per channel (20 ms, interleaved) and resolves the packets made. */
  encode(samples: Int16Array): Promise<Uint8Array[]> {
    if (samples.length !== OPUS_FRAME_SAMPLES * this.channels) {
      return Promise.reject(
        new MediaError(
          "BAD_OPTION",
          `samples must be ${OPUS_FRAME_SAMPLES * this.channels} (20 ms), got ${samples.length}`,
        ),
      );
    }
    const owned = Buffer.from(
      samples.buffer.slice(samples.byteOffset, samples.byteOffset + samples.byteLength),
    );
    return this.#native.run(async (ctx) => {
      const f = this.#frame;
      f.unref();
      f.nbSamples = OPUS_FRAME_SAMPLES;
      f.format = AV_SAMPLE_FMT_S16;
      f.sampleRate = OPUS_RATE;
      f.channelLayout = avChannelLayoutDefault(this.channels);
      if (f.getBuffer(0) < 0 || f.fromBuffer(owned) < 0) {
        throw new MediaError("ENCODE_FAILED", "cannot load the audio frame");
      }
      f.pts = this.#pts;
      this.#pts += BigInt(OPUS_FRAME_SAMPLES);
      const ret = await ctx.sendFrame(f);
      if (ret < 0) throw new MediaError("ENCODE_FAILED", `libopus refused a frame (${ret})`);
      return drainPackets(ctx, this.#packet);
    });
  }

  /** close frees the native encoder after pending calls; calling it again does nothing. */
  async close(): Promise<void> {
    await this.#native.close();
  }
}

async function drainPackets(ctx: CodecContext, packet: Packet): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (;;) {
    const ret = await ctx.receivePacket(packet);
    if (ret === AVERROR_EAGAIN || ret === AVERROR_EOF) return out;
    if (ret < 0) throw new MediaError("ENCODE_FAILED", `libopus encode failed (${ret})`);
    if (packet.data !== null) out.push(new Uint8Array(packet.data));
    packet.unref();
  }
}

/**
 * OpusDecoder turns Opus packets into 48 kHz interleaved 16-bit PCM (FFmpeg's decoder gives
 * planar float; one resample context converts it). `close()` may be called twice.
 */
export class OpusDecoder {
  readonly channels: 1 | 2;
  #native: OwnedCodecContext;
  #swr: SoftwareResampleContext;
  #packet: Packet;
  #frame: Frame;
  #pcm: Frame;

  /** create opens the Opus decoder for `channels` output channels. */
  static async create(options: { readonly channels: 1 | 2 }): Promise<OpusDecoder> {
    checkChannels(options.channels);
    Log.setLevel(AV_LOG_QUIET);
    const codec = Codec.findDecoder(AV_CODEC_ID_OPUS);
    if (codec === null) throw new MediaError("CODEC_UNSUPPORTED", "no Opus decoder");
    const ctx = new CodecContext();
    ctx.allocContext3(codec);
    ctx.sampleRate = OPUS_RATE;
    ctx.channelLayout = avChannelLayoutDefault(options.channels);
    const ret = await ctx.open2(codec, null);
    if (ret < 0) {
      ctx.freeContext();
      throw new MediaError("CODEC_OPEN_FAILED", `cannot open the Opus decoder (${ret})`);
    }
    return new OpusDecoder(options.channels, ctx);
  }

  private constructor(channels: 1 | 2, ctx: CodecContext) {
    this.channels = channels;
    const layout = avChannelLayoutDefault(channels);
    this.#swr = new SoftwareResampleContext();
    this.#swr.allocSetOpts2(
      layout,
      AV_SAMPLE_FMT_S16,
      OPUS_RATE,
      layout,
      AV_SAMPLE_FMT_FLTP,
      OPUS_RATE,
    );
    this.#swr.init();
    this.#packet = new Packet();
    this.#packet.alloc();
    this.#frame = new Frame();
    this.#frame.alloc();
    this.#pcm = new Frame();
    this.#pcm.alloc();
    this.#native = new OwnedCodecContext(ctx, "the decoder", "decoders", [
      this.#swr,
      this.#packet,
      this.#frame,
      this.#pcm,
    ]);
  }

  /** decode resolves the PCM (interleaved s16, 48 kHz) of one packet. */
  decode(packet: Uint8Array): Promise<Int16Array> {
    if (!(packet instanceof Uint8Array) || packet.byteLength === 0) {
      return Promise.reject(new MediaError("BAD_OPTION", "packet must be a non-empty Uint8Array"));
    }
    const owned = Buffer.from(packet);
    return this.#native.run(async (ctx) => {
      this.#packet.data = owned;
      const sent = await ctx.sendPacket(this.#packet);
      this.#packet.unref();
      if (sent < 0)
        throw new MediaError("DECODE_FAILED", `the Opus decoder refused a packet (${sent})`);
      const parts: Int16Array[] = [];
      for (;;) {
        const ret = await ctx.receiveFrame(this.#frame);
        if (ret === AVERROR_EAGAIN || ret === AVERROR_EOF) break;
        if (ret < 0) throw new MediaError("DECODE_FAILED", `Opus decode failed (${ret})`);
        try {
          parts.push(this.#toS16(this.#frame));
        } finally {
          this.#frame.unref();
        }
      }
      void owned.byteLength; // referenced until the native calls settled
      return concat(parts);
    });
  }

  /** close frees the native decoder after pending calls; calling it again does nothing. */
  async close(): Promise<void> {
    await this.#native.close();
  }

  #toS16(frame: Frame): Int16Array {
    const pcm = this.#pcm;
    pcm.unref();
    pcm.format = AV_SAMPLE_FMT_S16;
    pcm.sampleRate = OPUS_RATE;
    pcm.channelLayout = avChannelLayoutDefault(this.channels);
    const ret = this.#swr.convertFrame(pcm, frame);
    if (ret < 0) throw new MediaError("CONVERT_FAILED", `planar float to s16 failed (${ret})`);
    const b = pcm.toBuffer();
    return new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  }
}

function concat(parts: readonly Int16Array[]): Int16Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
