/** NativeCounts are the node-av contexts this package holds open right now (for leak tests). */
export interface NativeCounts {
  readonly decoders: number;
  readonly encoders: number;
  readonly scalers: number;
  readonly resamplers: number;
}

const counts = { decoders: 0, encoders: 0, scalers: 0, resamplers: 0 };

/** nativeCounts is a snapshot of the live native contexts (decoders, encoders, scale and resample contexts). */
export function nativeCounts(): NativeCounts {
  return { ...counts };
}

/** countNative adds `delta` to the live count of `kind` (internal to the package). */
export function countNative(kind: keyof NativeCounts, delta: 1 | -1): void {
  counts[kind] += delta;
}
