/**
 * Helpers for tests against real third-party peers (FFmpeg, GStreamer, ...) driven by the
 * repository's peer scripts (`tools/peers`); fixtures from `fixtures/`.
 *
 * The process machinery is @framewire/test-support/peers: every child runs in its own process
 * group under a hard SIGKILL deadline that reaches its descendants, and `itWithPeers` fails
 * under CI=true when a program is missing. This module keeps what only these tests use.
 */
import { createSocket, type Socket } from "node:dgram";
import { isAbsolute, join } from "node:path";
import {
  type Child,
  type ChildOptions,
  type Finished,
  peersDir,
  startChild,
} from "@framewire/test-support/peers";

/** Alias of itWithPeers. */
export { fixture } from "@framewire/test-support/fixtures";
export {
  itWithPeers,
  itWithPeers as peerTest,
  type PeerTest,
  peersDir,
  sleep,
  waitForText,
} from "@framewire/test-support/peers";

export type RunResult = Finished;
export type RunOptions = ChildOptions;
export type RunningProcess = Child;

/** startProcess spawns `command args` in a new process group with a hard SIGKILL deadline. */
export function startProcess(
  command: string,
  args: string[],
  opts: RunOptions = {},
): RunningProcess {
  return startChild(command, args, opts);
}

/**
 * Starts `bash <peers>/<script> ...args` without waiting (for receivers that must be listening
 * before the sender starts).
 */
export function startScript(script: string, args: string[], opts: RunOptions = {}): RunningProcess {
  return startChild(
    "bash",
    [isAbsolute(script) ? script : join(peersDir(), script), ...args],
    opts,
  );
}

/** Runs `bash <peers>/<script> ...args` to completion (bounded by opts.timeoutMs). */
export function runScript(
  script: string,
  args: string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  return startScript(script, args, opts).done;
}

// ---------------------------------------------------------------------------
// Output parsing

/** Parses `key=value key=value ...` (whitespace separated; tokens without `=` are ignored). */
export function parseKv(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const token of line.trim().split(/\s+/)) {
    const eq = token.indexOf("=");
    if (eq <= 0) continue;
    out[token.slice(0, eq)] = token.slice(eq + 1);
  }
  return out;
}

/** Parses the last line of `text` that contains `key=` (undefined if none). */
export function findKvLine(text: string, key: string): Record<string, string> | undefined {
  const lines = text
    .split(/\r?\n/)
    .filter((l) => l.split(/\s+/).some((t) => t.startsWith(`${key}=`)));
  const last = lines.at(-1);
  return last === undefined ? undefined : parseKv(last);
}

// ---------------------------------------------------------------------------
// Ports

function bindUdp(port: number): Promise<Socket | undefined> {
  return new Promise((resolvePromise) => {
    const sock = createSocket({ type: "udp4", reuseAddr: false });
    sock.once("error", () => {
      sock.close();
      resolvePromise(undefined);
    });
    sock.bind({ port, address: "127.0.0.1", exclusive: true }, () => resolvePromise(sock));
  });
}

function closeSocket(sock: Socket | undefined): Promise<void> {
  return new Promise((resolvePromise) => {
    if (sock === undefined) {
      resolvePromise();
      return;
    }
    sock.close(() => resolvePromise());
  });
}

/**
 * Returns an even port P in [20000, 40000) such that P and P+1 (RTP + RTCP)
 * could both be bound on 127.0.0.1 (checked by binding, then released).
 */
export async function freeUdpPortPair(maxAttempts = 50): Promise<number> {
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const port = 20000 + 2 * Math.floor(Math.random() * 10000);
    const a = await bindUdp(port);
    const b = a === undefined ? undefined : await bindUdp(port + 1);
    await closeSocket(a);
    await closeSocket(b);
    if (a !== undefined && b !== undefined) return port;
  }
  throw new Error(`no free UDP port pair on 127.0.0.1 after ${maxAttempts} attempts`);
}

// ---------------------------------------------------------------------------
// FFmpeg decode check

export interface DecodeCheckResult {
  /** Decoded frames (data lines of FFmpeg's framecrc output). */
  frames: number;
  /** Error lines FFmpeg logged at level error or worse. */
  errors: number;
  /** FFmpeg's stderr. */
  log: string;
  /** The framecrc data lines (`stream, dts, pts, duration, size, crc`). */
  crcLines: string[];
  code: number | null;
  timedOut: boolean;
}

/**
 * Decodes FILE with `ffmpeg -hide_banner -nostdin -v error -i FILE -f framecrc -`
 * (FFmpeg's default -err_detect unless opts.errDetect is given) and counts the
 * decoded frames and the error lines. Bounded by opts.timeoutMs (default 30 s).
 */
export async function ffmpegDecodeCheck(
  file: string,
  opts: { timeoutMs?: number; errDetect?: string } = {},
): Promise<DecodeCheckResult> {
  const args = ["-hide_banner", "-nostdin", "-v", "error"];
  if (opts.errDetect !== undefined) args.push("-err_detect", opts.errDetect);
  args.push("-i", file, "-f", "framecrc", "-");
  const r = await startProcess("ffmpeg", args, { timeoutMs: opts.timeoutMs ?? 30_000 }).done;
  const crcLines = r.stdout.split(/\r?\n/).filter((l) => l.trim() !== "" && !l.startsWith("#"));
  const errorLines = r.stderr.split(/\r?\n/).filter((l) => l.trim() !== "");
  // A failed run with nothing logged (crash, deadline) still counts as an error.
  const errors = errorLines.length + (r.code !== 0 && errorLines.length === 0 ? 1 : 0);
  const log = r.timedOut ? `${r.stderr}[ffmpegDecodeCheck: killed after the deadline]\n` : r.stderr;
  return { frames: crcLines.length, errors, log, crcLines, code: r.code, timedOut: r.timedOut };
}
