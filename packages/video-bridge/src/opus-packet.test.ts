import { describe, expect, it } from "vitest";
import { opusPacketSamples } from "./opus-packet.js";

describe("Opus packets", () => {
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
