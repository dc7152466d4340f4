import type { RtcpFeedbackSet } from "./sdp-types.js";

/** TELEPHONE_EVENTS is the RFC 4733 §3.2 event list we receive: DTMF 0-9, *, #, A-D. */
export const TELEPHONE_EVENTS = "0-15";

/** rtpmapAttribute writes `rtpmap:<pt> <name>/<rate>[/<channels>]` (RFC 4566 §6). */
export function rtpmapAttribute(pt: number, name: string, rate: number, channels = 1): string {
  return `rtpmap:${pt} ${name}/${rate}${channels > 1 ? `/${channels}` : ""}`;
}

/** feedbackAttributes writes the `a=rtcp-fb` values of a feedback set (RFC 4585 §4.2). */
export function feedbackAttributes(payloadType: number, feedback: RtcpFeedbackSet): string[] {
  const lines: string[] = [];
  if (feedback.nack) lines.push(`rtcp-fb:${payloadType} nack`);
  if (feedback.pli) lines.push(`rtcp-fb:${payloadType} nack pli`);
  if (feedback.fir) lines.push(`rtcp-fb:${payloadType} ccm fir`);
  return lines;
}
