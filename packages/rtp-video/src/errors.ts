import { FramewireError } from "@framewire/errors";

/** RtpVideoErrorCode names every failure `@framewire/rtp-video` reports; each maps to an RFC rule. */
export type RtpVideoErrorCode =
  | "RTP_TOO_SHORT"
  | "RTP_BAD_VERSION"
  | "RTP_BAD_CSRC_COUNT"
  | "RTP_BAD_EXTENSION"
  | "RTP_BAD_PADDING"
  | "RTP_BAD_FIELD"
  | "H264_NAL_TOO_LARGE"
  | "H264_EMPTY_ACCESS_UNIT"
  | "H264_BAD_NAL"
  | "H264_BAD_SPS"
  | "BAD_OPTION"
  | "VP8_BAD_FRAME"
  | "VP9_EMPTY_FRAME"
  | "PORT_UNAVAILABLE"
  | "NO_VIDEO_REMOTE_ADDR"
  | "SESSION_NOT_FOUND"
  | "SESSION_CLOSED"
  | "INVALID_VIDEO_FRAME";

/**
 * RtpVideoError is the typed error of `@framewire/rtp-video`: `code` is stable and
 * machine-readable, the message cites the rule that was broken.
 */
export class RtpVideoError extends FramewireError<RtpVideoErrorCode> {}

/**
 * InvalidVideoFrameError is the `RtpVideoError` (code `INVALID_VIDEO_FRAME`) thrown where a
 * `VideoFrame` (or a `VideoChunk`) built by the caller enters a Framewire API and a field is
 * missing or of the wrong kind: `field` names it, the message says what it must be.
 */
export class InvalidVideoFrameError extends RtpVideoError {
  /** field is the property that is wrong (`"data"`, `"width"`, …), or `""` for the value itself. */
  readonly field: string;

  constructor(field: string, message: string) {
    super("INVALID_VIDEO_FRAME", message);
    this.field = field;
  }
}
