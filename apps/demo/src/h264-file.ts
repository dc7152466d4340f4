import { H264NalType, joinAnnexB, splitAnnexB } from "@framewire/rtp-video";

/** AccessUnit is one picture of an H.264 byte stream, in Annex-B form. */
export interface AccessUnit {
  readonly data: Uint8Array;
  /** keyframe is true when the unit holds an IDR slice. */
  readonly keyframe: boolean;
}

/**
 * accessUnits groups an Annex-B byte stream's NAL units into access units (H.264 §7.4.1.2.3):
 * a new unit starts at an AUD, SPS, PPS or SEI after a slice, or at a slice whose
 * first_mb_in_slice is 0 (its first Exp-Golomb bit is 1).
 */
export function accessUnits(stream: Uint8Array): AccessUnit[] {
  const out: AccessUnit[] = [];
  let current: Uint8Array[] = [];
  let sawSlice = false;
  let idr = false;
  const flush = () => {
    if (current.length > 0) out.push({ data: joinAnnexB(current), keyframe: idr });
    current = [];
    sawSlice = false;
    idr = false;
  };
  for (const nal of splitAnnexB(stream)) {
    if (nal.length === 0) continue;
    const type = nal[0]! & 0x1f;
    const isSlice = type === H264NalType.NON_IDR || type === H264NalType.IDR;
    const firstMb = isSlice && nal.length > 1 && (nal[1]! & 0x80) !== 0;
    if (sawSlice && (!isSlice || firstMb)) flush();
    current.push(nal);
    if (isSlice) sawSlice = true;
    if (type === H264NalType.IDR) idr = true;
  }
  flush();
  return out;
}
