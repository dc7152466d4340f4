/**
 * Media helpers for test/backend-peers.test.ts: H.264 access-unit splitting, IVF (VP8) reading
 * and writing, G.711 μ-law decoding, WAV parsing, a drift-free pacer, and a gst-launch runner
 * that logs to a file (so a test can wait until the pipeline is PLAYING) and stops on one SIGINT.
 */
import { readFileSync } from "node:fs";
import { joinAnnexB, splitAnnexB } from "../src/index.js";
import { type RunningProcess, sleep, startProcess } from "./peers.js";

// ---------------------------------------------------------------------------
// H.264 access units

/**
 * h264AccessUnits groups the NAL units of an Annex-B stream into access units (H.264
 * §7.4.1.2.3, as x264 writes them): after a slice of the current access unit, an AUD, SEI, SPS
 * or PPS, or a slice with first_mb_in_slice = 0 (ue(v) "1": the top bit after the NAL header),
 * opens the next one. Each access unit is re-joined to Annex-B; `idr` flags those with an IDR.
 */
export function h264AccessUnits(stream: Uint8Array): { units: Uint8Array[]; idr: boolean[] } {
  const groups: Uint8Array[][] = [];
  let group: Uint8Array[] = [];
  let sliceSeen = false;
  for (const nal of splitAnnexB(stream)) {
    const type = nal[0]! & 0x1f;
    const slice = type === 1 || type === 5;
    const opens = slice ? nal.length > 1 && (nal[1]! & 0x80) !== 0 : type >= 6 && type <= 9;
    if (opens && sliceSeen) {
      groups.push(group);
      group = [];
      sliceSeen = false;
    }
    group.push(nal);
    sliceSeen ||= slice;
  }
  if (group.length > 0) groups.push(group);
  return {
    units: groups.map((g) => joinAnnexB(g)),
    idr: groups.map((g) => g.some((n) => (n[0]! & 0x1f) === 5)),
  };
}

// ---------------------------------------------------------------------------
// IVF (the libvpx test container): 32-byte file header, 12-byte frame headers, little endian

export interface IvfFile {
  readonly fourcc: string;
  readonly width: number;
  readonly height: number;
  readonly timebaseDen: number;
  readonly timebaseNum: number;
  readonly frames: { readonly data: Uint8Array; readonly pts: bigint }[];
}

/** readIvf parses an IVF file; throws on a bad signature or a truncated frame. */
export function readIvf(path: string): IvfFile {
  const b = readFileSync(path);
  if (b.length < 32 || b.toString("latin1", 0, 4) !== "DKIF") throw new Error(`${path}: not IVF`);
  const headerSize = b.readUInt16LE(6);
  const frames: { data: Uint8Array; pts: bigint }[] = [];
  let off = headerSize;
  while (off < b.length) {
    if (off + 12 > b.length) throw new Error(`${path}: truncated frame header at ${off}`);
    const size = b.readUInt32LE(off);
    const pts = b.readBigUInt64LE(off + 4);
    off += 12;
    if (off + size > b.length) throw new Error(`${path}: truncated frame at ${off}`);
    frames.push({ data: new Uint8Array(b.subarray(off, off + size)), pts });
    off += size;
  }
  return {
    fourcc: b.toString("latin1", 8, 12),
    width: b.readUInt16LE(12),
    height: b.readUInt16LE(14),
    timebaseDen: b.readUInt32LE(16),
    timebaseNum: b.readUInt32LE(20),
    frames,
  };
}

/**
 * ivfBytes writes an IVF file: fourcc, size, a 1/1000 time base (pts in ms, which must increase)
 * and the frames in order.
 */
export function ivfBytes(
  fourcc: string,
  width: number,
  height: number,
  frames: readonly { readonly data: Uint8Array; readonly ptsMs: number }[],
): Buffer {
  const header = Buffer.alloc(32);
  header.write("DKIF", 0, "latin1");
  header.writeUInt16LE(0, 4); // version
  header.writeUInt16LE(32, 6); // header size
  header.write(fourcc, 8, "latin1");
  header.writeUInt16LE(width, 12);
  header.writeUInt16LE(height, 14);
  header.writeUInt32LE(1000, 16); // time base denominator
  header.writeUInt32LE(1, 20); // time base numerator
  header.writeUInt32LE(frames.length, 24);
  const parts: Buffer[] = [header];
  for (const f of frames) {
    const h = Buffer.alloc(12);
    h.writeUInt32LE(f.data.length, 0);
    h.writeBigUInt64LE(BigInt(Math.round(f.ptsMs)), 4);
    parts.push(h, Buffer.from(f.data.buffer, f.data.byteOffset, f.data.length));
  }
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------
// Audio

/** ulawToLinear decodes one G.711 μ-law byte to a 16-bit sample (ITU-T G.711 table). */
export function ulawToLinear(byte: number): number {
  const u = ~byte & 0xff;
  const exponent = (u >> 4) & 0x07;
  const magnitude = ((((u & 0x0f) << 3) + 0x84) << exponent) - 0x84;
  return (u & 0x80) !== 0 ? -magnitude : magnitude;
}

export interface WavInfo {
  readonly format: number;
  readonly channels: number;
  readonly sampleRate: number;
  readonly bitsPerSample: number;
  /** dataBytes as the data chunk header says. */
  readonly dataBytes: number;
  /** data is the data chunk (clipped to the file). */
  readonly data: Buffer;
  /** durationS from the data chunk's size. */
  readonly durationS: number;
}

/** readWav parses the RIFF chunks of a WAV file (fmt and data). */
export function readWav(path: string): WavInfo {
  const b = readFileSync(path);
  if (b.toString("latin1", 0, 4) !== "RIFF" || b.toString("latin1", 8, 12) !== "WAVE") {
    throw new Error(`${path}: not a RIFF/WAVE file (${b.length} bytes)`);
  }
  let fmt: { format: number; channels: number; sampleRate: number; bits: number } | undefined;
  let off = 12;
  while (off + 8 <= b.length) {
    const id = b.toString("latin1", off, off + 4);
    const size = b.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === "fmt ") {
      fmt = {
        format: b.readUInt16LE(body),
        channels: b.readUInt16LE(body + 2),
        sampleRate: b.readUInt32LE(body + 4),
        bits: b.readUInt16LE(body + 14),
      };
    } else if (id === "data") {
      if (fmt === undefined) throw new Error(`${path}: data before fmt`);
      const data = b.subarray(body, Math.min(b.length, body + size));
      return {
        format: fmt.format,
        channels: fmt.channels,
        sampleRate: fmt.sampleRate,
        bitsPerSample: fmt.bits,
        dataBytes: size,
        data,
        durationS: size / (fmt.sampleRate * fmt.channels * (fmt.bits / 8)),
      };
    }
    off = body + size + (size & 1);
  }
  throw new Error(`${path}: no data chunk`);
}

