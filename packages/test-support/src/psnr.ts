// PSNR of 8-bit pictures: the whole buffer, or per plane of an i420 picture.
import { MediaCheckError } from "./media-check-error.js";

/** squaredError sums (a[i] - b[i])² over `[start, end)`. */
function squaredError(a: Uint8Array, b: Uint8Array, start: number, end: number): number {
  let sum = 0;
  for (let i = start; i < end; i++) {
    const d = a[i]! - b[i]!;
    sum += d * d;
  }
  return sum;
}

/** psnrOf turns a squared-error sum over `n` 8-bit samples into dB (Infinity when 0). */
function psnrOf(sum: number, n: number): number {
  if (sum === 0) return Number.POSITIVE_INFINITY;
  return 10 * Math.log10((255 * 255 * n) / sum);
}

/**
 * psnr is the peak signal-to-noise ratio, in dB, of two buffers of 8-bit samples of the same
 * length: `10·log10(255² / MSE)` over every byte (Infinity when they are equal). Throws
 * BAD_OPTION when the lengths differ or are 0.
 */
export function psnr(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length || a.length === 0) {
    throw new MediaCheckError(
      "BAD_OPTION",
      `psnr compares buffers of one non-zero length, got ${a.length} and ${b.length}`,
    );
  }
  return psnrOf(squaredError(a, b, 0, a.length), a.length);
}

/** PlanePsnr is the PSNR of each plane of an i420 picture and of the whole (all in dB). */
export interface PlanePsnr {
  readonly y: number;
  readonly u: number;
  readonly v: number;
  /** all is over every sample of the three planes (what `psnr` gives for the buffers). */
  readonly all: number;
}

/**
 * psnrI420 is the PSNR per plane of two tightly packed i420 pictures of `width`x`height` (Y,
 * then U and V at ceil(width/2) x ceil(height/2)). Throws BAD_OPTION when a buffer's length is
 * not that size.
 */
export function psnrI420(a: Uint8Array, b: Uint8Array, width: number, height: number): PlanePsnr {
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width < 1 || height < 1) {
    throw new MediaCheckError("BAD_OPTION", `psnrI420 needs a size >= 1x1, got ${width}x${height}`);
  }
  const luma = width * height;
  const chroma = Math.ceil(width / 2) * Math.ceil(height / 2);
  const size = luma + 2 * chroma;
  if (a.length !== size || b.length !== size) {
    throw new MediaCheckError(
      "BAD_OPTION",
      `an i420 ${width}x${height} picture has ${size} bytes, got ${a.length} and ${b.length}`,
    );
  }
  const y = squaredError(a, b, 0, luma);
  const u = squaredError(a, b, luma, luma + chroma);
  const v = squaredError(a, b, luma + chroma, size);
  return {
    y: psnrOf(y, luma),
    u: psnrOf(u, chroma),
    v: psnrOf(v, chroma),
    all: psnrOf(y + u + v, size),
  };
}
