/**
 * SDP_LIMITS caps what parseSessionDescription accepts from the network. A SIP body larger than
 * this, or with more m-lines or formats, is refused with `SDP_TOO_LARGE` before any work.
 */
export const SDP_LIMITS = {
  /** maxChars is the longest SDP text in UTF-16 code units (64 KiB of ASCII). */
  maxChars: 65_536,
  /** maxMedia is the most m-lines in one description. */
  maxMedia: 16,
  /** maxFormats is the most format tokens on one m-line. */
  maxFormats: 64,
  /** maxFmtpParams is the most `a=fmtp` parameters kept per format (extra ones are ignored). */
  maxFmtpParams: 32,
  /** maxRtcpFeedback is the most `a=rtcp-fb` values kept per format (extra ones are ignored). */
  maxRtcpFeedback: 16,
} as const;
