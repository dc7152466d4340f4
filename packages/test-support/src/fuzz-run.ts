// fuzz-run: the loop every fuzzer runs — inputs made from (seed, index), each counted in an
// outcome table, any exception that is not a FramewireError recorded as a failure with what
// reproduces it, heap and RSS sampled so that growth after warm-up can be bounded.
import { isFramewireError } from "@framewire/errors";

/**
 * FuzzTarget is what a fuzzer feeds: `input` makes input `index` of `seed` (a pure function of
 * both), `run` feeds it and names its outcome (`accepted`, `rejected:<code>`, `dropped:<reason>`).
 * A thrown FramewireError is an outcome too (`error:<code>`); anything else thrown is a failure.
 */
export interface FuzzTarget {
  readonly name: string;
  input(seed: number, index: number): Uint8Array;
  run(input: Uint8Array, index: number): string | Promise<string>;
  /** settle lets sockets and timers run; called every `settleEvery` inputs when given. */
  settle?(): Promise<void>;
  /** settleEvery: how many inputs between two `settle` calls (default 1000). */
  readonly settleEvery?: number;
  /** check is asked once at the end for invariants of the target's state (messages if broken). */
  check?(): readonly string[];
  close?(): void | Promise<void>;
}

/** FuzzOptions tune one run. */
export interface FuzzOptions {
  readonly seed: number;
  readonly count: number;
  /** first index (default 0): a run of `count` inputs from `from`. */
  readonly from?: number;
  /** heapBoundBytes: most the heap (after gc when available) may grow after warm-up. */
  readonly heapBoundBytes: number;
  /** warmup: share of the inputs before the heap baseline is taken (default 0.1). */
  readonly warmup?: number;
  /** samples: how many heap/RSS samples to take (default 50). */
  readonly samples?: number;
  /** maxFailures: failures recorded in full before the run stops (default 20). */
  readonly maxFailures?: number;
  /** gc forces a collection before each sample (node --expose-gc); without it samples are raw. */
  readonly gc?: (() => void) | undefined;
  /** progress is told how many inputs are done at every tenth of the run. */
  readonly progress?: (done: number, count: number, elapsedMs: number) => void;
}

/** FuzzFailure is one input that threw something other than a FramewireError. */
export interface FuzzFailure {
  readonly target: string;
  readonly seed: number;
  readonly index: number;
  readonly inputHex: string;
  readonly error: string;
  readonly stack: string;
}

/** FuzzReport is what a run did: outcomes, failures, speed and memory. */
export interface FuzzReport {
  readonly target: string;
  readonly seed: number;
  readonly from: number;
  readonly count: number;
  /** outcomes: inputs by outcome label; they add up to `count`. */
  readonly outcomes: Readonly<Record<string, number>>;
  /** counted is the sum of `outcomes` (equal to `count` unless the run stopped early). */
  readonly counted: number;
  readonly failures: readonly FuzzFailure[];
  /** failureCount counts every failing input (only the first `maxFailures` are recorded). */
  readonly failureCount: number;
  /** invariantViolations are what the target's `check` reported at the end. */
  readonly invariantViolations: readonly string[];
  readonly durationMs: number;
  readonly inputsPerSecond: number;
  readonly gcForced: boolean;
  /** heap: used heap at the baseline (end of warm-up), its largest sample after, and the growth. */
  readonly heap: { readonly baseline: number; readonly peak: number; readonly growth: number };
  readonly heapBoundBytes: number;
  /** peakRssBytes is the process's peak resident set size so far (getrusage maxrss). */
  readonly peakRssBytes: number;
  readonly memoryBounded: boolean;
  /** ok: no failure, no invariant violation, every input counted, memory bounded. */
  readonly ok: boolean;
}

/** hex writes bytes as lower-case hex. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("hex");
}

/** errorOutcome names the outcome of a thrown value, or undefined when it is a failure. */
export function errorOutcome(e: unknown): string | undefined {
  return isFramewireError(e) ? `error:${e.code}` : undefined;
}

function heapNow(gc: (() => void) | undefined): number {
  gc?.();
  return process.memoryUsage().heapUsed;
}

