import { joinAnnexB, splitAnnexB } from "./annexb.js";

/** AccessUnit is one picture of an H.264 byte stream, in Annex-B form. */
export interface AccessUnit {
  /** data holds the unit's NAL units, each after a start code. */
  readonly data: Uint8Array;
  /** keyframe is true when the unit holds an IDR slice (it decodes on its own). */
  readonly keyframe: boolean;
}

/**
 * splitAccessUnits cuts an Annex-B byte stream (a `.h264` file, an encoder's output) into access
 * units, the unit `sendVideo` and `VideoFrame` carry. Once the current unit holds a slice, the
 * next unit begins at an AUD, SEI, SPS or PPS (or NAL types 14–18), or at a slice whose
 * first_mb_in_slice is 0 (H.264 §7.4.1.2.3, §7.4.1.2.4). End-of-sequence, end-of-stream and filler
 * NAL units stay with the unit they follow. Bytes before the first start code are skipped.
 */
export function splitAccessUnits(stream: Uint8Array): AccessUnit[] {
  const out: AccessUnit[] = [];
  let current: Uint8Array[] = [];
  let sliceSeen = false;
  let idr = false;
  for (const nal of splitAnnexB(stream)) {
    if (nal.length === 0) continue;
    const type = nal[0]! & 0x1f;
    const slice = type === 1 || type === 5;
    // first_mb_in_slice is ue(v): its first bit is 1 exactly when it is 0
    const begins = slice
      ? nal.length > 1 && (nal[1]! & 0x80) !== 0
      : (type >= 6 && type <= 9) || (type >= 14 && type <= 18);
    if (begins && sliceSeen) {
      out.push({ data: joinAnnexB(current), keyframe: idr });
      current = [];
      sliceSeen = false;
      idr = false;
    }
    current.push(nal);
    if (slice) sliceSeen = true;
    if (type === 5) idr = true;
  }
  if (current.length > 0) out.push({ data: joinAnnexB(current), keyframe: idr });
  return out;
}
