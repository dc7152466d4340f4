import { describe, expect, it } from "vitest";
import { PCMA_CODEC, PCMU_CODEC } from "./g711.js";
import { L16_CODEC } from "./l16.js";

describe("audio codec plugs", () => {
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
});
