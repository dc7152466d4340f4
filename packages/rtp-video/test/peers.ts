/**
 * Helpers for tests against real third-party peers (FFmpeg, GStreamer, ...)
 * driven by the scripts in the shared peers folder (`<shared>/peers`).
 *
 * The shared folder sits beside the repository (`/work/shared` next to
 * `/work/main`); set FRAMEWIRE_SHARED_DIR to point elsewhere.
 *
 * Every child process is spawned in its own process group with a hard SIGKILL
 * deadline (group + all descendants), so no test can hang on a stuck peer.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { readdirSync, readFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { it } from "vitest";

// ---------------------------------------------------------------------------
// Paths

/** The shared folder (FRAMEWIRE_SHARED_DIR, else `../../../shared` from the package). */
export function sharedDir(): string {
  const override = process.env.FRAMEWIRE_SHARED_DIR;
  if (override !== undefined && override !== "") return resolve(override);
  // this file: <repo>/packages/rtp-video/test/peers.ts -> <repo>/../shared
  return fileURLToPath(new URL("../../../../shared/", import.meta.url));
}

/** The folder holding the peer scripts. */
export function peersDir(): string {
  return join(sharedDir(), "peers");
}

/** Path of a fixture file in `<peers>/fixtures`. */
export function fixture(name: string): string {
  return join(peersDir(), "fixtures", name);
}

// ---------------------------------------------------------------------------
// Peer availability

const commandCache = new Map<string, boolean>();

function commandExists(name: string): boolean {
  const cached = commandCache.get(name);
  if (cached !== undefined) return cached;
  const r = spawnSync("bash", ["-c", 'command -v -- "$1" >/dev/null 2>&1', "bash", name], {
    stdio: "ignore",
    timeout: 5_000,
  });
  const found = r.status === 0;
  commandCache.set(name, found);
  return found;
}

/** Checks (with `command -v`) that every named program is on the PATH. */
export function requirePeers(names: string[]): { available: boolean; missing: string[] } {
  const missing = names.filter((n) => !commandExists(n));
  return { available: missing.length === 0, missing };
}

export type PeerTestFn = () => unknown;
export type PeerTest = (name: string, fn: PeerTestFn, timeout?: number) => void;

/**
 * Returns a test registrar with `it`'s (name, fn, timeout) signature:
 * - all peers present: a normal `it`;
 * - some missing and CI === "true": a test that fails naming the missing programs
 *   (real-peer tests never silently skip in CI);
 * - otherwise: `it.skip`.
 */
export function itWithPeers(peers: string[]): PeerTest {
  const { available, missing } = requirePeers(peers);
  if (available) {
    return (name, fn, timeout) => {
      it(
        name,
        async () => {
          await fn();
        },
        timeout,
      );
    };
  }
  const what = `missing peer program(s): ${missing.join(", ")}`;
  if (process.env.CI === "true") {
    return (name, _fn, timeout) => {
      it(
        name,
        () => {
          throw new Error(`${what} (required in CI; install them, see <shared>/peers/README.md)`);
        },
        timeout,
      );
    };
  }
  return (name, fn, timeout) => {
    it.skip(
      `${name} [${what}]`,
      async () => {
        await fn();
      },
      timeout,
    );
  };
}

/** Alias of {@link itWithPeers}. */
export const peerTest = itWithPeers;

// ---------------------------------------------------------------------------
// Bounded child processes

export interface RunResult {
  /** Exit code, or null when the process was ended by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when the hard deadline fired and the process tree was SIGKILLed. */
  timedOut: boolean;
}

export interface RunOptions {
  /** Extra environment variables (merged over process.env). */
  env?: Record<string, string>;
  /** Hard deadline after which the whole process tree is SIGKILLed (default 60 s). */
  timeoutMs?: number;
  cwd?: string;
}

export interface RunningProcess {
  readonly pid: number | undefined;
  /** Settles when the process has exited (never rejects for a non-zero exit). */
  done: Promise<RunResult>;
  /** Signals the process group and every descendant (default SIGKILL). */
  kill(signal?: NodeJS.Signals): void;
}

