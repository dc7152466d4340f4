// Internal to the package (not exported by index.ts): the swscale context cache that
// VideoConverter wraps and that VideoDecoder uses directly for decoded pictures that are not i420.
import { SWS_BILINEAR } from "node-av/constants";
import { Frame, SoftwareScaleContext } from "node-av/lib";
import { AV_PIXEL_FORMAT } from "./av-pixel-format.js";
import type { FramePool } from "./frame-pool.js";
import { MediaError } from "./media-error.js";
import { countNative } from "./native-counts.js";
import type { PixelFormat } from "./pixel-format.js";
import { frameLayout, tightStrides } from "./plane-layout.js";
import { createRawVideoFrame, type RawVideoFrame } from "./raw-video-frame.js";

/** ScaleEntry is one cached scale context with its source and destination frames. */
export interface ScaleEntry {
  readonly sws: SoftwareScaleContext;
  readonly src: Frame;
  readonly dst: Frame;
}

function allocFrame(format: PixelFormat, width: number, height: number): Frame {
  const f = new Frame();
  f.alloc();
  f.width = width;
  f.height = height;
  f.format = AV_PIXEL_FORMAT[format];
  if (f.getBuffer(0) < 0) {
    f.free();
    throw new MediaError("CONVERT_FAILED", `cannot allocate a ${format} ${width}x${height} frame`);
  }
  return f;
}

function free(e: ScaleEntry): void {
  e.sws.freeContext();
  e.src.free();
  e.dst.free();
  countNative("scalers", -1);
}

/**
 * ScaleContexts keeps one swscale context, with its source and destination frames, per (source
 * size and format, destination size and format), at most `max` of them (least recently used
 * freed first). `close()` frees them all and may be called twice.
 */
export class ScaleContexts {
  readonly #cache = new Map<string, ScaleEntry>();
  readonly #max: number;
  #closed = false;

  constructor(max: number) {
    this.#max = max;
  }

  /** size is the number of contexts cached now. */
  get size(): number {
    return this.#cache.size;
  }

