import { describe, expect, it } from "vitest";
import { InvalidVideoFrameError, RtpVideoError } from "./errors.js";
import { joinAnnexB } from "./h264/annexb.js";
import { VIDEO_CODECS, type VideoFrame } from "./video-frame.js";
import { checkVideoChunk, checkVideoFrame, createVideoFrame } from "./video-frame-check.js";

// SPS of a 640x360 constrained-baseline x264 stream, its PPS, and slices
const SPS = Uint8Array.from([
  0x67, 0x42, 0xc0, 0x1f, 0xda, 0x02, 0x80, 0xbf, 0xe5, 0xc0, 0x44, 0x00, 0x00, 0x03, 0x00, 0x04,
  0x00, 0x00, 0x03, 0x00, 0xf2, 0x3c, 0x60, 0xca, 0x80,
]);
const PPS = Uint8Array.from([0x68, 0xce, 0x3c, 0x80]);
const IDR = Uint8Array.from([0x65, 0x88, 0x84, 0x21]);
const NON_IDR = Uint8Array.from([0x41, 0x9a, 0x02, 0x10]);
// VP8 key frame header (RFC 6386 §9.1): tag with P = 0, start code 9d 01 2a, 320x240
const VP8_KEY = Uint8Array.from([0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00, 0x11]);
const VP8_INTER = Uint8Array.from([0x51, 0x02, 0x00, 0x11, 0x22]);

const good: VideoFrame = {
  codec: "h264",
  data: joinAnnexB([NON_IDR]),
  keyframe: false,
  timestampMs: 33,
  rtpTimestamp: 2970,
  sequence: 1,
  width: 640,
  height: 360,
};

