// The h264ParameterSets option of VideoRtpSession and VideoReceiver: the remote's out-of-band
// SPS/PPS (RFC 6184 §8.1 sprop-parameter-sets) go in front of the IDR access units it sends
// without them, so the frames the session emits decode on their own.
import { afterEach, describe, expect, it } from "vitest";
import { hex, PPS, rng, SPS, slice } from "../../test/gen.js";
import { until } from "../../test/until.js";
import { joinAnnexB, splitAnnexB } from "../h264/annexb.js";
import { H264Depacketizer } from "../h264/h264-depacketizer.js";
import type { VideoFrame } from "../video-frame.js";
import { VideoReceiver } from "./video-receiver.js";
import { VideoRtpSession } from "./video-session.js";

const open: VideoRtpSession[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

const types = (data: Uint8Array): number[] => splitAnnexB(data).map((n) => n[0]! & 0x1f);

async function pair(receiverOptions: Parameters<typeof VideoRtpSession.open>[0] = {}) {
  const receiver = await VideoRtpSession.open({ localAddr: ["127.0.0.1", 0], ...receiverOptions });
  const sender = await VideoRtpSession.open({
    localAddr: ["127.0.0.1", 0],
    remoteAddr: ["127.0.0.1", receiver.localPort],
  });
  open.push(receiver, sender);
  const frames: VideoFrame[] = [];
  receiver.frames$.subscribe((f) => frames.push({ ...f, data: f.data.slice() }));
  return { receiver, sender, frames };
}

describe("VideoRtpSession h264ParameterSets", () => {
  const r = rng(21);
  const idr = slice(5, 4000, r);
  const p = slice(1, 900, r);

  it("an IDR sent without SPS/PPS comes out with them: the first frame is a keyframe, 640x360", async () => {
    const { sender, receiver, frames } = await pair({ h264ParameterSets: [SPS, PPS] });
    sender.sendFrame({ data: joinAnnexB([idr]), keyframe: true, timestampMs: 0 });
    sender.sendFrame({ data: joinAnnexB([p]), timestampMs: 33 });
    await until(() => frames.length === 2);
    expect(types(frames[0]!.data)).toEqual([7, 8, 5]);
    expect([...frames[0]!.data]).toEqual([...joinAnnexB([SPS, PPS, idr])]);
    expect(frames[0]).toMatchObject({ keyframe: true, width: 640, height: 360 });
    expect(receiver.stats()).toMatchObject({ parameterSetsInserted: 1, keyframeRequestsSent: 0 });
  });

  it("setH264ParameterSets on a live session (e.g. from a re-INVITE) takes effect from the next IDR", async () => {
    const { sender, receiver, frames } = await pair();
    sender.sendFrame({ data: joinAnnexB([idr]), keyframe: true, timestampMs: 0 });
    await until(() => receiver.stats().framesDropped === 1);
    expect(frames).toHaveLength(0);
    receiver.setH264ParameterSets([SPS, PPS]);
    sender.sendFrame({ data: joinAnnexB([idr]), keyframe: true, timestampMs: 40 });
    await until(() => frames.length === 1);
    expect(types(frames[0]!.data)).toEqual([7, 8, 5]);
  });

  it("bad parameter sets, or a codec other than the built-in H.264, throw BAD_OPTION before any bind", async () => {
    await expect(
      VideoRtpSession.open({ localAddr: ["127.0.0.1", 0], h264ParameterSets: [hex("65 88")] }),
    ).rejects.toMatchObject({ code: "BAD_OPTION" });
    await expect(
      VideoRtpSession.open({ localAddr: ["127.0.0.1", 0], codec: "vp8", h264ParameterSets: [SPS] }),
    ).rejects.toMatchObject({ code: "BAD_OPTION" });
    const vp8 = await VideoRtpSession.open({ localAddr: ["127.0.0.1", 0], codec: "vp8" });
    open.push(vp8);
    expect(() => vp8.setH264ParameterSets([SPS, PPS])).toThrow(
      expect.objectContaining({ code: "BAD_OPTION" }),
    );
  });
});

describe("VideoReceiver h264ParameterSets", () => {
  const sink = { frame: () => {}, nack: () => {}, keyframeRequest: () => {} };

  it("go to the default H.264 depacketizer; with a depacketizer of your own they are refused", () => {
    const receiver = new VideoReceiver(sink, { h264ParameterSets: [SPS, PPS] });
    expect(receiver.parameterSetsInserted).toBe(0);
    receiver.close();
    expect(
      () =>
        new VideoReceiver(sink, {
          depacketizer: new H264Depacketizer(),
          h264ParameterSets: [SPS, PPS],
        }),
    ).toThrow(expect.objectContaining({ code: "BAD_OPTION" }));
  });
});
