import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { readIvf } from "@framewire/test-support";
import { itWithPeers } from "@framewire/test-support/peers";
import { describe, expect } from "vitest";
import { nativeCounts } from "./native-counts.js";
import { VideoDecoder } from "./video-decoder.js";

const run = promisify(execFile);
const withFfmpeg = itWithPeers(["ffmpeg"]);

describe("VideoDecoder (VP9 made by the ffmpeg CLI)", () => {
  withFfmpeg(
    "20 VP9 frames of testsrc 320x240 decode into 20 i420 frames of that size",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "media-vp9-"));
      try {
        const file = join(dir, "test.ivf");
        await run(
          "ffmpeg",
          [
            "-hide_banner",
            "-nostdin",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=30",
          ]
            .concat([
              "-frames:v",
              "20",
              "-c:v",
              "libvpx-vp9",
              "-deadline",
              "realtime",
              "-cpu-used",
              "8",
            ])
            .concat(["-threads", "1", "-f", "ivf", file]),
          { timeout: 60_000 },
        );
        const ivf = readIvf(file);
        expect(ivf.fourcc).toBe("VP90");
        const dec = new VideoDecoder({ codec: "vp9" });
        const frames = [];
        for (const f of ivf.frames) frames.push(...(await dec.decode(f.data)));
        frames.push(...(await dec.flush()));
        await dec.close();
        expect(frames).toHaveLength(20);
        for (const f of frames) expect([f.format, f.width, f.height]).toEqual(["i420", 320, 240]);
        expect(nativeCounts().decoders).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
