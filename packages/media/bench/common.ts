// What the media benchmarks share: the run count, medians, timing of our side, and the ffmpeg
// CLI anchor run with `-benchmark` (its own timing of the transcode loop) and `-progress` (the
// frames it handled, checked on every run).
import { spawnSync } from "node:child_process";

/** RUNS is how many alternating runs of ours and of the ffmpeg CLI each row takes (BENCH_MEDIA_RUNS). */
export const RUNS = Number(process.env.BENCH_MEDIA_RUNS ?? 7);
if (!Number.isInteger(RUNS) || RUNS < 1) {
  throw new RangeError(
    `BENCH_MEDIA_RUNS must be an integer ≥ 1, got ${process.env.BENCH_MEDIA_RUNS}`,
  );
}

/** median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const v = [...xs].sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** Timing is one run: wall seconds and CPU seconds (user + system) of the work, frames done. */
export interface Timing {
  readonly wallS: number;
  readonly cpuS: number;
  readonly frames: number;
}

/** timed runs `work` (which resolves the frames it handled) and measures it in this process. */
export async function timed(work: () => Promise<number>): Promise<Timing> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const frames = await work();
  const wallS = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  return { wallS, cpuS: (used.user + used.system) / 1e6, frames };
}

/** FfmpegTiming is a Timing of the ffmpeg CLI plus the wall time of its whole process. */
export interface FfmpegTiming extends Timing {
  /** processS is the whole process, start and input probing included. */
  readonly processS: number;
}

/** FFMPEG_COMMON are the options every anchor run starts with: quiet but for -benchmark. */
const FFMPEG_COMMON = ["-hide_banner", "-nostdin", "-nostats", "-loglevel", "info", "-benchmark"];

/**
 * ffmpeg runs the CLI with `args` (after the common options, plus `-progress pipe:1`), checks it
 * handled `frames` frames, and returns its own `-benchmark` times: `rtime` (wall) and
 * `utime + stime` (CPU) of the transcode, which start after option parsing and input probing.
 */
export function ffmpeg(args: readonly string[], frames: number): FfmpegTiming {
  const start = process.hrtime.bigint();
  const r = spawnSync("ffmpeg", [...FFMPEG_COMMON, "-progress", "pipe:1", ...args], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const processS = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.error !== undefined) throw r.error;
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(" ")} exited ${r.status}:\n${r.stderr}`);
  const bench = /bench: utime=([\d.]+)s stime=([\d.]+)s rtime=([\d.]+)s/.exec(r.stderr);
  const done = [...r.stdout.matchAll(/^frame=(\d+)$/gm)].at(-1);
  if (bench === null || done === undefined) {
    throw new Error(`ffmpeg printed no -benchmark or -progress figures:\n${r.stderr}`);
  }
  const handled = Number(done[1]);
  if (handled !== frames) {
    throw new Error(`ffmpeg ${args.join(" ")} handled ${handled} frames, expected ${frames}`);
  }
  return {
    wallS: Number(bench[3]),
    cpuS: Number(bench[1]) + Number(bench[2]),
    frames: handled,
    processS,
  };
}

/** ffmpegCommand is `args` as the shell command a reader can paste (the checks' options left out). */
export function ffmpegCommand(args: readonly string[]): string {
  return ["ffmpeg", "-benchmark", ...args].join(" ");
}

/** Paired are the medians of RUNS alternating runs of ours and the anchor. */
export interface Paired {
  readonly oursFps: number;
  readonly ffmpegFps: number;
  /** ratio is oursFps / ffmpegFps (throughput: ≥ 1 is faster than ffmpeg). */
  readonly ratio: number;
  /** cpuRatio is our CPU seconds per frame / ffmpeg's (≤ 1: ours uses no more CPU). */
  readonly cpuRatio: number;
  /** processFps is ffmpeg's frames per second of its whole process (start and probing included). */
  readonly processFps: number;
  /**
   * pairRatio is the median over the rounds of ours / the anchor run right after it: a check on
   * `ratio` that drift of a shared machine's load hits less.
   */
  readonly pairRatio: number;
}

/** paired alternates `ours` and `anchor` RUNS times and takes the medians. */
export async function paired(
  ours: () => Promise<Timing>,
  anchor: () => FfmpegTiming,
): Promise<Paired> {
  return (await pairedVariants([ours], anchor))[0]!;
}

/**
 * pairedVariants alternates every variant of ours and then the anchor, RUNS times, and takes the
 * medians of each variant against the same anchor runs.
 */
export async function pairedVariants(
  variants: readonly (() => Promise<Timing>)[],
  anchor: () => FfmpegTiming,
): Promise<Paired[]> {
  const a: Timing[][] = variants.map(() => []);
  const b: FfmpegTiming[] = [];
  for (let i = 0; i < RUNS; i++) {
    for (const [j, ours] of variants.entries()) a[j]!.push(await ours());
    b.push(anchor());
  }
  return a.map((runs) => medians(runs, b));
}

function medians(a: readonly Timing[], b: readonly FfmpegTiming[]): Paired {
  const oursFps = median(a.map((t) => t.frames / t.wallS));
  const ffmpegFps = median(b.map((t) => t.frames / t.wallS));
  const oursCpu = median(a.map((t) => t.cpuS / t.frames));
  const ffmpegCpu = median(b.map((t) => t.cpuS / t.frames));
  return {
    oursFps,
    ffmpegFps,
    ratio: oursFps / ffmpegFps,
    cpuRatio: oursCpu / ffmpegCpu,
    processFps: median(b.map((t) => t.frames / t.processS)),
    pairRatio: median(a.map((t, i) => t.frames / t.wallS / (b[i]!.frames / b[i]!.wallS))),
  };
}

/** describe is a result as one console line. */
export function describe(what: string, p: Paired): string {
  return (
    `${what}: ours ${p.oursFps.toFixed(0)} fps, ffmpeg CLI ${p.ffmpegFps.toFixed(0)} fps ` +
    `(whole process ${p.processFps.toFixed(0)}), ratio ${p.ratio.toFixed(2)} ` +
    `(median of run pairs ${p.pairRatio.toFixed(2)}), ` +
    `CPU per frame ours/ffmpeg ${p.cpuRatio.toFixed(2)} (medians of ${RUNS} alternating runs)`
  );
}
