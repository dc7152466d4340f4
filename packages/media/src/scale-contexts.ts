// Internal to the package (not exported by index.ts): the swscale context cache that
// VideoConverter wraps and that VideoDecoder uses directly for decoded pictures that are not i420.
import { SWS_BILINEAR } from "node-av/constants";
import { Frame, SoftwareScaleContext } from "node-av/lib";
import { AV_PIXEL_FORMAT } from "./av-pixel-format.js";
import { MediaError } from "./media-error.js";
import { countNative } from "./native-counts.js";
import type { PixelFormat } from "./pixel-format.js";
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

/** scaleInto runs `entry`'s context from `src` into its destination frame and copies that out. */
export function scaleInto(
  entry: ScaleEntry,
  src: Frame,
  format: PixelFormat,
  width: number,
  height: number,
): RawVideoFrame {
  const ret = entry.sws.scaleFrameSync(entry.dst, src);
  if (ret < 0) throw new MediaError("CONVERT_FAILED", `swscale failed (${ret})`);
  return createRawVideoFrame(format, width, height, ownedBytes(entry.dst));
}

/**
 * convertAvFrame converts a decoded node-av frame with a context of `contexts`: the decoder's
 * path for pictures that are not i420, without a copy into a RawVideoFrame first.
 */
export function convertAvFrame(
  contexts: ScaleContexts,
  src: Frame,
  format: PixelFormat,
  width = src.width,
  height = src.height,
): RawVideoFrame {
  const av = src.format as number;
  // keyed by FFmpeg's format: yuvj420p and yuv420p are both "i420" to us, not to swscale
  const entry = contexts.entry(`av${av}`, src.width, src.height, format, width, height, av);
  return scaleInto(entry, src, format, width, height);
}

/** ownedBytes is a frame's planes copied (tight) into fresh memory that nothing native points into. */
export function ownedBytes(frame: Frame): Uint8Array {
  const b = frame.toBuffer(); // a new Buffer of its own (av_image_copy_to_buffer)
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
