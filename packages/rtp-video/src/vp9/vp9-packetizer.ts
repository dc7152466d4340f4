import type { PayloadWriter } from "../codec.js";
import { RtpVideoError } from "../errors.js";
import { PictureIdPacketizer } from "../picture-id-packetizer.js";
import { parseVp9FrameHeader } from "./vp9-header.js";

/** Vp9PacketizerOptions configure a Vp9Packetizer. */
export interface Vp9PacketizerOptions {
  /** mtu is the largest RTP payload in bytes (default 1200, at least 14). */
  readonly mtu?: number;
  /** initialPictureId is the PICTURE ID of the first frame (0..32767); default random. */
  readonly initialPictureId?: number;
  /** random draws the default initial PICTURE ID, in [0, 1) (default `Math.random`). */
  readonly random?: () => number;
}

/**
 * VP9_MIN_MTU is the smallest MTU a Vp9Packetizer accepts: a key frame's first payload has an
 * 8-byte descriptor, and with payloads sized evenly every one must still carry VP9 data.
 */
export const VP9_MIN_MTU = 14;

// descriptor sizes: flags + 15-bit PICTURE ID; + SS with one layer and its size (N_S = 0, Y = 1)
const DESCRIPTOR = 3;
const DESCRIPTOR_WITH_SS = 8;

/**
 * Vp9Packetizer splits one VP9 frame into RFC 9628 payloads in non-flexible mode, for a single
 * spatial layer. Every payload starts with a 3-byte descriptor (§4.2): I = 1 with a 15-bit
 * PICTURE ID (M = 1) that grows by one per frame, P = 1 unless the frame's uncompressed header
 * says KEY_FRAME (VP9 spec §6.2), B on the first payload, E on the last (§4.3), no layer
 * indices. The first payload of a key frame also has V = 1 and a scalability structure (§4.2.1)
 * of one spatial layer with its WIDTH and HEIGHT taken from the key frame header (N_S = 0,
 * Y = 1, G = 0; left out for a side of 65536, which 16 bits cannot hold). Payloads are sized evenly (within one byte of each other) and never exceed the
 * MTU; the last one is flagged so the caller sets the marker bit (§4.1).
 *
 * The input is sent as one layer frame whatever it holds: a superframe (VP9 spec Annex B), such
 * as the hidden alt-ref + shown frame libvpx emits together, goes out whole, index included, so
 * the receiver gets back exactly the bytes the encoder produced. Its P bit and SS follow the
 * first frame in it. Bytes that are not a VP9 frame header are carried too, as an inter frame.
 */
export class Vp9Packetizer extends PictureIdPacketizer {
  /** codec is always "vp9". */
  readonly codec = "vp9" as const;

  constructor(options: Vp9PacketizerOptions = {}) {
    const mtu = options.mtu ?? 1200;
    if (!Number.isInteger(mtu) || mtu < VP9_MIN_MTU || mtu > 65000) {
      throw new RtpVideoError("BAD_OPTION", `mtu must be an integer in ${VP9_MIN_MTU}..65000`);
    }
    super(
      mtu,
      0x7fff,
      options.initialPictureId,
      options.random,
      " (15-bit PICTURE ID, RFC 9628 §4.2)",
    );
  }

  /** packetizeTo writes the same payloads in parts: the descriptor, then a range of the frame. */
  override packetizeTo(frame: Uint8Array, writer: PayloadWriter): number {
    const n = frame.length;
    if (n === 0) {
      throw new RtpVideoError("VP9_EMPTY_FRAME", "empty VP9 frame: there is nothing to packetize");
    }
    const header = parseVp9FrameHeader(frame);
    const keyframe = header?.keyframe === true;
    // WIDTH and HEIGHT are 16-bit in the SS: a 65536-pixel side cannot be announced there
    let width = 0;
    let height = 0;
    if (keyframe && header.width <= 0xffff && header.height <= 0xffff) {
      width = header.width;
      height = header.height;
    }
    const withSs = width > 0;
    const pictureId = this.takePictureId();

    const mtu = this.mtu;
    const firstDescriptor = withSs ? DESCRIPTOR_WITH_SS : DESCRIPTOR;
    // fewest payloads that hold the frame, then the same size (to a byte) for all of them
    const count =
      n <= mtu - firstDescriptor
        ? 1
        : 1 + Math.ceil((n - (mtu - firstDescriptor)) / (mtu - DESCRIPTOR));
    const total = n + firstDescriptor + DESCRIPTOR * (count - 1);
    const base = Math.floor(total / count);
    let extra = total - base * count;

    const out = this.scratch;
    const flags = 0x80 | (keyframe ? 0 : 0x40); // I, P
    let offset = 0;
    for (let k = 0; k < count; k++) {
      const first = k === 0;
      const last = k === count - 1;
      const size = base + (extra > 0 ? 1 : 0);
      if (extra > 0) extra--;
      out[0] = flags | (first ? 0x08 : 0) | (last ? 0x04 : 0) | (first && withSs ? 0x02 : 0);
      out[1] = 0x80 | (pictureId >>> 8); // M = 1: 15-bit PICTURE ID
      out[2] = pictureId & 0xff;
      let o = DESCRIPTOR;
      if (first && withSs) {
        out[3] = 0x10; // N_S = 0 (one spatial layer), Y = 1, G = 0
        out[4] = width >>> 8;
        out[5] = width & 0xff;
        out[6] = height >>> 8;
        out[7] = height & 0xff;
        o = DESCRIPTOR_WITH_SS;
      }
      const take = last ? n - offset : size - o;
      writer.payload(out, o, frame, offset, offset + take, last);
      offset += take;
    }
    return count;
  }
}
