import {
  AV_CODEC_ID_H264,
  AV_CODEC_ID_VP8,
  AV_CODEC_ID_VP9,
  AV_LOG_QUIET,
  type AVCodecID,
  AVERROR_EAGAIN,
  AVERROR_EOF,
} from "node-av/constants";
import { Codec, CodecContext, Frame, Log, Packet } from "node-av/lib";
import { pixelFormatOfAv } from "./av-pixel-format.js";
import { FramePool } from "./frame-pool.js";
import { MediaError } from "./media-error.js";
import { OwnedCodecContext } from "./owned-codec-context.js";
import type { RawVideoFrame } from "./raw-video-frame.js";
import { convertAvFrame, copyOut, ScaleContexts } from "./scale-contexts.js";
import { type ConvertTarget, checkConvertTarget } from "./video-converter.js";

/** DecoderCodec is a video codec the decoder takes (rtp-video's `VideoCodec` names). */
export type DecoderCodec = "h264" | "vp8" | "vp9";

const CODEC_IDS: Readonly<Record<DecoderCodec, AVCodecID>> = {
  h264: AV_CODEC_ID_H264,
  vp8: AV_CODEC_ID_VP8,
  vp9: AV_CODEC_ID_VP9,
};

/**
 * VideoDecoderOptions: the codec; `threads` (default 1: one core per decoder); `output`, the
 * format and size pictures come out in (default i420 at the stream's size). With `output`, each
 * picture is converted by swscale straight from the decoder's own memory into the frame handed
 * out (a packed format is written there by swscale itself): no i420 copy first (what
 * `VideoConverter.convert` of a decoded frame costs).
 *
 * `blocking` (default false) decodes on the calling thread: node-av's sync calls, no libuv
 * threadpool round trip per access unit. The event loop is then busy for each decode (about
 * 0.3 ms per 640x360 picture and 1–2 ms per 720p one here), so use it where nothing else waits on
 * that loop: a worker thread of its own, a media process, a batch job. Without it, the decode
 * runs on a threadpool thread and the loop stays free; the conversion and the copy out (a
 * fraction of the decode) run on the calling thread either way.
 */
export interface VideoDecoderOptions {
  readonly codec: DecoderCodec;
  readonly threads?: number;
  readonly output?: ConvertTarget;
  readonly blocking?: boolean;
}

/**
 * VideoDecoder turns access units (H.264 Annex-B, VP8 or VP9 frames, as rtp-video's
 * `FrameAssembler` yields them) into {@link RawVideoFrame}s in `i420`.
 *
 * node-av is used by the package's safety rules: async calls only, one call at a time (calls
 * are queued), the input bytes referenced until the call settles, every native object freed in
 * `close()`.
 */
export class VideoDecoder {
  readonly codec: DecoderCodec;
  #native: OwnedCodecContext;
  #packet: Packet;
  #frame: Frame;
  #scaler: ScaleContexts | null = null;
  readonly #output: ConvertTarget | undefined;
  readonly #blocking: boolean;
  readonly #threads: number;
  readonly #pool = new FramePool(4);

