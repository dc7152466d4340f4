import { MediaError } from "./media-error.js";
import { isPixelFormat, type PixelFormat } from "./pixel-format.js";
import { frameLayout, tightStrides } from "./plane-layout.js";
import type { RawVideoFrame } from "./raw-video-frame.js";
import { ScaleContexts, scaleInto } from "./scale-contexts.js";

/** ConvertTarget is what to convert to: a format and optionally another size (scaling). */
export interface ConvertTarget {
  readonly format: PixelFormat;
  readonly width?: number;
  readonly height?: number;
}

/** checkConvertTarget throws BAD_OPTION for an unknown format or an impossible size. */
export function checkConvertTarget(target: ConvertTarget): void {
  if (!isPixelFormat(target.format)) {
    throw new MediaError("BAD_OPTION", `unknown target format ${String(target.format)}`);
  }
  if ((target.width === undefined) !== (target.height === undefined)) {
    throw new MediaError("BAD_OPTION", "width and height go together");
  }
  if (target.width !== undefined) frameLayout(target.format, target.width, target.height!);
}

/**
 * VideoConverter converts and scales {@link RawVideoFrame}s with swscale
 * (`SoftwareScaleContext.scaleFrameSync`). It keeps one scale context, with its source and
 * destination frames, per (source size and format, destination size and format) and reuses it
 * for every frame of that pair; `maxContexts` (default 8) bounds the cache (least recently used
 * freed first). `close()` frees them all and may be called twice.
 */
export class VideoConverter {
  readonly #contexts: ScaleContexts;

  constructor(options: { readonly maxContexts?: number } = {}) {
    const max = options.maxContexts ?? 8;
    if (!Number.isInteger(max) || max < 1) {
      throw new MediaError("BAD_OPTION", `maxContexts must be an integer ≥ 1, got ${max}`);
    }
    this.#contexts = new ScaleContexts(max);
  }

  /** contexts is the number of scale contexts cached now. */
  get contexts(): number {
    return this.#contexts.size;
  }

  /** convert returns `frame` in `target` format and size (a new frame, tight strides). */
  convert(frame: RawVideoFrame, target: ConvertTarget): RawVideoFrame {
    checkConvertTarget(target);
    const w = target.width ?? frame.width;
    const h = target.height ?? frame.height;
    frameLayout(target.format, w, h); // checks the size
    const entry = this.#contexts.entry(
      frame.format,
      frame.width,
      frame.height,
      target.format,
      w,
      h,
    );
    const bytes = tightCopy(frame);
    // node-av 6.1.1's fromBuffer copies nothing: the source frame points at these bytes, which
    // `frame` keeps alive for this synchronous call; every later use re-loads it first
    const ret = entry.src.fromBuffer(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    if (ret < 0) throw new MediaError("CONVERT_FAILED", `cannot load the source frame (${ret})`);
    return scaleInto(entry, entry.src, target.format, w, h);
  }

  /** close frees every cached context; calling it again does nothing. */
  close(): void {
    this.#contexts.close();
  }
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
