// Benchmark input: a realistic H.264 elementary stream, encoded once with ffmpeg/libx264 and
// cached, or (without ffmpeg) a synthetic stream of random-content NAL units with the same shape.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { joinAnnexB, splitAnnexB } from "../src/index.js";

/** WIDTH, HEIGHT, FPS, BITRATE describe the stream the benchmark wants (8 Mbit/s 640x360p30). */
export const WIDTH = 640;
export const HEIGHT = 360;
export const FPS = 30;
export const BITRATE = 8_000_000;
export const KEYINT = 30;

/** AccessUnit is one frame: its NAL units (no start codes) and its canonical Annex-B bytes. */
export interface AccessUnit {
  readonly nals: readonly Uint8Array[];
  /** data is joinAnnexB(nals): the form the depacketizer gives back (H.264 §B.1.2 start codes). */
  readonly data: Uint8Array;
  readonly keyframe: boolean;
}

/** StreamInput is the benchmark's input stream. */
export interface StreamInput {
  readonly units: readonly AccessUnit[];
  /** source says where the stream came from, for the report. */
  readonly source: string;
  readonly synthetic: boolean;
}

/** benchDir is the cache directory: BENCH_DIR, or <tmpdir>/framewire-bench. */
export function benchDir(): string {
  return process.env.BENCH_DIR ?? join(tmpdir(), "framewire-bench");
}

/**
 * loadStream returns `frames` access units: the first `frames` of a cached libx264 encode
 * (made on first use), or a synthetic stream when ffmpeg/libx264 is not usable.
 */
export function loadStream(frames: number, forceSynthetic: boolean): StreamInput {
  if (!forceSynthetic) {
    const dir = benchDir();
    mkdirSync(dir, { recursive: true });
    const full = cachePath(dir, 4500);
    // a cached full-length encode also serves shorter runs
    const path = frames <= 4500 && existsSync(full) ? full : cachePath(dir, frames);
    let why = "";
    if (!existsSync(path)) why = encode(path, frames);
    if (why === "") {
      const units = accessUnits(new Uint8Array(readFileSync(path))).slice(0, frames);
      if (units.length === frames) {
        return {
          units,
          source: `ffmpeg/libx264 testsrc2+noise ${WIDTH}x${HEIGHT}p${FPS} 8 Mbit/s, 1 slice, keyint ${KEYINT} (${path})`,
          synthetic: false,
        };
      }
      why = `${path} holds ${units.length} access units, expected ${frames}`;
    }
    console.warn(`bench: ffmpeg stream unavailable (${why}); falling back to a synthetic stream`);
  }
  return {
    units: syntheticStream(frames),
    source:
      "SYNTHETIC stream (ffmpeg/libx264 not used): random-content NAL units sized like an 8 Mbit/s 640x360p30 x264 stream, x264-like zero-byte density",
    synthetic: true,
  };
}

function cachePath(dir: string, frames: number): string {
  return join(dir, `x264-${WIDTH}x${HEIGHT}p${FPS}-8M-g${KEYINT}-s1-aud-${frames}f.h264`);
}

/** encode writes `frames` frames of libx264 output to `path`; returns "" or why it failed. */
function encode(path: string, frames: number): string {
  const tmp = `${path}.${process.pid}.tmp`;
  const args = [
    "-hide_banner",
    "-nostdin",
    "-loglevel",
    "error",
    "-y",
    "-f",
    "lavfi",
    // moving test pattern plus temporal noise: hard enough to need the full 8 Mbit/s
    "-i",
    `testsrc2=size=${WIDTH}x${HEIGHT}:rate=${FPS},noise=alls=25:allf=t`,
    "-frames:v",
    String(frames),
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-tune",
    "zerolatency",
    "-profile:v",
    "baseline",
    "-pix_fmt",
    "yuv420p",
    "-b:v",
    "8M",
    "-maxrate",
    "8M",
    "-bufsize",
    "4M",
    "-g",
    String(KEYINT),
    "-keyint_min",
    String(KEYINT),
    "-sc_threshold",
    "0",
    "-threads",
    "1",
    "-x264-params",
    "slices=1:sliced-threads=0:repeat-headers=1:aud=1",
    "-f",
    "h264",
    tmp,
  ];
  console.error(`bench: encoding ${frames} frames with ffmpeg/libx264 into ${path} (once)...`);
  const r = spawnSync("ffmpeg", args, { stdio: ["ignore", "ignore", "pipe"], timeout: 600_000 });
  if (r.error !== undefined || r.status !== 0) {
    rmSync(tmp, { force: true });
    const msg = r.error?.message ?? r.stderr?.toString().trim().split("\n").pop() ?? "";
    return `ffmpeg failed: ${msg || `exit ${r.status}`}`;
  }
  renameSync(tmp, path);
  return "";
}

