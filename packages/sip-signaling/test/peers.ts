/**
 * Harness for tests against real third-party SIP peers (SIPp), after the design of
 * packages/rtp-video/test/peers.ts: tests registered with {@link itWithPeers} skip locally
 * when a program is missing and FAIL under CI=true; every child runs in its own process
 * group with a hard SIGKILL deadline that also reaches descendants in other groups (GNU
 * `timeout` in the peer scripts moves itself out of the group).
 *
 * The shared folder sits beside the repository (`/work/shared` next to `/work/main`);
 * FRAMEWIRE_SHARED_DIR overrides it.
 */
import { spawn, spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { readdirSync, readFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { it } from "vitest";

/** sharedDir is the shared folder (FRAMEWIRE_SHARED_DIR, else `<repo>/../shared`). */
export function sharedDir(): string {
  const override = process.env.FRAMEWIRE_SHARED_DIR;
  if (override !== undefined && override !== "") return resolve(override);
  // <repo>/packages/sip-signaling/test/peers.ts -> <repo>/../shared
  return fileURLToPath(new URL("../../../../shared/", import.meta.url));
}

/** peersDir is the folder of the peer scripts. */
export function peersDir(): string {
  return join(sharedDir(), "peers");
}

/** scenarioPath is the path of one of this package's SIPp scenarios in test/sipp. */
export function scenarioPath(name: string): string {
  return fileURLToPath(new URL(`./sipp/${name}`, import.meta.url));
}

const found = new Map<string, boolean>();

function onPath(program: string): boolean {
  const cached = found.get(program);
  if (cached !== undefined) return cached;
  const r = spawnSync("sh", ["-c", 'command -v "$1" >/dev/null 2>&1', "sh", program], {
    stdio: "ignore",
    timeout: 5_000,
  });
  found.set(program, r.status === 0);
  return r.status === 0;
}

/** missingPeers returns the programs of `names` not on the PATH. */
export function missingPeers(names: readonly string[]): string[] {
  return names.filter((name) => !onPath(name));
}

/** PeerTest registers a test with `it`'s (name, fn, timeout) signature. */
export type PeerTest = (name: string, fn: () => Promise<void> | void, timeoutMs?: number) => void;

/**
 * itWithPeers returns `it` when every program is present; otherwise a test that FAILS
 * naming the missing programs when CI === "true", else `it.skip`.
 */
export function itWithPeers(programs: readonly string[]): PeerTest {
  const missing = missingPeers(programs);
  if (missing.length === 0) return (name, fn, timeoutMs) => it(name, fn, timeoutMs);
  const why = `missing peer program(s): ${missing.join(", ")}`;
  if (process.env.CI === "true") {
    return (name, _fn, timeoutMs) =>
      it(
        name,
        () => {
          throw new Error(`${why} (required in CI; see <shared>/peers/README.md)`);
        },
        timeoutMs,
      );
  }
  return (name, fn, timeoutMs) => it.skip(`${name} [${why}]`, fn, timeoutMs);
}

/** ProcessResult is how a child process ended, with its output. */
export interface ProcessResult {
  /** code is the exit code, null when a signal ended the process. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** timedOut is true when the deadline fired and the tree was SIGKILLed. */
  readonly timedOut: boolean;
}

/** RunningProcess is a started child in its own process group. */
export interface RunningProcess {
  readonly pid: number | undefined;
  /** done settles when the process has exited (never rejects on a non-zero exit). */
  readonly done: Promise<ProcessResult>;
  /** kill signals the process group and all descendants (default SIGKILL). */
  kill(signal?: NodeJS.Signals): void;
}

/** ProcessOptions bound and configure a child. */
export interface ProcessOptions {
  /** timeoutMs is the hard deadline (default 60 000 ms). */
  readonly timeoutMs?: number;
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
}

const live = new Set<number>();
let exitHook = false;

/** Pids of every descendant of `pid` (from /proc; empty where there is none). */
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
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // the process went away meanwhile
    }
  }
  const out: number[] = [];
  const stack = [pid];
  for (let p = stack.pop(); p !== undefined; p = stack.pop()) {
    for (const child of children.get(p) ?? []) {
      out.push(child);
      stack.push(child);
    }
  }
  return out;
}

