import type { ParsedMedia, RtpFormat, SdpLocalOptions } from "./sdp-types.js";

/**
 * OFFER_RTX_PAYLOAD_TYPES are the RTX payload types of our offers (RFC 4588 §8.1), one per video
 * codec of `OFFER_PAYLOAD_TYPES` (`apt=` that codec's payload type), dynamic (RFC 3551 §3).
 */
export const OFFER_RTX_PAYLOAD_TYPES = { H264: 99, VP8: 100, VP9: 102 } as const;

/** isRtxFormat tells whether a format is `rtx/90000` (RFC 4588 §8.1; name case-insensitive). */
export function isRtxFormat(format: RtpFormat): boolean {
  return format.encodingName?.toLowerCase() === "rtx" && format.clockRate === 90000;
}

/** rtxFormatFor finds the RTX format of an m-line whose `apt` is `mediaPt` (RFC 4588 §8.1). */
export function rtxFormatFor(m: ParsedMedia, mediaPt: number): RtpFormat | undefined {
  return m.rtpFormats.find(
    (f) => isRtxFormat(f) && f.payloadType !== mediaPt && f.fmtp.apt === String(mediaPt),
  );
}

/**
 * fidSsrcs reads the first `a=ssrc-group:FID <media> <rtx>` of an m-line (RFC 5576 §4.2, RFC
 * 4588 §8.3: the media SSRC first, then the SSRC of its RTX stream).
 */
export function fidSsrcs(m: ParsedMedia): { media: number; rtx: number } | undefined {
  const g = m.ssrcGroups?.find((x) => x.semantics.toUpperCase() === "FID" && x.ssrcs.length === 2);
  return g === undefined ? undefined : { media: g.ssrcs[0]!, rtx: g.ssrcs[1]! };
}

/** rtxAttributes writes the rtpmap and fmtp of an RTX format (RFC 4588 §8.1). */
export function rtxAttributes(rtxPt: number, apt: number): string[] {
  return [`rtpmap:${rtxPt} rtx/90000`, `fmtp:${rtxPt} apt=${apt}`];
}

/**
 * ssrcAttributes writes `a=ssrc-group:FID <media> <rtx>` and an `a=ssrc:<id> cname:` line for
 * each (RFC 5576 §4.1, §4.2), or nothing without `videoSsrcs`.
 */
export function ssrcAttributes(ssrcs: SdpLocalOptions["videoSsrcs"]): string[] {
  if (ssrcs === undefined) return [];
  return [
    `ssrc-group:FID ${ssrcs.media >>> 0} ${ssrcs.rtx >>> 0}`,
    `ssrc:${ssrcs.media >>> 0} cname:${ssrcs.cname}`,
    `ssrc:${ssrcs.rtx >>> 0} cname:${ssrcs.cname}`,
  ];
}
