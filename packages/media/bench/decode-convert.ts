// Decode + convert to rgb24 and to bgra of fixtures/test.h264 (640x360, 300 frames) and of the
// 720p30 fixture (bench/fixture-720p.ts, 1280x720, 300 frames), ours (VideoDecoder with an
// `output` format: swscale straight from the decoder's picture into the frame handed out, one
// decoding thread) beside the ffmpeg CLI doing the same work on the same frames (`-threads 1
// -filter_threads 1`, bilinear swscale as ours, rawvideo to /dev/null), alternating
// BENCH_MEDIA_RUNS times (default 7); prints the medians of frames/s and the ratios, and writes
// .bench-results/media-decode-convert.json for BENCHMARKS.md. Ours runs two ways in each round:
// `blocking: true` with every frame recycled once counted (all on one thread, memory reused as
// the CLI reuses its buffers), and the defaults (decode on a libuv threadpool thread, every
// frame in fresh memory left to the garbage collector).
import {
  envPrefix,
  headRevision,
  packageDir,
  passFail,
  writeResults,
} from "@framewire/test-support/bench-results";
import { fixture } from "@framewire/test-support/fixtures";
import { type PixelFormat, type RawVideoFrame, VideoDecoder } from "../src/index.js";
import {
  describe,
  ffmpeg,
  ffmpegCommand,
  type Paired,
  pairedVariants,
  RUNS,
  type Timing,
  timed,
} from "./common.js";
import { accessUnits, ensure720p } from "./fixture-720p.js";

/** Mode is how ours runs: blocking with frames recycled, or the defaults. */
type Mode = "blocking" | "defaults";
const MODES: readonly Mode[] = ["blocking", "defaults"];
const MODE_NAME: Readonly<Record<Mode, string>> = {
  blocking: "node-av, 1 thread: blocking, frames recycled",
  defaults: "node-av, 1 decoding thread: defaults (threadpool, fresh frames)",
};

function ours(units: readonly Uint8Array[], format: PixelFormat, mode: Mode): Promise<Timing> {
  return timed(async () => {
    // the decoder converts each picture as it hands it out (VideoDecoderOptions.output)
    const blocking = mode === "blocking";
    const decoder = new VideoDecoder({ codec: "h264", threads: 1, output: { format }, blocking });
    let frames = 0;
    const take = (pictures: readonly RawVideoFrame[]): void => {
      frames += pictures.length;
      if (blocking) for (const p of pictures) decoder.recycle(p);
    };
    for (const unit of units) take(await decoder.decode(unit));
    take(await decoder.flush());
    await decoder.close();
    return frames;
  });
}

/** anchorArgs decode `file` and convert it to `pixFmt` in one thread, rawvideo to /dev/null. */
function anchorArgs(file: string, pixFmt: string): string[] {
  return [
    ...["-threads", "1", "-filter_threads", "1", "-i", file],
    ...["-sws_flags", "bilinear", "-fps_mode", "passthrough", "-pix_fmt", pixFmt],
    ...["-f", "rawvideo", "-y", "/dev/null"],
  ];
}

const inputs = [
  { label: "640x360", file: fixture("test.h264") },
  { label: "1280x720 (720p30)", file: await ensure720p() },
];
const rows = [];
const commands: string[] = [];
for (const input of inputs) {
  const units = accessUnits(input.file);
  for (const format of ["rgb24", "bgra"] as const) {
    const args = anchorArgs(input.file, format);
    commands.push(ffmpegCommand(args));
    const results: Paired[] = await pairedVariants(
      MODES.map((mode) => () => ours(units, format, mode)),
      () => ffmpeg(args, units.length),
    );
    for (const [i, p] of results.entries()) {
      const mode = MODES[i]!;
      console.log(describe(`decode+convert ${input.label} -> ${format} (${mode})`, p));
      rows.push({
        what: `Decode + convert H.264 ${input.label} → ${format} (${MODE_NAME[mode]})`,
        ours: {
          value: p.oursFps,
          unit: "frames/s",
          note: `CPU per frame ${p.cpuRatio.toFixed(2)}× ffmpeg's`,
        },
        anchor: {
          name: `ffmpeg CLI -threads 1 -f rawvideo (its -benchmark rtime; whole process ${p.processFps.toFixed(0)} frames/s), medians of ${RUNS}`,
          value: p.ffmpegFps,
          unit: "frames/s",
        },
        ratio: p.ratio,
        target: "≥ 0.9× (issue 14)",
        verdict: passFail(p.ratio >= 0.9),
        command: `cd packages/media && ${envPrefix()}pnpm bench`,
      });
    }
  }
}
console.log(
  `  ffmpeg commands (relative to the repository root's files):\n    ${commands.join("\n    ")}`,
);
const dir = packageDir(import.meta.dirname);
writeResults(dir, {
  bench: "media-decode-convert",
  order: 50,
  packageName: "@framewire/media",
  revision: headRevision(dir),
  notes: [
    "media: ffmpeg's figure is its own -benchmark rtime (the transcode, without process start and input probing); ours includes opening and closing the decoder (ffmpeg's includes opening its decoder). The CLI is FFmpeg 5.1 (Debian), node-av's is FFmpeg 8.1.",
  ],
  rows,
});
