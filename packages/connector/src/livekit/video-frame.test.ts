import { beforeAll, describe, expect, it } from "vitest";
import { loadMedia } from "../core/media-loader.js";
import { VideoBufferType } from "./enums.js";
import { VideoFrame } from "./video-frame.js";

describe("VideoFrame (LiveKit's layout)", () => {
  beforeAll(async () => {
    await loadMedia();
  });

  it("getPlane gives each plane of every buffer type, odd sizes rounded up", () => {
    const sizes = (type: VideoBufferType, w: number, h: number, bytes: number) => {
      const f = new VideoFrame(new Uint8Array(bytes), w, h, type);
      const out: number[] = [];
      for (let i = 0; ; i++) {
        const p = f.getPlane(i);
        if (p === undefined) return out;
        out.push(p.length);
      }
    };
    expect(sizes(VideoBufferType.I420, 5, 3, 15 + 6 + 6)).toEqual([15, 6, 6]);
    expect(sizes(VideoBufferType.NV12, 5, 3, 15 + 12)).toEqual([15, 12]);
    expect(sizes(VideoBufferType.RGB24, 5, 3, 45)).toEqual([45]);
    expect(sizes(VideoBufferType.BGRA, 5, 3, 60)).toEqual([60]);
    expect(sizes(VideoBufferType.I420A, 4, 2, 8 + 2 + 2 + 8)).toEqual([8, 2, 2, 8]);
    expect(sizes(VideoBufferType.I422, 4, 2, 8 + 4 + 4)).toEqual([8, 4, 4]);
    expect(sizes(VideoBufferType.I444, 4, 2, 24)).toEqual([8, 8, 8]);
    expect(sizes(VideoBufferType.I010, 4, 2, 16 + 4 + 4)).toEqual([16, 4, 4]);
  });

  it("checks its data, converts between types (swscale) and flips", () => {
    expect(() => new VideoFrame(new Uint8Array(10), 4, 4, VideoBufferType.RGBA)).toThrow(
      /BAD_OPTION.*needs 64 bytes/,
    );
    const rgba = new Uint8Array(4 * 2 * 4);
    for (let y = 0; y < 2; y++)
      for (let x = 0; x < 4; x++) rgba.set([10 + 100 * y, 20, 30 + 100 * y, 255], (y * 4 + x) * 4);
    const f = new VideoFrame(rgba, 4, 2, VideoBufferType.RGBA);
    const bgra = f.convert(VideoBufferType.BGRA);
    expect([...bgra.data.subarray(0, 4)]).toEqual([30, 20, 10, 255]);
    const flipped = f.convert(VideoBufferType.RGBA, true);
    expect([...flipped.data.subarray(0, 4)]).toEqual([110, 20, 130, 255]);
    expect(flipped.data).not.toBe(f.data);
    const i420 = f.convert(VideoBufferType.I420);
    expect([i420.type, i420.data.length]).toEqual([VideoBufferType.I420, 8 + 2 + 2]);
    expect(() => f.convert(VideoBufferType.I444)).toThrow(/I444 is not supported/);
  });
});
