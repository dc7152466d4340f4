/** Vp9PictureGroupEntry describes one picture of the SS picture group (RFC 9628 §4.2.1). */
export interface Vp9PictureGroupEntry {
  /** temporalId is the picture's TID (3 bits). */
  readonly temporalId: number;
  /** switchingUpPoint is the picture's U bit. */
  readonly switchingUpPoint: boolean;
  /** referenceDiffs are the picture's R P_DIFF octets (0 to 3 of them). */
  readonly referenceDiffs: readonly number[];
}

/** Vp9ScalabilityStructure is the scalability structure (SS) of RFC 9628 §4.2.1. */
export interface Vp9ScalabilityStructure {
  /** spatialLayers is N_S + 1, the number of spatial layers (1..8). */
  readonly spatialLayers: number;
  /** widths are the WIDTH of each spatial layer, lowest first, when Y = 1; else empty. */
  readonly widths: readonly number[];
  /** heights are the HEIGHT of each spatial layer, lowest first, when Y = 1; else empty. */
  readonly heights: readonly number[];
  /** pictureGroup lists the N_G pictures of the picture group when G = 1; else undefined. */
  readonly pictureGroup: readonly Vp9PictureGroupEntry[] | undefined;
}

/**
 * Vp9Descriptor is one parsed VP9 payload descriptor (RFC 9628 §4.2), flexible or non-flexible
 * mode. `parseVp9Descriptor` fills one in place, so a depacketizer allocates nothing per packet
 * (except the SS, which is rare).
 */
export interface Vp9Descriptor {
  /** length is the descriptor's size in bytes; the VP9 data follows it. */
  length: number;
  /** pictureId is PICTURE ID when I = 1 (7 bits when M = 0, 15 bits when M = 1), else -1. */
  pictureId: number;
  /** pictureIdBits is 15 (M = 1), 7 (M = 0) or 0 (I = 0). */
  pictureIdBits: 0 | 7 | 15;
  /** interPicturePredicted is the P bit: the layer frame uses inter-picture prediction. */
  interPicturePredicted: boolean;
  /** hasLayerIndices is the L bit: TID, U, SID and D are present. */
  hasLayerIndices: boolean;
  /** flexible is the F bit: flexible mode, references given as P_DIFF (else non-flexible). */
  flexible: boolean;
  /** startOfLayerFrame is the B bit: the payload begins a layer frame. */
  startOfLayerFrame: boolean;
  /** endOfLayerFrame is the E bit: the payload ends a layer frame. */
  endOfLayerFrame: boolean;
  /** scalabilityPresent is the V bit: an SS follows the layer fields. */
  scalabilityPresent: boolean;
  /** notUpperReference is the Z bit: upper spatial layers do not predict from this frame. */
  notUpperReference: boolean;
  /** temporalId is TID (0..7) when L = 1, else 0. */
  temporalId: number;
  /** switchingUpPoint is the U bit when L = 1, else false. */
  switchingUpPoint: boolean;
  /** spatialId is SID (0..7) when L = 1, else 0. */
  spatialId: number;
  /** interLayerDependency is the D bit when L = 1, else false. */
  interLayerDependency: boolean;
  /** tl0PicIndex is TL0PICIDX (non-flexible mode with L = 1), else -1. */
  tl0PicIndex: number;
  /** referenceDiffs are the P_DIFF values (flexible mode with P = 1: 1 to 3 of them), else empty. */
  referenceDiffs: number[];
  /** scalability is the SS when V = 1, else undefined. */
  scalability: Vp9ScalabilityStructure | undefined;
}

/** Vp9DescriptorFault names why a payload descriptor could not be parsed. */
export type Vp9DescriptorFault =
  /** the payload ends inside the descriptor's fixed fields (or is empty). */
  | "descriptor-truncated"
  /** a third P_DIFF still has N = 1: RFC 9628 §4.2 allows at most 3 references. */
  | "too-many-references"
  /** the payload ends inside the scalability structure. */
  | "ss-truncated";

/** MAX_REFERENCE_DIFFS is the most P_DIFF octets a flexible-mode descriptor carries (§4.2). */
export const MAX_REFERENCE_DIFFS = 3;

/** newVp9Descriptor returns an empty descriptor to parse into. */
export function newVp9Descriptor(): Vp9Descriptor {
  return {
    length: 0,
    pictureId: -1,
    pictureIdBits: 0,
    interPicturePredicted: false,
    hasLayerIndices: false,
    flexible: false,
    startOfLayerFrame: false,
    endOfLayerFrame: false,
    scalabilityPresent: false,
    notUpperReference: false,
    temporalId: 0,
    switchingUpPoint: false,
    spatialId: 0,
    interLayerDependency: false,
    tl0PicIndex: -1,
    referenceDiffs: [],
    scalability: undefined,
  };
}