// ---------------------------------------------------------------------------
// Pacing

export interface PacedResult {
  /** count of steps run. */
  readonly steps: number;
  readonly durationMs: number;
  /** maxLateMs is the largest delay of a step behind its schedule (timer jitter). */
  readonly maxLateMs: number;
}

/**
 * paced runs step(i) at t0 + i * intervalMs for i in [0, count) (drift-free: each wait comes from
 * the schedule). Throws once deadlineMs has elapsed, so it is bounded.
 */
export async function paced(
  count: number,
  intervalMs: number,
  deadlineMs: number,
  step: (i: number) => void,
): Promise<PacedResult> {
  const t0 = performance.now();
  let maxLateMs = 0;
  for (let i = 0; i < count; i++) {
    const due = t0 + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const now = performance.now();
    if (now - t0 > deadlineMs) throw new Error(`paced run exceeded ${deadlineMs} ms at step ${i}`);
    maxLateMs = Math.max(maxLateMs, now - due);
    step(i);
  }
  return { steps: count, durationMs: performance.now() - t0, maxLateMs };
}

/** settle waits until `count()` has not changed for quietMs (bounded by maxMs). */
export async function settle(count: () => number, quietMs = 300, maxMs = 3_000): Promise<void> {
  const t0 = Date.now();
  let last = count();
  let since = Date.now();
  while (Date.now() - t0 < maxMs) {
    await sleep(50);
    const now = count();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      return;
    }
  }
}

// ---------------------------------------------------------------------------
// gst-launch-1.0

export interface GstRun {
  readonly proc: RunningProcess;
  /** log is the file gst-launch's stdout and stderr go to. */
  readonly log: string;
}

/**
 * startGst runs `gst-launch-1.0 -e -v ARGS` in its own process group with GST_DEBUG=*:2 (so
 * WARN/ERROR debug lines can be counted), its output in `log`, under a hard deadline. `-e`
 * turns a SIGINT into an EOS, so muxers finish their files.
 */
export function startGst(args: string[], log: string, timeoutMs: number): GstRun {
  const proc = startProcess(
    "bash",
    ["-c", 'exec "$@" >"$GST_LOG" 2>&1', "bash", "gst-launch-1.0", "-e", "-v", ...args],
    {
      timeoutMs,
      env: { GST_LOG: log, GST_DEBUG: "*:2", GST_DEBUG_NO_COLOR: "1" },
    },
  );
  return { proc, log };
}

export interface GstLogSummary {
  /** chains of the fakesink named "frames" (one per decoded frame). */
  readonly framesDecoded: number;
  readonly warnings: number;
  readonly errors: number;
  /** warningLines are the WARN/WARNING lines themselves. */
  readonly warningLines: string[];
  readonly text: string;
}

/** summarizeGstLog counts what gst-recv-*.sh count, the same way. */
export function summarizeGstLog(log: string): GstLogSummary {
  let text = "";
  try {
    text = readFileSync(log, "utf8");
  } catch {
    // no log
  }
  const lines = text.split(/\r?\n/);
  const warningLines = lines.filter((l) => l.includes(" WARN ") || l.startsWith("WARNING"));
  return {
    framesDecoded: lines.filter((l) => l.includes("frames: last-message = chain")).length,
    warnings: warningLines.length,
    errors: lines.filter((l) => l.includes(" ERROR ") || l.startsWith("ERROR")).length,
    warningLines,
    text,
  };
}

// ---------------------------------------------------------------------------
// Encoders' own logs

/**
 * x264Summary reads libx264's end-of-encode summary ("frame I:4 Avg QP..." and "frame P:116
 * ...") from a log: the number of I and P frames it encoded. Undefined when absent.
 */
export function x264Summary(log: string): { i: number; p: number } | undefined {
  const i = /frame I:\s*(\d+)/.exec(log);
  const p = /frame P:\s*(\d+)/.exec(log);
  if (i === null) return undefined;
  return { i: Number(i[1]), p: p === null ? 0 : Number(p[1]) };
}

/**
 * vpxEncodedFrames reads GStreamer vpxenc's DEBUG lines "packet SIZE type 0" (one per
 * compressed frame libvpx hands out, VPX_CODEC_CX_FRAME_PKT): the frame sizes, in order.
 */
export function vpxEncodedFrames(log: string): number[] {
  return [...log.matchAll(/gst_vpx_enc_process:.* packet (\d+) type 0\b/g)].map((m) =>
    Number(m[1]),
  );
}
