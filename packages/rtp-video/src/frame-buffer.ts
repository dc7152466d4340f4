import { RtpVideoError } from "./errors.js";

/** DEFAULT_MAX_FRAME_BYTES is the default hard cap on one access unit (8 MiB). */
export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;

const MIN_STORAGE = 64 * 1024;
/** storage above this size (kept after a large keyframe) shrinks when frames are much smaller */
const SHRINK_ABOVE = 1024 * 1024;

/**
 * FrameBuffer collects the bytes of one access unit as a depacketizer writes them: a growable
 * byte buffer with a hard cap, plus the facts a depacketizer learns on the way (keyframe, size).
 * Writes past the cap set `overflowed` instead of growing.
 */
export class FrameBuffer {
  /** bytes is the storage; only `[0, length)` is meaningful. */
  bytes: Uint8Array;
  /** length is the number of bytes written. */
  length = 0;
  /** units counts the codec units (NAL units for H.264) completed in this frame. */
  units = 0;
  /** keyframe is set by the depacketizer when the frame holds a keyframe (an IDR slice). */
  keyframe = false;
  /** width, height are set when the frame carries a new resolution (an SPS); 0 when not. */
  width = 0;
  height = 0;
  /** overflowed is true when a write hit the cap; the frame must be dropped. */
  overflowed = false;
  /**
   * cleanStart is set by the depacketizer when the frame's first unit provably begins an access
   * unit (H.264: an access unit delimiter or an SPS), so nothing before it can be missing.
   */
  cleanStart = false;
  /** corrupt is set when a unit of the frame was discarded; the frame must be dropped. */
  corrupt = false;
  private readonly maxBytes: number;

  constructor(maxBytes: number = DEFAULT_MAX_FRAME_BYTES, initialBytes = 64 * 1024) {
    if (!(maxBytes > 0)) throw new RtpVideoError("BAD_OPTION", "maxFrameBytes must be > 0");
    this.maxBytes = maxBytes;
    this.bytes = new Uint8Array(Math.min(initialBytes, maxBytes));
  }

  /** reserve makes room for `n` more bytes; returns false (and marks overflow) past the cap. */
  reserve(n: number): boolean {
    const need = this.length + n;
    if (need <= this.bytes.length) return true;
    if (need > this.maxBytes) {
      this.overflowed = true;
      return false;
    }
    let size = this.bytes.length * 2;
    while (size < need) size *= 2;
    const grown = new Uint8Array(Math.min(size, this.maxBytes));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    return true;
  }

  /** write appends `src[start, end)`. */
  write(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (!this.reserve(n)) return;
    const b = this.bytes;
    const o = this.length;
    // small copies are faster by hand than through set() + subarray()
    if (n < 32) {
      let k = o;
      for (let i = start; i < end; i++) b[k++] = src[i]!;
    } else if (start <= 4 && start <= o && o + n + (src.length - end) <= b.length) {
      // the common case (a whole payload behind a header of up to 4 bytes, e.g. an FU-A
      // fragment): copy all of `src` so that src[start] lands at `o`, then put back the bytes
      // its header overwrote. No view is made per write; the bytes src[end..] land past
      // `length`, in storage nothing reads (take() copies [0, length) only).
      const at = o - start;
      const k0 = b[at]!;
      const k1 = b[at + 1]!;
      const k2 = b[at + 2]!;
      const k3 = b[at + 3]!;
      b.set(src, at);
      if (start > 0) b[at] = k0;
      if (start > 1) b[at + 1] = k1;
      if (start > 2) b[at + 2] = k2;
      if (start > 3) b[at + 3] = k3;
    } else {
      b.set(src.subarray(start, end), o);
    }
    this.length = o + n;
  }

  /** writeByte appends one byte. */
  writeByte(value: number): void {
    if (!this.reserve(1)) return;
    this.bytes[this.length++] = value;
  }

  /** truncate rolls back to an earlier length, forgetting a partially written unit. */
  truncate(length: number): void {
    if (length < this.length) this.length = length;
  }

  /**
   * take returns the written bytes as an exact-size copy the caller owns; the storage stays for
   * the next frame (it is hot in cache, and a fresh zero-filled buffer per frame would cost as
   * much as the copy). Storage grown far past the frames that follow is given back.
   */
  take(): Uint8Array {
    const n = this.length;
    const out = this.bytes.slice(0, n);
    if (this.bytes.length > SHRINK_ABOVE && n < this.bytes.length / 8) {
      this.bytes = new Uint8Array(Math.max(MIN_STORAGE, 2 * n));
    }
    return out;
  }

  /** clear empties the buffer for the next frame (storage is kept). */
  clear(): void {
    this.length = 0;
    this.units = 0;
    this.keyframe = false;
    this.width = 0;
    this.height = 0;
    this.overflowed = false;
    this.corrupt = false;
    this.cleanStart = false;
  }
}
