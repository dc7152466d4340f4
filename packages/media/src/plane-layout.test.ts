import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PIXEL_FORMATS } from "./pixel-format.js";
import { bytesPerPixel, frameLayout, tightStrides } from "./plane-layout.js";

const size = fc.integer({ min: 1, max: 4097 });

describe("frameLayout", () => {
  it("i420 of odd and non-square sizes: chroma rounds up, planes follow one another", () => {
    fc.assert(
      fc.property(size, size, (w, h) => {
        const { planes, byteLength } = frameLayout("i420", w, h);
        const cw = Math.ceil(w / 2);
        const ch = Math.ceil(h / 2);
        expect(planes.map((p) => [p.width, p.height, p.stride])).toEqual([
          [w, h, w],
          [cw, ch, cw],
          [cw, ch, cw],
        ]);
        expect(planes[1]!.offset).toBe(w * h);
        expect(planes[2]!.offset).toBe(w * h + cw * ch);
        expect(byteLength).toBe(w * h + 2 * cw * ch);
      }),
    );
  });

  it("nv12: one interleaved chroma plane of 2*ceil(w/2) bytes by ceil(h/2) rows", () => {
    fc.assert(
      fc.property(size, size, (w, h) => {
        const { planes, byteLength } = frameLayout("nv12", w, h);
        expect(planes).toHaveLength(2);
        expect(planes[1]!.stride).toBe(2 * Math.ceil(w / 2));
        expect(byteLength).toBe(w * h + 2 * Math.ceil(w / 2) * Math.ceil(h / 2));
      }),
    );
  });

  it("packed formats: one plane of width*bpp bytes per row; padded strides add up", () => {
    const packed = PIXEL_FORMATS.filter((f) => f !== "i420" && f !== "nv12");
    fc.assert(
      fc.property(fc.constantFrom(...packed), size, size, fc.nat(64), (f, w, h, pad) => {
        const bpp = bytesPerPixel(f);
        expect(tightStrides(f, w)).toEqual([w * bpp]);
        const { planes, byteLength } = frameLayout(f, w, h, [w * bpp + pad]);
        expect(planes[0]!.size).toBe((w * bpp + pad) * h);
        expect(byteLength).toBe((w * bpp + pad) * h);
      }),
    );
  });

  it("rejects a stride shorter than the row, a wrong plane count and bad sizes with BAD_OPTION", () => {
    expect(() => frameLayout("rgb24", 3, 3, [8])).toThrow(
      expect.objectContaining({ code: "BAD_OPTION" }),
    );
    expect(() => frameLayout("i420", 3, 3, [3])).toThrow(
      expect.objectContaining({ code: "BAD_OPTION" }),
    );
    expect(() => frameLayout("i420", 0, 3)).toThrow(
      expect.objectContaining({ code: "BAD_OPTION" }),
    );
    expect(() => frameLayout("i420", 2.5, 3)).toThrow(
      expect.objectContaining({ code: "BAD_OPTION" }),
    );
  });
});
