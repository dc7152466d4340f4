import { MediaError } from "./media-error.js";
import type { PixelFormat } from "./pixel-format.js";

/** PlaneLayout is where one plane lies in a frame's bytes. */
export interface PlaneLayout {
  /** offset is the plane's first byte in `data`. */
  readonly offset: number;
  /** stride is the bytes from one row of the plane to the next (≥ the row's bytes). */
  readonly stride: number;
  /** width and height are the plane's size in samples (chroma rounded up). */
  readonly width: number;
  readonly height: number;
  /** size is `stride * height`. */
  readonly size: number;
}

/** FrameLayout is the planes of a frame and the bytes they take together. */
export interface FrameLayout {
  readonly planes: readonly PlaneLayout[];
  readonly byteLength: number;
}

/** bytesPerPixel of a packed format (3 or 4); 1 for the luma plane of the planar ones. */
export function bytesPerPixel(format: PixelFormat): number {
  switch (format) {
    case "rgb24":
    case "bgr24":
      return 3;
    case "rgba":
    case "bgra":
    case "argb":
    case "abgr":
      return 4;
    default:
      return 1;
  }
}

function checkSize(width: number, height: number): void {
  for (const [name, v] of [
    ["width", width],
    ["height", height],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 1 || v > 16384) {
      throw new MediaError("BAD_OPTION", `${name} must be an integer 1..16384, got ${v}`);
    }
  }
}

/**
 * tightStrides are the strides of a frame with no row padding: the width's bytes per row; chroma
 * of `i420` at ceil(width/2), of `nv12` at 2*ceil(width/2).
 */
export function tightStrides(format: PixelFormat, width: number): number[] {
  const cw = Math.ceil(width / 2);
  if (format === "i420") return [width, cw, cw];
  if (format === "nv12") return [width, 2 * cw];
  return [width * bytesPerPixel(format)];
}

/**
 * frameLayout is the plane arithmetic of a `format` frame of `width`x`height` with `strides`
 * (default {@link tightStrides}): chroma planes of `i420`/`nv12` are ceil(width/2) by
 * ceil(height/2) samples, planes follow one another in `data`.
 */
export function frameLayout(
  format: PixelFormat,
  width: number,
  height: number,
  strides: readonly number[] = tightStrides(format, width),
): FrameLayout {
  checkSize(width, height);
  const cw = Math.ceil(width / 2);
  const ch = Math.ceil(height / 2);
  const dims: [number, number, number][] =
    format === "i420"
      ? [
          [width, height, width],
          [cw, ch, cw],
          [cw, ch, cw],
        ]
      : format === "nv12"
        ? [
            [width, height, width],
            [cw, ch, 2 * cw],
          ]
        : [[width, height, width * bytesPerPixel(format)]];
  if (strides.length !== dims.length) {
    throw new MediaError(
      "BAD_OPTION",
      `${format} has ${dims.length} planes, got ${strides.length} strides`,
    );
  }
  const planes: PlaneLayout[] = [];
  let offset = 0;
  dims.forEach(([w, h, rowBytes], i) => {
    const stride = strides[i]!;
    if (!Number.isSafeInteger(stride) || stride < rowBytes) {
      throw new MediaError(
        "BAD_OPTION",
        `stride of plane ${i} must be an integer ≥ ${rowBytes}, got ${stride}`,
      );
    }
    planes.push({ offset, stride, width: w, height: h, size: stride * h });
    offset += stride * h;
  });
  return { planes, byteLength: offset };
}
