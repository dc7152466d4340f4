// Keyframe starts told from one RTP payload, for keyframe gating and source switching: a
// forwarder decides on the first packet of a frame, without assembling it.
import { H264NalType, nalType } from "../h264/nal.js";
import type { VideoCodec } from "../video-frame.js";
import { vp8DescriptorLength } from "../vp8/vp8-payload.js";
import { newVp9Descriptor, parseVp9Descriptor } from "../vp9/vp9-descriptor.js";

/** KeyframeStartTest tells whether one RTP payload begins a keyframe a decoder can start from. */
export type KeyframeStartTest = (payload: Uint8Array) => boolean;

function isH264StartType(t: number): boolean {
  return t === H264NalType.IDR || t === H264NalType.SPS;
}

/**
 * h264KeyframeStart is true for an H.264 payload (RFC 6184 §5.6–§5.8) that carries an SPS or
 * starts an IDR slice: a single NAL unit of type 5 or 7, a STAP-A holding one (§5.7.1), or an
 * FU-A/FU-B with the S bit whose fragmented unit is of type 5 or 7 (§5.8). An access unit's
 * leading AUD or SEI in a packet of its own is not a start (the gate opens on the next packet).
 */
export function h264KeyframeStart(payload: Uint8Array): boolean {
  const n = payload.length;
  if (n === 0) return false;
  const t = nalType(payload[0]!);
  if (t >= 1 && t <= 23) return isH264StartType(t);
  if (t === H264NalType.STAP_A) {
    let o = 1;
    while (o + 2 < n) {
      const size = (payload[o]! << 8) | payload[o + 1]!;
      if (size === 0 || o + 2 + size > n) return false;
      if (isH264StartType(nalType(payload[o + 2]!))) return true;
      o += 2 + size;
    }
    return false;
  }
  if (t === H264NalType.FU_A || t === H264NalType.FU_B) {
    if (n < 2) return false;
    const fu = payload[1]!;
    return (fu & 0x80) !== 0 && isH264StartType(nalType(fu));
  }
  return false;
}

/**
 * vp8KeyframeStart is true for a VP8 payload (RFC 7741 §4.2, §4.3) that begins partition 0
 * (S = 1, PID = 0) of a key frame (the P bit of the frame tag is 0, RFC 6386 §9.1).
 */
export function vp8KeyframeStart(payload: Uint8Array): boolean {
  const len = vp8DescriptorLength(payload);
  if (len < 0 || len >= payload.length) return false;
  const b0 = payload[0]!;
  return (b0 & 0x10) !== 0 && (b0 & 0x07) === 0 && (payload[len]! & 0x01) === 0;
}

const vp9Scratch = newVp9Descriptor();

/**
 * vp9KeyframeStart is true for a VP9 payload (RFC 9628 §4.2) that begins a layer frame (B = 1)
 * without inter-picture prediction (P = 0) in the base spatial layer (SID 0 when L = 1).
 */
export function vp9KeyframeStart(payload: Uint8Array): boolean {
  const d = parseVp9Descriptor(payload, vp9Scratch);
  if (typeof d === "string") return false;
  return d.startOfLayerFrame && !d.interPicturePredicted && d.spatialId === 0;
}

/** keyframeStartTest is the KeyframeStartTest of a built-in codec. */
export function keyframeStartTest(codec: VideoCodec): KeyframeStartTest {
  switch (codec) {
    case "vp8":
      return vp8KeyframeStart;
    case "vp9":
      return vp9KeyframeStart;
    default:
      return h264KeyframeStart;
  }
}
