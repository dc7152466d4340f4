import { SWS_BILINEAR } from "node-av/constants";
import { Frame, SoftwareScaleContext } from "node-av/lib";
import { AV_PIXEL_FORMAT, pixelFormatOfAv } from "./av-pixel-format.js";
import { MediaError } from "./media-error.js";
import { countNative } from "./native-counts.js";
import { isPixelFormat, type PixelFormat } from "./pixel-format.js";
import { frameLayout, tightStrides } from "./plane-layout.js";
import { createRawVideoFrame, type RawVideoFrame } from "./raw-video-frame.js";

/** ConvertTarget is what to convert to: a format and optionally another size (scaling). */
export interface ConvertTarget {
  readonly format: PixelFormat;
  readonly width?: number;
  readonly height?: number;
}

interface Entry {
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

/**
 * VideoConverter converts and scales {@link RawVideoFrame}s with swscale
 * (`SoftwareScaleContext.scaleFrameSync`). It keeps one scale context, with its source and
 * destination frames, per (source size and format, destination size and format) and reuses it
 * for every frame of that pair; `maxContexts` (default 8) bounds the cache (least recently used
 * freed first). `close()` frees them all and may be called twice.
 */
export class VideoConverter {
  readonly #cache = new Map<string, Entry>();
  readonly #maxContexts: number;
  #closed = false;

  constructor(options: { readonly maxContexts?: number } = {}) {
    const max = options.maxContexts ?? 8;
    if (!Number.isInteger(max) || max < 1) {
      throw new MediaError("BAD_OPTION", `maxContexts must be an integer ≥ 1, got ${max}`);
    }
    this.#maxContexts = max;
  }

  /** contexts is the number of scale contexts cached now. */
  get contexts(): number {
    return this.#cache.size;
  }

  /** convert returns `frame` in `target` format and size (a new frame, tight strides). */
  convert(frame: RawVideoFrame, target: ConvertTarget): RawVideoFrame {
    if (!isPixelFormat(target.format)) {
      throw new MediaError("BAD_OPTION", `unknown target format ${String(target.format)}`);
    }
    const w = target.width ?? frame.width;
    const h = target.height ?? frame.height;
    frameLayout(target.format, w, h); // checks the size
    const entry = this.#entry(frame.format, frame.width, frame.height, target.format, w, h);
    const bytes = tightCopy(frame);
    // fromBuffer copies synchronously into FFmpeg-owned memory: a view is safe for this call
    const ret = entry.src.fromBuffer(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    if (ret < 0) throw new MediaError("CONVERT_FAILED", `cannot load the source frame (${ret})`);
    return this.#scale(entry, target.format, w, h);
  }

  /**
   * convertAvFrame converts a decoded node-av frame: the decoder's path for pictures that are not
   * i420, without a copy into a RawVideoFrame first.
   * @internal
   */
  convertAvFrame(
    src: Frame,
    format: PixelFormat,
    width = src.width,
    height = src.height,
  ): RawVideoFrame {
    const from = pixelFormatOfAv(src.format as number);
    const key = `av${src.format as number}`;
    const entry = this.#entry(
      from ?? key,
      src.width,
      src.height,
      format,
      width,
      height,
      src.format as number,
    );
    const ret = entry.sws.scaleFrameSync(entry.dst, src);
    if (ret < 0) throw new MediaError("CONVERT_FAILED", `swscale failed (${ret})`);
    return createRawVideoFrame(format, width, height, ownedBytes(entry.dst));
  }

  /** close frees every cached context; calling it again does nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const e of this.#cache.values()) free(e);
    this.#cache.clear();
  }

  #scale(entry: Entry, format: PixelFormat, w: number, h: number): RawVideoFrame {
    const ret = entry.sws.scaleFrameSync(entry.dst, entry.src);
    if (ret < 0) throw new MediaError("CONVERT_FAILED", `swscale failed (${ret})`);
    return createRawVideoFrame(format, w, h, ownedBytes(entry.dst));
  }

  #entry(
    from: string,
    sw: number,
    sh: number,
    to: PixelFormat,
    dw: number,
    dh: number,
    avFrom?: number,
  ): Entry {
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
    if (this.#cache.size > this.#maxContexts) {
      const [oldKey, old] = this.#cache.entries().next().value as [string, Entry];
      this.#cache.delete(oldKey);
      free(old);
    }
    return entry;
  }
}

function free(e: Entry): void {
  e.sws.freeContext();
  e.src.free();
  e.dst.free();
  countNative("scalers", -1);
}

/** tightCopy is the frame's planes without row padding (the frame's own bytes when already tight). */
function tightCopy(frame: RawVideoFrame): Uint8Array {
  const tight = tightStrides(frame.format, frame.width);
  const layout = frameLayout(frame.format, frame.width, frame.height, tight);
  if (
    frame.planes.every((p, i) => p.stride === tight[i] && p.offset === layout.planes[i]!.offset)
  ) {
    return frame.data.subarray(0, layout.byteLength);
  }
  const out = new Uint8Array(layout.byteLength);
  frame.planes.forEach((p, i) => {
    const t = layout.planes[i]!;
    const row = tight[i]!;
    for (let y = 0; y < p.height; y++) {
      out.set(
        frame.data.subarray(p.offset + y * p.stride, p.offset + y * p.stride + row),
        t.offset + y * row,
      );
    }
  });
  return out;
}

/** ownedBytes is a frame's planes copied (tight) into fresh memory that nothing native points into. */
export function ownedBytes(frame: Frame): Uint8Array {
  const b = frame.toBuffer(); // a new Buffer of its own (av_image_copy_to_buffer)
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
