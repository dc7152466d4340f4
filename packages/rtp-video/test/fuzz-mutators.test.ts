/**
 * The CI run of the fuzzers of fuzz/ (the nightly `pnpm fuzz` runs 10⁶ inputs per target): a
 * fixed seed, 50 000 inputs per target (30 000 for the sessions), every input counted in the
 * outcome table, nothing thrown that is not a FramewireError, the targets' invariants kept, the
 * heap not growing after warm-up beyond the bound, and the mutators reaching the rejections and
 * drops they are meant to reach. A failure prints the table, with (seed, index, input hex).
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { formatFuzzReport, fuzzRandom, runFuzz } from "@framewire/test-support";
import { describe, expect, it } from "vitest";
import { h264Corpus } from "../fuzz/corpus.js";
import { rtcpMutator } from "../fuzz/rtcp-mutator.js";
import { rtpMutator } from "../fuzz/rtp-mutator.js";
import { TARGETS } from "../fuzz/targets.js";

const SEED = 0x0c1f022;
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

async function fuzz(name: string, count: number) {
  const report = await runFuzz(TARGETS[name]!(), {
    seed: SEED,
    count,
    heapBoundBytes: HEAP_BOUND,
    samples: 20,
    gc,
  });
  console.log(formatFuzzReport(report));
  expect(report.failures, formatFuzzReport(report)).toEqual([]);
  expect(report.invariantViolations).toEqual([]);
  expect(report.counted).toBe(count);
  expect(report.heap.growth).toBeLessThan(HEAP_BOUND);
  expect(report.ok).toBe(true);
  return report.outcomes;
}

function expectOutcomes(outcomes: Readonly<Record<string, number>>, labels: readonly string[]) {
  for (const label of labels) expect(outcomes[label] ?? 0, label).toBeGreaterThan(0);
}

const RTP_REJECTIONS = [
  "rejected:RTP_TOO_SHORT",
  "rejected:RTP_BAD_VERSION",
  "rejected:RTP_BAD_CSRC_COUNT",
  "rejected:RTP_BAD_EXTENSION",
  "rejected:RTP_BAD_PADDING",
];

const RTCP_CODES = [
  "RTCP_TOO_SHORT",
  "RTCP_BAD_VERSION",
  "RTCP_BAD_LENGTH",
  "RTCP_BAD_PADDING",
  "RTCP_BAD_COUNT",
  "RTCP_BAD_SDES",
  "RTCP_BAD_BYE",
  "RTCP_BAD_APP",
  "RTCP_BAD_FEEDBACK",
];

describe("fuzz mutators: inputs made again from (seed, index)", () => {
  it("the RTP and RTCP mutators are pure functions of (seed, index)", () => {
    const rtp = rtpMutator({ corpus: h264Corpus(), payloadType: 96, ssrc: 1 });
    const rtcp = rtcpMutator({ mediaSsrcs: [1], senderSsrc: 2 });
    for (const index of [0, 1, 999, 1000, 123_456, 999_999]) {
      expect(rtp(SEED, index)).toEqual(rtp(SEED, index));
      expect(rtcp(SEED, index)).toEqual(rtcp(SEED, index));
    }
    expect(rtp(SEED, 5000).bytes).not.toEqual(rtp(SEED + 1, 5000).bytes);
    expect(fuzzRandom(SEED, 7).bytes(8)).toEqual(fuzzRandom(SEED, 7).bytes(8));
  });

  it("the mutators make every kind of lie they name", () => {
    const rtp = rtpMutator({ corpus: h264Corpus(), payloadType: 96, ssrc: 1 });
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) seen.add(rtp(SEED, i).mutation);
    for (const m of [
      "clean",
      "csrc-count-lie",
      "extension-length-lie",
      "padding-lie",
      "h264-fu-a-se",
      "h264-stap-a",
    ]) {
      expect(seen.has(m), m).toBe(true);
    }
  });
});

describe("fuzz: RTP → depacketizer → frame assembler, RTCP, live sessions", () => {
  it("rtp-h264: 50 000 inputs", async () => {
    const o = await fuzz("rtp-h264", 50_000);
    expectOutcomes(o, [
      ...RTP_REJECTIONS,
      "accepted:frame",
      "dropped:stap-a-malformed",
      "dropped:fu-a-without-start",
      "dropped:reserved-nal-type",
    ]);
  });

  it("rtp-vp8: 50 000 inputs", async () => {
    const o = await fuzz("rtp-vp8", 50_000);
    expectOutcomes(o, [...RTP_REJECTIONS, "accepted:frame", "dropped:descriptor-truncated"]);
  });

  it("rtp-vp9: 50 000 inputs", async () => {
    const o = await fuzz("rtp-vp9", 50_000);
    expectOutcomes(o, [...RTP_REJECTIONS, "accepted:frame", "dropped:ss-truncated"]);
  });

  it("rtcp: 50 000 compound packets", async () => {
    const o = await fuzz("rtcp", 50_000);
    expectOutcomes(o, ["accepted", ...RTCP_CODES.map((c) => `rejected:${c}`)]);
  });

  it("video-session: 30 000 datagrams into a live VideoRtpSession", async () => {
    const o = await fuzz("video-session", 30_000);
    expectOutcomes(o, [
      "accepted:frame",
      "accepted:rtcp",
      "dropped:foreign-source",
      "dropped:wrong-payload-type",
      "rejected:RTP_BAD_VERSION",
      "rejected:RTCP_BAD_LENGTH",
    ]);
  });

  it("audio-session: 30 000 datagrams into a live AudioRtpSession", async () => {
    const o = await fuzz("audio-session", 30_000);
    expectOutcomes(o, ["accepted:frame", "accepted:rtcp", "dropped:foreign-source"]);
  });
});
