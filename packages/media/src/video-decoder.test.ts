import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { joinAnnexB, splitAnnexB } from "@framewire/rtp-video";
import { h264AccessUnits } from "@framewire/test-support";
import { fixture } from "@framewire/test-support/fixtures";
import { itWithPeers } from "@framewire/test-support/peers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nativeCounts } from "./native-counts.js";
import type { PixelFormat } from "./pixel-format.js";
import { frameLayout } from "./plane-layout.js";
import type { RawVideoFrame } from "./raw-video-frame.js";
import { VideoConverter } from "./video-converter.js";
import { VideoDecoder } from "./video-decoder.js";

const run = promisify(execFile);
const W = 640;
const H = 360;
const units = h264AccessUnits(new Uint8Array(readFileSync(fixture("test.h264"))), {
  splitAnnexB,
  joinAnnexB,
}).units;

/** psnr of two equally long byte arrays, in dB (Infinity when equal). */
function psnr(a: Uint8Array, b: Uint8Array): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    se += d * d;
  }
  return se === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((255 * 255 * a.length) / se);
}

let decoded: RawVideoFrame[] = [];

beforeAll(async () => {
  const decoder = new VideoDecoder({ codec: "h264" });
  for (const unit of units) decoded.push(...(await decoder.decode(unit)));
  decoded.push(...(await decoder.flush()));
  await decoder.close();
  await decoder.close(); // idempotent
});

afterAll(() => {
  decoded = [];
});

