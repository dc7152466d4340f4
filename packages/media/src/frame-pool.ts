// Internal to the package (not exported by index.ts): the memory that decoded pictures are
// written into, handed out as RawVideoFrame data and taken back by `recycle`.
import { MediaError } from "./media-error.js";

/**
 * PAD is the bytes after the last row of every picture's memory, never part of a frame's
 * `data`: a SIMD row writer of swscale that runs past the end of the last row stays in memory
 * this package owns (zeroed, so nothing old shows through `data.buffer`).
 */
export const PAD = 256;

/**
 * FramePool hands out memory for pictures and takes back the memory of recycled frames, at most
 * `max` buffers kept. Fresh memory of a picture size (2.7 MB for 720p rgb24) costs the kernel a
 * page fault per 4 KiB the first time it is written, which made the copy out of a picture cost
 * more than the decode; recycled memory is written again without any. Only memory this pool
 * handed out is taken back, each buffer once until handed out again.
 */
export class FramePool {
  readonly #max: number;
  readonly #free: ArrayBuffer[] = [];
  readonly #issued = new WeakSet<ArrayBuffer>();

  constructor(max: number) {
    this.#max = max;
  }

  /** take is `byteLength` bytes for one picture (recycled memory when a buffer of that size is free). */
  take(byteLength: number): Uint8Array {
    const i = this.#free.findIndex((b) => b.byteLength === byteLength + PAD);
    let buffer: ArrayBuffer;
    if (i >= 0) {
      buffer = this.#free[i]!;
      this.#free.splice(i, 1);
    } else {
      // uninitialized memory of its own (not Buffer's shared pool); every byte of `data` is
      // written by the caller, the padding is zeroed here
      const b = Buffer.allocUnsafeSlow(byteLength + PAD);
      b.fill(0, byteLength);
      buffer = b.buffer as ArrayBuffer;
    }
    this.#issued.add(buffer);
    return new Uint8Array(buffer, 0, byteLength);
  }

  /**
   * give takes back the memory of `data` (from {@link FramePool.take}); the caller must not use
   * it afterwards. Throws `BAD_OPTION` for memory this pool did not hand out, or gave back already.
   */
  give(data: Uint8Array): void {
    const buffer = data.buffer as ArrayBuffer;
    if (!this.#issued.has(buffer)) {
      throw new MediaError(
        "BAD_OPTION",
        "recycle takes a frame this object handed out, once (not a copy, not twice)",
      );
    }
    this.#issued.delete(buffer);
    if (this.#free.length >= this.#max) this.#free.shift();
    this.#free.push(buffer);
  }

  /** clear drops every free buffer (the garbage collector frees them). */
  clear(): void {
    this.#free.length = 0;
  }
}
