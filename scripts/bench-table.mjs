// Prints the results table of BENCHMARKS.md from the results files the benchmarks of one
// `pnpm bench` run wrote (packages/*/.bench-results/*.json, apps/*/.bench-results/*.json; see
// packages/test-support/src/bench-results.d.ts for their shape). `pnpm bench` runs it after the benchmarks;
// paste its output over the table at the top of BENCHMARKS.md to refresh the file.
// Usage: node scripts/bench-table.mjs
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// results files more than this much older than the newest one are from another run (a whole
// `pnpm bench` takes minutes)
const SAME_RUN_MS = 30 * 60 * 1000;

/** @returns {string[]} */
function resultFiles() {
  const files = [];
  for (const top of ["packages", "apps"]) {
    const dir = join(root, top);
    if (!existsSync(dir)) continue;
    for (const pkg of readdirSync(dir)) {
      const results = join(dir, pkg, ".bench-results");
      if (!existsSync(results)) continue;
      for (const f of readdirSync(results).sort()) {
        if (f.endsWith(".json")) files.push(join(results, f));
      }
    }
  }
  return files;
}

/** number prints a figure with about three significant digits. */
function number(v) {
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toFixed(3);
}

function figure(value, unit) {
  switch (unit) {
    case "pkt/s":
      return `${(value / 1e6).toFixed(3)} M pkt/s`;
    case "pkt/CPU-s":
      return `${(value / 1e3).toFixed(1)} k pkt/CPU-s`;
    case "%":
      return `${value.toFixed(1)} %`;
    default:
      return `${number(value)} ${unit}`;
  }
}

/** value is a BenchValue's cell text: its figure and note, or "not measured (why)". */
function value(v) {
  if (v.value === null || !Number.isFinite(v.value)) {
    return `not measured${v.missing ? ` (${v.missing})` : ""}`;
  }
  return `${figure(v.value, v.unit)}${v.note ? `, ${v.note}` : ""}`;
}

function ratio(r) {
  if (r === null || !Number.isFinite(r)) return "—";
  return `${r >= 10 ? r.toFixed(1) : r.toFixed(3)}×`;
}

const cell = (s) => s.replaceAll("|", "\\|");

const files = resultFiles();
if (files.length === 0) {
  console.error("bench-table: no results files (packages/*/.bench-results/*.json); run pnpm bench");
  process.exit(1);
}
const results = files
  .map((file) => ({ file, ...JSON.parse(readFileSync(file, "utf8")) }))
  .sort((a, b) => a.order - b.order || a.bench.localeCompare(b.bench));
const times = results.map((r) => Date.parse(r.measuredAt));
const newest = Math.max(...times);
// a revision is HEAD's short hash, with "+dirty src" when the package's src/ had changes
const heads = [...new Set(results.map((r) => r.revision.replace(/\+dirty src$/, "")))];
const dirty = [
  ...new Set(results.filter((r) => r.revision.endsWith("+dirty src")).map((r) => r.packageName)),
];
const nodes = [...new Set(results.map((r) => r.node))];
const day = new Date(Math.min(...times)).toISOString().slice(0, 10);

const lines = [];
lines.push(
  `Measured on ${day} (UTC) by \`pnpm bench\` at commit ${heads.map((r) => `\`${r}\``).join(", ")}` +
    `${dirty.length > 0 ? ` (with uncommitted changes in the src/ of ${dirty.join(", ")})` : ""}` +
    `, Node ${nodes.join(", ")}.`,
);
lines.push("");
lines.push(
  "| what was measured | ours | anchor, same run | ours / anchor | target | verdict | command |",
);
lines.push("| --- | --- | --- | --- | --- | --- | --- |");
for (const r of results) {
  for (const row of r.rows) {
    const anchor = row.anchor === null ? "—" : `${row.anchor.name}: ${value(row.anchor)}`;
    lines.push(
      `| ${[
        row.what,
        value(row.ours),
        anchor,
        ratio(row.ratio),
        row.target ?? "—",
        row.verdict,
        `\`${row.command}\``,
      ]
        .map(cell)
        .join(" | ")} |`,
    );
  }
}
const notes = results.flatMap((r) => r.notes);
for (const r of results) {
  if (newest - Date.parse(r.measuredAt) > SAME_RUN_MS) {
    notes.push(
      `${relative(root, r.file)} was written at ${r.measuredAt}, not in the same run as the rest`,
    );
  }
}
if (notes.length > 0) {
  lines.push("");
  for (const n of notes) lines.push(`NOTE: ${n}`);
}
console.log(lines.join("\n"));
