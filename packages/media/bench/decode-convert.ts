// Decode + convert of fixtures/test.h264 (640x360, 300 frames) to rgb24 and to bgra, ours beside
// the ffmpeg CLI doing the same work on the same frames (rawvideo to /dev/null), single thread
// on both sides, alternating BENCH_MEDIA_RUNS times (default 5); prints the medians of frames/s
// and the ratio, and writes .bench-results/media-decode-convert.json for BENCHMARKS.md.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { joinAnnexB, splitAnnexB } from "@framewire/rtp-video";
import { h264AccessUnits } from "@framewire/test-support";
import {
  envPrefix,
  headRevision,
  packageDir,
  passFail,
  writeResults,
} from "@framewire/test-support/bench-results";
import { fixture } from "@framewire/test-support/fixtures";
import { type PixelFormat, VideoConverter, VideoDecoder } from "../src/index.js";

const file = fixture("test.h264");
const units = h264AccessUnits(new Uint8Array(readFileSync(file)), {
  splitAnnexB,
  joinAnnexB,
}).units;

async function ours(format: PixelFormat): Promise<number> {
  const decoder = new VideoDecoder({ codec: "h264", threads: 1 });
  const converter = new VideoConverter();
  const start = process.hrtime.bigint();
  let frames = 0;
  for (const unit of units) {
    for (const f of await decoder.decode(unit)) {
      converter.convert(f, { format });
      frames++;
    }
  }
  for (const f of await decoder.flush()) {
    converter.convert(f, { format });
    frames++;
  }
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  await decoder.close();
  converter.close();
  return frames / s;
}

function ffmpeg(pixFmt: string): number {
  const args = ["-hide_banner", "-nostdin", "-v", "error", "-threads", "1", "-filter_threads", "1"];
  const start = process.hrtime.bigint();
  const r = spawnSync(
    "ffmpeg",
    [...args, "-i", file, "-f", "rawvideo", "-pix_fmt", pixFmt, "-y", "/dev/null"],
    { stdio: "inherit" },
  );
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`ffmpeg exited ${r.status}`);
  return units.length / s;
}

const runs = Number(process.env.BENCH_MEDIA_RUNS ?? 5);
const median = (xs: readonly number[]): number => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 === 1
    ? v[(v.length - 1) / 2]!
    : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
};
const rows = [];
for (const [format, pixFmt] of [
  ["rgb24", "rgb24"],
  ["bgra", "bgra"],
] as const) {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < runs; i++) {
    a.push(await ours(format));
    b.push(ffmpeg(pixFmt));
  }
  const [oursFps, ffmpegFps] = [median(a), median(b)];
  const ratio = oursFps / ffmpegFps;
  console.log(
    `decode+convert 640x360 -> ${format}: ours ${oursFps.toFixed(0)} fps, ffmpeg CLI ${ffmpegFps.toFixed(0)} fps, ratio ${ratio.toFixed(2)} (medians of ${runs} alternating runs)`,
  );
  rows.push({
    what: `Decode + convert H.264 640x360 → ${format} (node-av, 1 thread)`,
    ours: { value: oursFps, unit: "frames/s" },
    anchor: {
      name: `ffmpeg CLI -threads 1 -f rawvideo, medians of ${runs}`,
      value: ffmpegFps,
      unit: "frames/s",
    },
    ratio,
    target: "≥ 0.9× (issue 14)",
    verdict: passFail(ratio >= 0.9),
    command: `cd packages/media && ${envPrefix()}pnpm bench`,
  });
}
const dir = packageDir(import.meta.dirname);
writeResults(dir, {
  bench: "media-decode-convert",
  order: 50,
  packageName: "@framewire/media",
  revision: headRevision(dir),
  notes: [
    "media: the ffmpeg CLI's time includes its process start and file read; the 720p30 and encode rows of issue 14 are not written yet.",
  ],
  rows,
});
