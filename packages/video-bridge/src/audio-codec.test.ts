import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeL16,
  encodeL16,
  L16_CODEC,
  opusPacketSamples,
  PCMA_CODEC,
  PCMU_CODEC,
} from "./audio-codec.js";

describe("audio codecs", () => {
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

  it("built-in plugs: G.711 at 8 kHz, one byte a sample; L16 two bytes at any rate", () => {
    expect(PCMU_CODEC.fixedRate).toBe(8000);
    expect(PCMA_CODEC.bytesPerSample).toBe(1);
    expect(L16_CODEC.fixedRate).toBeUndefined();
    expect(L16_CODEC.bytesPerSample).toBe(2);
    const pcm = Int16Array.of(0, 1000, -1000);
    expect(PCMU_CODEC.createEncoder(8000).encode(pcm)[0]).toBe(0xff);
    expect(PCMA_CODEC.createEncoder(8000).encode(pcm)[0]).toBe(0xd5);
    expect(
      L16_CODEC.createDecoder(16000).decode(L16_CODEC.createEncoder(16000).encode(pcm)),
    ).toEqual(pcm);
  });

  it("Opus packet duration from the TOC byte (RFC 6716 §3.1)", () => {
    const toc = (config: number, code: number) => (config << 3) | code;
    expect(opusPacketSamples(Uint8Array.of(toc(1, 0)))).toBe(960); // SILK 20 ms
    expect(opusPacketSamples(Uint8Array.of(toc(3, 0)))).toBe(2880); // SILK 60 ms
    expect(opusPacketSamples(Uint8Array.of(toc(13, 0)))).toBe(960); // hybrid 20 ms
    expect(opusPacketSamples(Uint8Array.of(toc(16, 0)))).toBe(120); // CELT 2.5 ms
    expect(opusPacketSamples(Uint8Array.of(toc(31, 0)))).toBe(960); // CELT 20 ms
    expect(opusPacketSamples(Uint8Array.of(toc(31, 1), 0))).toBe(1920); // two equal frames
    expect(opusPacketSamples(Uint8Array.of(toc(30, 2), 0))).toBe(960); // two 10 ms frames
    expect(opusPacketSamples(Uint8Array.of(toc(31, 3), 3))).toBe(2880); // code 3, 3 frames
    expect(opusPacketSamples(Uint8Array.of(toc(31, 3)))).toBe(0);
    expect(opusPacketSamples(new Uint8Array(0))).toBe(0);
  });
});