/** accessUnits groups an Annex-B stream into access units (H.264 §7.4.1.2.3). */
export function accessUnits(stream: Uint8Array): AccessUnit[] {
  const out: AccessUnit[] = [];
  let cur: Uint8Array[] = [];
  let hasVcl = false;
  let keyframe = false;
  const flush = (): void => {
    if (cur.length > 0) out.push({ nals: cur, data: joinAnnexB(cur), keyframe });
    cur = [];
    hasVcl = false;
    keyframe = false;
  };
  for (const nal of splitAnnexB(stream)) {
    const t = nal[0]! & 0x1f;
    if (t >= 1 && t <= 5) {
      // first_mb_in_slice == 0 (ue(v) "1") starts a new primary picture
      if (hasVcl && ((nal[1] ?? 0) & 0x80) !== 0) flush();
      hasVcl = true;
      if (t === 5) keyframe = true;
    } else if (hasVcl && (t === 6 || t === 7 || t === 8 || t === 9 || (t >= 14 && t <= 18))) {
      flush();
    }
    cur.push(nal);
  }
  flush();
  return out;
}

// SPS/PPS of an x264 constrained-baseline 640x360 stream (real parameter sets, so the
// assembler's SPS parsing is exercised as with the real stream).
const SPS = hex("67 42 c0 1f da 02 80 bf e5 c0 44 00 00 03 00 04 00 00 03 00 f2 3c 60 ca 80");
const PPS = hex("68ce3c80");
const AUD = hex("09f0");

function hex(s: string): Uint8Array {
  const clean = s.replace(/[^0-9a-f]/gi, "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/**
 * syntheticStream makes `frames` access units shaped like the libx264 stream: AUD, then SPS+PPS+
 * IDR every KEYINT frames, else one P slice; mean size 8 Mbit/s / 30 fps, an IDR ~1.8x a P frame
 * (the libx264 stream measures 57.4 kB vs 32.6 kB). Slice bytes are random with the zero-byte
 * density of the libx264 stream (~0.8 %), with emulation prevention (H.264 §7.4.1) applied so no
 * start code can appear, and a non-zero last byte (rbsp_trailing_bits).
 */
function syntheticStream(frames: number): AccessUnit[] {
  let state = 0x9e3779b9;
  const rnd = (): number => {
    // mulberry32
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const mean = BITRATE / 8 / FPS;
  const idrShare = 1.8;
  const pSize = (mean * KEYINT) / (KEYINT - 1 + idrShare);
  const units: AccessUnit[] = [];
  for (let f = 0; f < frames; f++) {
    const idr = f % KEYINT === 0;
    const size = Math.round((idr ? pSize * idrShare : pSize) * (0.85 + 0.3 * rnd()));
    const slice = new Uint8Array(size);
    slice[0] = idr ? 0x65 : 0x41;
    slice[1] = 0x80 | Math.floor(rnd() * 0x7f); // first_mb_in_slice = 0
    let zeros = 0;
    for (let i = 2; i < size - 1; i++) {
      let b = rnd() < 0.004 ? 0 : Math.floor(rnd() * 256);
      if (zeros >= 2 && b <= 3) {
        b = 3; // emulation_prevention_three_byte
        zeros = 0;
      } else {
        zeros = b === 0 ? zeros + 1 : 0;
      }
      slice[i] = b;
    }
    slice[size - 1] = 0x80;
    const nals = idr ? [AUD, SPS, PPS, slice] : [AUD, slice];
    units.push({ nals, data: joinAnnexB(nals), keyframe: idr });
  }
  return units;
}

/**
 * relayPeerArgs is the node argument list that runs bench/relay-peer the way this benchmark runs:
 * the TypeScript through tsx, or the tsc build `pnpm bench` makes (.bench-build/bench/*.js).
 */
export function relayPeerArgs(): string[] {
  const ts = import.meta.url.endsWith(".ts");
  const script = fileURLToPath(new URL(`./relay-peer${ts ? ".ts" : ".js"}`, import.meta.url));
  return ts ? ["--import", "tsx", script] : [script];
}

/**
 * relayPeerEnv is the peer's environment: under tsx, workspace packages resolve to their src/
 * (the `@framewire/source` condition); the tsc build runs on plain node, which loads their dist/.
 */
export function relayPeerEnv(): NodeJS.ProcessEnv {
  return import.meta.url.endsWith(".ts")
    ? { ...process.env, NODE_OPTIONS: "--conditions=@framewire/source" }
    : process.env;
}
