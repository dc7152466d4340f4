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
  | "SESSION_CLOSED";

/**
 * RtpVideoError is the typed error of `@framewire/rtp-video`: `code` is stable and
 * machine-readable, the message cites the rule that was broken.
 */
export class RtpVideoError extends Error {
  /** code identifies the failure; switch on it rather than on the message. */
  readonly code: RtpVideoErrorCode;

  constructor(code: RtpVideoErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = "RtpVideoError";
    this.code = code;
  }
}
