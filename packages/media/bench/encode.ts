// Encode of 720p30 i420 to H.264 (libx264) and VP8 (libvpx), ours (VideoEncoder, one thread)
// beside the ffmpeg CLI encoding the same frames with the same settings, alternating
// BENCH_MEDIA_RUNS times (default 7). The frames are the 720p30 fixture (bench/fixture-720p.ts)
// decoded once by our VideoDecoder: held in memory for ours, written once to a raw .yuv file
// for the CLI (`-f rawvideo -pix_fmt yuv420p -s 1280x720 -r 30 -i frames.yuv … -f null -`).
// Before the timed runs, one frame of each side's H.264 is compared: libx264 writes all its
// settings into an SEI, and the two must match. Writes .bench-results/media-encode.json.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  envPrefix,
  headRevision,
  packageDir,
  passFail,
  writeResults,
} from "@framewire/test-support/bench-results";
import { type EncoderCodec, type RawVideoFrame, VideoDecoder, VideoEncoder } from "../src/index.js";
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
import { accessUnits, ensure720p, HEIGHT_720P, WIDTH_720P } from "./fixture-720p.js";

const FPS = 30;
const BITRATE = 2_500_000;
const GOP = FPS * 10; // VideoEncoder's default keyframeInterval

/** The CLI's settings for each codec: what src/video-encoder.ts sets, option for option. */
const CLI_CODEC: Readonly<Record<EncoderCodec, readonly string[]>> = {
  h264: [
    ...["-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency"],
    ...["-profile:v", "baseline", "-forced-idr", "1"],
  ],
  vp8: [
    ...["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8"],
    ...["-lag-in-frames", "0", "-error-resilient", "1"],
  ],
};

function cliArgs(codec: EncoderCodec, yuv: string, out: readonly string[]): string[] {
  return [
    ...["-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", `${WIDTH_720P}x${HEIGHT_720P}`],
    ...["-r", String(FPS), "-i", yuv, "-threads", "1", ...CLI_CODEC[codec]],
    ...["-b:v", String(BITRATE), "-g", String(GOP), "-bf", "0", "-fps_mode", "passthrough"],
    ...out,
  ];
}

function encoder(codec: EncoderCodec, blocking = false): Promise<VideoEncoder> {
  return VideoEncoder.create({
    codec,
    width: WIDTH_720P,
    height: HEIGHT_720P,
    fps: FPS,
    bitrate: BITRATE,
    blocking,
  });
}

/** Mode is how ours runs: blocking (sync calls, one thread) or the defaults (threadpool). */
type Mode = "blocking" | "defaults";
const MODES: readonly Mode[] = ["blocking", "defaults"];
const MODE_NAME: Readonly<Record<Mode, string>> = {
  blocking: "1 thread: blocking",
  defaults: "1 encoding thread: defaults (threadpool)",
};

function ours(codec: EncoderCodec, frames: readonly RawVideoFrame[], mode: Mode): Promise<Timing> {
  return timed(async () => {
    const e = await encoder(codec, mode === "blocking");
    let bytes = 0;
    for (const f of frames) for (const p of await e.encode(f)) bytes += p.data.byteLength;
    for (const p of await e.flush()) bytes += p.data.byteLength;
    await e.close();
    if (bytes === 0) throw new Error(`our ${codec} encoder wrote nothing`);
    return frames.length;
  });
}

/** x264Options is the "options: …" text of the first x264 SEI in an H.264 stream. */
function x264Options(stream: Uint8Array): string {
  const text = Buffer.from(stream).toString("latin1");
  const m = /x264 - core (\d+)[^\0]*? - options: ([^\0]*)/.exec(text);
  if (m === null) throw new Error("no x264 SEI in the stream");
  return `core ${m[1]}: ${m[2]}`;
}

/** sameX264Settings compares one encoded frame of each side and returns what differs. */
async function sameX264Settings(frames: readonly RawVideoFrame[], yuv: string, dir: string) {
  const e = await encoder("h264");
  const first = (await e.encode(frames[0]!))[0];
  await e.close();
  if (first === undefined) throw new Error("our H.264 encoder gave no packet for frame 0");
  const out = join(dir, "cli-first.h264");
  ffmpeg(cliArgs("h264", yuv, ["-frames:v", "1", "-f", "h264", "-y", out]), 1);
  const [ourCore, ourOpts] = x264Options(first.data).split(": ");
  const [cliCore, cliOpts] = x264Options(readFileSync(out)).split(": ");
  rmSync(out, { force: true });
  const a = new Set(ourOpts!.split(" "));
  const b = new Set(cliOpts!.split(" "));
  const onlyOurs = [...a].filter((o) => !b.has(o));
  const onlyCli = [...b].filter((o) => !a.has(o));
  return { ourCore: ourCore!, cliCore: cliCore!, onlyOurs, onlyCli };
}

const fixture = await ensure720p();
const decoder = new VideoDecoder({ codec: "h264", threads: 1 });
const frames: RawVideoFrame[] = [];
for (const unit of accessUnits(fixture)) frames.push(...(await decoder.decode(unit)));
frames.push(...(await decoder.flush()));
await decoder.close();
const dir = join(
  process.env.BENCH_DIR ?? join(tmpdir(), "framewire-bench"),
  `media-${process.pid}`,
);
mkdirSync(dir, { recursive: true });
const yuv = join(dir, "frames-720p.yuv");
const rows = [];
const notes: string[] = [];
try {
  writeFileSync(yuv, Buffer.concat(frames.map((f) => f.data)));
  const check = await sameX264Settings(frames, yuv, dir);
  const same = check.onlyOurs.length === 0 && check.onlyCli.length === 0;
  const settings = same
    ? `x264 settings equal (SEI of both; x264 ${check.ourCore} ours, ${check.cliCore} CLI)`
    : `x264 settings DIFFER: ours ${check.onlyOurs.join(" ")}; CLI ${check.onlyCli.join(" ")}`;
  console.log(`  ${settings}`);
  notes.push(
    `media encode: ${settings}; libvpx 1.15.2 ours (node-av), 1.12.0 CLI (Debian); ours includes opening and closing the encoder, as ffmpeg's -benchmark does.`,
  );
  for (const codec of ["h264", "vp8"] as const) {
    const args = cliArgs(codec, yuv, ["-f", "null", "-"]);
    const results: Paired[] = await pairedVariants(
      MODES.map((mode) => () => ours(codec, frames, mode)),
      () => ffmpeg(args, frames.length),
    );
    const name =
      codec === "h264"
        ? "H.264 (libx264 veryfast zerolatency baseline)"
        : "VP8 (libvpx realtime cpu-used 8)";
    console.log(`    ${ffmpegCommand(args)}`);
    for (const [i, p] of results.entries()) {
      const mode = MODES[i]!;
      console.log(describe(`encode 720p30 i420 -> ${codec} (${mode})`, p));
      rows.push({
        what: `Encode 1280x720 i420 → ${name}, 2.5 Mbit/s (node-av, ${MODE_NAME[mode]})`,
        ours: {
          value: p.oursFps,
          unit: "frames/s",
          note: `CPU per frame ${p.cpuRatio.toFixed(2)}× ffmpeg's`,
        },
        anchor: {
          name: `ffmpeg CLI -threads 1 on the same frames (its -benchmark rtime; whole process ${p.processFps.toFixed(0)} frames/s), medians of ${RUNS}`,
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
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const pkg = packageDir(import.meta.dirname);
writeResults(pkg, {
  bench: "media-encode",
  order: 51,
  packageName: "@framewire/media",
  revision: headRevision(pkg),
  notes,
  rows,
});
