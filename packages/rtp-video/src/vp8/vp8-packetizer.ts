import type { PayloadWriter } from "../codec.js";
import { RtpVideoError } from "../errors.js";
import { PictureIdPacketizer } from "../picture-id-packetizer.js";

/** Vp8PictureIdMode chooses the PictureID the packetizer sends: none, 7 bits or 15 bits. */
export type Vp8PictureIdMode = "none" | "7bit" | "15bit";

/** Vp8PacketizerOptions configure a Vp8Packetizer. */
export interface Vp8PacketizerOptions {
  /** mtu is the largest RTP payload in bytes (default 1200); it must exceed the descriptor. */
  readonly mtu?: number;
  /** pictureId is the PictureID sent in every descriptor (default "15bit"). */
  readonly pictureId?: Vp8PictureIdMode;
  /** initialPictureId is the first frame's PictureID; default a random value drawn from `random`. */
  readonly initialPictureId?: number;
  /** random draws the initial PictureID, in [0, 1) (default `Math.random`). */
  readonly random?: () => number;
}

/**
 * descriptorSizeOf gives the payload descriptor size of each PictureID mode (RFC 7741 §4.2):
 * 1 byte, plus the extension byte and 1 or 2 PictureID bytes; -1 for an unknown mode.
 */
function descriptorSizeOf(mode: Vp8PictureIdMode): number {
  switch (mode) {
    case "none":
      return 1;
    case "7bit":
      return 3;
    case "15bit":
      return 4;
    default:
      return -1;
  }
}

/**
 * Vp8Packetizer splits one encoded VP8 frame into RFC 7741 payloads no larger than the MTU:
 * each starts with a payload descriptor (§4.2) whose S bit is set, with PID 0, on the first
 * payload only; N is 0. By default the descriptor carries a 15-bit PictureID (X=1, I=1,
 * M=1) that goes up by one per frame, wrapping at 2^15 (2^7 in "7bit" mode). The frame is split
 * into fragments of even size (they differ by one byte at most), so no payload is a runt.
 */
export class Vp8Packetizer extends PictureIdPacketizer {
  /** codec is always "vp8". */
  readonly codec = "vp8" as const;
  /** pictureIdMode is the PictureID the descriptors carry (`nextPictureId` means nothing in "none"). */
  readonly pictureIdMode: Vp8PictureIdMode;
  private readonly descriptorSize: number;

  constructor(options: Vp8PacketizerOptions = {}) {
    const mode = options.pictureId ?? "15bit";
    const descriptorSize = descriptorSizeOf(mode);
    if (descriptorSize < 0) {
      throw new RtpVideoError("BAD_OPTION", 'pictureId must be "none", "7bit" or "15bit"');
    }
    const mtu = options.mtu ?? 1200;
    if (!Number.isInteger(mtu) || mtu <= descriptorSize || mtu > 65000) {
      throw new RtpVideoError(
        "BAD_OPTION",
        `mtu must be an integer in ${descriptorSize + 1}..65000 (the ${descriptorSize}-byte payload descriptor plus data)`,
      );
    }
    const mask = mode === "7bit" ? 0x7f : 0x7fff;
    super(mtu, mask, options.initialPictureId, options.random, "");
    this.pictureIdMode = mode;
    this.descriptorSize = descriptorSize;
  }

  /** packetizeTo writes the same payloads in parts: the descriptor, then a range of the frame. */
  override packetizeTo(frame: Uint8Array, out: PayloadWriter): number {
    const n = frame.length;
    if (n === 0) {
      throw new RtpVideoError(
        "VP8_BAD_FRAME",
        "empty VP8 frame (RFC 6386 §9.1: a frame has a header)",
      );
    }
    const d = this.descriptorSize;
    const mode = this.pictureIdMode;
    const pid = this.takePictureId();
    const x = mode === "none" ? 0 : 0x80;
    const descriptor = this.scratch;
    const fragments = Math.ceil(n / (this.mtu - d));
    const base = Math.floor(n / fragments);
    let extra = n - base * fragments;
    let offset = 0;
    for (let k = 0; k < fragments; k++) {
      const take = base + (extra > 0 ? 1 : 0);
      if (extra > 0) extra--;
      // RFC 7741 §4.2: |X|R|N|S|R| PID |, then |I|L|T|K| RSV |, then |M| PictureID |;
      // S = 1 with PID = 0 on the first payload only (§4.2: the frame's first packet), N = 0
      descriptor[0] = k === 0 ? x | 0x10 : x;
      if (mode === "15bit") {
        descriptor[1] = 0x80; // I = 1
        descriptor[2] = 0x80 | (pid >>> 8); // M = 1
        descriptor[3] = pid & 0xff;
      } else if (mode === "7bit") {
        descriptor[1] = 0x80;
        descriptor[2] = pid;
      }
      out.payload(descriptor, d, frame, offset, offset + take, k === fragments - 1);
      offset += take;
    }
    return fragments;
  }
}
