/**
 * FrameSink is what a depacketizer writes one access unit into (the contract between the H.264,
 * VP8 and VP9 depacketizers and the frame assembler). A depacketizer only calls its methods and
 * reads its read-only properties; the sink owns its storage and state. `FrameBuffer` is the
 * default sink.
 *
 * What a depacketizer does with it, per unit: `writeStartCode` (H.264) and `write` /
 * `writeByte` the bytes, `truncate` back to a mark to forget a unit left incomplete or found
 * damaged, `countUnit` and `markUnit` a completed unit, and record what it learned on the way
 * (`markKeyframe`, `setResolution`, `setCleanStart`, `markCorrupt`).
 *
 * "Read-only" is a TypeScript contract, not a run-time guard: the properties are plain fields and
 * `bytes` is the sink's own storage, not a copy or a frozen view (either would cost on every
 * packet). A depacketizer that assigns a property or writes into `bytes` corrupts the frame
 * without an error; a JavaScript caller, or a cast, is trusted to keep to the methods.
 */
export interface FrameSink {
  /** length is the number of bytes written to this frame so far. */
  readonly length: number;
  /**
   * bytes is the storage of the frame: `[0, length)` is the frame so far. A depacketizer reads
   * it (parameter sets, headers) and never writes it (nothing enforces that: it is the live
   * buffer); the array changes when the sink grows.
   */
  readonly bytes: Uint8Array;
  /** units counts the codec units (NAL units for H.264) completed in this frame. */
  readonly units: number;
  /** overflowed is true when a write hit the sink's cap; the frame will be dropped. */
  readonly overflowed: boolean;
  /** corrupt is true once `markCorrupt` was called; the frame will be dropped. */
  readonly corrupt: boolean;
  /** write appends `src[start, end)` (sets `overflowed` instead past the cap). */
  write(src: Uint8Array, start: number, end: number): void;
  /** writeByte appends one byte. */
  writeByte(value: number): void;
  /**
   * writeStartCode appends an Annex-B start code, 4 bytes (`long`) or 3 (H.264 Annex B.1);
   * returns false, with `overflowed` set, past the cap.
   */
  writeStartCode(long: boolean): boolean;
  /** truncate rolls back to an earlier length, forgetting a partially written unit. */
  truncate(length: number): void;
  /** countUnit counts one more completed unit. */
  countUnit(): void;
  /** setUnits sets the unit count (after a depacketizer rewrote the frame's head). */
  setUnits(count: number): void;
  /**
   * markUnit records that a complete codec unit lies at `[start, end)` of this frame (for
   * H.264, a NAL unit without its start code), so that a packetizer sending the frame on can
   * skip the search for start codes.
   */
  markUnit(start: number, end: number): void;
  /** markKeyframe records that the frame holds a keyframe (an IDR slice, a VP8/VP9 key frame). */
  markKeyframe(): void;
  /** setResolution records the resolution the frame announces (an SPS, a key frame header). */
  setResolution(width: number, height: number): void;
  /**
   * setCleanStart records whether the frame's first unit provably begins an access unit (H.264:
   * an access unit delimiter or an SPS, or an IDR completed with out-of-band parameter sets), so
   * nothing before it can be missing.
   */
  setCleanStart(clean: boolean): void;
  /** markCorrupt records that a unit of the frame was discarded; the frame will be dropped. */
  markCorrupt(): void;
}