/** Signals the group led by `pid` and every descendant of `pid`. */
function killTree(pid: number, signal: NodeJS.Signals): void {
  const tree = descendants(pid);
  try {
    process.kill(-pid, signal);
  } catch {
    // group gone
  }
  for (const p of tree) {
    try {
      process.kill(p, signal);
    } catch {
      // gone
    }
  }
}

/** startProcess spawns `command args` in a new process group with a hard deadline. */
export function startProcess(
  command: string,
  args: readonly string[],
  options: ProcessOptions = {},
): RunningProcess {
  const child = spawn(command, args, {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...options.env },
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  const pid = child.pid;
  if (pid !== undefined) {
    live.add(pid);
    if (!exitHook) {
      exitHook = true;
      process.once("exit", () => {
        for (const p of live) killTree(p, "SIGKILL");
      });
    }
  }
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  let settled = false;
  let timedOut = false;
  const kill = (signal: NodeJS.Signals = "SIGKILL"): void => {
    if (pid !== undefined && !settled) killTree(pid, signal);
  };
  const done = new Promise<ProcessResult>((resolvePromise, rejectPromise) => {
    let grace: NodeJS.Timeout | undefined;
    const deadline = setTimeout(() => {
      timedOut = true;
      kill("SIGKILL");
    }, options.timeoutMs ?? 60_000);
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (settled) return;
      if (pid !== undefined) killTree(pid, "SIGKILL"); // reap strays of the group
      settled = true;
      clearTimeout(deadline);
      if (grace !== undefined) clearTimeout(grace);
      if (pid !== undefined) live.delete(pid);
      resolvePromise({ code, signal, stdout, stderr, timedOut });
    };
    child.once("error", (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (pid !== undefined) live.delete(pid);
      rejectPromise(new Error(`cannot run ${command}: ${error.message}`));
    });
    child.once("exit", (code, signal) => {
      // A descendant may keep the pipes open: do not wait for it for ever.
      grace = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish(code, signal);
      }, 2_000);
    });
    child.once("close", (code, signal) => finish(code, signal));
  });
  return { pid, done, kill };
}

/** startScript runs `bash <peers>/<script> ...args` without waiting. */
export function startScript(
  script: string,
  args: readonly string[],
  options: ProcessOptions = {},
): RunningProcess {
  const path = isAbsolute(script) ? script : join(peersDir(), script);
  return startProcess("bash", [path, ...args], options);
}

/** freeUdpPorts returns `count` consecutive free UDP ports on 127.0.0.1 (checked, then released). */
export async function freeUdpPorts(count = 1, attempts = 50): Promise<number> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    const base = 20_000 + 2 * Math.floor(Math.random() * 10_000);
    const sockets = await Promise.all(Array.from({ length: count }, (_, i) => bindProbe(base + i)));
    await Promise.all(
      sockets.map((s) =>
        s === undefined ? Promise.resolve() : new Promise<void>((r) => s.close(() => r())),
      ),
    );
    if (sockets.every((s) => s !== undefined)) return base;
  }
  throw new Error(`no ${count} free UDP ports on 127.0.0.1 after ${attempts} attempts`);
}

function bindProbe(port: number): Promise<ReturnType<typeof createSocket> | undefined> {
  return new Promise((resolvePromise) => {
    const socket = createSocket("udp4");
    socket.once("error", () => {
      socket.close();
      resolvePromise(undefined);
    });
    socket.bind({ port, address: "127.0.0.1", exclusive: true }, () => resolvePromise(socket));
  });
}

/** sleep waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolvePromise) => setTimeout(resolvePromise, ms));
}
