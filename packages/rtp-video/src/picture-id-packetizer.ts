import type { Packetizer, PayloadSink, PayloadWriter } from "./codec.js";
import { RtpVideoError } from "./errors.js";
import { PayloadJoiner } from "./payload-joiner.js";
import type { VideoCodec } from "./video-frame.js";

/**
 * PictureIdPacketizer is what the VP8 and VP9 packetizers share: a PictureID that goes up by one
 * per frame and wraps at its width (RFC 7741 §4.2: 7 or 15 bits; RFC 9628 §4.2: 15 bits), a
 * scratch buffer for the payload descriptor, and `packetize` as `packetizeTo` joined.
 */
export abstract class PictureIdPacketizer implements Packetizer {
  abstract readonly codec: VideoCodec;
  /** mtu is the largest payload emitted. */
  readonly mtu: number;
  /** scratch holds the payload descriptor being written. */
  protected readonly scratch: Uint8Array;
  private readonly pictureIdMask: number;
  private pictureId: number;
  private readonly joiner: PayloadJoiner;

  /**
   * The first PictureID is `initial` (checked to be an integer in 0..mask, else `BAD_OPTION`
   * with `rule` in the message) or drawn from `random`.
   */
  protected constructor(
    mtu: number,
    mask: number,
    initial: number | undefined,
    random: (() => number) | undefined,
    rule: string,
  ) {
    if (initial !== undefined && (!Number.isInteger(initial) || initial < 0 || initial > mask)) {
      throw new RtpVideoError(
        "BAD_OPTION",
        `initialPictureId must be an integer in 0..${mask}${rule}`,
      );
    }
    this.mtu = mtu;
    this.pictureIdMask = mask;
    this.pictureId = initial ?? Math.floor((random ?? Math.random)() * (mask + 1)) & mask;
    this.scratch = new Uint8Array(mtu);
    this.joiner = new PayloadJoiner(mtu);
  }

  /** nextPictureId is the PictureID the next frame will carry. */
  get nextPictureId(): number {
    return this.pictureId;
  }

  /** packetize emits the payloads of one frame; returns how many it emitted. */
  packetize(frame: Uint8Array, emit: PayloadSink): number {
    return this.joiner.run(emit, (w) => this.packetizeTo(frame, w));
  }

  /** packetizeTo writes the payloads of one frame in parts: the descriptor, then frame bytes. */
  abstract packetizeTo(frame: Uint8Array, out: PayloadWriter): number;

  /** takePictureId is the PictureID of the frame being packetized; the next one goes up by one. */
  protected takePictureId(): number {
    const pid = this.pictureId;
    this.pictureId = (pid + 1) & this.pictureIdMask;
    return pid;
  }
}
