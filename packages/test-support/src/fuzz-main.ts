// fuzz-main: the command line of a package's `pnpm fuzz` (fuzz/run.ts): which targets, how many
// inputs from which seed, `--dump N` to reproduce one input, and the exit status.
import {
  exposedGc,
  type FuzzReport,
  type FuzzTarget,
  formatFuzzReport,
  runFuzz,
  toHex,
} from "./fuzz-run.js";

/** FUZZ_HEAP_BOUND_BYTES is the most a target's heap may grow after warm-up (48 MiB). */
export const FUZZ_HEAP_BOUND_BYTES = 48 * 1024 * 1024;

/**
 * fuzzMain runs `targets` as the flags of `argv` say — `--count N` (default FUZZ_COUNT or 10⁶),
 * `--seed S` (FUZZ_SEED or 0x5eed), `--target a,b` (all), `--from N`, `--dump N` (print input N
 * in hex and feed inputs 0..N, which reproduces a failure reported as (seed, index)) — prints
 * each outcome table and a summary, and sets the exit status: 1 on any failure, 2 for an unknown
 * target.
 */
export async function fuzzMain(
  targets: Readonly<Record<string, () => FuzzTarget>>,
  argv: readonly string[] = process.argv,
): Promise<void> {
  const flag = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i < 0 ? undefined : argv[i + 1];
  };
  const seed = Number(flag("seed") ?? process.env.FUZZ_SEED ?? 0x5eed) >>> 0;
  const count = Number(flag("count") ?? process.env.FUZZ_COUNT ?? 1_000_000);
  const from = Number(flag("from") ?? 0);
  const names = (flag("target") ?? Object.keys(targets).join(",")).split(",");
  const dump = flag("dump");
  for (const name of names) {
    if (targets[name] === undefined) {
      console.error(`unknown target ${name} (targets: ${Object.keys(targets).join(", ")})`);
      process.exitCode = 2;
      return;
    }
  }
  const reports: FuzzReport[] = [];
  for (const name of names) {
    const target = targets[name]!();
    if (dump !== undefined) {
      const index = Number(dump);
      console.log(`${name} seed ${seed} input ${index}: ${toHex(target.input(seed, index))}`);
      const report = await runFuzz(target, { seed, count: index + 1, heapBoundBytes: Infinity });
      console.log(formatFuzzReport(report));
      reports.push(report);
      continue;
    }
    const report = await runFuzz(target, {
      seed,
      count,
      from,
      heapBoundBytes: FUZZ_HEAP_BOUND_BYTES,
      gc: exposedGc(),
      progress: (done, total, ms) =>
        console.error(
          `[fuzz] ${name}: ${done}/${total} (${Math.round((done / ms) * 1000)} inputs/s)`,
        ),
    });
    console.log(formatFuzzReport(report));
    reports.push(report);
  }
  const total = reports.reduce((n, r) => n + r.counted, 0);
  const failed = reports.filter((r) => !r.ok).map((r) => r.target);
  console.log(
    `\nfuzz: ${total} inputs over ${reports.length} targets, seed ${seed}; ${failed.length === 0 ? "all OK" : `FAILED: ${failed.join(", ")}`}`,
  );
  process.exitCode = failed.length === 0 ? 0 : 1;
}
