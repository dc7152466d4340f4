import { describe, expect, it } from "vitest";
import {
  isPixelFormat,
  LIVEKIT_BUFFER_TYPES,
  pixelFormatOfLiveKit,
  pixelFormatOfVonage,
  VONAGE_FORMATS,
} from "./pixel-format.js";

describe("pixel format names", () => {
  it("Vonage names map to memory order: RGB24 is bgr24, ARGB32 is bgra", () => {
    expect(VONAGE_FORMATS).toEqual({ YUV420P: "i420", RGB24: "bgr24", ARGB32: "bgra" });
    expect(pixelFormatOfVonage("ARGB32")).toBe("bgra");
  });

  it("LiveKit VideoBufferType names map to memory order", () => {
    expect(pixelFormatOfLiveKit("RGBA")).toBe("rgba");
    expect(pixelFormatOfLiveKit("I420")).toBe("i420");
    expect(Object.values(LIVEKIT_BUFFER_TYPES).every(isPixelFormat)).toBe(true);
    expect(() => pixelFormatOfLiveKit("I444" as never)).toThrow(
      expect.objectContaining({ code: "BAD_OPTION" }),
    );
    expect(() => pixelFormatOfVonage("NV21" as never)).toThrow(
      expect.objectContaining({ code: "BAD_OPTION" }),
    );
  });
});
