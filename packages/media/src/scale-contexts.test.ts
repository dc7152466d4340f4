import { AV_PIX_FMT_YUV444P } from "node-av/constants";
import { Frame } from "node-av/lib";
import { describe, expect, it } from "vitest";
import { nativeCounts } from "./native-counts.js";
import { frameLayout } from "./plane-layout.js";
import { convertAvFrame, ScaleContexts } from "./scale-contexts.js";

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
