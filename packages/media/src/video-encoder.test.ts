import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ivfBytes } from "@framewire/test-support";
import { itWithPeers } from "@framewire/test-support/peers";
import { describe, expect, it } from "vitest";
import { nativeCounts } from "./native-counts.js";
import { frameLayout } from "./plane-layout.js";
import { createRawVideoFrame, type RawVideoFrame } from "./raw-video-frame.js";
import { VideoDecoder } from "./video-decoder.js";
import { type EncodedVideo, type EncoderCodec, VideoEncoder } from "./video-encoder.js";

const run = promisify(execFile);
const W = 320;
const H = 240;
const N = 30;

/** pattern is a moving i420 gradient: frame n shifted by 4n pixels. */
function pattern(n: number): RawVideoFrame {
  const f = createRawVideoFrame("i420", W, H);
  const [y, u, v] = f.planes;
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) f.data[y!.offset + r * y!.stride + c] = (c + r + 4 * n) & 0xff;
  }
  for (let r = 0; r < H / 2; r++) {
    for (let c = 0; c < W / 2; c++) {
      f.data[u!.offset + r * u!.stride + c] = 64 + ((c * 2) & 0x7f);
      f.data[v!.offset + r * v!.stride + c] = 64 + ((r * 2) & 0x7f);
    }
  }
  return f;
}

function psnr(a: Uint8Array, b: Uint8Array): number {
  let se = 0;
  for (let i = 0; i < a.length; i++) se += (a[i]! - b[i]!) ** 2;
  return se === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((255 * 255 * a.length) / se);
}

async function encodeAll(codec: EncoderCodec, blocking = false): Promise<EncodedVideo[]> {
  const enc = await VideoEncoder.create({
    codec,
    width: W,
    height: H,
    fps: 30,
    bitrate: 800_000,
    blocking,
  });
  const out: EncodedVideo[] = [];
  for (let n = 0; n < N; n++) {
    if (n === 15) enc.requestKeyframe();
    out.push(...(await enc.encode(pattern(n))));
  }
  out.push(...(await enc.flush()));
  await enc.close();
  await enc.close();
  return out;
}

const withFfmpeg = itWithPeers(["ffmpeg"]);

describe("VideoEncoder round trip", () => {
  for (const codec of ["h264", "vp8"] as const) {
    it(`${codec}: ${N} frames, one packet each (no lag), keyframes at 0 and on request at 15, decoded by our decoder`, async () => {
      const packets = await encodeAll(codec);
      expect(packets).toHaveLength(N);
      expect(packets.flatMap((p, i) => (p.keyframe ? [i] : []))).toEqual([0, 15]);
      expect(packets.map((p) => p.pts)).toEqual([...Array(N).keys()]);
      if (codec === "h264") {
        // SPS (after the 4-byte start code): profile_idc 66 with constraint_set1: constrained baseline
        const sps = packets[0]!.data;
        const at = sps.findIndex((b, i) => i >= 3 && (b & 0x1f) === 7 && sps[i - 1] === 1);
        expect(sps[at + 1]).toBe(66);
        expect(sps[at + 2]! & 0x40).toBe(0x40);
      }
      const dec = new VideoDecoder({ codec });
      const frames: RawVideoFrame[] = [];
      for (const p of packets) frames.push(...(await dec.decode(p.data)));
      frames.push(...(await dec.flush()));
      await dec.close();
      expect(frames).toHaveLength(N);
      for (const [n, f] of frames.entries()) {
        expect(psnr(f.data, pattern(n).data), `frame ${n}`).toBeGreaterThanOrEqual(30);
      }
      expect(nativeCounts()).toMatchObject({ decoders: 0, encoders: 0 });
    });

    withFfmpeg(
      `${codec}: the ffmpeg CLI decodes our stream with no error, frame for frame`,
      async () => {
        const packets = await encodeAll(codec);
        const dir = mkdtempSync(join(tmpdir(), "media-enc-"));
        try {
          const file = join(dir, codec === "h264" ? "out.h264" : "out.ivf");
          writeFileSync(
            file,
            codec === "h264"
              ? Buffer.concat(packets.map((p) => p.data))
              : ivfBytes(
                  "VP80",
                  W,
                  H,
                  packets.map((p) => ({ data: p.data, ptsMs: p.pts * 33 })),
                ),
          );
          const { stdout, stderr } = await run(
            "ffmpeg",
            ["-hide_banner", "-nostdin", "-v", "error", "-threads", "1", "-i", file].concat([
              "-f",
              "rawvideo",
              "-pix_fmt",
              "yuv420p",
              "-",
            ]),
            { encoding: "buffer", maxBuffer: 64 * 1024 * 1024, timeout: 60_000 },
          );
          expect(stderr.toString()).toBe("");
          const size = frameLayout("i420", W, H).byteLength;
          expect(stdout.byteLength).toBe(size * N);
          for (let n = 0; n < N; n++) {
            const p = psnr(
              new Uint8Array(stdout.subarray(n * size, (n + 1) * size)),
              pattern(n).data,
            );
            expect(p, `frame ${n}`).toBeGreaterThanOrEqual(30);
          }
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    );
  }

  for (const codec of ["h264", "vp8"] as const) {
    it(`${codec}: blocking encodes the same bytes as the threadpool encode`, async () => {
      const a = await encodeAll(codec);
      const b = await encodeAll(codec, true);
      expect(b.map((p) => [p.keyframe, p.pts])).toEqual(a.map((p) => [p.keyframe, p.pts]));
      for (const [i, p] of b.entries()) {
        expect(Buffer.compare(p.data, a[i]!.data), `packet ${i}`).toBe(0);
      }
      expect(nativeCounts().encoders).toBe(0);
    });
  }

  it("encodes each frame as it was when encode was called, even when the caller reuses its bytes at once", async () => {
    const reference = await encodeAll("h264");
    const enc = await VideoEncoder.create({
      codec: "h264",
      width: W,
      height: H,
      fps: 30,
      bitrate: 800_000,
    });
    const buffer = createRawVideoFrame("i420", W, H);
    const pending: Promise<EncodedVideo[]>[] = [];
    for (let n = 0; n < N; n++) {
      if (n === 15) enc.requestKeyframe();
      buffer.data.set(pattern(n).data);
      // every third frame awaited at once (the idle path), the others queued behind it
      const p = enc.encode(buffer);
      pending.push(p);
      if (n % 3 === 0) await p;
    }
    const out = (await Promise.all(pending)).flat();
    out.push(...(await enc.flush()));
    await enc.close();
    expect(out).toHaveLength(N);
    for (const [i, p] of out.entries()) {
      expect(Buffer.compare(p.data, reference[i]!.data), `frame ${i}`).toBe(0);
    }
    await expect(enc.encode(buffer)).rejects.toMatchObject({ code: "INVALID_STATE" });
  });

  it("rejects bad options with BAD_OPTION", async () => {
    for (const bad of [{ width: 321 }, { fps: 0 }, { bitrate: 1 }, { codec: "vp9" }]) {
      await expect(
        VideoEncoder.create({ codec: "h264", width: W, height: H, ...bad } as never),
      ).rejects.toMatchObject({ code: "BAD_OPTION" });
    }
  });
});
