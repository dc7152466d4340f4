import { FramewireError } from "@framewire/errors";
import { describe, expect, it } from "vitest";
import { BYTE_MUTATIONS, MAX_FUZZ_INPUT_BYTES, mutateByteOnce, mutateBytes } from "./fuzz-bytes.js";
import { fuzzInputSeed, fuzzRandom } from "./fuzz-random.js";
import { type FuzzTarget, formatFuzzReport, runFuzz } from "./fuzz-run.js";

describe("fuzzRandom", () => {
  it("is a function of (seed, index, stream) alone", () => {
    expect(fuzzRandom(7, 42).bytes(16)).toEqual(fuzzRandom(7, 42).bytes(16));
    const seeds = new Set(
      [0, 1, 2, 3].flatMap((i) => [fuzzInputSeed(7, i), fuzzInputSeed(7, i, 1)]),
    );
    expect(seeds.size).toBe(8);
    expect(fuzzInputSeed(7, 0)).not.toBe(fuzzInputSeed(8, 0));
  });
});

describe("mutateBytes", () => {
  it("applies every mutation to empty, short and long inputs without throwing, within the cap", () => {
    const r = fuzzRandom(1, 1);
    for (const m of BYTE_MUTATIONS) {
      for (const n of [0, 1, 3, 100]) mutateByteOnce(r, new Uint8Array(n), m);
    }
    const big = new Uint8Array(MAX_FUZZ_INPUT_BYTES);
    for (let i = 0; i < 200; i++) {
      expect(mutateBytes(r, big).length).toBeLessThanOrEqual(MAX_FUZZ_INPUT_BYTES);
    }
  });
});

describe("runFuzz", () => {
  it("counts every input, FramewireErrors as outcomes, anything else as a failure with its input", async () => {
    const target: FuzzTarget = {
      name: "example",
      input: (seed, index) => Uint8Array.of(seed & 0xff, index & 0xff),
      run(input, index) {
        if (index % 10 === 3) throw new FramewireError("EXAMPLE_BROKEN", "bad");
        if (index === 57) throw new TypeError("boom");
        return input[1]! % 2 === 0 ? "accepted:even" : "accepted:odd";
      },
    };
    const report = await runFuzz(target, { seed: 5, count: 100, heapBoundBytes: Infinity });
    expect(report.counted).toBe(100);
    expect(report.outcomes["error:EXAMPLE_BROKEN"]).toBe(10);
    expect(report.outcomes.FAILURE).toBe(1);
    expect(report.failures).toHaveLength(1);
    expect(report.failures[0]).toMatchObject({ seed: 5, index: 57, inputHex: "0539" });
    expect(report.failures[0]!.stack).toContain("boom");
    expect(report.ok).toBe(false);
    expect(formatFuzzReport(report)).toContain("seed 5 index 57");
  });

  it("is ok when nothing fails, and reports invariants broken at the end", async () => {
    const target: FuzzTarget = {
      name: "example",
      input: () => new Uint8Array(1),
      run: () => "accepted",
      check: () => ["never assembled a frame"],
    };
    const report = await runFuzz(target, { seed: 1, count: 50, heapBoundBytes: Infinity });
    expect(report.outcomes).toEqual({ accepted: 50 });
    expect(report.invariantViolations).toEqual(["never assembled a frame"]);
    expect(report.ok).toBe(false);
  });
});
