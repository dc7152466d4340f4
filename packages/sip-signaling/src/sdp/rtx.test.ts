import { describe, expect, it } from "vitest";
import { createOffer } from "./create-offer.js";
import { negotiateAnswer } from "./negotiate-answer.js";
import { parseAnswer } from "./parse-answer.js";
import { parseSessionDescription } from "./parse-session-description.js";
import type { SdpLocalOptions } from "./sdp-types.js";

const sdp = (...lines: string[]): string => `${lines.join("\r\n")}\r\n`;

const LOCAL: SdpLocalOptions = {
  audioCodecs: ["PCMU"],
  videoCodecs: ["H264", "VP8"],
  address: "127.0.0.1",
  audioPort: 20000,
  videoPort: 20002,
  sessionId: 1,
  sessionVersion: 1,
};

/** an offer with H.264 at 96 and its RTX at 97 (apt=96), as libwebrtc and GStreamer write it. */
const OFFER_WITH_RTX = sdp(
  "v=0",
  "o=- 1 1 IN IP4 127.0.0.1",
  "s=-",
  "c=IN IP4 127.0.0.1",
  "t=0 0",
  "m=audio 30000 RTP/AVP 0",
  "a=rtpmap:0 PCMU/8000",
  "m=video 30002 RTP/AVP 96 97 98 99",
  "a=rtpmap:96 H264/90000",
  "a=fmtp:96 profile-level-id=42e01f;packetization-mode=1",
  "a=rtcp-fb:96 nack",
  "a=rtcp-fb:96 nack pli",
  "a=rtpmap:97 rtx/90000",
  "a=fmtp:97 apt=96",
  "a=rtpmap:98 VP8/90000",
  "a=rtcp-fb:98 nack",
  "a=rtpmap:99 RTX/90000",
  "a=fmtp:99 apt=98",
  "a=ssrc-group:FID 1111 2222",
  "a=ssrc:1111 cname:peer",
  "a=ssrc:2222 cname:peer",
  "a=sendrecv",
);

const lines = (text: string) => text.split("\r\n");

