// VP8 payload descriptor (RFC 7741 §4.2) and VP8 frame header (RFC 6386 §9.1, RFC 7741 §4.3).

/**
 * Vp8PayloadDescriptor is the parsed RTP payload descriptor that starts every VP8 payload
 * (RFC 7741 §4.2). Optional fields are `undefined` when their presence bit is clear.
 */
export interface Vp8PayloadDescriptor {
  /** length is the size of the descriptor in bytes (1..6); the VP8 payload follows it. */
  readonly length: number;
  /** nonReference is the N bit: the frame can be discarded without affecting other frames. */
  readonly nonReference: boolean;
  /** partitionStart is the S bit: the VP8 payload begins a VP8 partition. */
  readonly partitionStart: boolean;
  /** partitionId is the 3-bit PID: the partition the first VP8 payload byte belongs to. */
  readonly partitionId: number;
  /** pictureId is the 7- or 15-bit PictureID (I bit; M bit for 15 bits). */
  readonly pictureId: number | undefined;
  /** pictureIdBits is 7 or 15 when a PictureID is present. */
  readonly pictureIdBits: 7 | 15 | undefined;
  /** tl0PicIdx is the TL0PICIDX byte (L bit). */
  readonly tl0PicIdx: number | undefined;
  /** temporalId is the 2-bit TID (T bit). */
  readonly temporalId: number | undefined;
  /** layerSync is the Y bit (T bit). */
  readonly layerSync: boolean | undefined;
  /** keyIdx is the 5-bit KEYIDX (K bit). */
  readonly keyIdx: number | undefined;
}

/**
 * vp8DescriptorLength returns the size in bytes of the payload descriptor at the start of
 * `payload` (RFC 7741 §4.2), or -1 when the payload ends inside it (or is empty). It reads only
 * the presence bits: X, then I, M, L, T and K; one TID/Y/KEYIDX byte serves both T and K.
 */
export function vp8DescriptorLength(payload: Uint8Array): number {
  const n = payload.length;
  if (n === 0) return -1;
  if ((payload[0]! & 0x80) === 0) return 1;
  if (n < 2) return -1;
  const x = payload[1]!;
  let o = 2;
  if (x & 0x80) {
    if (o >= n) return -1;
    o += payload[o]! & 0x80 ? 2 : 1;
  }
  if (x & 0x40) o++;
  if (x & 0x30) o++;
  return o > n ? -1 : o;
}

/**
 * parseVp8PayloadDescriptor reads the payload descriptor at the start of `payload` (RFC 7741
 * §4.2). The reserved bits are ignored, as receivers must. Returns undefined when the payload
 * ends inside the descriptor; never throws.
 */
export function parseVp8PayloadDescriptor(payload: Uint8Array): Vp8PayloadDescriptor | undefined {
  const length = vp8DescriptorLength(payload);
  if (length < 0) return undefined;
  const b0 = payload[0]!;
  let pictureId: number | undefined;
  let pictureIdBits: 7 | 15 | undefined;
  let tl0PicIdx: number | undefined;
  let temporalId: number | undefined;
  let layerSync: boolean | undefined;
  let keyIdx: number | undefined;
  if (b0 & 0x80) {
    const x = payload[1]!;
    let o = 2;
    if (x & 0x80) {
      const p0 = payload[o]!;
      if (p0 & 0x80) {
        pictureId = ((p0 & 0x7f) << 8) | payload[o + 1]!;
        pictureIdBits = 15;
        o += 2;
      } else {
        pictureId = p0;
        pictureIdBits = 7;
        o++;
      }
    }
    if (x & 0x40) tl0PicIdx = payload[o++]!;
    if (x & 0x30) {
      const t = payload[o]!;
      if (x & 0x20) {
        temporalId = t >>> 6;
        layerSync = (t & 0x20) !== 0;
      }
      if (x & 0x10) keyIdx = t & 0x1f;
    }
  }
  return {
    length,
    nonReference: (b0 & 0x20) !== 0,
    partitionStart: (b0 & 0x10) !== 0,
    partitionId: b0 & 0x07,
    pictureId,
    pictureIdBits,
    tl0PicIdx,
    temporalId,
    layerSync,
    keyIdx,
  };
}

/** VP8_KEYFRAME_HEADER_BYTES is the size of a key frame's header: tag, start code, sizes. */
export const VP8_KEYFRAME_HEADER_BYTES = 10;

/**
 * Vp8FrameHeader is what the uncompressed header at the start of a VP8 frame tells
 * (RFC 6386 §9.1; RFC 7741 §4.3 calls its first three bytes the VP8 payload header).
 */
export interface Vp8FrameHeader {
  /** keyframe is true when the inverse key frame flag P (bit 0 of byte 0) is 0. */
  readonly keyframe: boolean;
  /** version is the 3-bit VER field. */
  readonly version: number;
  /** showFrame is the H bit: the frame is meant to be displayed. */
  readonly showFrame: boolean;
  /** firstPartitionSize is the 19-bit size of the first partition (Size0, Size1, Size2). */
  readonly firstPartitionSize: number;
  /** width in pixels (14 bits) on a key frame; 0 on an interframe. */
  readonly width: number;
  /** height in pixels (14 bits) on a key frame; 0 on an interframe. */
  readonly height: number;
  /** horizontalScale is the 2-bit upscaling code on a key frame; 0 on an interframe. */
  readonly horizontalScale: number;
  /** verticalScale is the 2-bit upscaling code on a key frame; 0 on an interframe. */
  readonly verticalScale: number;
}

/**
 * parseVp8FrameHeader reads the header of one encoded VP8 frame (RFC 6386 §9.1): the 3-byte
 * frame tag and, on a key frame, the start code 9d 01 2a and the 14-bit little-endian width and
 * height with their 2-bit scales. Returns undefined when the frame is shorter than its header
 * (3 bytes, 10 on a key frame), when a key frame lacks the start code, or when a key frame
 * gives a zero width or height; never throws.
 */
export function parseVp8FrameHeader(frame: Uint8Array): Vp8FrameHeader | undefined {
  if (frame.length < 3) return undefined;
  const tag = frame[0]!;
  const keyframe = (tag & 0x01) === 0;
  const version = (tag >>> 1) & 0x07;
  const showFrame = (tag & 0x10) !== 0;
  const firstPartitionSize = (tag >>> 5) | (frame[1]! << 3) | (frame[2]! << 11);
  if (!keyframe) {
    return {
      keyframe,
      version,
      showFrame,
      firstPartitionSize,
      width: 0,
      height: 0,
      horizontalScale: 0,
      verticalScale: 0,
    };
  }
  if (frame.length < VP8_KEYFRAME_HEADER_BYTES) return undefined;
  if (frame[3] !== 0x9d || frame[4] !== 0x01 || frame[5] !== 0x2a) return undefined;
  const w = frame[6]! | (frame[7]! << 8);
  const h = frame[8]! | (frame[9]! << 8);
  const width = w & 0x3fff;
  const height = h & 0x3fff;
  if (width === 0 || height === 0) return undefined;
  return {
    keyframe,
    version,
    showFrame,
    firstPartitionSize,
    width,
    height,
    horizontalScale: w >>> 14,
    verticalScale: h >>> 14,
  };
}