/**
 * parseVp9Descriptor parses the VP9 payload descriptor at the start of an RTP payload
 * (RFC 9628 §4.2) into `into` and returns it, or returns the fault when the payload is too short
 * for the fields its flags announce:
 *
 *     |I|P|L|F|B|E|V|Z|            first octet
 *     |M| PICTURE ID  |            I = 1 (EXTENDED PID octet follows when M = 1)
 *     |  TID  |U| SID |D|          L = 1
 *     |   TL0PICIDX   |            L = 1, F = 0
 *     | P_DIFF      |N|            F = 1, P = 1: repeated while N = 1, at most 3 times
 *     | SS ...        |            V = 1 (§4.2.1)
 *
 * Every length is checked against the payload; the VP9 data starts at `length`. Never throws.
 */
export function parseVp9Descriptor(
  payload: Uint8Array,
  into: Vp9Descriptor = newVp9Descriptor(),
): Vp9Descriptor | Vp9DescriptorFault {
  const n = payload.length;
  if (n === 0) return "descriptor-truncated";
  const d = into;
  const flags = payload[0]!;
  const hasPictureId = (flags & 0x80) !== 0;
  d.interPicturePredicted = (flags & 0x40) !== 0;
  d.hasLayerIndices = (flags & 0x20) !== 0;
  d.flexible = (flags & 0x10) !== 0;
  d.startOfLayerFrame = (flags & 0x08) !== 0;
  d.endOfLayerFrame = (flags & 0x04) !== 0;
  d.scalabilityPresent = (flags & 0x02) !== 0;
  d.notUpperReference = (flags & 0x01) !== 0;
  d.pictureId = -1;
  d.pictureIdBits = 0;
  d.temporalId = 0;
  d.switchingUpPoint = false;
  d.spatialId = 0;
  d.interLayerDependency = false;
  d.tl0PicIndex = -1;
  d.referenceDiffs.length = 0;
  d.scalability = undefined;
  let o = 1;
  if (hasPictureId) {
    if (o >= n) return "descriptor-truncated";
    const b = payload[o++]!;
    if (b & 0x80) {
      if (o >= n) return "descriptor-truncated";
      d.pictureId = ((b & 0x7f) << 8) | payload[o++]!;
      d.pictureIdBits = 15;
    } else {
      d.pictureId = b;
      d.pictureIdBits = 7;
    }
  }
  if (d.hasLayerIndices) {
    if (o >= n) return "descriptor-truncated";
    const b = payload[o++]!;
    d.temporalId = b >>> 5;
    d.switchingUpPoint = (b & 0x10) !== 0;
    d.spatialId = (b >>> 1) & 0x07;
    d.interLayerDependency = (b & 0x01) !== 0;
    if (!d.flexible) {
      if (o >= n) return "descriptor-truncated";
      d.tl0PicIndex = payload[o++]!;
    }
  }
  if (d.flexible && d.interPicturePredicted) {
    for (;;) {
      if (o >= n) return "descriptor-truncated";
      const b = payload[o++]!;
      d.referenceDiffs.push(b >>> 1);
      if ((b & 0x01) === 0) break;
      if (d.referenceDiffs.length === MAX_REFERENCE_DIFFS) return "too-many-references";
    }
  }
  if (d.scalabilityPresent) {
    const end = parseScalability(payload, o, d);
    if (end < 0) return "ss-truncated";
    o = end;
  }
  d.length = o;
  return d;
}

/** parseScalability parses the SS at `payload[o]` into `d`; returns its end, or -1 if cut short. */
function parseScalability(payload: Uint8Array, start: number, d: Vp9Descriptor): number {
  // RFC 9628 §4.2.1: | N_S |Y|G|-|-|-|, then N_S + 1 x (WIDTH, HEIGHT) when Y = 1,
  // then N_G and N_G x (| TID |U| R |-|-|, R x P_DIFF) when G = 1
  const n = payload.length;
  let o = start;
  if (o >= n) return -1;
  const b = payload[o++]!;
  const spatialLayers = (b >>> 5) + 1;
  const widths: number[] = [];
  const heights: number[] = [];
  if (b & 0x10) {
    if (o + 4 * spatialLayers > n) return -1;
    for (let i = 0; i < spatialLayers; i++) {
      widths.push((payload[o]! << 8) | payload[o + 1]!);
      heights.push((payload[o + 2]! << 8) | payload[o + 3]!);
      o += 4;
    }
  }
  let pictureGroup: Vp9PictureGroupEntry[] | undefined;
  if (b & 0x08) {
    if (o >= n) return -1;
    const count = payload[o++]!;
    pictureGroup = [];
    for (let i = 0; i < count; i++) {
      if (o >= n) return -1;
      const g = payload[o++]!;
      const refs = (g >>> 2) & 0x03;
      if (o + refs > n) return -1;
      const referenceDiffs: number[] = [];
      for (let k = 0; k < refs; k++) referenceDiffs.push(payload[o++]!);
      pictureGroup.push({
        temporalId: g >>> 5,
        switchingUpPoint: (g & 0x10) !== 0,
        referenceDiffs,
      });
    }
  }
  d.scalability = { spatialLayers, widths, heights, pictureGroup };
  return o;
}
