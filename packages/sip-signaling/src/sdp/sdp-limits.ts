/**
 * SDP_LIMITS caps what parseSessionDescription accepts from the network. A SIP body larger than
 * this, or with more m-lines or formats, is refused with `SDP_TOO_LARGE` before any work; H.264
 * parameter sets past their bounds are ignored (see `parseSpropParameterSets`).
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
  /**
   * maxParameterSets is the most NAL units an H.264 `sprop-parameter-sets` may list (RFC 6184
   * §8.1); a longer list is ignored (`parameterSetsIgnored: "too-many"`), the call goes on.
   */
  maxParameterSets: 16,
  /** maxParameterSetBytes is the largest decoded parameter-set NAL unit taken from SDP. */
  maxParameterSetBytes: 1024,
} as const;