describe("SDP: RTX (RFC 4588 §8.1) and ssrc-group FID (RFC 5576 §4.2)", () => {
  it("parses the RTX formats (apt in fmtp) and the FID group", () => {
    const video = parseSessionDescription(OFFER_WITH_RTX).media[1]!;
    expect(video.rtpFormats.find((f) => f.payloadType === 97)).toMatchObject({
      encodingName: "rtx",
      clockRate: 90000,
      fmtp: { apt: "96" },
    });
    expect(video.ssrcGroups).toEqual([{ semantics: "FID", ssrcs: [1111, 2222] }]);
    expect(parseSessionDescription(OFFER_WITH_RTX).media[0]!.ssrcGroups).toBeUndefined();
  });

  it("ignores a malformed or oversized ssrc-group", () => {
    const text = OFFER_WITH_RTX.replace(
      "a=ssrc-group:FID 1111 2222",
      "a=ssrc-group:FID\r\na=ssrc-group:FID 1 x\r\na=ssrc-group:FID 1 99999999999",
    );
    expect(parseSessionDescription(text).media[1]!.ssrcGroups).toBeUndefined();
  });

  it("answers the RTX of the chosen codec with videoRtx, with our FID group; video.rtx says what was agreed", () => {
    const answer = negotiateAnswer(OFFER_WITH_RTX, {
      ...LOCAL,
      videoRtx: true,
      videoSsrcs: { media: 5, rtx: 6, cname: "fw" },
    });
    expect(answer.video).toMatchObject({
      payloadType: 96,
      rtx: { payloadType: 97, apt: 96, remoteSsrcs: { media: 1111, rtx: 2222 } },
    });
    const l = lines(answer.sdp);
    expect(l).toContain("m=video 20002 RTP/AVP 96 97");
    expect(l).toContain("a=rtpmap:97 rtx/90000");
    expect(l).toContain("a=fmtp:97 apt=96");
    expect(l).toContain("a=ssrc-group:FID 5 6");
    expect(l).toContain("a=ssrc:5 cname:fw");
    expect(l).toContain("a=ssrc:6 cname:fw");
    expect(l.some((x) => x.startsWith("a=rtpmap:99"))).toBe(false);
  });

  it("without videoRtx the answer is as before: no RTX, no video.rtx", () => {
    const answer = negotiateAnswer(OFFER_WITH_RTX, LOCAL);
    expect(answer.video?.rtx).toBeUndefined();
    expect(lines(answer.sdp)).toContain("m=video 20002 RTP/AVP 96");
    expect(answer.sdp).not.toContain("rtx");
  });

  it("no RTX without nack (nothing would ask for retransmissions) or for another codec's apt", () => {
    const noNack = OFFER_WITH_RTX.replace("a=rtcp-fb:96 nack\r\n", "");
    expect(negotiateAnswer(noNack, { ...LOCAL, videoRtx: true }).video?.rtx).toBeUndefined();
    const vp8Only = negotiateAnswer(OFFER_WITH_RTX, {
      ...LOCAL,
      videoCodecs: ["VP8"],
      videoRtx: true,
    });
    expect(vp8Only.video).toMatchObject({ payloadType: 98, rtx: { payloadType: 99, apt: 98 } });
    const otherApt = OFFER_WITH_RTX.replace("a=fmtp:97 apt=96", "a=fmtp:97 apt=100");
    expect(negotiateAnswer(otherApt, { ...LOCAL, videoRtx: true }).video?.rtx).toBeUndefined();
  });

  it("offers RTX for each video codec with videoRtx (and FID with videoSsrcs); not by default", () => {
    const offer = createOffer({
      ...LOCAL,
      withVideo: true,
      videoRtx: true,
      videoSsrcs: { media: 7, rtx: 8, cname: "fw" },
    });
    const l = lines(offer);
    expect(l).toContain("m=video 20002 RTP/AVP 96 97 99 100");
    expect(l).toContain("a=rtpmap:99 rtx/90000");
    expect(l).toContain("a=fmtp:99 apt=96");
    expect(l).toContain("a=rtpmap:100 rtx/90000");
    expect(l).toContain("a=fmtp:100 apt=97");
    expect(l).toContain("a=ssrc-group:FID 7 8");
    expect(createOffer({ ...LOCAL, withVideo: true })).not.toContain("rtx");
  });

  it("offer → answer → parseAnswer: both sides agree on the RTX payload type and see the other's FID", () => {
    const offer = createOffer({
      ...LOCAL,
      withVideo: true,
      videoRtx: true,
      videoSsrcs: { media: 7, rtx: 8, cname: "a" },
    });
    const answer = negotiateAnswer(offer, {
      ...LOCAL,
      audioPort: 30000,
      videoPort: 30002,
      videoRtx: true,
      videoSsrcs: { media: 9, rtx: 10, cname: "b" },
    });
    expect(answer.video?.rtx).toEqual({
      payloadType: 99,
      apt: 96,
      remoteSsrcs: { media: 7, rtx: 8 },
    });
    const agreed = parseAnswer(offer, answer.sdp);
    expect(agreed.video?.rtx).toEqual({
      payloadType: 99,
      apt: 96,
      remoteSsrcs: { media: 9, rtx: 10 },
    });
    // an answer without RTX (a peer that does not know it): none
    const plain = negotiateAnswer(offer, { ...LOCAL, audioPort: 30000, videoPort: 30002 });
    expect(parseAnswer(offer, plain.sdp).video?.rtx).toBeUndefined();
    // an answer whose RTX payload type we did not offer for that apt: none
    const wrong = answer.sdp.replace("a=fmtp:99 apt=96", "a=fmtp:99 apt=97");
    expect(parseAnswer(offer, wrong).video?.rtx).toBeUndefined();
  });

  it("refuses videoSsrcs with one SSRC twice or a bad cname (BAD_OPTION)", () => {
    for (const videoSsrcs of [
      { media: 1, rtx: 1, cname: "x" },
      { media: 1, rtx: 2, cname: "a b" },
      { media: -1, rtx: 2, cname: "x" },
    ]) {
      expect(() => createOffer({ ...LOCAL, withVideo: true, videoRtx: true, videoSsrcs })).toThrow(
        expect.objectContaining({ code: "BAD_OPTION" }),
      );
    }
  });
});
