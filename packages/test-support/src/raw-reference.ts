// An independent reference decode: the ffmpeg CLI decodes a video file to tightly packed raw
// frames (`-f rawvideo`), streamed frame by frame so only the frames asked for are kept.
import { spawn } from "node:child_process";
import { MediaCheckError } from "./media-check-error.js";
import { startChild } from "./processes.js";

/**
 * RAW_REFERENCE_FORMATS maps each raw format, named by memory order as `@framewire/media` names
 * it, to ffmpeg's pixel format (`i420` is `yuv420p`; the others have the same name).
 */
export const RAW_REFERENCE_FORMATS = {
  i420: "yuv420p",
  nv12: "nv12",
  rgb24: "rgb24",
  bgr24: "bgr24",
  rgba: "rgba",
  bgra: "bgra",
  argb: "argb",
  abgr: "abgr",
} as const;

/** RawReferenceFormat is a format `referenceRawFrames` decodes to. */
export type RawReferenceFormat = keyof typeof RAW_REFERENCE_FORMATS;

/**
 * rawFrameBytes is the size of one tightly packed frame: `i420` and `nv12` take
 * `w*h + 2*ceil(w/2)*ceil(h/2)`, `rgb24`/`bgr24` `3*w*h`, the 4-byte formats `4*w*h`.
 */
export function rawFrameBytes(format: RawReferenceFormat, width: number, height: number): number {
  checkSize(width, height);
  if (format === "i420" || format === "nv12") {
    return width * height + 2 * Math.ceil(width / 2) * Math.ceil(height / 2);
  }
  return width * height * (format === "rgb24" || format === "bgr24" ? 3 : 4);
}

/** RawReferenceOptions: the format, an optional scale, which frames to keep, a deadline. */
export interface RawReferenceOptions {
  readonly format: RawReferenceFormat;
  /** width and height scale the pictures (both or neither; default the file's own size). */
  readonly width?: number;
  readonly height?: number;
  /**
   * pick lists the indices (0-based, output order) of the frames to keep; default all. Decoding
   * stops after the highest one.
   */
  readonly pick?: readonly number[];
  /** maxFrames stops decoding after that many frames (ffmpeg's `-frames:v`). */
  readonly maxFrames?: number;
  /** swsFlags is ffmpeg's `-sws_flags` for conversion and scaling (default ffmpeg's, bicubic). */
  readonly swsFlags?: string;
  /** timeoutMs is the hard deadline of the whole decode, ffprobe included (default 60 s). */
  readonly timeoutMs?: number;
}

/** RawReference is ffmpeg's decode of a file: the frames kept, each tightly packed. */
export interface RawReference {
  readonly format: RawReferenceFormat;
  readonly width: number;
  readonly height: number;
  /** frameBytes is the size of each frame (`rawFrameBytes(format, width, height)`). */
  readonly frameBytes: number;
  /** frameCount is the number of frames ffmpeg output (up to the last picked one, with `pick`). */
  readonly frameCount: number;
  /** indices are the kept frames' indices, ascending. */
  readonly indices: readonly number[];
  /** frame is frame `index`, a Uint8Array of its own (`frameBytes`); throws BAD_OPTION for one not kept. */
  frame(index: number): Uint8Array;
}

function checkSize(width: number, height: number): void {
  for (const [name, v] of [
    ["width", width],
    ["height", height],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 1 || v > 16384) {
      throw new MediaCheckError("BAD_OPTION", `${name} must be an integer 1..16384, got ${v}`);
    }
  }
}

/** probeSize asks ffprobe for the first video stream's coded picture size. */
async function probeSize(
  file: string,
  timeoutMs: number,
): Promise<{ width: number; height: number }> {
  const r = await startChild(
    "ffprobe",
    [
      ...["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height"],
      ...["-of", "csv=p=0", file],
    ],
    { timeoutMs },
  ).done;
  const m = /^(\d+),(\d+)/.exec(r.stdout.trim());
  if (r.code !== 0 || m === null) {
    throw new MediaCheckError(
      "DECODE_FAILED",
      `ffprobe found no video size in ${file}${r.timedOut ? " (deadline)" : ""}: ${r.stderr.trim()}`,
      { timedOut: r.timedOut },
    );
  }
  return { width: Number(m[1]), height: Number(m[2]) };
}

const running = new Set<number>();
let exitGuard = false;

function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // gone already
  }
}

