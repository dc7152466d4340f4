import { describe, expect, it } from "vitest";
import { SipCallRejectedError, SipSignalingError, type SipSignalingErrorCode } from "./errors.js";
import { negotiateAnswer } from "./sdp/negotiate-answer.js";
import type { SdpLocalOptions } from "./sdp/sdp-types.js";
import { sdpFailureStatus } from "./sdp-failure-status.js";

describe("sdpFailureStatus: one rule for an offer we cannot answer", () => {
  const table: ReadonlyArray<readonly [SipSignalingErrorCode, 400 | 488 | 500]> = [
    // cannot parse, or hostile: 400 Bad Request (RFC 3261 §21.4.1)
    ["SDP_MALFORMED", 400],
    ["SDP_TOO_LARGE", 400],
    ["SDP_ANSWER_MISMATCH", 400],
    // parsed, not acceptable: 488 Not Acceptable Here (RFC 3261 §21.4.26, RFC 3264 §6)
    ["SDP_NO_ACCEPTABLE_AUDIO", 488],
    // our own failure: 500 Server Internal Error (RFC 3261 §21.5.1)
    ["BAD_OPTION", 500],
    ["PORTS_EXHAUSTED", 500],
    ["INVALID_STATE", 500],
    ["BIND_FAILED", 500],
    ["TRANSPORT_CLOSED", 500],
  ];
  it.each(table)("%s → %i", (code, status) => {
    expect(sdpFailureStatus(new SipSignalingError(code, "test"))).toBe(status);
  });

  it.each([
    ["a TypeError", new TypeError("bug")],
    ["a plain Error", new Error("bug")],
    ["a string", "bug"],
    ["undefined", undefined],
    ["a code-shaped object that is no SipSignalingError", { code: "SDP_MALFORMED" }],
  ])("%s → 500", (_name, error) => {
    expect(sdpFailureStatus(error)).toBe(500);
  });

  it("a SipCallRejectedError is a SipSignalingError CALL_REJECTED with its status → 500", () => {
    const e = new SipCallRejectedError(486, "INVITE answered 486");
    expect(e).toBeInstanceOf(SipSignalingError);
    expect(e).toMatchObject({
      code: "CALL_REJECTED",
      statusCode: 486,
      name: "SipCallRejectedError",
    });
    expect(sdpFailureStatus(e)).toBe(500);
  });

  const local: SdpLocalOptions = {
    audioCodecs: ["PCMU"],
    videoCodecs: ["H264"],
    address: "127.0.0.1",
    audioPort: 40_000,
    videoPort: 40_002,
    sessionId: 1,
    sessionVersion: 1,
  };
  const offer = (audio: string): string =>
    ["v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0", audio, ""].join(
      "\r\n",
    );
  const failureOf = (sdp: string, options: SdpLocalOptions = local): unknown => {
    try {
      negotiateAnswer(sdp, options);
    } catch (e) {
      return e;
    }
    return undefined;
  };

  it("negotiateAnswer with our own bad local options (BAD_OPTION) → 500, the offer being fine", () => {
    const sdp = offer("m=audio 5000 RTP/AVP 0");
    expect(failureOf(sdp)).toBeUndefined();
    const e = failureOf(sdp, { ...local, audioPort: 0 });
    expect(e).toMatchObject({ code: "BAD_OPTION" });
    expect(sdpFailureStatus(e)).toBe(500);
  });

  it("negotiateAnswer's own failures: unparseable → 400, oversized → 400, no common audio codec → 488", () => {
    expect(sdpFailureStatus(failureOf("v=0\r\nm=audio notaport RTP/AVP 0\r\n"))).toBe(400);
    expect(sdpFailureStatus(failureOf(offer(`m=audio 5000 RTP/AVP ${"0 ".repeat(70_000)}`)))).toBe(
      400,
    );
    expect(
      sdpFailureStatus(failureOf(offer("m=audio 5000 RTP/AVP 120\r\na=rtpmap:120 FOO/8000"))),
    ).toBe(488);
  });
});
