import { MediaError } from "./media-error.js";
import type { PixelFormat } from "./pixel-format.js";
import { type FrameLayout, frameLayout, type PlaneLayout } from "./plane-layout.js";

/**
 * RawVideoFrame is one decoded picture: `format` (memory order), size, and its planes in `data`,
 * each at an explicit offset and stride (`planes`).
 */
export interface RawVideoFrame {
  readonly format: PixelFormat;
  readonly width: number;
  readonly height: number;
  readonly planes: readonly PlaneLayout[];
  readonly data: Uint8Array;
}

/**
 * createRawVideoFrame makes a frame over `data` (default zeroed, tight strides), checking that
 * `data` holds every plane.
 */
export function createRawVideoFrame(
  format: PixelFormat,
  width: number,
  height: number,
  data?: Uint8Array,
  strides?: readonly number[],
): RawVideoFrame {
  const layout: FrameLayout = frameLayout(format, width, height, strides);
  const bytes = data ?? new Uint8Array(layout.byteLength);
  if (bytes.byteLength < layout.byteLength) {
    throw new MediaError(
      "BAD_OPTION",
      `${format} ${width}x${height} needs ${layout.byteLength} bytes, got ${bytes.byteLength}`,
    );
  }
  return { format, width, height, planes: layout.planes, data: bytes };
}

/** planeBytes is the bytes of plane `index` of `frame` (a view, no copy). */
export function planeBytes(frame: RawVideoFrame, index: number): Uint8Array {
  const p = frame.planes[index];
  if (p === undefined) throw new MediaError("BAD_OPTION", `${frame.format} has no plane ${index}`);
  return frame.data.subarray(p.offset, p.offset + p.size);
}
