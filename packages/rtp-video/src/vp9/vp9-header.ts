/**
 * Vp9FrameHeader is what the start of a VP9 uncompressed header tells (VP9 Bitstream
 * Specification v0.6, §6.2 `uncompressed_header()`): enough to recognise a key frame and to read
 * the frame size when the header codes it explicitly.
 */
export interface Vp9FrameHeader {
  /** profile is 0..3: (profile_high_bit << 1) + profile_low_bit (§7.2). */
  readonly profile: number;
  /** showExistingFrame is true for a frame that only shows an already decoded frame. */
  readonly showExistingFrame: boolean;
  /** keyframe is true when frame_type is KEY_FRAME (0) and the frame sync code is right. */
  readonly keyframe: boolean;
  /** intraOnly is true for a non-key frame coded without inter prediction (intra_only = 1). */
  readonly intraOnly: boolean;
  /** showFrame is the show_frame flag (false for a hidden frame, e.g. an alt-ref). */
  readonly showFrame: boolean;
  /** bitDepth is 8, 10 or 12 when the header carries a color config (§6.2.2), else 0. */
  readonly bitDepth: number;
  /**
   * width is frame_width_minus_1 + 1 when the header codes the size (§6.2.3 `frame_size()`: key
   * frames, intra-only frames, and inter frames whose `found_ref` bits are all 0); 0 when the
   * size is taken from a reference frame or not coded (show_existing_frame).
   */
  readonly width: number;
  /** height is frame_height_minus_1 + 1 under the same rule as `width`; else 0. */
  readonly height: number;
}

// frame_sync_code() of key and intra-only frames (§6.2.1)
const SYNC_0 = 0x49;
const SYNC_1 = 0x83;
const SYNC_2 = 0x42;
// color_space CS_RGB
const CS_RGB = 7;

/** BitCursor reads f(n) fields, most significant bit first; past the end it reads 0. */
class BitCursor {
  private pos: number;
  private readonly end: number;
  /** overrun is set when a read went past the end of the data. */
  overrun = false;

  constructor(
    private readonly bytes: Uint8Array,
    start: number,
    end: number,
  ) {
    this.pos = start * 8;
    this.end = end * 8;
  }

  f(n: number): number {
    if (this.pos + n > this.end) {
      this.overrun = true;
      this.pos = this.end;
      return 0;
    }
    let v = 0;
    for (let i = 0; i < n; i++) {
      const p = this.pos++;
      v = (v << 1) | ((this.bytes[p >>> 3]! >>> (7 - (p & 7))) & 1);
    }
    return v;
  }
}

/**
 * parseVp9FrameHeader reads the start of the uncompressed header of the VP9 frame at
 * `bytes[start, end)` (§6.2): frame_marker, profile, show_existing_frame, frame_type, show_frame,
 * error_resilient_mode, then for key frames the frame sync code, color_config() and
 * frame_size(); for intra-only frames the same (color config only above profile 0);
 * for inter frames refresh_frame_flags, the reference indices and frame_size_with_refs().
 * Returns undefined when the bytes are not a well-formed VP9 frame header (wrong frame marker
 * or sync code, a reserved bit set, a color config the profile forbids, or too few bytes).
 * When the frame is a superframe (Annex B), this is the header of its first frame.
 */
export function parseVp9FrameHeader(
  bytes: Uint8Array,
  start = 0,
  end: number = bytes.length,
): Vp9FrameHeader | undefined {
  const r = new BitCursor(bytes, start, Math.min(end, bytes.length));
  if (r.f(2) !== 2) return undefined; // frame_marker
  const profileLow = r.f(1);
  const profile = (r.f(1) << 1) | profileLow;
  if (profile === 3 && r.f(1) !== 0) return undefined; // reserved_zero
  if (r.f(1) === 1) {
    // show_existing_frame: frame_to_show_map_idx f(3), nothing else is coded
    r.f(3);
    if (r.overrun) return undefined;
    return header(profile, true, false, false, true, 0, 0, 0);
  }
  const keyframe = r.f(1) === 0; // frame_type: KEY_FRAME = 0
  const showFrame = r.f(1) === 1;
  const errorResilient = r.f(1) === 1;
  if (keyframe) {
    if (!syncCode(r)) return undefined;
    const bitDepth = colorConfig(r, profile);
    if (bitDepth === 0) return undefined;
    const width = r.f(16) + 1;
    const height = r.f(16) + 1;
    if (r.overrun) return undefined;
    return header(profile, false, true, false, showFrame, bitDepth, width, height);
  }
  const intraOnly = showFrame ? false : r.f(1) === 1;
  if (!errorResilient) r.f(2); // reset_frame_context
  if (intraOnly) {
    if (!syncCode(r)) return undefined;
    const bitDepth = profile > 0 ? colorConfig(r, profile) : 8;
    if (bitDepth === 0) return undefined;
    r.f(8); // refresh_frame_flags
    const width = r.f(16) + 1;
    const height = r.f(16) + 1;
    if (r.overrun) return undefined;
    return header(profile, false, false, true, showFrame, bitDepth, width, height);
  }
  r.f(8); // refresh_frame_flags
  r.f(12); // 3 x (ref_frame_idx f(3), ref_frame_sign_bias f(1))
  // frame_size_with_refs() (§6.2.5): the first found_ref = 1 copies that reference's size
  let found = false;
  for (let i = 0; i < 3 && !found; i++) found = r.f(1) === 1;
  let width = 0;
  let height = 0;
  if (!found) {
    width = r.f(16) + 1;
    height = r.f(16) + 1;
  }
  if (r.overrun) return undefined;
  return header(profile, false, false, false, showFrame, 0, width, height);
}

function header(
  profile: number,
  showExistingFrame: boolean,
  keyframe: boolean,
  intraOnly: boolean,
  showFrame: boolean,
  bitDepth: number,
  width: number,
  height: number,
): Vp9FrameHeader {
  return { profile, showExistingFrame, keyframe, intraOnly, showFrame, bitDepth, width, height };
}

function syncCode(r: BitCursor): boolean {
  return r.f(8) === SYNC_0 && r.f(8) === SYNC_1 && r.f(8) === SYNC_2;
}

/** colorConfig reads color_config() (§6.2.2) and returns the bit depth, or 0 when invalid. */
function colorConfig(r: BitCursor, profile: number): number {
  const bitDepth = profile >= 2 ? (r.f(1) === 1 ? 12 : 10) : 8;
  const colorSpace = r.f(3);
  const fullChroma = profile === 1 || profile === 3;
  if (colorSpace !== CS_RGB) {
    r.f(1); // color_range
    if (fullChroma) {
      const subsamplingX = r.f(1);
      const subsamplingY = r.f(1);
      // 4:2:0 belongs to profiles 0 and 2 (§7.2)
      if (subsamplingX === 1 && subsamplingY === 1) return 0;
      if (r.f(1) !== 0) return 0; // reserved_zero
    }
  } else {
    // RGB is 4:4:4, which only profiles 1 and 3 carry (§7.2)
    if (!fullChroma) return 0;
    if (r.f(1) !== 0) return 0; // reserved_zero
  }
  return r.overrun ? 0 : bitDepth;
}