/** runFuzz feeds `target` `count` inputs and reports; it never throws for a failing input. */
export async function runFuzz(target: FuzzTarget, options: FuzzOptions): Promise<FuzzReport> {
  const { seed, count, gc } = options;
  const from = options.from ?? 0;
  const maxFailures = options.maxFailures ?? 20;
  const warmupEnd = Math.floor(count * (options.warmup ?? 0.1));
  const sampleEvery = Math.max(1, Math.floor(count / (options.samples ?? 50)));
  const settleEvery = target.settleEvery ?? 1000;
  const outcomes = new Map<string, number>();
  const failures: FuzzFailure[] = [];
  let failureCount = 0;
  let baseline = heapNow(gc);
  let peak = baseline;
  const t0 = performance.now();
  let done = 0;
  for (let k = 0; k < count; k++) {
    const index = from + k;
    let outcome: string;
    let input: Uint8Array = new Uint8Array(0);
    try {
      input = target.input(seed, index);
      const r = target.run(input, index);
      outcome = typeof r === "string" ? r : await r;
    } catch (e) {
      const typed = errorOutcome(e);
      if (typed !== undefined) outcome = typed;
      else {
        outcome = "FAILURE";
        failureCount++;
        if (failures.length < maxFailures) {
          failures.push({
            target: target.name,
            seed,
            index,
            inputHex: toHex(input),
            error: String(e),
            stack: e instanceof Error ? (e.stack ?? String(e)) : String(e),
          });
        }
      }
    }
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    done++;
    if (target.settle !== undefined && done % settleEvery === 0) await target.settle();
    if (done === warmupEnd) {
      baseline = heapNow(gc);
      peak = baseline;
    } else if (done > warmupEnd && done % sampleEvery === 0) {
      peak = Math.max(peak, heapNow(gc));
    }
    if (options.progress !== undefined && done % Math.max(1, Math.floor(count / 10)) === 0) {
      options.progress(done, count, performance.now() - t0);
    }
    if (failureCount >= maxFailures) break;
  }
  if (target.settle !== undefined) await target.settle();
  const durationMs = performance.now() - t0;
  peak = Math.max(peak, heapNow(gc));
  const invariantViolations = target.check?.() ?? [];
  await target.close?.();
  const counted = [...outcomes.values()].reduce((a, b) => a + b, 0);
  const growth = peak - baseline;
  const memoryBounded = growth <= options.heapBoundBytes;
  return {
    target: target.name,
    seed,
    from,
    count,
    outcomes: Object.fromEntries([...outcomes].sort((a, b) => b[1] - a[1])),
    counted,
    failures,
    failureCount,
    invariantViolations,
    durationMs,
    inputsPerSecond: (done / durationMs) * 1000,
    gcForced: gc !== undefined,
    heap: { baseline, peak, growth },
    heapBoundBytes: options.heapBoundBytes,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    memoryBounded,
    ok:
      failureCount === 0 && invariantViolations.length === 0 && counted === count && memoryBounded,
  };
}

const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;

/** formatFuzzReport writes a report as the table the fuzz commands print. */
export function formatFuzzReport(r: FuzzReport): string {
  const lines = [
    `== ${r.target}: seed ${r.seed} (0x${r.seed.toString(16)}), inputs ${r.from}..${r.from + r.count - 1} — ${r.ok ? "OK" : "FAILED"}`,
  ];
  const width = Math.max(8, ...Object.keys(r.outcomes).map((k) => k.length));
  for (const [k, v] of Object.entries(r.outcomes)) {
    lines.push(
      `  ${k.padEnd(width)} ${String(v).padStart(9)}  ${((v / r.count) * 100).toFixed(2)} %`,
    );
  }
  lines.push(`  ${"total".padEnd(width)} ${String(r.counted).padStart(9)}  (of ${r.count})`);
  lines.push(
    `  ${Math.round(r.inputsPerSecond)} inputs/s in ${(r.durationMs / 1000).toFixed(1)} s; heap${r.gcForced ? " (after gc)" : ""} ${mib(r.heap.baseline)} after warm-up, peak ${mib(r.heap.peak)}, growth ${mib(r.heap.growth)} (bound ${mib(r.heapBoundBytes)}); peak RSS ${mib(r.peakRssBytes)}`,
  );
  for (const v of r.invariantViolations) lines.push(`  INVARIANT BROKEN: ${v}`);
  if (r.failureCount > 0) lines.push(`  FAILURES: ${r.failureCount}`);
  for (const f of r.failures) {
    lines.push(`  - seed ${f.seed} index ${f.index}: ${f.error}`);
    lines.push(
      `    input ${f.inputHex.length > 4000 ? `${f.inputHex.slice(0, 4000)}…` : f.inputHex}`,
    );
    lines.push(`    ${f.stack.split("\n").slice(0, 8).join("\n    ")}`);
  }
  return lines.join("\n");
}

/** exposedGc is global.gc when node runs with --expose-gc, else undefined. */
export function exposedGc(): (() => void) | undefined {
  const g = (globalThis as { gc?: () => void }).gc;
  return typeof g === "function" ? g : undefined;
}
