import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AV_CODEC_ID_H264,
  AVERROR_EAGAIN,
  AVERROR_EOF,
  AVMEDIA_TYPE_VIDEO,
} from "node-av/constants";
import { Codec, CodecContext, FFmpegError, FormatContext, Frame, Packet } from "node-av/lib";
import { afterAll, describe, expect, it } from "vitest";
import { ensureFixture, fixture, fixturesDir, GENERATED_FIXTURES } from "./fixtures.js";

/** The checksums MANIFEST.txt records for the committed fixtures. */
function manifestChecksums(): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of readFileSync(join(fixturesDir(), "MANIFEST.txt"), "utf8").split("\n")) {
    const m = /^([0-9a-f]{64}) {2}(\S+)$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) sums.set(m[2], m[1]);
  }
  return sums;
}

/** FFmpeg's framecrc checksum: Adler-32 started at 0 over the packed picture. */
function framecrcAdler(bytes: Uint8Array, start = 0): number {
  let a = start & 0xffff;
  let b = start >>> 16;
  for (let i = 0; i < bytes.length; ) {
    const end = Math.min(bytes.length, i + 5552);
    for (; i < end; i++) {
      a += bytes[i] as number;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

interface Mp4Facts {
  width: number;
  height: number;
  packets: number;
  ptsSeconds: number[];
  checksums: string[];
}

/** readMp4 demuxes and decodes every picture of an MP4's video track (async node-av API). */
async function readMp4(path: string): Promise<Mp4Facts> {
  const fmt = new FormatContext();
  FFmpegError.throwIfError(await fmt.openInput(path, null, null), "open");
  const packet = new Packet();
  packet.alloc();
  const picture = new Frame();
  picture.alloc();
  const decoder = new CodecContext();
  try {
    FFmpegError.throwIfError(await fmt.findStreamInfo(null), "stream info");
    const stream = fmt.streams.find((s) => s.codecpar.codecType === AVMEDIA_TYPE_VIDEO);
    if (stream === undefined) throw new Error("no video stream");
    const codec = Codec.findDecoder(AV_CODEC_ID_H264);
    if (codec === null) throw new Error("no h264 decoder");
    decoder.allocContext3(codec);
    FFmpegError.throwIfError(decoder.parametersToContext(stream.codecpar), "parameters");
    decoder.threadCount = 1;
    FFmpegError.throwIfError(await decoder.open2(codec, null), "open decoder");
    const tb = stream.timeBase;
    const facts: Mp4Facts = { width: 0, height: 0, packets: 0, ptsSeconds: [], checksums: [] };
    const drain = async () => {
      for (;;) {
        const r = await decoder.receiveFrame(picture);
        if (r === AVERROR_EAGAIN || r === AVERROR_EOF) return;
        FFmpegError.throwIfError(r, "decode");
        facts.width = picture.width;
        facts.height = picture.height;
        const planes = picture.data ?? [];
        const strides = picture.linesize;
        let sum = 0;
        for (let p = 0; p < 3; p++) {
          const w = p === 0 ? picture.width : picture.width >> 1;
          const h = p === 0 ? picture.height : picture.height >> 1;
          const plane = planes[p] as Buffer;
          for (let y = 0; y < h; y++) {
            const off = y * (strides[p] as number);
            sum = framecrcAdler(plane.subarray(off, off + w), sum);
          }
        }
        facts.checksums.push(`0x${sum.toString(16).padStart(8, "0")}`);
        picture.unref();
      }
    };
    for (;;) {
      const r = await fmt.readFrame(packet);
      if (r === AVERROR_EOF) break;
      FFmpegError.throwIfError(r, "read");
      if (packet.streamIndex === stream.index) {
        facts.packets++;
        facts.ptsSeconds.push((Number(packet.pts) * tb.num) / tb.den);
        FFmpegError.throwIfError(await decoder.sendPacket(packet), "send");
        await drain();
      }
      packet.unref();
    }
    await decoder.sendPacket(null);
    await drain();
    return facts;
  } finally {
    decoder.freeContext();
    picture.free();
    packet.free();
    await fmt.closeInput();
  }
}

describe("fixtures", () => {
  it("every committed fixture matches the checksum of fixtures/MANIFEST.txt", () => {
    const sums = manifestChecksums();
    expect([...sums.keys()].sort()).toEqual([
      "pcmu-tone.pcap",
      "pcmu-tone.ulaw",
      "test-rtp.pcap",
      "test.framecrc",
      "test.h264",
      "test.sdp",
    ]);
    for (const [name, sum] of sums) {
      const actual = createHash("sha256")
        .update(readFileSync(fixture(name)))
        .digest("hex");
      expect(actual, name).toBe(sum);
    }
  });

  it("a generated fixture is not a committed one, and a missing committed one is an error", async () => {
    for (const [name, spec] of Object.entries(GENERATED_FIXTURES)) {
      expect(manifestChecksums().has(name)).toBe(false);
      expect(manifestChecksums().has(spec.from)).toBe(true);
    }
    await expect(ensureFixture("no-such-fixture.bin")).rejects.toThrow(/fixture not found/);
  });

  describe("test.mp4 (generated from test.h264 with node-av)", () => {
    const dir = mkdtempSync(join(tmpdir(), "framewire-fixtures-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("holds test.h264's 300 pictures, 640x360, 30 fps timestamps; decoded pictures equal FFmpeg's framecrc of test.h264", async () => {
      const path = await ensureFixture("test.mp4", dir);
      const facts = await readMp4(path);
      expect(facts.packets).toBe(300);
      expect([facts.width, facts.height]).toEqual([640, 360]);
      facts.ptsSeconds.forEach((t, i) => {
        expect(t).toBeCloseTo(i / 30, 6);
      });
      const reference = readFileSync(fixture("test.framecrc"), "utf8")
        .split("\n")
        .filter((l) => l !== "" && !l.startsWith("#"))
        .map((l) => (l.split(",")[5] ?? "").trim());
      expect(reference).toHaveLength(300);
      expect(facts.checksums).toEqual(reference);
    }, 60_000);

    it("is cached: a second call returns the same file without writing it again", async () => {
      const path = await ensureFixture("test.mp4", dir);
      const before = statSync(path).mtimeMs;
      expect(await ensureFixture("test.mp4", dir)).toBe(path);
      expect(statSync(path).mtimeMs).toBe(before);
    });
  });
});
