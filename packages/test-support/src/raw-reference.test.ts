import { describe, expect, it } from "vitest";
import { fixture } from "./fixtures.js";
import { MediaCheckError } from "./media-check-error.js";
import { framecrcFileCrcs, itWithPeers } from "./peers.js";
import { psnr, psnrI420 } from "./psnr.js";
import { rawFrameBytes, referenceRawFrames } from "./raw-reference.js";

const withFfmpeg = itWithPeers(["ffmpeg", "ffprobe"]);
const clip = fixture("test.h264"); // 640x360, 300 frames (fixtures/MANIFEST.txt)

/** FFmpeg's framecrc checksum: Adler-32 started at 0 over the packed picture. */
function framecrcAdler(bytes: Uint8Array): string {
  let a = 0;
  let b = 0;
  for (let i = 0; i < bytes.length; ) {
    const end = Math.min(bytes.length, i + 5552);
    for (; i < end; i++) {
      a += bytes[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return `0x${(((b << 16) | a) >>> 0).toString(16).padStart(8, "0")}`;
}

/** rgbFromI420 converts with BT.601 limited range (what an unflagged stream means), rounded. */
function rgbFromI420(yuv: Uint8Array, w: number, h: number): Uint8Array {
  const cw = Math.ceil(w / 2);
  const uOff = w * h;
  const vOff = uOff + cw * Math.ceil(h / 2);
  const out = new Uint8Array(w * h * 3);
  const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const c = (y >> 1) * cw + (x >> 1);
      const Y = 1.164 * (yuv[y * w + x]! - 16);
      const U = yuv[uOff + c]! - 128;
      const V = yuv[vOff + c]! - 128;
      const o = 3 * (y * w + x);
      out[o] = clamp(Y + 1.596 * V);
      out[o + 1] = clamp(Y - 0.392 * U - 0.813 * V);
      out[o + 2] = clamp(Y + 2.017 * U);
    }
  }
  return out;
}

describe("rawFrameBytes", () => {
  it("is the tightly packed size: chroma rounded up, 3 or 4 bytes a pixel", () => {
    expect(rawFrameBytes("i420", 640, 360)).toBe(345_600);
    expect(rawFrameBytes("nv12", 5, 3)).toBe(15 + 2 * 3 * 2);
    expect(rawFrameBytes("i420", 5, 3)).toBe(27);
    expect(rawFrameBytes("rgb24", 640, 360)).toBe(691_200);
    expect(rawFrameBytes("bgr24", 5, 3)).toBe(45);
    expect(rawFrameBytes("bgra", 640, 360)).toBe(921_600);
    expect(() => rawFrameBytes("rgba", 0, 3)).toThrow(/BAD_OPTION/);
  });
});

describe("referenceRawFrames (ffmpeg CLI)", () => {
  withFfmpeg("decodes the clip to i420 frames equal to test.framecrc, all 300", async () => {
    const ref = await referenceRawFrames(clip, { format: "i420" });
    const crcs = framecrcFileCrcs(fixture("test.framecrc"));
    expect(crcs).toHaveLength(300);
    expect([ref.width, ref.height, ref.frameBytes, ref.frameCount]).toEqual([
      640, 360, 345_600, 300,
    ]);
    expect(ref.indices).toEqual(Array.from({ length: 300 }, (_, i) => i));
    for (const i of ref.indices) expect(framecrcAdler(ref.frame(i)), `frame ${i}`).toBe(crcs[i]);
  });

  withFfmpeg("keeps only the picked frames and stops after the last", async () => {
    const ref = await referenceRawFrames(clip, { format: "i420", pick: [150, 3, 40] });
    expect(ref.indices).toEqual([3, 40, 150]);
    expect(ref.frameCount).toBe(151);
    const crcs = framecrcFileCrcs(fixture("test.framecrc"));
    expect(framecrcAdler(ref.frame(40))).toBe(crcs[40]);
    expect(() => ref.frame(4)).toThrow(MediaCheckError);
    expect(() => ref.frame(4)).toThrow(/BAD_OPTION: frame 4 was not kept/);
  });

  withFfmpeg(
    "rgb24 is R,G,B in memory: it matches a BT.601 conversion of the i420 frame",
    async () => {
      const [yuv, rgb] = await Promise.all([
        referenceRawFrames(clip, { format: "i420", pick: [0, 77] }),
        referenceRawFrames(clip, { format: "rgb24", pick: [0, 77] }),
      ]);
      expect(rgb.frameBytes).toBe(691_200);
      for (const i of [0, 77]) {
        const mine = rgbFromI420(yuv.frame(i), 640, 360);
        expect(psnr(mine, rgb.frame(i)), `frame ${i}`).toBeGreaterThan(30);
        // the same picture read as B,G,R is far off: the order is checked, not only the size
        const swapped = mine.slice();
        for (let p = 0; p < swapped.length; p += 3)
          [swapped[p], swapped[p + 2]] = [mine[p + 2]!, mine[p]!];
        expect(psnr(swapped, rgb.frame(i))).toBeLessThan(psnr(mine, rgb.frame(i)) - 10);
      }
    },
  );

  withFfmpeg(
    "bgra, rgba, bgr24 and nv12 are the same pictures in their memory orders",
    async () => {
      const pick = [5];
      const [rgb, bgr, bgra, rgba, argb, yuv, nv12] = await Promise.all(
        (["rgb24", "bgr24", "bgra", "rgba", "argb", "i420", "nv12"] as const).map((format) =>
          referenceRawFrames(clip, { format, pick }),
        ),
      );
      const px = 640 * 360;
      const [r3, b3, b4, r4, a4] = [rgb!, bgr!, bgra!, rgba!, argb!].map((f) => f.frame(5));
      // each byte of a pixel taken from rgb24's byte `order[k]` (-1: alpha, 255)
      const fromRgb = (order: readonly number[]) => {
        const out = new Uint8Array(px * order.length);
        for (let p = 0; p < px; p++) {
          order.forEach((src, k) => {
            out[p * order.length + k] = src < 0 ? 255 : r3![3 * p + src]!;
          });
        }
        return out;
      };
      expect(psnr(fromRgb([2, 1, 0]), b3!)).toBeGreaterThan(45);
      expect(psnr(fromRgb([2, 1, 0, -1]), b4!)).toBeGreaterThan(45);
      expect(psnr(fromRgb([0, 1, 2, -1]), r4!)).toBeGreaterThan(45);
      expect(psnr(fromRgb([-1, 0, 1, 2]), a4!)).toBeGreaterThan(45);
      // nv12 is i420's Y, then U and V interleaved: exactly the same samples
      const [i420, n12] = [yuv!.frame(5), nv12!.frame(5)];
      expect(n12.subarray(0, px)).toEqual(i420.subarray(0, px));
      const c = px / 4;
      for (let k = 0; k < c; k++) {
        expect(n12[px + 2 * k]).toBe(i420[px + k]);
        expect(n12[px + 2 * k + 1]).toBe(i420[px + c + k]);
      }
    },
  );

  withFfmpeg("scales when asked, and PSNR tells neighbouring frames apart", async () => {
    const ref = await referenceRawFrames(clip, {
      format: "i420",
      width: 321,
      height: 181,
      maxFrames: 4,
      swsFlags: "bilinear",
    });
    expect([ref.width, ref.height, ref.frameCount]).toEqual([321, 181, 4]);
    expect(ref.frameBytes).toBe(321 * 181 + 2 * 161 * 91);
    const same = psnrI420(ref.frame(2), ref.frame(2), 321, 181);
    expect(same.all).toBe(Number.POSITIVE_INFINITY);
    // the clip moves every frame: the next frame is well below the acceptance's 40 dB
    expect(psnr(ref.frame(2), ref.frame(3))).toBeLessThan(40);
  });

  withFfmpeg("fails typed: a missing file, a deadline, bad options", async () => {
    await expect(referenceRawFrames("/nonexistent.h264", { format: "rgb24" })).rejects.toThrow(
      /DECODE_FAILED: ffprobe/,
    );
    await expect(
      referenceRawFrames("/nonexistent.h264", { format: "rgb24", width: 8, height: 8 }),
    ).rejects.toThrow(/DECODE_FAILED: ffmpeg .*exit 1/);
    const started = Date.now();
    const late = await referenceRawFrames(clip, {
      format: "bgra",
      width: 1920,
      height: 1080,
      pick: [299],
      timeoutMs: 100,
    }).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(MediaCheckError);
    expect((late as MediaCheckError).timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
    await expect(referenceRawFrames(clip, { format: "yuv9" as "i420" })).rejects.toThrow(
      /BAD_OPTION/,
    );
    await expect(referenceRawFrames(clip, { format: "i420", width: 10 })).rejects.toThrow(
      /BAD_OPTION: width and height/,
    );
    await expect(referenceRawFrames(clip, { format: "i420", pick: [-1] })).rejects.toThrow(
      /BAD_OPTION/,
    );
  });
});

it("MediaCheckError puts its code first and says whether a deadline fired", () => {
  const e = new MediaCheckError("DECODE_FAILED", "x", { timedOut: true });
  expect([e.name, e.code, e.message, e.timedOut]).toEqual([
    "MediaCheckError",
    "DECODE_FAILED",
    "DECODE_FAILED: x",
    true,
  ]);
  expect(e).toBeInstanceOf(Error);
});
