// H.264 access units of a test stream, grouped independently of the code under test.

/**
 * groupAccessUnits groups the NAL units of an H.264 stream into access units the way an encoder
 * like x264 lays them out (H.264 §7.4.1.2.3, simplified): once the current unit holds a slice, a
 * new one starts at an SEI, SPS, PPS or AUD (types 6–9), or at a slice whose first_mb_in_slice is
 * 0 (its ue(v) is the single bit 1, so the first bit after the NAL header byte is set).
 */
export function groupAccessUnits(nals: Iterable<Uint8Array>): Uint8Array[][] {
  const groups: Uint8Array[][] = [];
  let current: Uint8Array[] = [];
  let hasSlice = false;
  for (const nal of nals) {
    const type = nal[0]! & 0x1f;
    const isSlice = type === 1 || type === 5;
    const starts = isSlice ? nal.length > 1 && (nal[1]! & 0x80) !== 0 : type >= 6 && type <= 9;
    if (starts && hasSlice) {
      groups.push(current);
      current = [];
      hasSlice = false;
    }
    current.push(nal);
    if (isSlice) hasSlice = true;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** AnnexB is the byte-stream format's two directions (rtp-video's `splitAnnexB`/`joinAnnexB`). */
export interface AnnexB {
  splitAnnexB(data: Uint8Array): Uint8Array[];
  joinAnnexB(units: readonly Uint8Array[]): Uint8Array;
}

/** AccessUnits are a stream's access units, each joined back to Annex-B, and which hold an IDR. */
export interface AccessUnits {
  readonly units: Uint8Array[];
  /** idr[i] is true when unit i holds an IDR slice (NAL type 5). */
  readonly idr: boolean[];
}

/** h264AccessUnits cuts an Annex-B stream into access units ({@link groupAccessUnits}). */
export function h264AccessUnits(stream: Uint8Array, annexB: AnnexB): AccessUnits {
  const groups = groupAccessUnits(annexB.splitAnnexB(stream));
  return {
    units: groups.map((g) => annexB.joinAnnexB(g)),
    idr: groups.map((g) => g.some((n) => (n[0]! & 0x1f) === 5)),
  };
}