/** thrown runs `fn` and returns what it threw. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new RtpVideoError("BAD_OPTION", "expected a throw");
}

describe("checkVideoFrame: a VideoFrame a caller built, at the public boundary", () => {
  it("accepts a well-formed frame of every codec, width/height 0 (not known) included", () => {
    for (const codec of VIDEO_CODECS) {
      expect(() => checkVideoFrame({ ...good, codec })).not.toThrow();
    }
    expect(() => checkVideoFrame({ ...good, width: 0, height: 0 })).not.toThrow();
    expect(() => checkVideoFrame({ ...good, data: Buffer.from([0, 0, 1, 0x41]) })).not.toThrow();
    expect(() => checkVideoFrame({ ...good, rtpTimestamp: 0xffff_ffff })).not.toThrow();
    expect(() => checkVideoFrame({ ...good, timestampMs: -5.5 })).not.toThrow();
  });

  const cases: [string, Record<string, unknown>, string][] = [
    ["data as a plain array", { data: [0, 0, 1, 0x65] }, "data"],
    ["data as a string", { data: "bytes" }, "data"],
    ["data as an ArrayBuffer", { data: new ArrayBuffer(4) }, "data"],
    ["data missing", { data: undefined }, "data"],
    ["codec unknown", { codec: "h265" }, "codec"],
    ["codec in upper case", { codec: "H264" }, "codec"],
    ["keyframe as a number", { keyframe: 1 }, "keyframe"],
    ["keyframe missing", { keyframe: undefined }, "keyframe"],
    ["timestampMs NaN", { timestampMs: Number.NaN }, "timestampMs"],
    ["timestampMs Infinity", { timestampMs: Number.POSITIVE_INFINITY }, "timestampMs"],
    ["timestampMs as a string", { timestampMs: "33" }, "timestampMs"],
    ["rtpTimestamp negative", { rtpTimestamp: -1 }, "rtpTimestamp"],
    ["rtpTimestamp above 32 bits", { rtpTimestamp: 2 ** 32 }, "rtpTimestamp"],
    ["rtpTimestamp fractional", { rtpTimestamp: 1.5 }, "rtpTimestamp"],
    ["sequence negative", { sequence: -1 }, "sequence"],
    ["sequence fractional", { sequence: 0.5 }, "sequence"],
    ["sequence missing", { sequence: undefined }, "sequence"],
    ["width negative", { width: -640 }, "width"],
    ["width fractional", { width: 640.5 }, "width"],
    ["width missing", { width: undefined }, "width"],
    ["height NaN", { height: Number.NaN }, "height"],
  ];
  it.each(cases)("%s: INVALID_VIDEO_FRAME naming the field", (_name, change, field) => {
    const error = thrown(() => checkVideoFrame({ ...good, ...change }, "VideoBridge.forward"));
    expect(error).toBeInstanceOf(InvalidVideoFrameError);
    expect(error).toBeInstanceOf(RtpVideoError);
    expect(error).toMatchObject({ code: "INVALID_VIDEO_FRAME", field });
    expect((error as Error).message).toMatch(
      new RegExp(`^INVALID_VIDEO_FRAME: VideoBridge\\.forward: frame\\.${field} must `),
    );
  });

  it("rejects a value that is no object at all", () => {
    for (const value of [null, undefined, 42, "frame", new Uint8Array(4).buffer]) {
      const error = thrown(() => checkVideoFrame(value));
      if (value instanceof ArrayBuffer) expect(error).toMatchObject({ field: "data" });
      else expect(error).toMatchObject({ code: "INVALID_VIDEO_FRAME", field: "" });
    }
    expect((thrown(() => checkVideoFrame(null)) as Error).message).toBe(
      "INVALID_VIDEO_FRAME: checkVideoFrame: frame must be a VideoFrame object, got null",
    );
  });

  it("says what it got", () => {
    expect((thrown(() => checkVideoFrame({ ...good, data: [1, 2] })) as Error).message).toContain(
      "must be a Uint8Array (the encoded access unit), got an Array",
    );
    expect((thrown(() => checkVideoFrame({ ...good, codec: "av2" })) as Error).message).toContain(
      'got "av2"',
    );
  });
});

describe("checkVideoChunk: what the backends' sendVideo takes", () => {
  it("accepts data alone, or with keyframe and timestampMs", () => {
    expect(() => checkVideoChunk({ data: new Uint8Array(3) })).not.toThrow();
    expect(() =>
      checkVideoChunk({ data: new Uint8Array(3), keyframe: true, timestampMs: 0 }),
    ).not.toThrow();
  });

  it("rejects a wrong field with INVALID_VIDEO_FRAME naming it", () => {
    expect(thrown(() => checkVideoChunk({ data: [1] }, "sendVideo"))).toMatchObject({
      code: "INVALID_VIDEO_FRAME",
      field: "data",
      message: expect.stringMatching(/^INVALID_VIDEO_FRAME: sendVideo: chunk\.data must /),
    });
    expect(
      thrown(() => checkVideoChunk({ data: new Uint8Array(1), keyframe: "yes" })),
    ).toMatchObject({ field: "keyframe" });
    expect(
      thrown(() => checkVideoChunk({ data: new Uint8Array(1), timestampMs: Number.NaN })),
    ).toMatchObject({ field: "timestampMs" });
    expect(thrown(() => checkVideoChunk(7))).toMatchObject({ field: "" });
  });
});

describe("createVideoFrame: a well-formed frame with defaults", () => {
  it("fills every optional field; an H.264 keyframe's type and size come from its NAL units", () => {
    const data = joinAnnexB([SPS, PPS, IDR]);
    expect(createVideoFrame({ data })).toEqual({
      codec: "h264",
      data,
      keyframe: true,
      timestampMs: 0,
      rtpTimestamp: 0,
      sequence: 0,
      width: 640,
      height: 360,
    });
    const delta = createVideoFrame({ data: joinAnnexB([NON_IDR]), timestampMs: 1000 / 30 });
    expect(delta).toMatchObject({ keyframe: false, width: 0, height: 0, rtpTimestamp: 3000 });
    expect(() => checkVideoFrame(delta)).not.toThrow();
  });

  it("reads VP8 key frames (RFC 6386 §9.1); a field given wins over what data says", () => {
    expect(createVideoFrame({ data: VP8_KEY, codec: "vp8" })).toMatchObject({
      keyframe: true,
      width: 320,
      height: 240,
    });
    expect(createVideoFrame({ data: VP8_INTER, codec: "vp8" })).toMatchObject({ keyframe: false });
    expect(
      createVideoFrame({ data: VP8_KEY, codec: "vp8", keyframe: false, width: 1, height: 2 }),
    ).toMatchObject({ keyframe: false, width: 1, height: 2 });
  });

  it("rtpTimestamp defaults to timestampMs on the 90 kHz clock, modulo 2^32", () => {
    const data = joinAnnexB([NON_IDR]);
    expect(createVideoFrame({ data, timestampMs: -1 }).rtpTimestamp).toBe(2 ** 32 - 90);
    expect(createVideoFrame({ data, timestampMs: 2 ** 32 / 90 + 1 }).rtpTimestamp).toBe(90);
    expect(createVideoFrame({ data, timestampMs: 5, rtpTimestamp: 7 }).rtpTimestamp).toBe(7);
  });

  it("throws INVALID_VIDEO_FRAME naming the field for what it cannot make a frame of", () => {
    const data = joinAnnexB([NON_IDR]);
    expect(thrown(() => createVideoFrame({ data: [1, 2] as unknown as Uint8Array }))).toMatchObject(
      { code: "INVALID_VIDEO_FRAME", field: "data" },
    );
    expect(
      thrown(() => createVideoFrame({ data, codec: "av2" as unknown as "h264" })),
    ).toMatchObject({ field: "codec" });
    expect(thrown(() => createVideoFrame({ data, timestampMs: Number.NaN }))).toMatchObject({
      field: "timestampMs",
    });
    expect(thrown(() => createVideoFrame({ data, width: -1 }))).toMatchObject({ field: "width" });
    expect(thrown(() => createVideoFrame({ data, sequence: 1.5 }))).toMatchObject({
      field: "sequence",
    });
    expect(thrown(() => createVideoFrame(null as unknown as { data: Uint8Array }))).toMatchObject({
      field: "",
    });
  });
});
