import { RtpVideoError } from "./errors.js";

/** DEFAULT_MAX_FRAME_BYTES is the default hard cap on one access unit (8 MiB). */
export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;

const MIN_STORAGE = 16 * 1024;

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
    // small copies are faster by hand than through set() + subarray()
    if (n < 32) {
      const b = this.bytes;
      let o = this.length;
      for (let i = start; i < end; i++) b[o++] = src[i]!;
    } else {
      this.bytes.set(src.subarray(start, end), this.length);
    }
    this.length += n;
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
   * take returns the written bytes as a frame the caller owns. When they fill most of the
   * storage, the storage itself is handed over (no copy) and fresh storage sized from this frame
   * is allocated for the next one; otherwise an exact-size copy is returned. Either way the
   * result never exposes bytes beyond `length`, and fresh storage is zero-filled.
   */
  take(): Uint8Array {
    const n = this.length;
    if (n < this.bytes.length * 0.75) return this.bytes.slice(0, n);
    const out = this.bytes.subarray(0, n);
    const next = Math.min(this.maxBytes, Math.max(MIN_STORAGE, Math.ceil(n * 1.25) + 2048));
    this.bytes = new Uint8Array(next);
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
