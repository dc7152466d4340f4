/**
 * The codec units (H.264 NAL units) of a frame a FrameAssembler delivers travel with the frame:
 * its `data` view carries them, as [start, end) byte offsets into it (start codes excluded), in
 * a non-enumerable symbol-keyed property. A packetizer handed that very view (a subscriber
 * forwarding the frame, as a bridge does) need not search it for start codes again; a copy or a
 * `subarray` of it carries nothing and is searched. A packetizer checks the start codes at the
 * recorded offsets before it trusts them. No state is kept here.
 */
const NAL_UNITS: unique symbol = Symbol("framewire.nalUnits");

interface DataWithUnits extends Uint8Array {
  readonly [NAL_UNITS]?: readonly number[];
}

/** attachUnits records `bounds` as the unit bounds of `data` (internal to rtp-video). */
export function attachUnits(data: Uint8Array, bounds: readonly number[]): void {
  Object.defineProperty(data, NAL_UNITS, { value: bounds });
}

/** unitsOf returns the unit bounds attached to this very view of a frame, if any. */
export function unitsOf(data: Uint8Array): readonly number[] | undefined {
  return (data as DataWithUnits)[NAL_UNITS];
}
