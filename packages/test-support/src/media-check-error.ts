// The error of the independent media checks (reference decodes, PSNR, tones, RTP audio in pcaps).
import { FramewireError } from "@framewire/errors";

/**
 * MediaCheckErrorCode: `BAD_OPTION` for an argument outside its range (frames of different sizes,
 * an unknown format, a frame that was not kept), `DECODE_FAILED` when the independent tool
 * (ffmpeg, ffprobe, tshark) failed, timed out or printed something unreadable.
 */
export type MediaCheckErrorCode = "BAD_OPTION" | "DECODE_FAILED";

/**
 * MediaCheckError is what the media checks throw (a `FramewireError`: `code` first in the
 * message), `timedOut` when a deadline killed the tool.
 */
export class MediaCheckError extends FramewireError<MediaCheckErrorCode> {
  readonly timedOut: boolean;

  constructor(code: MediaCheckErrorCode, message: string, options: { timedOut?: boolean } = {}) {
    super(code, message);
    this.timedOut = options.timedOut ?? false;
  }
}