  /**
   * entry is the context for `from` (our format name, or a key of an FFmpeg format given as
   * `avFrom`, whose source frame then gets no buffer of its own) at `sw`x`sh` to `to` at `dw`x`dh`.
   */
  entry(
    from: string,
    sw: number,
    sh: number,
    to: PixelFormat,
    dw: number,
    dh: number,
    avFrom?: number,
  ): ScaleEntry {
    if (this.#closed) throw new MediaError("INVALID_STATE", "the converter is closed");
    const key = `${from}:${sw}x${sh}>${to}:${dw}x${dh}`;
    const hit = this.#cache.get(key);
    if (hit !== undefined) {
      this.#cache.delete(key);
      this.#cache.set(key, hit);
      return hit;
    }
    const srcFormat = avFrom ?? AV_PIXEL_FORMAT[from as PixelFormat];
    const sws = new SoftwareScaleContext();
    sws.allocContext();
    sws.getContext(sw, sh, srcFormat as never, dw, dh, AV_PIXEL_FORMAT[to], SWS_BILINEAR);
    countNative("scalers", 1);
    const src = new Frame();
    src.alloc();
    src.width = sw;
    src.height = sh;
    src.format = srcFormat as never;
    if (avFrom === undefined && src.getBuffer(0) < 0) {
      src.free();
      sws.freeContext();
      countNative("scalers", -1);
      throw new MediaError("CONVERT_FAILED", `cannot allocate a ${from} ${sw}x${sh} frame`);
    }
    const entry = { sws, src, dst: allocFrame(to, dw, dh) };
    this.#cache.set(key, entry);
    if (this.#cache.size > this.#max) {
      const [oldKey, old] = this.#cache.entries().next().value as [string, ScaleEntry];
      this.#cache.delete(oldKey);
      free(old);
    }
    return entry;
  }

  /** close frees every cached context; calling it again does nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const e of this.#cache.values()) free(e);
    this.#cache.clear();
  }
}

/**
 * scaleInto runs `entry`'s context from `src` into its destination frame and copies that out
 * (into memory of `pool` when given, else fresh memory).
 */
export function scaleInto(
  entry: ScaleEntry,
  src: Frame,
  format: PixelFormat,
  width: number,
  height: number,
  pool?: FramePool,
): RawVideoFrame {
  const ret = entry.sws.scaleFrameSync(entry.dst, src);
  if (ret < 0) throw new MediaError("CONVERT_FAILED", `swscale failed (${ret})`);
  if (pool === undefined) {
    return createRawVideoFrame(format, width, height, ownedBytes(entry.dst));
  }
  return copyOut(entry.dst, format, width, height, pool);
}

/**
 * convertAvFrame converts a decoded node-av frame with a context of `contexts`: the decoder's
 * path for pictures that are not i420, without a copy into a RawVideoFrame first. With `pool`, a
 * packed format (one plane) is written by swscale straight into the pool's memory, and a planar
 * one is copied there from swscale's frame.
 */
export function convertAvFrame(
  contexts: ScaleContexts,
  src: Frame,
  format: PixelFormat,
  width = src.width,
  height = src.height,
  pool?: FramePool,
): RawVideoFrame {
  const av = src.format as number;
  // keyed by FFmpeg's format: yuvj420p and yuv420p are both "i420" to us, not to swscale
  const entry = contexts.entry(`av${av}`, src.width, src.height, format, width, height, av);
  if (pool === undefined || tightStrides(format, width).length !== 1) {
    return scaleInto(entry, src, format, width, height, pool);
  }
  const layout = frameLayout(format, width, height);
  const out = pool.take(layout.byteLength);
  const planes = src.data;
  if (planes === null) throw new MediaError("CONVERT_FAILED", "the source frame has no data");
  // sws_scale reads the frame's planes through views that live for this synchronous call only
  // and writes `out` (referenced here until it returns; PAD bytes after the last row)
  const ret = entry.sws.scaleSync(
    planes,
    src.linesize.slice(0, planes.length),
    0,
    src.height,
    [Buffer.from(out.buffer, out.byteOffset, out.byteLength)],
    [layout.planes[0]!.stride],
  );
  if (ret !== height) throw new MediaError("CONVERT_FAILED", `swscale failed (${ret})`);
  return createRawVideoFrame(format, width, height, out);
}

/**
 * copyOut copies the planes of `frame` (of `format`, `width`x`height`) into memory of `pool`,
 * tight, through views of the frame's planes that live for this synchronous call only.
 */
export function copyOut(
  frame: Frame,
  format: PixelFormat,
  width: number,
  height: number,
  pool: FramePool,
): RawVideoFrame {
  const layout = frameLayout(format, width, height);
  const planes = frame.data;
  const linesize = frame.linesize;
  if (planes === null || planes.length < layout.planes.length) {
    throw new MediaError("CONVERT_FAILED", `the ${format} frame has no data`);
  }
  const out = pool.take(layout.byteLength);
  layout.planes.forEach((p, i) => {
    const from = planes[i]!;
    const stride = linesize[i]!;
    const row = p.stride;
    if (stride < row || from.byteLength < (p.height - 1) * stride + row) {
      throw new MediaError("CONVERT_FAILED", `plane ${i} of the ${format} frame is too small`);
    }
    if (stride === row) {
      out.set(from.subarray(0, p.size), p.offset);
      return;
    }
    for (let y = 0; y < p.height; y++) {
      out.set(from.subarray(y * stride, y * stride + row), p.offset + y * row);
    }
  });
  return createRawVideoFrame(format, width, height, out);
}

/** ownedBytes is a frame's planes copied (tight) into fresh memory that nothing native points into. */
export function ownedBytes(frame: Frame): Uint8Array {
  const b = frame.toBuffer(); // a new Buffer of its own (av_image_copy_to_buffer)
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
