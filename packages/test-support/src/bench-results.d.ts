// Types of bench-results.js (plain JavaScript so that a benchmark compiled by tsc and run by
// plain node, as rtp-video's is, can import it as well as one run by tsx).

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
export function packageDir(from: string): string;

/**
 * envPrefix is the BENCH_* variables of this process as a shell prefix ("" when none is set), so
 * that a row's command reproduces a run made with non-default knobs.
 */
export function envPrefix(): string;

/** headRevision is HEAD's short hash, plus "+dirty src" when `dir`'s src/ has uncommitted changes. */
export function headRevision(dir: string): string;

/** passFail is the verdict of `ok`. */
export function passFail(ok: boolean): "PASS" | "FAIL";

/** writeResults writes `results` to <dir>/.bench-results/<bench>.json and says where. */
export function writeResults(dir: string, results: Omit<BenchResults, "measuredAt" | "node">): void;
