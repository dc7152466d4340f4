import { AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUV444P } from "node-av/constants";
import { Frame } from "node-av/lib";
import { describe, expect, it } from "vitest";
import { FramePool, PAD } from "./frame-pool.js";
import { nativeCounts } from "./native-counts.js";
import { PIXEL_FORMATS } from "./pixel-format.js";
import { frameLayout } from "./plane-layout.js";
import { convertAvFrame, copyOut, ScaleContexts } from "./scale-contexts.js";

/** yuv444 is a node-av yuv444p frame of `w`x`h` filled with `y`, 128, 128. */
function yuv444(w: number, h: number, y: number): { frame: Frame; bytes: Buffer } {
  const frame = new Frame();
  frame.alloc();
  frame.width = w;
  frame.height = h;
  frame.format = AV_PIX_FMT_YUV444P;
  expect(frame.getBuffer(0)).toBeGreaterThanOrEqual(0);
  const bytes = Buffer.alloc(w * h * 3, 128);
  bytes.fill(y, 0, w * h);
  expect(frame.fromBuffer(bytes)).toBeGreaterThanOrEqual(0);
  return { frame, bytes };
}

describe("ScaleContexts and convertAvFrame (the decoder's path for pictures that are not i420)", () => {
  it("converts a yuv444p node-av frame to i420, one context per pair, at most max, freed by close", () => {
    const contexts = new ScaleContexts(2);
    const { frame, bytes } = yuv444(64, 48, 200);
    try {
      const out = convertAvFrame(contexts, frame, "i420");
      expect([out.format, out.width, out.height]).toEqual(["i420", 64, 48]);
      expect(out.data.byteLength).toBe(frameLayout("i420", 64, 48).byteLength);
      expect(out.data[0]).toBe(200);
      expect(out.data[64 * 48]).toBe(128);
      convertAvFrame(contexts, frame, "i420");
      expect(contexts.size).toBe(1);
      convertAvFrame(contexts, frame, "rgb24");
      convertAvFrame(contexts, frame, "i420", 32, 24);
      expect(contexts.size).toBe(2); // the least recently used pair was freed
      expect(nativeCounts().scalers).toBe(2);
      contexts.close();
      contexts.close();
      expect(nativeCounts().scalers).toBe(0);
      expect(() => convertAvFrame(contexts, frame, "i420")).toThrow(
        expect.objectContaining({ code: "INVALID_STATE" }),
      );
    } finally {
      frame.free();
      void bytes.byteLength;
    }
  });
});

/** yuv420 is a node-av yuv420p frame of `w`x`h` with a pattern in every plane. */
function yuv420(w: number, h: number): { frame: Frame; bytes: Buffer } {
  const frame = new Frame();
  frame.alloc();
  frame.width = w;
  frame.height = h;
  frame.format = AV_PIX_FMT_YUV420P;
  expect(frame.getBuffer(0)).toBeGreaterThanOrEqual(0);
  const bytes = Buffer.alloc(frameLayout("i420", w, h).byteLength);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >> 5)) & 0xff;
  expect(frame.fromBuffer(bytes)).toBeGreaterThanOrEqual(0);
  return { frame, bytes };
}

describe("convertAvFrame and copyOut into a FramePool (swscale writing our memory)", () => {
  it("gives the bytes of the copy-out path for every format at odd and non-square sizes, padding untouched", () => {
    for (const [w, h] of [
      [1, 1],
      [3, 5],
      [33, 17],
      [641, 361],
      [1280, 720],
    ] as const) {
      const { frame, bytes } = yuv420(w, h);
      const contexts = new ScaleContexts(16);
      const pool = new FramePool(2);
      try {
        for (const format of PIXEL_FORMATS) {
          const reference = convertAvFrame(contexts, frame, format);
          const pooled = convertAvFrame(contexts, frame, format, w, h, pool);
          expect(pooled.planes).toEqual(reference.planes);
          expect(Buffer.compare(pooled.data, reference.data), `${format} ${w}x${h}`).toBe(0);
          const all = new Uint8Array(pooled.data.buffer);
          expect(all.byteLength).toBe(pooled.data.byteLength + PAD);
          expect(all.subarray(pooled.data.byteLength).every((b) => b === 0)).toBe(true);
          // scaled too (a packed format is written by swscale straight into the pool's memory)
          const half = [Math.ceil(w / 2), Math.ceil(h / 2)] as const;
          const a = convertAvFrame(contexts, frame, format, ...half);
          const b = convertAvFrame(contexts, frame, format, ...half, pool);
          expect(Buffer.compare(b.data, a.data), `${format} ${w}x${h} scaled`).toBe(0);
        }
        const copied = copyOut(frame, "i420", w, h, pool);
        expect(Buffer.compare(copied.data, bytes)).toBe(0);
      } finally {
        contexts.close();
        frame.free();
      }
    }
  });
});

describe("FramePool", () => {
  it("hands recycled memory out again for the same byte length, takes back only its own, once", () => {
    const pool = new FramePool(1);
    const a = pool.take(100);
    expect(a.byteLength).toBe(100);
    expect(() => pool.give(new Uint8Array(100))).toThrow(
      expect.objectContaining({ code: "BAD_OPTION" }),
    );
    pool.give(a);
    expect(() => pool.give(a)).toThrow(expect.objectContaining({ code: "BAD_OPTION" }));
    expect(pool.take(50).buffer).not.toBe(a.buffer); // another size: fresh memory
    const again = pool.take(100);
    expect(again.buffer).toBe(a.buffer);
    const b = pool.take(100);
    expect(b.buffer).not.toBe(a.buffer);
    pool.give(again);
    pool.give(b); // at most 1 kept: the older one is dropped
    expect(pool.take(100).buffer).toBe(b.buffer);
    expect(pool.take(100).buffer).not.toBe(a.buffer);
  });
});
