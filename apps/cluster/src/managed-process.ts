import { type ChildProcess, spawn } from "node:child_process";
import { ClusterError } from "./errors.js";

/** ManagedProcessOptions: what to run, and where its output lines go. */
export interface ManagedProcessOptions {
  /** name prefixes its output lines ("redis", "kamailio", "n1"). */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  /** onLine receives each output line (stdout and stderr), without the prefix. */
  readonly onLine?: (name: string, line: string) => void;
}

/** MAX_KEPT_LINES bounds the output a process keeps for waitForLine and error messages. */
const MAX_KEPT_LINES = 2000;

/**
 * ManagedProcess is one real process of the cluster (redis-server, kamailio, a node), the leader
 * of its own process group (a terminal's Ctrl-C reaches the supervisor only, which stops the
 * processes in order); its output is kept (bounded) and passed on line by line.
 */
export class ManagedProcess {
  readonly name: string;
  private readonly child: ChildProcess;
  private readonly lines: string[] = [];
  private readonly waiters = new Set<() => void>();
  /** exited settles with the exit code (or the signal) once the process is gone. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private gone = false;

  constructor(options: ManagedProcessOptions) {
    this.name = options.name;
    this.child = spawn(options.command, [...options.args], {
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
    const take = (stream: NodeJS.ReadableStream | null) => {
      let rest = "";
      stream?.setEncoding("utf8");
      stream?.on("data", (chunk: string) => {
        const parts = (rest + chunk).split("\n");
        rest = parts.pop() ?? "";
        for (const line of parts) {
          this.lines.push(line);
          if (this.lines.length > MAX_KEPT_LINES) this.lines.shift();
          options.onLine?.(this.name, line);
        }
        for (const wake of this.waiters) wake();
      });
    };
    take(this.child.stdout);
    take(this.child.stderr);
    this.exited = new Promise((resolve) => {
      this.child.once("error", () => {
        this.gone = true;
        resolve({ code: -1, signal: null });
        for (const wake of this.waiters) wake();
      });
      this.child.once("exit", (code, signal) => {
        this.gone = true;
        resolve({ code, signal });
        for (const wake of this.waiters) wake();
      });
    });
  }

  /** pid of the process (undefined when it could not be started). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** running: not exited yet. */
  get running(): boolean {
    return !this.gone;
  }

  /** output is the last lines it printed. */
  output(): string {
    return this.lines.join("\n");
  }

  /**
   * waitForLine resolves with the first line matching `re` (printed before or within
   * `timeoutMs`); throws PROCESS_FAILED when the process exits or the time runs out first.
   */
  async waitForLine(re: RegExp, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find((l) => re.test(l));
      if (found !== undefined) return found;
      if (this.gone || Date.now() >= deadline) {
        throw new ClusterError(
          "PROCESS_FAILED",
          `${this.name} ${this.gone ? "exited" : "printed nothing matching"} ${re} within ${timeoutMs} ms:\n${this.output()}`,
        );
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, Math.max(1, deadline - Date.now()));
        this.waiters.add(wake);
      });
    }
  }

  /** signal sends `signal` to the process group. */
  signal(signal: NodeJS.Signals): void {
    if (this.gone || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // already gone
    }
  }

  /** stop sends `signal` (default SIGTERM), then SIGKILL after `graceMs`, and waits for the exit. */
  async stop(graceMs: number, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    if (this.gone) return;
    this.signal(signal);
    const timer = setTimeout(() => this.signal("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
