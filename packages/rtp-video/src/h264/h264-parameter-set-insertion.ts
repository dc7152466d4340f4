import { annexBUnitBounds } from "./annexb.js";
import { H264NalType } from "./nal.js";

/**
 * completedHead returns the head of an IDR access unit (the Annex-B units written before its
 * first slice) as NAL units in the order H.264 §7.4.1.2.3 and encoders use: AUD, SPS, PPS, then
 * the rest (SEI, ...). `sps` and `pps`, when given, are the out-of-band units that take the place
 * of the head's own (which it lacks); when undefined, the head's own units of that kind are kept.
 * The units returned are copies: the caller writes them again into the buffer `head` views.
 */
export function completedHead(
  headView: Uint8Array,
  sps: readonly Uint8Array[] | undefined,
  pps: readonly Uint8Array[] | undefined,
): Uint8Array[] {
  const head = headView.slice();
  const bounds: number[] = [];
  const count = annexBUnitBounds(head, bounds);
  const group = (type: number): Uint8Array[] => {
    const found: Uint8Array[] = [];
    for (let k = 0; k < count; k++) {
      const unit = head.subarray(bounds[2 * k]!, bounds[2 * k + 1]!);
      const t = unit[0]! & 0x1f;
      if (
        t === type ||
        (type < 0 && t !== H264NalType.AUD && t !== H264NalType.SPS && t !== H264NalType.PPS)
      ) {
        found.push(unit);
      }
    }
    return found;
  };
  return [
    ...group(H264NalType.AUD),
    ...(sps ?? group(H264NalType.SPS)),
    ...(pps ?? group(H264NalType.PPS)),
    ...group(-1),
  ];
}