/** streamFrames runs ffmpeg and hands each complete `frameBytes` frame to `keep` or drops it. */
function streamFrames(
  args: readonly string[],
  frameBytes: number,
  wanted: (index: number) => boolean,
  timeoutMs: number,
): Promise<{ frames: Map<number, Uint8Array>; count: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn("ffmpeg", [...args], {
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const pid = child.pid;
    if (pid !== undefined) {
      running.add(pid);
      if (!exitGuard) {
        exitGuard = true;
        process.once("exit", () => {
          for (const p of running) killGroup(p);
        });
      }
    }
    const frames = new Map<number, Uint8Array>();
    let count = 0;
    let current = new Uint8Array(frameBytes);
    let filled = 0;
    let stderr = "";
    let timedOut = false;
    let over = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      if (pid !== undefined) killGroup(pid);
    }, timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => {
      let off = 0;
      while (off < chunk.length) {
        const n = Math.min(frameBytes - filled, chunk.length - off);
        current.set(chunk.subarray(off, off + n), filled);
        filled += n;
        off += n;
        if (filled === frameBytes) {
          if (wanted(count)) {
            frames.set(count, current);
            current = new Uint8Array(frameBytes);
          }
          count++;
          filled = 0;
        }
      }
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      if (stderr.length < 64_000) stderr += d;
    });
    const fail = (message: string): void => {
      reject(new MediaCheckError("DECODE_FAILED", message, { timedOut }));
    };
    child.once("error", (error) => {
      if (over) return;
      over = true;
      clearTimeout(deadline);
      if (pid !== undefined) running.delete(pid);
      fail(`cannot run ffmpeg: ${error.message}`);
    });
    child.once("close", (code, signal) => {
      if (over) return;
      over = true;
      clearTimeout(deadline);
      if (pid !== undefined) {
        killGroup(pid);
        running.delete(pid);
      }
      const cmd = `ffmpeg ${args.join(" ")}`;
      if (timedOut) fail(`${cmd}: killed after the ${timeoutMs} ms deadline, ${count} frames read`);
      else if (code !== 0) fail(`${cmd}: exit ${code ?? signal}: ${stderr.trim()}`);
      else if (filled !== 0) fail(`${cmd}: output ends inside frame ${count} (${filled} bytes)`);
      else resolve({ frames, count });
    });
  });
}

/**
 * referenceRawFrames decodes the first video stream of `file` with the ffmpeg CLI, independently
 * of our code, to tightly packed frames of `format` (ffmpeg's `-f rawvideo -pix_fmt`, no frame
 * dropped or repeated: `-fps_mode passthrough`), scaled to `width`x`height` when given. Frames
 * are streamed; only the `pick`ed ones are kept (all by default: 300 frames of 640x360 `bgra`
 * are 276 MB). Under one hard deadline; a failure, a timeout or a truncated last frame rejects
 * with a MediaCheckError `DECODE_FAILED`, a bad option with `BAD_OPTION`.
 */
export async function referenceRawFrames(
  file: string,
  options: RawReferenceOptions,
): Promise<RawReference> {
  const { format } = options;
  const pixFmt: string | undefined = Object.hasOwn(RAW_REFERENCE_FORMATS, format)
    ? RAW_REFERENCE_FORMATS[format]
    : undefined;
  if (pixFmt === undefined) {
    throw new MediaCheckError("BAD_OPTION", `format must be one of the raw formats, got ${format}`);
  }
  if ((options.width === undefined) !== (options.height === undefined)) {
    throw new MediaCheckError("BAD_OPTION", "width and height are given both or neither");
  }
  const pick = options.pick === undefined ? undefined : new Set(options.pick);
  for (const i of pick ?? []) {
    if (!Number.isSafeInteger(i) || i < 0) {
      throw new MediaCheckError("BAD_OPTION", `pick holds frame indices >= 0, got ${i}`);
    }
  }
  const { maxFrames } = options;
  if (maxFrames !== undefined && (!Number.isSafeInteger(maxFrames) || maxFrames < 1)) {
    throw new MediaCheckError("BAD_OPTION", `maxFrames must be an integer >= 1, got ${maxFrames}`);
  }
  const timeoutMs = options.timeoutMs ?? 60_000;
  const started = Date.now();
  const size =
    options.width !== undefined && options.height !== undefined
      ? { width: options.width, height: options.height }
      : await probeSize(file, timeoutMs);
  const frameBytes = rawFrameBytes(format, size.width, size.height);
  let limit = maxFrames;
  if (pick !== undefined) {
    const last = pick.size === 0 ? 0 : Math.max(...pick) + 1;
    limit = limit === undefined ? last : Math.min(limit, last);
  }
  const args = ["-hide_banner", "-nostdin", "-v", "error"];
  if (options.swsFlags !== undefined) args.push("-sws_flags", options.swsFlags);
  args.push("-i", file, "-map", "0:v:0", "-an", "-fps_mode", "passthrough");
  if (limit !== undefined) args.push("-frames:v", String(limit));
  if (options.width !== undefined) args.push("-vf", `scale=${size.width}:${size.height}`);
  args.push("-f", "rawvideo", "-pix_fmt", pixFmt, "-");
  const remaining = Math.max(1, timeoutMs - (Date.now() - started));
  const { frames, count } =
    limit === 0
      ? { frames: new Map<number, Uint8Array>(), count: 0 }
      : await streamFrames(args, frameBytes, (i) => pick === undefined || pick.has(i), remaining);
  const indices = [...frames.keys()].sort((a, b) => a - b);
  return {
    format,
    width: size.width,
    height: size.height,
    frameBytes,
    frameCount: count,
    indices,
    frame(index: number): Uint8Array {
      const f = frames.get(index);
      if (f === undefined) {
        throw new MediaCheckError(
          "BAD_OPTION",
          `frame ${index} was not kept (kept: ${indices.length} of ${count} frames${pick === undefined ? "" : ", picked"})`,
        );
      }
      return f;
    },
  };
}