const DEFAULT_TIMEOUT_MS = 60_000;
/** After the main process exited, how long to wait for its pipes to close. */
const PIPE_GRACE_MS = 2_000;

const liveGroups = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const pid of liveGroups) killTree(pid, "SIGKILL");
  });
}

/** Pids of all descendants of `pid` (Linux /proc; empty elsewhere). */
function descendants(pid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const children = new Map<number, number[]>();
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue;
    }
    // "pid (comm) state ppid ..." (comm may contain spaces and parentheses)
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ppid = Number(fields[1]);
    const list = children.get(ppid);
    if (list === undefined) children.set(ppid, [Number(entry)]);
    else list.push(Number(entry));
  }
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    for (const c of children.get(p) ?? []) {
      out.push(c);
      stack.push(c);
    }
  }
  return out;
}

/**
 * Signals the process group `pid` and every descendant. Descendants matter:
 * GNU `timeout` (used by the peer scripts) moves itself into its own process
 * group, so signalling the group alone would leave it and its child running.
 */
function killTree(pid: number, signal: NodeJS.Signals): void {
  const tree = descendants(pid);
  try {
    process.kill(-pid, signal);
  } catch {
    // group already gone
  }
  for (const p of tree) {
    try {
      process.kill(p, signal);
    } catch {
      // already gone
    }
  }
}

/** Spawns `command args` in a new process group with a hard SIGKILL deadline. */
export function startProcess(
  command: string,
  args: string[],
  opts: RunOptions = {},
): RunningProcess {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const child: ChildProcess = spawn(command, args, {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...opts.env },
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
  });
  const pid = child.pid;
  if (pid !== undefined) {
    liveGroups.add(pid);
    installExitHook();
  }
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8");
  child.stderr?.setEncoding("utf8");
  child.stdout?.on("data", (d: string) => {
    stdout += d;
  });
  child.stderr?.on("data", (d: string) => {
    stderr += d;
  });

  let timedOut = false;
  let settled = false;
  const kill = (signal: NodeJS.Signals = "SIGKILL"): void => {
    // After settling, the group has already been reaped (see finish()).
    if (pid === undefined || settled) return;
    killTree(pid, signal);
  };

  const done = new Promise<RunResult>((resolvePromise, rejectPromise) => {
    let graceTimer: NodeJS.Timeout | undefined;
    const deadline = setTimeout(() => {
      timedOut = true;
      kill("SIGKILL");
    }, timeoutMs);
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (graceTimer !== undefined) clearTimeout(graceTimer);
      if (pid !== undefined) {
        // Reap anything still running in the group (e.g. a stray background job).
        killTree(pid, "SIGKILL");
        liveGroups.delete(pid);
      }
      resolvePromise({ code, signal, stdout, stderr, timedOut });
    };
    child.once("error", (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (pid !== undefined) liveGroups.delete(pid);
      rejectPromise(new Error(`cannot run ${command}: ${err.message}`));
    });
    child.once("exit", (code, signal) => {
      // A descendant may still hold stdout/stderr open: do not wait for it forever.
      graceTimer = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish(code, signal);
      }, PIPE_GRACE_MS);
    });
    child.once("close", (code, signal) => finish(code, signal));
  });

  return { pid, done, kill };
}

function scriptPath(script: string): string {
  return isAbsolute(script) ? script : join(peersDir(), script);
}

/**
 * Starts `bash <peers>/<script> ...args` without waiting (for receivers that
 * must be listening before the sender starts).
 */
export function startScript(script: string, args: string[], opts: RunOptions = {}): RunningProcess {
  return startProcess("bash", [scriptPath(script), ...args], opts);
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

/**
 * Polls the file at `path` until it contains `text` (e.g. a receiver's log line
 * saying it is listening). Resolves true when found, false after `timeoutMs`.
 */
export async function waitForText(
  path: string,
  text: string,
  timeoutMs = 10_000,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (readFileSync(path, "utf8").includes(text)) return true;
    } catch {
      // not created yet
    }
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolvePromise) => setTimeout(resolvePromise, ms));
}
