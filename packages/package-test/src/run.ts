// Child processes of the package test: run a command, capture its output, bound its time.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { WORKSPACE_ROOT } from "./workspace.js";

/** RunResult is how a command ended and what it printed. */
export interface RunResult {
  readonly command: string;
  /** code is the exit code; null when the command was killed (see `timedOut`). */
  readonly code: number | null;
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

/** RunOptions say where a command runs, with which environment and for how long at most. */
export interface RunOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}

/** run runs `file args` without a shell and resolves once it exits or its time is up. */
export function run(
  file: string,
  args: readonly string[],
  options: RunOptions,
): Promise<RunResult> {
  const command = [file, ...args].join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, options.timeoutMs ?? 120_000);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ command, code, timedOut, stdout, stderr });
    });
  });
}

/** describeRun formats a result for an assertion message: the command, its end and its output. */
export function describeRun(r: RunResult): string {
  const end = r.timedOut ? "killed after its timeout" : `exit code ${r.code}`;
  return `${r.command}: ${end}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
}

/**
 * userEnv is the environment of a user's shell: this process's environment without what pnpm,
 * npm scripts and vitest add (`npm_*`, `pnpm_*`, `NODE_PATH`, `NODE_OPTIONS`, `VITEST*`), which
 * would otherwise reach npm as configuration and make it warn.
 */
export function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|pnpm_|vitest)/i.test(key)) continue;
    if (["NODE_PATH", "NODE_OPTIONS", "INIT_CWD", "NODE_ENV", "TEST", "PNPM_HOME"].includes(key))
      continue;
    env[key] = value;
  }
  // node-av's postinstall fetches an ffmpeg CLI that @framewire/media never uses (it runs FFmpeg
  // in-process); a user skips it the same way (see packages/media/README.md)
  env.SKIP_FFMPEG = "true";
  return env;
}

/**
 * pnpmCommand is how to run the workspace's pnpm: the one running this script, else the one
 * scripts/bootstrap.sh installs into .tools/, else `pnpm` on PATH.
 */
export function pnpmCommand(): { file: string; args: string[] } {
  const execPath = process.env.npm_execpath;
  if (execPath !== undefined && /pnpm/.test(execPath) && /\.c?js$/.test(execPath))
    return { file: process.execPath, args: [execPath] };
  const tools = join(WORKSPACE_ROOT, ".tools", "node_modules", ".bin", "pnpm");
  return { file: existsSync(tools) ? tools : "pnpm", args: [] };
}
