/**
 * The CI run of the fuzzers of fuzz/ (the nightly `pnpm fuzz` runs 10⁶ inputs per target): a
 * fixed seed, 20 000 inputs per target — the raw-message screen + sip.js parser, SDP offer /
 * answer, a SipUserAgent on an in-memory socket — every input counted in the outcome table,
 * nothing thrown that is not a SipSignalingError, the heap not growing after warm-up beyond the
 * bound, and the mutators reaching the answers and refusals they are meant to reach. A failure
 * prints the table, with (seed, index, input hex).
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { formatFuzzReport, runFuzz } from "@framewire/test-support";
import { describe, expect, it } from "vitest";
import { sdpMutator } from "../fuzz/sdp-mutator.js";
import { sipMutator } from "../fuzz/sip-mutator.js";
import { TARGETS } from "../fuzz/targets.js";

const SEED = 0x0c1f5e9;
const COUNT = 20_000;
const HEAP_BOUND = 32 * 1024 * 1024;

/** getGc returns a garbage collector: global.gc, or one exposed through V8 flags. */
function getGc(): (() => void) | undefined {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === "function") return g;
  try {
    setFlagsFromString("--expose-gc");
    const fn = runInNewContext("gc") as unknown;
    return typeof fn === "function" ? (fn as () => void) : undefined;
  } catch {
    return undefined;
  }
}

const gc = getGc();

async function fuzz(name: string) {
  const report = await runFuzz(TARGETS[name]!(), {
    seed: SEED,
    count: COUNT,
    heapBoundBytes: HEAP_BOUND,
    samples: 20,
    gc,
  });
  console.log(formatFuzzReport(report));
  expect(report.failures, formatFuzzReport(report)).toEqual([]);
  expect(report.invariantViolations).toEqual([]);
  expect(report.counted).toBe(COUNT);
  expect(report.heap.growth).toBeLessThan(HEAP_BOUND);
  expect(report.ok).toBe(true);
  return report.outcomes;
}

function expectOutcomes(outcomes: Readonly<Record<string, number>>, labels: readonly string[]) {
  for (const label of labels) expect(outcomes[label] ?? 0, label).toBeGreaterThan(0);
}

const ADDRESSES = {
  to: { host: "127.0.0.1", port: 5060 },
  from: { host: "127.0.0.1", port: 5070 },
} as const;

describe("fuzz mutators: inputs made again from (seed, index)", () => {
  it("the SIP and SDP mutators are pure functions of (seed, index)", () => {
    const sip = sipMutator(ADDRESSES);
    const sdp = sdpMutator();
    for (const index of [0, 1, 999, 123_456, 999_999]) {
      expect(sip(SEED, index)).toEqual(sip(SEED, index));
      expect(sdp(SEED, index)).toEqual(sdp(SEED, index));
    }
    expect(sip(SEED, 42).bytes).not.toEqual(sip(SEED + 1, 42).bytes);
  });

  it("the SIP mutator makes every kind of damage it names", () => {
    const sip = sipMutator(ADDRESSES);
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) seen.add(sip(SEED, i).mutation);
    for (const m of [
      "clean",
      "start-line",
      "huge-header",
      "folded-lws",
      "duplicate-header",
      "content-length",
      "nul",
      "non-utf8",
      "hostile-sdp",
    ]) {
      expect(seen.has(m), m).toBe(true);
    }
  });
});

describe("fuzz: SIP screen + sip.js parser, SDP offer/answer, a SipUserAgent", () => {
  it("sip-parse: 20 000 datagrams", async () => {
    const o = await fuzz("sip-parse");
    expectOutcomes(o, [
      "accepted:request",
      "accepted:response",
      "rejected:not-sip",
      "rejected:no-start-line",
      "dropped:oversize",
      "answered:400",
      "answered:505",
    ]);
  });

  it("sdp: 20 000 offers and answers", async () => {
    const o = await fuzz("sdp");
    expectOutcomes(o, [
      "offer:accepted:audio+video",
      "offer:accepted:audio-only",
      "offer:error:SDP_MALFORMED",
      "offer:error:SDP_TOO_LARGE",
      "offer:error:SDP_NO_ACCEPTABLE_AUDIO",
      "answer:accepted:audio-only",
      "answer:error:SDP_ANSWER_MISMATCH",
    ]);
  });

  it("sip-ua: 20 000 datagrams into a started SipUserAgent", async () => {
    const o = await fuzz("sip-ua");
    expectOutcomes(o, [
      "answered:100",
      "answered:200",
      "answered:400",
      "answered:405",
      "answered:501",
      "dropped:malformed",
      "dropped:oversize",
      "dropped:keepalive",
    ]);
  }, 120_000);
});
