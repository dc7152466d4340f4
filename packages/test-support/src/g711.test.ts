import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { g711Decode, g711Encode } from "./g711.js";
import { itWithPeers } from "./peers.js";

const withFfmpeg = itWithPeers(["ffmpeg"]);

/** ffmpeg converts raw audio `input` (8 kHz mono) from one raw format to another. */
function ffmpegRaw(input: Uint8Array, from: string, to: string): Uint8Array {
  const r = spawnSync(
    "ffmpeg",
    [
      ...["-hide_banner", "-nostdin", "-v", "error", "-f", from, "-ar", "8000", "-ac", "1"],
      ...["-i", "-", "-f", to, "-"],
    ],
    { input, timeout: 30_000, maxBuffer: 1 << 24 },
  );
  expect(r.status, String(r.stderr)).toBe(0);
  return new Uint8Array(r.stdout);
}

const allCodes = Uint8Array.from({ length: 256 }, (_, i) => i);

describe("g711", () => {
  it("knows the code words of G.711's corners", () => {
    // µ-law: 0xFF and 0x7F are ±0, 0x00 is -32124, 0x80 +32124; A-law: 0xD5 is +8, 0x2A -32256
    expect([...g711Decode("pcmu", Uint8Array.of(0xff, 0x7f, 0x00, 0x80))]).toEqual([
      0, 0, -32124, 32124,
    ]);
    expect([...g711Decode("pcma", Uint8Array.of(0xd5, 0x55, 0x2a, 0xaa))]).toEqual([
      8, -8, -32256, 32256,
    ]);
  });

  it("encode then decode keeps every code word's value", () => {
    for (const codec of ["pcmu", "pcma"] as const) {
      const values = g711Decode(codec, allCodes);
      expect(g711Decode(codec, g711Encode(codec, values))).toEqual(values);
    }
  });

  withFfmpeg("decodes all 256 code words as ffmpeg does, both laws", () => {
    for (const [codec, fmt] of [
      ["pcmu", "mulaw"],
      ["pcma", "alaw"],
    ] as const) {
      const ours = g711Decode(codec, allCodes);
      const theirs = ffmpegRaw(allCodes, fmt, "s16le");
      expect(new Int16Array(theirs.buffer, theirs.byteOffset, 256), codec).toEqual(ours);
    }
  });

  withFfmpeg("encodes every level as ffmpeg does but on decision boundaries, both laws", () => {
    const sweep = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
    const bytes = new Uint8Array(sweep.buffer);
    for (const [codec, fmt] of [
      ["pcmu", "mulaw"],
      ["pcma", "alaw"],
    ] as const) {
      const ours = g711Encode(codec, sweep);
      const theirs = ffmpegRaw(bytes, "s16le", fmt);
      const [a, b] = [g711Decode(codec, ours), g711Decode(codec, theirs)];
      // ffmpeg rounds to the nearest level, G.711 by its decision values: they differ only on
      // an input between two neighbouring levels, one picking each
      const levels = [...new Set(g711Decode(codec, allCodes))].sort((x, y) => x - y);
      let differ = 0;
      for (let i = 0; i < sweep.length; i++) {
        if (ours[i] === theirs[i]) continue;
        differ++;
        const [lo, hi] = [Math.min(a[i]!, b[i]!), Math.max(a[i]!, b[i]!)];
        const at = `${codec} at ${sweep[i]}: ${a[i]} / ${b[i]}`;
        expect(levels.indexOf(hi) - levels.indexOf(lo), at).toBe(1);
        expect(sweep[i]! >= lo && sweep[i]! <= hi, at).toBe(true);
      }
      expect(differ / sweep.length, codec).toBeLessThan(0.02);
    }
  });
});
