import { RtpVideoError } from "./errors.js";
import type { FrameSink } from "./frame-sink.js";

/** DEFAULT_MAX_FRAME_BYTES is the default hard cap on one access unit (8 MiB). */
export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;

/** SLAB_BYTES is the size of the slabs frames are cut from (grown for a larger frame). */
const SLAB_BYTES = 256 * 1024;
const EMPTY = new Uint8Array(0);
const NO_UNITS: readonly number[] = [];
/** MAX_MARKED_UNITS bounds the unit bounds recorded per frame; a frame with more has none. */
const MAX_MARKED_UNITS = 1024;

/**
 * FrameBuffer is the default `FrameSink`: it collects the bytes of one access unit as a
 * depacketizer writes them, in a growable byte buffer with a hard cap, plus the facts a
 * depacketizer learns on the way (keyframe, size). Writes past the cap set `overflowed` instead
 * of growing. Its state is in properties read-only to TypeScript; only the sink's methods
 * change it (at run time they are plain fields, for speed: see `FrameSink`).
 *
 * Frames are written one after another into a slab (256 KiB, zero-filled) and handed out as
 * views of it: no copy per frame, one allocation per several frames. A slab with less room left
 * than an eighth of its size is retired (it lives on while frames cut from it do); a frame that
 * outgrows what is left moves to a new slab, grown to fit it when it is larger than a slab, and
 * such a grown slab is retired with that frame.
 */
export class FrameBuffer implements FrameSink {
  /** bytes is where the frame is written: `[0, length)` is the frame so far. */
  readonly bytes: Uint8Array = EMPTY;
  /** length is the number of bytes written. */
  readonly length: number = 0;
  /** units counts the codec units (NAL units for H.264) completed in this frame. */
  readonly units: number = 0;
  /** keyframe is set by the depacketizer when the frame holds a keyframe (an IDR slice). */
  readonly keyframe: boolean = false;
  /** width, height are set when the frame carries a new resolution (an SPS); 0 when not. */
  readonly width: number = 0;
  readonly height: number = 0;
  /** overflowed is true when a write hit the cap; the frame must be dropped. */
  readonly overflowed: boolean = false;
  /**
   * cleanStart is set by the depacketizer when the frame's first unit provably begins an access
   * unit (H.264: an access unit delimiter or an SPS), so nothing before it can be missing. The
   * H.264 depacketizer also sets it for an IDR completed with out-of-band parameter sets.
   */
  readonly cleanStart: boolean = false;
  /** corrupt is set when a unit of the frame was discarded; the frame must be dropped. */
  readonly corrupt: boolean = false;
  private readonly maxBytes: number;
  private readonly slabBytes: number;
  /** slab is the storage frames are cut from; `bytes` is its part from `base` on. */
  private slab: Uint8Array = EMPTY;
  private base = 0;
  /** [start, end) of each unit marked in this frame (see `markUnit`). */
  private bounds: number[] = [];
  private boundsOverflowed = false;

  /**
   * @param maxBytes the hard cap on one frame.
   * @param slabBytes the size of a slab (capped at `maxBytes`); tests pass small ones.
   */
  constructor(maxBytes: number = DEFAULT_MAX_FRAME_BYTES, slabBytes = SLAB_BYTES) {
    if (!(maxBytes > 0)) throw new RtpVideoError("BAD_OPTION", "maxFrameBytes must be > 0");
    if (!(slabBytes > 0)) throw new RtpVideoError("BAD_OPTION", "slabBytes must be > 0");
    this.maxBytes = maxBytes;
    this.slabBytes = Math.min(slabBytes, maxBytes);
  }

  /** capacity is the room for this frame before the buffer must move it (at most the cap). */
  get capacity(): number {
    return this.bytes.length;
  }

  /** countUnit counts one more completed unit. */
  countUnit(): void {
    (this as Writable).units++;
  }

  /** setUnits sets the unit count. */
  setUnits(count: number): void {
    (this as Writable).units = count;
  }

  /** markKeyframe records that the frame holds a keyframe. */
  markKeyframe(): void {
    (this as Writable).keyframe = true;
  }

  /** setResolution records the resolution the frame announces. */
  setResolution(width: number, height: number): void {
    const self = this as Writable;
    self.width = width;
    self.height = height;
  }

