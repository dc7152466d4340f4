// Results file of a benchmark: its rows of the summary table, written as JSON to
// <package>/.bench-results/<bench>.json (gitignored). After `pnpm bench`, scripts/bench-table.mjs
// at the repository root prints the rows of every package as the table that opens BENCHMARKS.md.
// The benchmarks of every package import this one module (types in bench-results.d.ts).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** @type {import("./bench-results.d.ts").packageDir} */
export function packageDir(from) {
  let dir = from;
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${from}`);
    dir = up;
  }
  return dir;
}

/** @type {import("./bench-results.d.ts").envPrefix} */
export function envPrefix() {
  return Object.keys(process.env)
    .filter((k) => k.startsWith("BENCH_") && process.env[k] !== "")
    .sort()
    .map((k) => `${k}=${process.env[k]} `)
    .join("");
}

/** @type {import("./bench-results.d.ts").headRevision} */
export function headRevision(dir) {
  /** @param {string[]} args */
  const git = (...args) => {
    const r = spawnSync("git", args, { cwd: dir, encoding: "utf8" });
    return r.status === 0 ? r.stdout.trim() : undefined;
  };
  const head = git("rev-parse", "--short", "HEAD");
  if (head === undefined) return "unknown";
  const dirty = git("status", "--porcelain", "--untracked-files=no", "--", "src");
  return dirty ? `${head}+dirty src` : head;
}

/** @type {import("./bench-results.d.ts").passFail} */
export function passFail(ok) {
  return ok ? "PASS" : "FAIL";
}

/** @type {import("./bench-results.d.ts").writeResults} */
export function writeResults(dir, results) {
  const out = join(dir, ".bench-results");
  mkdirSync(out, { recursive: true });
  const file = join(out, `${results.bench}.json`);
  const full = { ...results, measuredAt: new Date().toISOString(), node: process.version };
  writeFileSync(file, `${JSON.stringify(full, null, 2)}\n`);
  console.log(`  results: ${file} (table: node scripts/bench-table.mjs at the repository root)`);
}
