import { describe, expect, it } from "vitest";
import { VideoRtpSession } from "./session/video-session.js";
import { VIDEO_CODECS, type VideoCodec } from "./video-frame.js";
import { checkVideoFrame } from "./video-frame-check.js";

// VideoCodec holds only the codecs Framewire can carry: each has a packetizer and a
// depacketizer built in (issue 13). AV1 has none, so it is no VideoCodec.

describe("VideoCodec: only codecs that are carried", () => {
  it("VIDEO_CODECS lists H.264, VP8 and VP9, no more", () => {
    expect([...VIDEO_CODECS]).toEqual(["h264", "vp8", "vp9"]);
  });

  it.each(VIDEO_CODECS)(
    "%s: a video RTP session opens with it, no codec plug needed",
    async (codec) => {
      const session = await VideoRtpSession.open({ codec, localAddr: ["127.0.0.1", 0] });
      expect(session.codec).toBe(codec);
      session.close();
    },
  );

  it("av1 is refused where a JavaScript caller names it: a frame, a session", async () => {
    const frame = {
      codec: "av1",
      data: new Uint8Array(4),
      keyframe: true,
      timestampMs: 0,
      rtpTimestamp: 0,
      sequence: 0,
      width: 0,
      height: 0,
    };
    expect(() => checkVideoFrame(frame)).toThrow(
      expect.objectContaining({ code: "INVALID_VIDEO_FRAME", field: "codec" }),
    );
    await expect(
      VideoRtpSession.open({ codec: "av1" as unknown as VideoCodec }),
    ).rejects.toMatchObject({ code: "BAD_OPTION" });
  });
});
