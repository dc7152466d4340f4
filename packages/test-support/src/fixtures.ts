/**
 * The repository's media fixtures (`<repo>/fixtures`, see its README.md and MANIFEST.txt).
 *
 * Most fixtures are committed files; `fixture(name)` gives their path. The ones listed in
 * `GENERATED_FIXTURES` are made from committed ones by the project's own code (FFmpeg in-process
 * through node-av, no system ffmpeg) into `<repo>/fixtures/generated/` (git-ignored) on first
 * use: `ensureFixture(name)` makes one if it is missing and returns its path;
 * `tools/peers/fixture.sh NAME` does the same for the peer scripts.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startChild } from "./processes.js";
import { remuxH264ToMp4 } from "./remux-mp4.js";

/** repoRoot is the repository this package sits in. */
export function repoRoot(): string {
  // <repo>/packages/test-support/src/fixtures.ts → <repo>
  return fileURLToPath(new URL("../../../", import.meta.url));
}

/** fixturesDir is `<repo>/fixtures`. */
export function fixturesDir(): string {
  return join(repoRoot(), "fixtures");
}

/** generatedFixturesDir is where generated fixtures are cached (git-ignored). */
export function generatedFixturesDir(): string {
  return join(fixturesDir(), "generated");
}

/**
 * GENERATED_FIXTURES names each generated fixture and the committed one it is made from:
 * test.mp4 is test.h264 remuxed (same bitstream) into MP4 with 30 fps timestamps, the video
 * source of baresip's avformat module, which needs timestamps. test-720p30.h264 is test.h264
 * scaled to 1280x720 and encoded again by the ffmpeg CLI (libx264 constrained baseline,
 * zerolatency, 2.5 Mbit/s, an IDR every 30 frames, 300 frames): the 720p30 input of the
 * benchmarks.
 */
export const GENERATED_FIXTURES = {
  "test.mp4": {
    from: "test.h264",
    make: (src: string, out: string) => remuxH264ToMp4(src, out, 30),
  },
  "test-720p30.h264": {
    from: "test.h264",
    make: (src: string, out: string) => scaleTo720p(src, out),
  },
} as const satisfies Record<
  string,
  { from: string; make: (src: string, out: string) => Promise<void> }
>;

export type GeneratedFixture = keyof typeof GENERATED_FIXTURES;

function isGenerated(name: string): name is GeneratedFixture {
  return Object.hasOwn(GENERATED_FIXTURES, name);
}

/**
 * fixture is the path of a fixture. For a committed one it is `<repo>/fixtures/NAME`; for a
 * generated one, its cached path (call `ensureFixture` first to make sure it exists).
 */
export function fixture(name: string): string {
  return isGenerated(name) ? join(generatedFixturesDir(), name) : join(fixturesDir(), name);
}

/**
 * ensureFixture returns the path of fixture `name`, generating it first when it is a generated
 * fixture that is not cached yet. Generation writes a temporary file and renames it, so
 * concurrent callers never see a partial file.
 */
export async function ensureFixture(name: string, dir = generatedFixturesDir()): Promise<string> {
  if (!isGenerated(name)) {
    const path = fixture(name);
    if (!existsSync(path)) throw new Error(`fixture not found: ${path}`);
    return path;
  }
  const out = join(dir, name);
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true });
  const spec = GENERATED_FIXTURES[name];
  const tmp = `${out}.${process.pid}.${Date.now()}.tmp`;
  try {
    await spec.make(fixture(spec.from), tmp);
    renameSync(tmp, out);
  } finally {
    rmSync(tmp, { force: true });
  }
  return out;
}

/** scaleTo720p re-encodes an H.264 stream at 1280x720 with the ffmpeg CLI (see GENERATED_FIXTURES). */
async function scaleTo720p(src: string, out: string): Promise<void> {
  const args = [
    ...["-v", "error", "-nostdin", "-y", "-threads", "1", "-i", src, "-vf", "scale=1280:720"],
    ...["-c:v", "libx264", "-profile:v", "baseline", "-tune", "zerolatency", "-preset", "medium"],
    ...["-b:v", "2500k", "-g", "30", "-bf", "0", "-threads", "1", "-f", "h264", out],
  ];
  const r = await startChild("ffmpeg", args, { timeoutMs: 120_000 }).done;
  if (r.code !== 0) throw new Error(`ffmpeg could not make ${out}: ${r.stderr}`);
}
