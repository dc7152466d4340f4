import {
  AV_LOG_QUIET,
  AV_PICTURE_TYPE_I,
  AV_PICTURE_TYPE_NONE,
  AV_PIX_FMT_YUV420P,
  AV_PKT_FLAG_KEY,
  AVERROR_EAGAIN,
  AVERROR_EOF,
  FF_ENCODER_LIBVPX_VP8,
  FF_ENCODER_LIBX264,
} from "node-av/constants";
import { Codec, CodecContext, Dictionary, Frame, Log, Packet, Rational } from "node-av/lib";
import { MediaError } from "./media-error.js";
import { OwnedCodecContext } from "./owned-codec-context.js";
import type { RawVideoFrame } from "./raw-video-frame.js";
import { VideoConverter } from "./video-converter.js";

/** EncoderCodec is a video codec the encoder makes: H.264 (libx264) or VP8 (libvpx). */
export type EncoderCodec = "h264" | "vp8";

/**
 * VideoEncoderOptions: codec, picture size, `fps` (1..60, default 30; the time base is 1/fps),
 * `bitrate` in bit/s (default 1_000_000), `keyframeInterval` in frames (default 10 s worth).
 * `blocking` (default false) encodes on the calling thread (node-av's sync calls, no libuv
 * threadpool round trip per frame): the event loop is busy for each encode (about 5 ms per
 * 720p frame with libx264 here), so use it only where nothing else waits on that loop (a worker
 * thread of its own, a media process, a batch job).
 */
export interface VideoEncoderOptions {
  readonly codec: EncoderCodec;
  readonly width: number;
  readonly height: number;
  readonly fps?: number;
  readonly bitrate?: number;
  readonly keyframeInterval?: number;
  readonly blocking?: boolean;
}

/** EncodedVideo is one encoded picture: Annex-B H.264 or a VP8 frame, and whether it is a keyframe. */
export interface EncodedVideo {
  readonly data: Uint8Array;
  readonly keyframe: boolean;
  /** pts counts frames (time base 1/fps). */
  readonly pts: number;
}

function int(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new MediaError("BAD_OPTION", `${name} must be an integer ${min}..${max}, got ${v}`);
  }
  return v;
}

/**
 * VideoEncoder turns {@link RawVideoFrame}s into H.264 (libx264: constrained baseline, tune
 * zerolatency, no B-frames, SPS/PPS before each IDR) or VP8 (libvpx realtime, no lag). Frames of
 * another format or size are converted first. `requestKeyframe()` makes the next frame a
 * keyframe (an IDR for H.264). Made by `VideoEncoder.create`. Async calls only, one at a time; `close()` frees every native
 * object and may be called twice.
 */
export class VideoEncoder {
  readonly codec: EncoderCodec;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  #native: OwnedCodecContext;
  #frame: Frame;
  #packet: Packet;
  #converter: VideoConverter | null = null;
  #pts = 0;
  #forceKey = false;
  readonly #blocking: boolean;

  /**
   * create opens an encoder. Async on purpose: node-av 6.1.1's `open2Sync` with an options
   * dictionary crashed the process at exit (3 of 3 runs here); `await open2` ran clean.
   */
  static async create(options: VideoEncoderOptions): Promise<VideoEncoder> {
    if (options.codec !== "h264" && options.codec !== "vp8") {
      throw new MediaError("BAD_OPTION", `codec must be h264 or vp8, got ${String(options.codec)}`);
    }
    const width = int("width", options.width, 16, 4096);
    const height = int("height", options.height, 16, 4096);
    if (width % 2 !== 0 || height % 2 !== 0) {
      throw new MediaError("BAD_OPTION", `width and height must be even, got ${width}x${height}`);
    }
    const fps = int("fps", options.fps ?? 30, 1, 60);
    const bitrate = int("bitrate", options.bitrate ?? 1_000_000, 10_000, 50_000_000);
    const gop = int("keyframeInterval", options.keyframeInterval ?? fps * 10, 1, 100_000);
    Log.setLevel(AV_LOG_QUIET);
    const name = options.codec === "h264" ? FF_ENCODER_LIBX264 : FF_ENCODER_LIBVPX_VP8;
    const codec = Codec.findEncoderByName(name);
    if (codec === null) throw new MediaError("CODEC_UNSUPPORTED", `no ${name} encoder`);
    const ctx = new CodecContext();
    ctx.allocContext3(codec);
    ctx.width = width;
    ctx.height = height;
    ctx.pixelFormat = AV_PIX_FMT_YUV420P;
    ctx.timeBase = new Rational(1, fps); // 1/90000 trips libx264's level limit
    ctx.framerate = new Rational(fps, 1);
    ctx.bitRate = BigInt(bitrate);
    ctx.gopSize = gop;
    ctx.maxBFrames = 0;
    ctx.threadCount = 1;
    const opts =
      options.codec === "h264"
        ? { preset: "veryfast", tune: "zerolatency", profile: "baseline", "forced-idr": "1" }
        : { deadline: "realtime", "cpu-used": "8", "lag-in-frames": "0", "error-resilient": "1" };
    const dict = Dictionary.fromObject(opts);
    let ret: number;
    try {
      ret = await ctx.open2(codec, dict);
    } finally {
      dict.free();
    }
    if (ret < 0) {
      ctx.freeContext();
      throw new MediaError("CODEC_OPEN_FAILED", `cannot open ${name} (${ret})`);
    }
    return new VideoEncoder(options.codec, width, height, fps, ctx, options.blocking === true);
  }