  /** setCleanStart records whether the frame's first unit provably begins an access unit. */
  setCleanStart(clean: boolean): void {
    (this as Writable).cleanStart = clean;
  }

  /** markCorrupt records that a unit of the frame was discarded. */
  markCorrupt(): void {
    (this as Writable).corrupt = true;
  }

  /** writeStartCode appends a 4-byte (`long`) or 3-byte start code; false past the cap. */
  writeStartCode(long: boolean): boolean {
    if (!this.reserve(long ? 4 : 3)) return false;
    const b = this.bytes;
    let o = this.length;
    if (long) b[o++] = 0;
    b[o] = 0;
    b[o + 1] = 0;
    b[o + 2] = 1;
    (this as Writable).length = o + 3;
    return true;
  }

  /** reserve makes room for `n` more bytes; returns false (and marks overflow) past the cap. */
  reserve(n: number): boolean {
    const need = this.length + n;
    if (need <= this.bytes.length) return true;
    if (need > this.maxBytes) {
      (this as Writable).overflowed = true;
      return false;
    }
    // a new slab, or a grown one (doubling, so a large frame is copied O(1) times per byte)
    let size = this.slabBytes;
    while (size < need) size *= 2;
    if (need > this.slabBytes) size = Math.max(size, 2 * this.length);
    const slab = new Uint8Array(Math.max(need, Math.min(size, this.maxBytes)));
    slab.set(this.bytes.subarray(0, this.length));
    this.slab = slab;
    this.base = 0;
    (this as Writable).bytes = slab;
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
    (this as Writable).length = o + n;
  }

  /**
   * markUnit records that a complete codec unit lies at `[start, end)` of this frame (for
   * H.264, a NAL unit without its start code), so that a packetizer sending the frame on can
   * skip the search for start codes.
   */
  markUnit(start: number, end: number): void {
    if (this.bounds.length >= 2 * MAX_MARKED_UNITS) {
      this.boundsOverflowed = true;
      return;
    }
    this.bounds.push(start, end);
  }

  /** takeUnits hands over the unit bounds marked in this frame (empty when unknown). */
  takeUnits(): readonly number[] {
    if (this.boundsOverflowed || this.bounds.length === 0) return NO_UNITS;
    const bounds = this.bounds;
    this.bounds = [];
    return bounds;
  }

  /** writeByte appends one byte. */
  writeByte(value: number): void {
    if (!this.reserve(1)) return;
    this.bytes[(this as Writable).length++] = value;
  }

  /** truncate rolls back to an earlier length, forgetting a partially written unit. */
  truncate(length: number): void {
    if (length >= this.length) return;
    (this as Writable).length = length;
    const b = this.bounds;
    while (b.length > 0 && b[b.length - 1]! > length) b.length -= 2;
  }

  /**
   * take returns the frame: a view of exactly `length` bytes, never written again (the next
   * frame goes after it). Its `buffer` is the slab, shared with neighbouring frames of this
   * stream: copy (`slice()`) before transferring it to a worker.
   */
  take(): Uint8Array {
    const n = this.length;
    const out = this.bytes.subarray(0, n);
    const next = this.base + ((n + 7) & ~7); // keep frames 8-byte aligned
    if (this.slab.length > this.slabBytes || this.slab.length - next < this.slabBytes / 8) {
      this.slab = EMPTY; // retired: a new slab is made when the next frame is written
      this.base = 0;
      (this as Writable).bytes = EMPTY;
    } else {
      this.base = next;
      (this as Writable).bytes = this.slab.subarray(next);
    }
    (this as Writable).length = 0;
    return out;
  }

  /** clear empties the buffer for the next frame (the room it had is reused). */
  clear(): void {
    const self = this as Writable;
    self.length = 0;
    self.units = 0;
    self.keyframe = false;
    self.width = 0;
    self.height = 0;
    self.overflowed = false;
    self.corrupt = false;
    self.cleanStart = false;
    this.bounds.length = 0;
    this.boundsOverflowed = false;
  }
}

/** Writable is FrameBuffer's state as its own methods change it (read-only from outside). */
type Writable = {
  -readonly [K in
    | "bytes"
    | "length"
    | "units"
    | "keyframe"
    | "width"
    | "height"
    | "overflowed"
    | "cleanStart"
    | "corrupt"]: FrameBuffer[K];
};
