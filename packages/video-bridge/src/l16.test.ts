import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeL16, encodeL16 } from "./l16.js";

describe("L16 (RFC 3551 §4.5.11)", () => {
  it("L16 is big-endian signed 16-bit (RFC 3551 §4.5.11)", () => {
    expect(encodeL16(Int16Array.of(0x1234, -2, -32768, 32767))).toEqual(
      Uint8Array.of(0x12, 0x34, 0xff, 0xfe, 0x80, 0x00, 0x7f, 0xff),
    );
    expect(decodeL16(Uint8Array.of(0x12, 0x34, 0xff, 0xfe, 0x80, 0x00, 0x7f))).toEqual(
      Int16Array.of(0x1234, -2, -32768),
    );
  });

  it("L16 round-trips any samples (fast-check)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -32768, max: 32767 }), { maxLength: 200 }), (xs) => {
        const pcm = Int16Array.from(xs);
        expect(decodeL16(encodeL16(pcm))).toEqual(pcm);
      }),
    );
  });

  it("L16 writes into caller buffers and rejects short ones", () => {
    const out = new Uint8Array(4);
    expect(encodeL16(Int16Array.of(1, 2), out)).toBe(out);
    expect(() => encodeL16(Int16Array.of(1, 2, 3), out)).toThrow(RangeError);
    expect(() => decodeL16(new Uint8Array(6), new Int16Array(2))).toThrow(RangeError);
  });
});
