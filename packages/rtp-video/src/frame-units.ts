/**
 * The codec units (H.264 NAL units) of the frame a FrameAssembler is delivering right now, as
 * [start, end) byte offsets into its `data` (start codes excluded). A packetizer handed that very
 * `data` while the frame is being delivered (a subscriber forwarding it synchronously, as a
 * bridge does) need not search it for start codes again. Only the frame in delivery is known
 * (nothing is kept once delivery returns), and a packetizer checks the start codes at the
 * recorded offsets before it trusts them.
 */
let deliveredData: Uint8Array | undefined;
let deliveredBounds: readonly number[] | undefined;

/** deliverWithUnits runs `deliver()` with `data`'s unit bounds known (internal to rtp-video). */
export function deliverWithUnits(
  data: Uint8Array,
  bounds: readonly number[],
  deliver: () => void,
): void {
  const previousData = deliveredData;
  const previousBounds = deliveredBounds;
  deliveredData = data;
  deliveredBounds = bounds;
  try {
    deliver();
  } finally {
    deliveredData = previousData;
    deliveredBounds = previousBounds;
  }
}

/** unitsOfDelivered returns the unit bounds of `data` if it is the frame being delivered. */
export function unitsOfDelivered(data: Uint8Array): readonly number[] | undefined {
  return data === deliveredData ? deliveredBounds : undefined;
}
