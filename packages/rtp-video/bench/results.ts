// Results file of a benchmark: its rows of the summary table, written as JSON to
// <package>/.bench-results/<bench>.json (gitignored). After `pnpm bench`, scripts/bench-table.mjs
// at the repository root prints the rows of every package as the table that opens BENCHMARKS.md.
// A copy of this file is packages/video-bridge/bench/results.ts (each package's bench stands alone).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** BenchValue is one measured figure; `value` null means "not measured" (`missing` says why). */
export interface BenchValue {
  readonly value: number | null;
  /** unit of `value`: "pkt/s", "pkt/CPU-s", "µs", "ms", "%" (scripts/bench-table.mjs formats them) */
  readonly unit: string;
  /** note is printed after the figure, e.g. "100.0 % delivered" */
  readonly note?: string;
  readonly missing?: string;
}

export interface BenchRow {
  /** what was measured */
  readonly what: string;
  readonly ours: BenchValue;
  /** the anchor measured in the same run, or null where there is none */
  readonly anchor: (BenchValue & { readonly name: string }) | null;
  /** ours / anchor (null without an anchor figure) */
  readonly ratio: number | null;
  /** the target of record, as text, or null */
  readonly target: string | null;
  readonly verdict: "PASS" | "FAIL" | "—";
  /** the command that reproduces the row, from the repository root */
  readonly command: string;
}

export interface BenchResults {
  /** bench names the file; order places its rows in the table */
  readonly bench: string;
  readonly order: number;
  readonly packageName: string;
  readonly measuredAt: string;
  readonly node: string;
  readonly revision: string;
  /** notes the table prints under itself (short runs, synthetic input) */
  readonly notes: readonly string[];
  readonly rows: readonly BenchRow[];
}

/** packageDir is the directory of the nearest package.json above `from`. */
export function packageDir(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${from}`);
    dir = up;
  }
  return dir;
}

/**
 * envPrefix is the BENCH_* variables of this process as a shell prefix ("" when none is set), so
 * that a row's command reproduces a run made with non-default knobs.
 */
export function envPrefix(): string {
  return Object.keys(process.env)
    .filter((k) => k.startsWith("BENCH_") && process.env[k] !== "")
    .sort()
    .map((k) => `${k}=${process.env[k]} `)
    .join("");
}

/** headRevision is HEAD's short hash, plus "+dirty src" when `dir`'s src/ has uncommitted changes. */
export function headRevision(dir: string): string {
  const git = (...args: string[]): string | undefined => {
    const r = spawnSync("git", args, { cwd: dir, encoding: "utf8" });
    return r.status === 0 ? r.stdout.trim() : undefined;
  };
  const head = git("rev-parse", "--short", "HEAD");
  if (head === undefined) return "unknown";
  const dirty = git("status", "--porcelain", "--untracked-files=no", "--", "src");
  return dirty ? `${head}+dirty src` : head;
}

/** passFail is the verdict of `ok`. */
export function passFail(ok: boolean): "PASS" | "FAIL" {
  return ok ? "PASS" : "FAIL";
}

/** writeResults writes `results` to <dir>/.bench-results/<bench>.json and says where. */
export function writeResults(
  dir: string,
  results: Omit<BenchResults, "measuredAt" | "node">,
): void {
  const out = join(dir, ".bench-results");
  mkdirSync(out, { recursive: true });
  const file = join(out, `${results.bench}.json`);
  const full: BenchResults = {
    ...results,
    measuredAt: new Date().toISOString(),
    node: process.version,
  };
  writeFileSync(file, `${JSON.stringify(full, null, 2)}\n`);
  console.log(`  results: ${file} (table: node scripts/bench-table.mjs at the repository root)`);
}
