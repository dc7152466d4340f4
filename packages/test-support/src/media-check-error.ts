// The error of the independent media checks (reference decodes, PSNR, tones, RTP audio in pcaps).

/**
 * MediaCheckErrorCode: `BAD_OPTION` for an argument outside its range (frames of different sizes,
 * an unknown format, a frame that was not kept), `DECODE_FAILED` when the independent tool
 * (ffmpeg, ffprobe, tshark) failed, timed out or printed something unreadable.
 */
export type MediaCheckErrorCode = "BAD_OPTION" | "DECODE_FAILED";

/**
 * MediaCheckError is what the media checks throw: `code` first in the message, as FramewireError
 * does (test-support depends on no `@framewire` package), `timedOut` when a deadline killed the
 * tool.
 */
export class MediaCheckError extends Error {
  override readonly name = "MediaCheckError";
  readonly code: MediaCheckErrorCode;
  readonly timedOut: boolean;

  constructor(code: MediaCheckErrorCode, message: string, options: { timedOut?: boolean } = {}) {
    super(`${code}: ${message}`);
    this.code = code;
    this.timedOut = options.timedOut ?? false;
  }
}
