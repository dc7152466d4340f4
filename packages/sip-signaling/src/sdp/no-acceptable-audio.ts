import { SipSignalingError } from "../errors.js";
import type { RejectedMedia } from "./sdp-types.js";

/**
 * noAcceptableAudio is the `SDP_NO_ACCEPTABLE_AUDIO` error of an exchange that kept no audio
 * stream: "the offer has no m=audio line", or `explain` given why each m=audio was rejected
 * (`m-line 1: no-common-codec; …`).
 */
export function noAcceptableAudio(
  rejected: readonly RejectedMedia[],
  explain: (why: string) => string,
): SipSignalingError {
  const why = rejected
    .filter((r) => r.media.toLowerCase() === "audio")
    .map((r) => `m-line ${r.index + 1}: ${r.reason}`);
  return new SipSignalingError(
    "SDP_NO_ACCEPTABLE_AUDIO",
    why.length === 0 ? "the offer has no m=audio line" : explain(why.join("; ")),
  );
}
