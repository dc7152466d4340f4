// pnpm fuzz: the nightly-style fuzz run of @framewire/sip-signaling — 10⁶ inputs per target (the
// raw-message screen + sip.js parser, SDP offer/answer, a SipUserAgent on an in-memory socket),
// printing the outcome table, inputs/s and peak memory.
// Exit status 1 on any failure: an exception that is not a FramewireError, a broken invariant,
// an input not counted, or heap growth after warm-up beyond the bound.
//
//   tsx --expose-gc --conditions=@framewire/source fuzz/run.ts \
//     [--count 1000000] [--seed 0x5eed] [--target sip-parse,sdp,sip-ua] [--from N] [--dump N]
//
// --dump N prints input N of the seed in hex (and its mutation) and feeds inputs 0..N to the
// target, which reproduces a failure reported as (seed, index). FUZZ_COUNT / FUZZ_SEED are read
// when the flags are absent.
import {
  exposedGc,
  type FuzzReport,
  formatFuzzReport,
  runFuzz,
  toHex,
} from "@framewire/test-support";
import { TARGETS } from "./targets.js";

/** HEAP_BOUND_BYTES is the most a target's heap may grow after warm-up. */
const HEAP_BOUND_BYTES = 48 * 1024 * 1024;

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

const seed = Number(flag("seed") ?? process.env.FUZZ_SEED ?? 0x5eed) >>> 0;
const count = Number(flag("count") ?? process.env.FUZZ_COUNT ?? 1_000_000);
const from = Number(flag("from") ?? 0);
const names = (flag("target") ?? Object.keys(TARGETS).join(",")).split(",");
const dump = flag("dump");

for (const name of names) {
  if (TARGETS[name] === undefined) {
    console.error(`unknown target ${name} (targets: ${Object.keys(TARGETS).join(", ")})`);
    process.exit(2);
  }
}

const reports: FuzzReport[] = [];
for (const name of names) {
  const target = TARGETS[name]!();
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
    heapBoundBytes: HEAP_BOUND_BYTES,
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