  private constructor(
    codec: EncoderCodec,
    width: number,
    height: number,
    fps: number,
    ctx: CodecContext,
    blocking: boolean,
  ) {
    this.codec = codec;
    this.#blocking = blocking;
    this.width = width;
    this.height = height;
    this.fps = fps;
    this.#frame = new Frame();
    this.#frame.alloc();
    this.#frame.width = width;
    this.#frame.height = height;
    this.#frame.format = AV_PIX_FMT_YUV420P;
    this.#frame.getBuffer(0);
    this.#packet = new Packet();
    this.#packet.alloc();
    this.#native = new OwnedCodecContext(ctx, "the encoder", "encoders", [
      this.#frame,
      this.#packet,
    ]);
  }

  /** requestKeyframe makes the next encoded frame a keyframe. */
  requestKeyframe(): void {
    this.#forceKey = true;
  }

  /** encode sends one frame and resolves the packets it completes (with zerolatency: one). */
  encode(
    frame: RawVideoFrame,
    options: { readonly keyframe?: boolean } = {},
  ): Promise<EncodedVideo[]> {
    let i420: RawVideoFrame;
    try {
      i420 =
        frame.format === "i420" && frame.width === this.width && frame.height === this.height
          ? frame
          : this.#convert(frame);
    } catch (e) {
      return Promise.reject(e);
    }
    const key = options.keyframe === true || this.#forceKey;
    this.#forceKey = false;
    // The picture is copied into the native frame's own memory (never Frame.fromBuffer, which in
    // node-av 6.1.1 points the frame at the JS bytes without keeping them alive). With no call
    // pending the native frame is free and is loaded now; otherwise a copy this call owns waits
    // for its turn. Either way the caller may reuse its frame as soon as encode returns.
    let waiting: RawVideoFrame | null = null;
    if (this.#native.closed) {
      // run() rejects with INVALID_STATE; the native frame may be freed already
    } else if (this.#native.idle) {
      try {
        this.#load(i420);
      } catch (e) {
        return Promise.reject(e);
      }
    } else {
      waiting = { ...i420, data: i420.data.slice() };
    }
    return this.#native.run(async (ctx) => {
      const f = this.#frame;
      if (waiting !== null) this.#load(waiting);
      f.pts = BigInt(this.#pts++);
      f.pictType = key ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
      const ret = this.#blocking ? ctx.sendFrameSync(f) : await ctx.sendFrame(f);
      if (ret < 0)
        throw new MediaError("ENCODE_FAILED", `${this.codec} encoder refused a frame (${ret})`);
      // libx264 and libvpx encode in avcodec_send_frame (no lag, no B-frames): the packet is
      // ready, and taking it is a sync call that does no codec work
      return this.#drain(ctx, true);
    });
  }

  /**
   * load copies an i420 frame of the encoder's size, plane by plane at its strides, into the
   * native frame's own memory, through views of its planes that live for this synchronous call
   * only; the native frame must not be in use.
   */
  #load(frame: RawVideoFrame): void {
    const f = this.#frame;
    if (f.makeWritable() < 0) throw new MediaError("ENCODE_FAILED", "frame not writable");
    const planes = f.data;
    const linesize = f.linesize;
    if (planes === null || planes.length < 3) {
      throw new MediaError("ENCODE_FAILED", "the native frame has no planes");
    }
    frame.planes.forEach((p, i) => {
      const to = planes[i]!;
      const stride = linesize[i]!;
      if (stride < p.width || to.byteLength < (p.height - 1) * stride + p.width) {
        throw new MediaError("ENCODE_FAILED", `plane ${i} of the native frame is too small`);
      }
      if (stride === p.stride) {
        to.set(frame.data.subarray(p.offset, p.offset + (p.height - 1) * stride + p.width));
        return;
      }
      for (let y = 0; y < p.height; y++) {
        const from = p.offset + y * p.stride;
        to.set(frame.data.subarray(from, from + p.width), y * stride);
      }
    });
  }

  /** flush ends the stream and resolves the packets the encoder still held. */
  flush(): Promise<EncodedVideo[]> {
    return this.#native.run(async (ctx) => {
      await ctx.sendFrame(null);
      return this.#drain(ctx, false);
    });
  }

  /** close frees the native encoder after pending calls; calling it again does nothing. */
  async close(): Promise<void> {
    if (!(await this.#native.close())) return;
    this.#converter?.close();
    this.#converter = null;
  }

  #convert(frame: RawVideoFrame): RawVideoFrame {
    this.#converter ??= new VideoConverter();
    return this.#converter.convert(frame, {
      format: "i420",
      width: this.width,
      height: this.height,
    });
  }

  async #drain(ctx: CodecContext, sync: boolean): Promise<EncodedVideo[]> {
    const out: EncodedVideo[] = [];
    for (;;) {
      const ret = sync
        ? ctx.receivePacketSync(this.#packet)
        : await ctx.receivePacket(this.#packet);
      if (ret === AVERROR_EAGAIN || ret === AVERROR_EOF) return out;
      if (ret < 0) throw new MediaError("ENCODE_FAILED", `${this.codec} encode failed (${ret})`);
      const p = this.#packet;
      const data = p.data;
      if (data !== null) {
        out.push({
          data: new Uint8Array(data),
          keyframe: (p.flags & AV_PKT_FLAG_KEY) !== 0,
          pts: Number(p.pts),
        });
      }
      p.unref();
    }
  }
}