  constructor(options: VideoDecoderOptions) {
    const id = CODEC_IDS[options.codec];
    if (id === undefined) {
      throw new MediaError(
        "BAD_OPTION",
        `codec must be h264, vp8 or vp9, got ${String(options.codec)}`,
      );
    }
    if (options.output !== undefined) checkConvertTarget(options.output);
    this.#output = options.output === undefined ? undefined : { ...options.output };
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1 || threads > 16) {
      throw new MediaError("BAD_OPTION", `threads must be an integer 1..16, got ${threads}`);
    }
    Log.setLevel(AV_LOG_QUIET);
    const decoder = Codec.findDecoder(id);
    if (decoder === null) throw new MediaError("CODEC_UNSUPPORTED", `no ${options.codec} decoder`);
    const ctx = new CodecContext();
    ctx.allocContext3(decoder);
    ctx.threadCount = threads;
    const ret = ctx.open2Sync(decoder, null);
    if (ret < 0) {
      ctx.freeContext();
      throw new MediaError(
        "CODEC_OPEN_FAILED",
        `cannot open the ${options.codec} decoder (${ret})`,
      );
    }
    this.codec = options.codec;
    this.#blocking = options.blocking === true;
    this.#threads = threads;
    this.#packet = new Packet();
    this.#packet.alloc();
    this.#frame = new Frame();
    this.#frame.alloc();
    this.#native = new OwnedCodecContext(ctx, "the decoder", "decoders", [
      this.#packet,
      this.#frame,
    ]);
  }

  /** closed is true after {@link VideoDecoder.close}. */
  get closed(): boolean {
    return this.#native.closed;
  }

  /**
   * decode sends one access unit and resolves the pictures it completes (none, one, or more after
   * a gap). Rejects with `DECODE_FAILED` when the decoder refuses it (the decoder stays usable).
   */
  decode(data: Uint8Array): Promise<RawVideoFrame[]> {
    if (!(data instanceof Uint8Array) || data.byteLength === 0) {
      return Promise.reject(new MediaError("BAD_OPTION", "data must be a non-empty Uint8Array"));
    }
    // one copy that this call owns for its whole lifetime (never a temporary view); node-av's
    // Packet.data setter copies it once more into the packet's own memory
    const owned = Buffer.from(data);
    return this.#native.run(async (ctx) => {
      this.#packet.data = owned;
      // FFmpeg decodes in avcodec_send_packet (the picture is then buffered for receive), so the
      // send is the call that goes to the threadpool, unless blocking
      const ret = this.#blocking
        ? ctx.sendPacketSync(this.#packet)
        : await ctx.sendPacket(this.#packet);
      this.#packet.unref();
      const frames = await this.#drain(ctx);
      if (ret < 0 && ret !== AVERROR_EAGAIN) {
        throw new MediaError(
          "DECODE_FAILED",
          `${this.codec} decoder refused an access unit (${ret})`,
        );
      }
      void owned.byteLength; // keeps the bytes referenced until the native call has settled
      return frames;
    });
  }

  /**
   * recycle gives the memory of a frame this decoder handed out back, for a later picture of the
   * same byte length (up to 4 are kept): writing a picture into memory written before is cheaper
   * than into fresh memory (no page faults, no garbage to collect). The frame and its `data` must
   * not be used afterwards. Throws `BAD_OPTION` for a frame it did not hand out or recycled twice.
   */
  recycle(frame: RawVideoFrame): void {
    this.#pool.give(frame.data);
  }

  /** flush ends the stream and resolves the pictures the decoder still held. */
  flush(): Promise<RawVideoFrame[]> {
    return this.#native.run(async (ctx) => {
      await ctx.sendPacket(null);
      const frames = await this.#drain(ctx);
      ctx.flushBuffers();
      return frames;
    });
  }

  /** close frees the native decoder after pending calls; calling it again does nothing. */
  async close(): Promise<void> {
    if (!(await this.#native.close())) return;
    this.#scaler?.close();
    this.#scaler = null;
    this.#pool.clear();
  }

  async #drain(ctx: CodecContext): Promise<RawVideoFrame[]> {
    const out: RawVideoFrame[] = [];
    for (;;) {
      // with one decoding thread, the send decoded the picture and receive only hands it over
      // (a sync call, EAGAIN at once when there is no other); with frame threads, receive may
      // wait for a thread, so the first one goes to the threadpool unless blocking
      const ret =
        out.length === 0 && !this.#blocking && this.#threads > 1
          ? await ctx.receiveFrame(this.#frame)
          : ctx.receiveFrameSync(this.#frame);
      if (ret === AVERROR_EAGAIN || ret === AVERROR_EOF) return out;
      if (ret < 0) throw new MediaError("DECODE_FAILED", `${this.codec} decode failed (${ret})`);
      try {
        out.push(this.#toRaw(this.#frame));
      } finally {
        this.#frame.unref();
      }
    }
  }

  #toRaw(frame: Frame): RawVideoFrame {
    const format = pixelFormatOfAv(frame.format as number);
    const want = this.#output;
    if (
      want !== undefined &&
      (want.format !== format ||
        (want.width ?? frame.width) !== frame.width ||
        (want.height ?? frame.height) !== frame.height)
    ) {
      this.#scaler ??= new ScaleContexts(8);
      const { width = frame.width, height = frame.height } = want;
      return convertAvFrame(this.#scaler, frame, want.format, width, height, this.#pool);
    }
    if (format === "i420") return copyOut(frame, "i420", frame.width, frame.height, this.#pool);
    this.#scaler ??= new ScaleContexts(8);
    return convertAvFrame(this.#scaler, frame, "i420", frame.width, frame.height, this.#pool);
  }
}
