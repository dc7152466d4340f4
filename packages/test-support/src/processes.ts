// Bounded child processes: each the leader of its own group, under a hard SIGKILL deadline that
// reaches its whole tree, and killed when the test process exits.
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { onCleanup } from "./cleanup.js";
import { peersDir } from "./peer-test.js";

/** Finished is how a child ended and what it printed. */
export interface Finished {
  /** code is the exit status; null when a signal ended it. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** timedOut: the hard deadline fired and the tree was SIGKILLed. */
  readonly timedOut: boolean;
}

/** Child is a started process (leader of its own group). */
export interface Child {
  readonly pid: number | undefined;
  /** done settles once the child has exited; it never rejects for a non-zero status. */
  readonly done: Promise<Finished>;
  /** kill signals the child's group and every descendant (SIGKILL by default). */
  kill(signal?: NodeJS.Signals): void;
  /** output is what the child printed so far. */
  output(): { readonly stdout: string; readonly stderr: string };
}

/** ChildOptions: extra environment, working folder, hard deadline (default 60 s). */
export interface ChildOptions {
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly timeoutMs?: number;
}

const leaders = new Set<number>();
let exitGuard = false;

/** treeOf lists every descendant pid of `root` (read from /proc/<pid>/stat). */
function treeOf(root: number): number[] {
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return [];
  }
  const kids = new Map<number, number[]>();
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid ...": comm may hold spaces or parentheses
    const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    const list = kids.get(parent);
    if (list === undefined) kids.set(parent, [Number(name)]);
    else list.push(Number(name));
  }
  const found: number[] = [];
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    for (const kid of kids.get(pid) ?? []) {
      found.push(kid);
      todo.push(kid);
    }
  }
  return found;
}

/** signalTree signals the group led by `leader` and each of its descendants by pid. */
function signalTree(leader: number, signal: NodeJS.Signals): void {
  const tree = treeOf(leader);
  try {
    process.kill(-leader, signal);
  } catch {
    // the group is gone
  }
  for (const pid of tree) {
    try {
      process.kill(pid, signal);
    } catch {
      // gone
    }
  }
}

/** startChild spawns `command args` as the leader of a new group, under a hard deadline. */
export function startChild(
  command: string,
  args: readonly string[],
  options: ChildOptions = {},
): Child {
  const child: ChildProcess = spawn(command, [...args], {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...options.env },
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  const pid = child.pid;
  if (pid !== undefined) {
    leaders.add(pid);
    if (!exitGuard) {
      exitGuard = true;
      process.once("exit", () => {
        for (const leader of leaders) signalTree(leader, "SIGKILL");
      });
    }
  }
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
  });
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  let over = false;
  let timedOut = false;
  const kill = (signal: NodeJS.Signals = "SIGKILL"): void => {
    if (pid !== undefined && !over) signalTree(pid, signal);
  };
  const done = new Promise<Finished>((resolveDone, rejectDone) => {
    let grace: NodeJS.Timeout | undefined;
    const deadline = setTimeout(() => {
      timedOut = true;
      kill("SIGKILL");
    }, options.timeoutMs ?? 60_000);
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (over) return;
      if (pid !== undefined) signalTree(pid, "SIGKILL"); // nothing of the group outlives it
      over = true;
      clearTimeout(deadline);
      if (grace !== undefined) clearTimeout(grace);
      if (pid !== undefined) leaders.delete(pid);
      resolveDone({ code, signal, stdout, stderr, timedOut });
    };
    child.once("error", (error) => {
      if (over) return;
      over = true;
      clearTimeout(deadline);
      if (pid !== undefined) leaders.delete(pid);
      rejectDone(new Error(`cannot run ${command}: ${error.message}`));
    });
    child.once("exit", (code, signal) => {
      // a descendant may hold the pipes open: do not wait for it for ever
      grace = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish(code, signal);
      }, 2_000);
    });
    child.once("close", (code, signal) => finish(code, signal));
  });
  return { pid, done, kill, output: () => ({ stdout, stderr }) };
}

/** killAtCleanup has `child` killed at cleanup (`runCleanups`) and returns it. */
export function killAtCleanup<C extends Child>(child: C): C {
  onCleanup(() => child.kill());
  return child;
}

/**
 * startScript runs `bash <peers>/<script> args` (an absolute `script` as it is), not waited for;
 * the child is killed at cleanup (`runCleanups`), and at exit if still running.
 */
export function startScript(
  script: string,
  args: readonly string[],
  options: ChildOptions = {},
): Child {
  const path = isAbsolute(script) ? script : join(peersDir(), script);
  return killAtCleanup(startChild("bash", [path, ...args], options));
}

/** runScript runs `bash <peers>/<script> args` to its end (bounded by `options.timeoutMs`). */
export function runScript(
  script: string,
  args: readonly string[],
  options: ChildOptions = {},
): Promise<Finished> {
  return startScript(script, args, options).done;
}