describe("VideoDecoder (fixtures/test.h264)", () => {
  it("decodes the 300 access units of the fixture into 300 i420 640x360 frames, frees its context", () => {
    expect(units).toHaveLength(300);
    expect(decoded).toHaveLength(300);
    for (const f of decoded) {
      expect([f.format, f.width, f.height]).toEqual(["i420", W, H]);
      expect(f.data.byteLength).toBe(frameLayout("i420", W, H).byteLength);
    }
    expect(nativeCounts().decoders).toBe(0);
  });

  it("rejects empty input with BAD_OPTION and calls after close with CLOSED", async () => {
    const d = new VideoDecoder({ codec: "vp8" });
    await expect(d.decode(new Uint8Array())).rejects.toMatchObject({ code: "BAD_OPTION" });
    await d.close();
    await expect(d.decode(new Uint8Array([1]))).rejects.toMatchObject({ code: "INVALID_STATE" });
    expect(() => new VideoDecoder({ codec: "av1" as never })).toThrow(
      expect.objectContaining({ code: "BAD_OPTION" }),
    );
  });

  it("with `output`, pictures come out converted (and scaled) exactly as decode-then-convert makes them", async () => {
    const converter = new VideoConverter();
    for (const output of [
      { format: "rgb24", width: W, height: H },
      { format: "bgra", width: 320, height: 180 },
    ] as const) {
      const direct = new VideoDecoder({ codec: "h264", output });
      const got: RawVideoFrame[] = [];
      for (const unit of units.slice(0, 40)) got.push(...(await direct.decode(unit)));
      await direct.close();
      expect(got.length).toBeGreaterThanOrEqual(35);
      got.forEach((f, i) => {
        expect([f.format, f.width, f.height]).toEqual([output.format, output.width, output.height]);
        expect(psnr(f.data, converter.convert(decoded[i]!, output).data)).toBe(
          Number.POSITIVE_INFINITY,
        );
      });
    }
    converter.close();
    expect(
      () => new VideoDecoder({ codec: "h264", output: { format: "rgb24", width: 320 } }),
    ).toThrow(/go together/);
  });

  it("blocking: the same pictures as the threadpool decode, bit for bit, in i420, rgb24 and bgra", async () => {
    const converter = new VideoConverter();
    for (const output of [undefined, { format: "rgb24" }, { format: "bgra" }] as const) {
      const d = new VideoDecoder({ codec: "h264", blocking: true, ...(output && { output }) });
      const got: RawVideoFrame[] = [];
      for (const unit of units) got.push(...(await d.decode(unit)));
      got.push(...(await d.flush()));
      await d.close();
      expect(got).toHaveLength(300);
      got.forEach((f, i) => {
        const want = output === undefined ? decoded[i]! : converter.convert(decoded[i]!, output);
        expect(f.planes).toEqual(want.planes);
        expect(Buffer.compare(f.data, want.data), `frame ${i}`).toBe(0);
      });
    }
    converter.close();
    expect(nativeCounts().decoders).toBe(0);
  });

  it("recycle: a picture is written into the memory of a recycled frame; foreign or twice-recycled frames are refused", async () => {
    for (const output of [undefined, { format: "rgb24" }] as const) {
      const d = new VideoDecoder({ codec: "h264", ...(output && { output }) });
      const first = (await d.decode(units[0]!))[0]!;
      const memory = first.data.buffer;
      d.recycle(first);
      expect(() => d.recycle(first)).toThrow(expect.objectContaining({ code: "BAD_OPTION" }));
      expect(() => d.recycle(decoded[0]!)).toThrow(expect.objectContaining({ code: "BAD_OPTION" }));
      const second = (await d.decode(units[1]!))[0]!;
      expect(second.data.buffer).toBe(memory);
      const c = new VideoConverter();
      const want = output === undefined ? decoded[1]! : c.convert(decoded[1]!, output);
      c.close();
      expect(Buffer.compare(second.data, want.data)).toBe(0);
      // a frame kept (not recycled) is never written again
      const kept = Buffer.from(second.data);
      for (const unit of units.slice(2, 12)) for (const f of await d.decode(unit)) d.recycle(f);
      expect(Buffer.compare(second.data, kept)).toBe(0);
      await d.close();
    }
  });

  it("a converter keeps one context per pair, reused for every frame", () => {
    const c = new VideoConverter();
    for (const f of decoded.slice(0, 30)) {
      c.convert(f, { format: "rgb24" });
      c.convert(f, { format: "bgra", width: 320, height: 180 });
    }
    expect(c.contexts).toBe(2);
    expect(nativeCounts().scalers).toBe(2);
    c.close();
    c.close();
    expect(nativeCounts().scalers).toBe(0);
    expect(() => c.convert(decoded[0]!, { format: "rgb24" })).toThrow(
      expect.objectContaining({ code: "INVALID_STATE" }),
    );
  });

  const withFfmpeg = itWithPeers(["ffmpeg"]);
  const checked = [0, 1, 29, 30, 31, 150, 299];
  for (const [format, ffFormat] of [
    ["rgb24", "rgb24"],
    ["i420", "yuv420p"],
    ["bgra", "bgra"],
  ] as const satisfies readonly (readonly [PixelFormat, string])[]) {
    withFfmpeg(
      `${format}: PSNR ≥ 40 dB against ffmpeg's own decode, frames ${checked.join(",")}`,
      async () => {
        // ffmpeg's own decode of the same frames (single thread), only the checked ones kept
        const select = checked.map((i) => `eq(n\\,${i})`).join("+");
        const { stdout } = await run(
          "ffmpeg",
          ["-hide_banner", "-nostdin", "-v", "error", "-threads", "1", "-i", fixture("test.h264")]
            .concat(["-vf", `select=${select}`, "-vsync", "0"])
            .concat(["-f", "rawvideo", "-pix_fmt", ffFormat, "-"]),
          { encoding: "buffer", maxBuffer: 64 * 1024 * 1024, timeout: 60_000 },
        );
        const ref = new Uint8Array(stdout);
        const size = frameLayout(format, W, H).byteLength;
        expect(ref.byteLength).toBe(size * checked.length);
        const c = new VideoConverter();
        try {
          const seen: number[] = [];
          for (const [k, i] of checked.entries()) {
            const ours = c.convert(decoded[i]!, { format });
            const p = psnr(ours.data, ref.subarray(k * size, (k + 1) * size));
            expect(p, `frame ${i}`).toBeGreaterThanOrEqual(40);
            seen.push(p);
          }
          console.log(`${format}: PSNR min ${Math.min(...seen).toFixed(1)} dB, frames ${checked}`);
        } finally {
          c.close();
        }
      },
    );
  }
});
