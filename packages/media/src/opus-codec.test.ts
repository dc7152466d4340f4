import { describe, expect, it } from "vitest";
import { nativeCounts } from "./native-counts.js";
import { OPUS_FRAME_SAMPLES, OpusDecoder, OpusEncoder } from "./opus-codec.js";

describe("Opus (48 kHz)", () => {
  it("a 440 Hz mono tone, 50 frames of 20 ms: encoded, decoded back, the frequency kept", async () => {
    const enc = await OpusEncoder.create({ channels: 1, bitrate: 32000 });
    const dec = await OpusDecoder.create({ channels: 1 });
    const decoded: Int16Array[] = [];
    for (let k = 0; k < 50; k++) {
      const pcm = Int16Array.from({ length: OPUS_FRAME_SAMPLES }, (_, i) =>
        Math.round(8000 * Math.sin((2 * Math.PI * 440 * (k * OPUS_FRAME_SAMPLES + i)) / 48000)),
      );
      for (const packet of await enc.encode(pcm)) decoded.push(await dec.decode(packet));
    }
    await enc.close();
    await enc.close();
    await dec.close();
    await dec.close();
    const all = new Int16Array(decoded.reduce((n, d) => n + d.length, 0));
    let at = 0;
    for (const d of decoded) {
      all.set(d, at);
      at += d.length;
    }
    expect(all.length).toBeGreaterThanOrEqual(48 * OPUS_FRAME_SAMPLES);
    // after the codec's start-up, count upward zero crossings over one second-ish window
    const tail = all.subarray(4800);
    let zc = 0;
    for (let i = 1; i < tail.length; i++) if (tail[i - 1]! < 0 && tail[i]! >= 0) zc++;
    const seconds = tail.length / 48000;
    expect(Math.abs(zc / seconds - 440)).toBeLessThanOrEqual(5);
    expect(nativeCounts()).toMatchObject({ decoders: 0, encoders: 0 });
  });

  it("rejects a wrong frame length and bad channels with BAD_OPTION, calls after close with CLOSED", async () => {
    const enc = await OpusEncoder.create({ channels: 2 });
    await expect(enc.encode(new Int16Array(960))).rejects.toMatchObject({ code: "BAD_OPTION" });
    await enc.close();
    await expect(enc.encode(new Int16Array(1920))).rejects.toMatchObject({ code: "INVALID_STATE" });
    await expect(OpusDecoder.create({ channels: 3 as never })).rejects.toMatchObject({
      code: "BAD_OPTION",
    });
  });
});
