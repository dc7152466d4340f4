/**
 * Integration test over real UDP on 127.0.0.1, in real time: VideoRtpSession A sends the
 * fixture test.h264 at 30 fps through an ImpairProxy (seeded loss, duplicates, bounded
 * reordering, jitter) to VideoRtpSession B, whose RTCP feedback (NACK, PLI, RR) goes back
 * through the proxy to A. The sender answers each PLI by sending the most recent IDR access
 * unit of the file, re-stamped, in place of the next frame.
 *
 * Two runs with the same seed go side by side (NACK on, NACK off on B); each sends for 8.2 s
 * and the impairment is switched off after 5.17 s. Frames are matched to what A sent by RTP
 * timestamp: the proxy sees the first packet's timestamp, and sendFrame adds
 * round(timestampMs · 90) to it. The figures are printed (`[impairment]` lines);
 * IMPAIR_TIMELINE=1 prints every loss, PLI and frame as well.
 *
 * Impairment: 5 % loss, 1 % duplicates, 5 % of the packets held back behind 1..3 later ones,
 * 0..20 ms order-preserving jitter (see impair-proxy.ts on how jitter and reordering combine).
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { h264AccessUnits } from "@framewire/test-support";
import { fixture } from "@framewire/test-support/fixtures";
import { sleep } from "@framewire/test-support/peers";
import { beforeAll, describe, expect, it } from "vitest";
import {
  joinAnnexB,
  parseRtcp,
  splitAnnexB,
  VideoRtpSession,
  type VideoSessionOptions,
  type VideoSessionStats,
} from "../src/index.js";
import {
  bindPair,
  closePair,
  type ImpairCounts,
  type Impairment,
  ImpairProxy,
  NO_IMPAIRMENT,
} from "./impair-proxy.js";

const FPS = 30;
const FRAME_MS = 1000 / FPS;
// the impairment is switched off at ≈5 s, mid-GOP (the file has an IDR every 30 frames, at
// 5 s and 6 s): recovery then has to come from a PLI, not from the next IDR of the file
const CLEAN_FROM_FRAME = 5 * FPS + 5; // 5.17 s
const TOTAL_FRAMES = CLEAN_FROM_FRAME + 3 * FPS; // and 3 s more
const LATENCY_MS = 200; // B's jitter bound (the default, spelled out)
const DRAIN_MS = 600; // after the last frame: latency bound + slack
const SEED = 0x5eed_2024;
const IMPAIRMENT: Impairment = {
  loss: 0.05,
  duplicate: 0.01,
  reorder: 0.05,
  reorderDepth: 3,
  jitterMs: 20,
};

const fixtureAus = h264AccessUnits(readFileSync(fixture("test.h264")), { splitAnnexB, joinAnnexB });

/** rtpTicks is what VideoRtpSession.sendFrame adds to its random base for `timestampMs`. */
function rtpTicks(ms: number): number {
  return Math.round((ms * 90000) / 1000);
}

function timestampMsOf(index: number): number {
  return (index * 1000) / FPS;
}

interface Emitted {
  readonly rtpTimestamp: number;
  readonly data: Uint8Array;
  readonly keyframe: boolean;
  readonly atMs: number;
  /** B.stats().lost when the frame came out. */
  readonly lostThen: number;
}

interface Pli {
  readonly atMs: number;
  /** B.stats().lost when the PLI passed the proxy. */
  readonly lostThen: number;
}

interface RunResult {
  readonly nack: boolean;
  readonly t0: number;
  readonly tCleanMs: number;
  readonly sent: Uint8Array[];
  readonly sentAtMs: number[];
  /** indexes of frames replaced by an IDR in answer to a PLI. */
  readonly pliAnswers: number[];
  readonly firstRtpTimestamp: number | undefined;
  readonly emitted: Emitted[];
  /** lostChanges: when B.stats().lost was seen to grow, and to what. */
  readonly lostChanges: { atMs: number; lost: number }[];
  readonly plis: Pli[];
  readonly keyframeRequestsAtA: number;
  readonly b: VideoSessionStats;
  readonly a: VideoSessionStats;
  readonly proxy: ImpairCounts;
  readonly proxyQueuedAtEnd: number;
  readonly rttMs: number | undefined;
  readonly bTransport: VideoRtpSession["transport"];
}

async function run(nack: boolean): Promise<RunResult> {
  const common: VideoSessionOptions = { localAddr: ["127.0.0.1", 0], rtcpIntervalMs: 500 };
  const b = await VideoRtpSession.open({ ...common, nack, latencyMs: LATENCY_MS });
  const emitted: Emitted[] = [];
  const lostChanges: { atMs: number; lost: number }[] = [];
  const plis: Pli[] = [];
  let firstRtpTimestamp: number | undefined;
  let lastLost = 0;
  const sampleLost = (atMs: number) => {
    const lost = b.stats().lost;
    if (lost !== lastLost) {
      lastLost = lost;
      lostChanges.push({ atMs, lost });
    }
    return lost;
  };
  let proxy: ImpairProxy | undefined;
  let a: VideoRtpSession | undefined;
  let poll: NodeJS.Timeout | undefined;
  try {
    proxy = await ImpairProxy.open({
      target: ["127.0.0.1", b.localPort],
      seed: SEED,
      impairment: IMPAIRMENT,
      tap: (e) => {
        if (e.leg === "rtp" && e.direction === "forward" && firstRtpTimestamp === undefined) {
          const d = e.data;
          firstRtpTimestamp = ((d[4]! << 24) | (d[5]! << 16) | (d[6]! << 8) | d[7]!) >>> 0;
        }
        if (e.leg === "rtcp" && e.direction === "reverse") {
          if (parseRtcp(e.data).packets.some((p) => p.type === "pli")) {
            plis.push({ atMs: e.atMs, lostThen: sampleLost(e.atMs) });
          }
        }
      },
    });
    a = await VideoRtpSession.open({ ...common, remoteAddr: ["127.0.0.1", proxy.aPort] });
    b.frames$.subscribe((f) =>
      emitted.push({
        rtpTimestamp: f.rtpTimestamp,
        data: f.data,
        keyframe: f.keyframe,
        atMs: performance.now(),
        lostThen: b.stats().lost,
      }),
    );
    let pliPending = false;
    let keyframeRequestsAtA = 0;
    a.keyframeRequests$.subscribe(() => {
      keyframeRequestsAtA++;
      pliPending = true;
    });
    poll = setInterval(() => sampleLost(performance.now()), 1);

    const sent: Uint8Array[] = [];
    const sentAtMs: number[] = [];
    const pliAnswers: number[] = [];
    const n = fixtureAus.units.length;
    const t0 = performance.now();
    let tCleanMs = Number.NaN;
    for (let i = 0; i < TOTAL_FRAMES; i++) {
      await sleep(t0 + i * FRAME_MS - performance.now());
      if (i === CLEAN_FROM_FRAME) {
        proxy.setImpairment(NO_IMPAIRMENT);
        tCleanMs = performance.now();
      }
      let k = i % n;
      let keyframe = fixtureAus.idr[k]!;
      if (pliPending) {
        // answer the PLI: the most recent IDR of the file, re-stamped as frame i
        pliPending = false;
        while (!fixtureAus.idr[k]) k--;
        keyframe = true;
        pliAnswers.push(i);
      }
      const data = fixtureAus.units[k]!;
      sent.push(data);
      sentAtMs.push(performance.now());
      a.sendFrame({ data, keyframe, timestampMs: timestampMsOf(i) });
    }
    await sleep(DRAIN_MS);
    sampleLost(performance.now());
    return {
      nack,
      t0,
      tCleanMs,
      sent,
      sentAtMs,
      pliAnswers,
      firstRtpTimestamp,
      emitted,
      lostChanges,
      plis,
      keyframeRequestsAtA,
      b: b.stats(),
      a: a.stats(),
      proxy: structuredClone(proxy.counts),
      proxyQueuedAtEnd: proxy.queued,
      rttMs: a.stats().remote?.rttMs,
      bTransport: structuredClone(b.transport),
    };
  } finally {
    clearInterval(poll);
    a?.close();
    b.close();
    await proxy?.close();
  }
}

interface Analysis {
  /** index of each emitted frame in `sent` (undefined: no frame was sent with its timestamp). */
  readonly indexes: (number | undefined)[];
  readonly identical: number;
  readonly mismatched: number;
  readonly unknown: number;
  readonly deliveredShare: number;
  /** when the last unrecoverable loss was declared: B.stats().lost first seen at its final value. */
  readonly lastLossAt: number | undefined;
  /** the first PLI B sent once it had counted every loss, ms after the last loss (≥ 0). */
  readonly pliAfterLastLossMs: number | undefined;
  /** the first keyframe B emitted once it had counted every loss, ms after the last loss. */
  readonly keyframeAfterLastLossMs: number | undefined;
  /** that PLI → the next frame B emitted, ms. */
  readonly lastPliToFrameMs: number | undefined;
  /** index (in `sent`) of the first frame of the clean stream (after the last loss). */
  readonly recoveredFrom: number | undefined;
  /** frames sent from `recoveredFrom` on that B did not emit. */
  readonly missingAfterRecovery: number[];
  /** PLI → next emitted frame, for every PLI, ms. */
  readonly pliToFrameMs: number[];
  /** for every loss B declared: the time until it next asked for a keyframe, or got one, ms. */
  readonly lossToKeyframeRequestMs: number[];
  readonly distinctDropped: number;
}

function analyse(r: RunResult): Analysis {
  const byRtp = new Map<number, number>();
  if (r.firstRtpTimestamp !== undefined) {
    for (let i = 0; i < r.sent.length; i++) {
      byRtp.set((r.firstRtpTimestamp + rtpTicks(timestampMsOf(i))) % 0x100000000, i);
    }
  }
  const indexes = r.emitted.map((f) => byRtp.get(f.rtpTimestamp));
  let identical = 0;
  let mismatched = 0;
  let unknown = 0;
  indexes.forEach((i, k) => {
    if (i === undefined) unknown++;
    else if (Buffer.compare(r.emitted[k]!.data, r.sent[i]!) === 0) identical++;
    else mismatched++;
  });
  const delivered = new Set(indexes.filter((i) => i !== undefined));
  const nextFrameAfter = (t: number) => r.emitted.find((f) => f.atMs > t);
  const pliToFrameMs = r.plis.flatMap((p) => {
    const f = nextFrameAfter(p.atMs);
    return f === undefined ? [] : [f.atMs - p.atMs];
  });

  // every observation of B's loss count: polled, at each PLI, at each frame
  const seen = [
    ...r.lostChanges.map((c) => ({ atMs: c.atMs, lost: c.lost })),
    ...r.plis.map((p) => ({ atMs: p.atMs, lost: p.lostThen })),
    ...r.emitted.map((f) => ({ atMs: f.atMs, lost: f.lostThen })),
  ].sort((u, v) => u.atMs - v.atMs);
  const firstSeen = (lost: number) => seen.find((o) => o.lost >= lost)?.atMs;

  // each loss: how long until B asks for a keyframe (or gets one)
  const lossToKeyframeRequestMs: number[] = [];
  for (const c of r.lostChanges) {
    const at = firstSeen(c.lost)!;
    const pli = r.plis.find((p) => p.lostThen >= c.lost);
    const key = r.emitted.find((f) => f.keyframe && f.lostThen >= c.lost);
    const answered = Math.min(pli?.atMs ?? Infinity, key?.atMs ?? Infinity);
    if (answered !== Infinity) lossToKeyframeRequestMs.push(Math.max(0, answered - at));
  }

  const finalLost = r.b.lost;
  let lastLossAt: number | undefined;
  let pliAfterLastLossMs: number | undefined;
  let keyframeAfterLastLossMs: number | undefined;
  let lastPliToFrameMs: number | undefined;
  let recoveredFrom: number | undefined = r.emitted.length > 0 ? indexes[0] : undefined;
  if (finalLost > 0) {
    lastLossAt = firstSeen(finalLost)!;
    const pli = r.plis.find((p) => p.lostThen >= finalLost);
    const k = r.emitted.findIndex((f) => f.keyframe && f.lostThen >= finalLost);
    if (pli !== undefined) {
      pliAfterLastLossMs = Math.max(0, pli.atMs - lastLossAt);
      const f = nextFrameAfter(pli.atMs);
      if (f !== undefined) lastPliToFrameMs = f.atMs - pli.atMs;
    }
    recoveredFrom = k < 0 ? undefined : indexes[k];
    if (k >= 0) keyframeAfterLastLossMs = Math.max(0, r.emitted[k]!.atMs - lastLossAt);
  }
  const missingAfterRecovery: number[] = [];
  if (recoveredFrom !== undefined) {
    for (let i = recoveredFrom; i < r.sent.length; i++)
      if (!delivered.has(i)) missingAfterRecovery.push(i);
  }
  return {
    indexes,
    identical,
    mismatched,
    unknown,
    deliveredShare: delivered.size / r.sent.length,
    lastLossAt,
    pliAfterLastLossMs,
    keyframeAfterLastLossMs,
    lastPliToFrameMs,
    recoveredFrom,
    missingAfterRecovery,
    pliToFrameMs,
    lossToKeyframeRequestMs,
    distinctDropped: new Set(r.proxy.droppedSeqs).size,
  };
}

function report(r: RunResult, x: Analysis): void {
  const p = r.proxy;
  const s = r.b;
  const median = (xs: number[]) =>
    xs.length === 0 ? Number.NaN : [...xs].sort((u, v) => u - v)[Math.floor(xs.length / 2)]!;
  const f1 = (v: number | undefined) => (v === undefined ? "-" : v.toFixed(1));
  console.log(
    [
      `[impairment] nack=${r.nack} sent=${r.sent.length} emitted=${r.emitted.length}`,
      `delivered=${(x.deliveredShare * 100).toFixed(1)}% identical=${x.identical}`,
      `mismatched=${x.mismatched} unknownTs=${x.unknown}`,
      `\n  proxy: in=${p.rtpIn} out=${p.rtpOut} dropped=${p.dropped} (distinct ${x.distinctDropped})`,
      `duplicated=${p.duplicated} heldBack=${p.heldBack} reordered=${p.reordered}`,
      `maxDisplacement=${p.maxDisplacement} delayed=${p.delayed} overflow=${p.overflow}`,
      `rtcpFwd=${p.rtcpForward} rtcpRev=${p.rtcpReverse} unroutable=${p.unroutable}`,
      `\n  B: packets=${s.packets} lost=${s.lost} recovered=${s.recovered}`,
      `duplicates=${s.duplicates} reordered=${s.reordered} late=${s.late}`,
      `nacksSent=${s.nacksSent} keyframeRequestsSent=${s.keyframeRequestsSent}`,
      `framesDropped=${s.framesDropped} jitterMs=${s.jitterMs.toFixed(2)}`,
      `\n  A: frames=${r.a.sent.frames} packets=${r.a.sent.packets}`,
      `retransmitted=${r.a.sent.retransmitted} keyframeRequestsReceived=${r.keyframeRequestsAtA}`,
      `pliAnswers=${r.pliAnswers.length} rttMs=${f1(r.rttMs)}`,
      `\n  last loss at ${f1(x.lastLossAt === undefined ? undefined : x.lastLossAt - r.t0)} ms`,
      `(impairment off at ${f1(r.tCleanMs - r.t0)} ms); PLI after it: +${f1(x.pliAfterLastLossMs)} ms;`,
      `that PLI → next frame ${f1(x.lastPliToFrameMs)} ms; keyframe +${f1(x.keyframeAfterLastLossMs)} ms;`,
      `clean from frame ${x.recoveredFrom}, missing after: ${x.missingAfterRecovery.length}`,
      `\n  PLI → next frame over all ${x.pliToFrameMs.length} PLIs: median`,
      `${f1(median(x.pliToFrameMs))} ms, max ${f1(Math.max(...x.pliToFrameMs, 0))} ms;`,
      `loss → keyframe request (or keyframe) over ${x.lossToKeyframeRequestMs.length} losses:`,
      `median ${f1(median(x.lossToKeyframeRequestMs))} ms,`,
      `max ${f1(Math.max(...x.lossToKeyframeRequestMs, 0))} ms`,
    ].join(" "),
  );
}

function printTimeline(r: RunResult): void {
  const x = analyse(r);
  const ev: [number, string][] = [];
  for (const c of r.lostChanges) ev.push([c.atMs - r.t0, `lost=${c.lost}`]);
  for (const p of r.plis) ev.push([p.atMs - r.t0, `PLI (lost=${p.lostThen})`]);
  r.emitted.forEach((f, k) => {
    ev.push([f.atMs - r.t0, `frame ${x.indexes[k]}${f.keyframe ? " KEY" : ""}`]);
  });
  for (const i of r.pliAnswers) ev.push([r.sentAtMs[i]! - r.t0, `A sends an IDR as frame ${i}`]);
  ev.sort((u, v) => u[0] - v[0]);
  console.log(`nack=${r.nack}\n${ev.map(([t, e]) => `${t.toFixed(1)} ${e}`).join("\n")}`);
}

describe("VideoRtpSession through an impairment proxy (5 % loss, reorder ≤ 3, 1 % dup, 20 ms jitter)", () => {
  let on: RunResult;
  let off: RunResult;
  let xOn: Analysis;
  let xOff: Analysis;

  beforeAll(async () => {
    // both runs at once, same seed: 8 s of wall time instead of 16
    [on, off] = await Promise.all([run(true), run(false)]);
    xOn = analyse(on);
    xOff = analyse(off);
    report(on, xOn);
    report(off, xOff);
    // IMPAIR_TIMELINE=1 prints each run's events (losses, PLIs, frames) for debugging
    if (process.env.IMPAIR_TIMELINE) for (const r of [on, off]) printTimeline(r);
  }, 25_000);

  it("the proxy impaired the stream as configured, and the runs saw the first RTP packet", () => {
    for (const r of [on, off]) {
      expect(r.firstRtpTimestamp).toBeDefined();
      const p = r.proxy;
      // about 5 % of the packets sent during the first 5 s (~690) are dropped
      expect(p.dropped).toBeGreaterThan(10);
      expect(p.dropped).toBeLessThan(100);
      expect(p.duplicated).toBeGreaterThan(0);
      expect(p.reordered).toBeGreaterThan(0);
      expect(p.maxDisplacement).toBeLessThanOrEqual(IMPAIRMENT.reorderDepth);
      expect(p.overflow).toBe(0);
      expect(p.sendErrors).toBe(0);
      expect(r.proxyQueuedAtEnd).toBe(0);
      // everything that came in went out, once more per duplicate, less the drops
      expect(p.rtpOut).toBe(p.rtpIn - p.dropped + p.duplicated);
      // A sent every frame; all its packets reached the proxy (retransmissions included)
      expect(r.a.sent.frames).toBe(TOTAL_FRAMES);
      expect(p.rtpIn).toBe(r.a.sent.packets + r.a.sent.retransmitted);
      // RTCP went both ways through the proxy
      expect(p.rtcpForward).toBeGreaterThan(0);
      expect(p.rtcpReverse).toBeGreaterThan(0);
      expect(r.bTransport.foreignSource).toBe(0);
    }
  });

  it("never emits a frame with a missing packet: every frame is byte-identical to what was sent", () => {
    for (const [r, x] of [
      [on, xOn],
      [off, xOff],
    ] as const) {
      expect(x.unknown).toBe(0);
      expect(x.mismatched).toBe(0);
      expect(x.identical).toBe(r.emitted.length);
      // in order, each frame at most once
      const idx = x.indexes as number[];
      for (let k = 1; k < idx.length; k++) expect(idx[k]!).toBeGreaterThan(idx[k - 1]!);
    }
  });

  it("with NACK, single losses are repaired and most frames are delivered", () => {
    expect(on.b.nacksSent).toBeGreaterThan(0);
    expect(on.b.recovered).toBeGreaterThan(0);
    expect(on.a.sent.retransmitted).toBeGreaterThan(0);
    expect(xOn.deliveredShare).toBeGreaterThanOrEqual(0.8);
  });

  it("without NACK, fewer frames are delivered (same seed)", () => {
    expect(off.b.nacksSent).toBe(0);
    expect(off.a.sent.retransmitted).toBe(0);
    expect(xOff.deliveredShare).toBeLessThan(xOn.deliveredShare);
    // every drop is a real loss, and loss kills frames until the next keyframe
    expect(off.b.lost).toBeGreaterThan(0);
    expect(off.b.framesDropped).toBeGreaterThan(0);
  });

  it("once losses stop, a keyframe is requested within 100 ms of the last loss and the stream is clean again within a keyframe round trip", () => {
    for (const [r, x] of [
      [on, xOn],
      [off, xOff],
    ] as const) {
      if (r.b.lost === 0) {
        // nothing was unrecoverable: the whole stream, from its first frame, is delivered
        expect(x.recoveredFrom).toBe(0);
        expect(x.missingAfterRecovery).toEqual([]);
        continue;
      }
      expect(x.lastLossAt).toBeDefined();
      // the last loss is declared within the latency bound (plus reorder hold and jitter) of
      // the impairment stopping
      expect(x.lastLossAt! - r.tCleanMs).toBeLessThan(LATENCY_MS + 50 + 20 + 50);
      // within 100 ms of it, B has a clean keyframe (one was on its way) or asks for one
      const keyAt = x.keyframeAfterLastLossMs ?? Infinity;
      const pliAt = x.pliAfterLastLossMs ?? Infinity;
      expect(Math.min(keyAt, pliAt)).toBeLessThan(100);
      if (pliAt < keyAt) {
        // a keyframe round trip: PLI to A, A's next frame slot, delivery, the latency bound
        const bound = (r.rttMs ?? 5) + 2 * FRAME_MS + LATENCY_MS;
        expect(x.lastPliToFrameMs).toBeDefined();
        expect(x.lastPliToFrameMs!).toBeLessThan(bound);
      }
      // from that keyframe on, nothing is missing
      expect(x.recoveredFrom).toBeDefined();
      expect(x.recoveredFrom!).toBeLessThan(r.sent.length - 2 * FPS);
      expect(x.missingAfterRecovery).toEqual([]);
    }
  });

  it("B's stats agree with what the proxy did", () => {
    for (const [r, x] of [
      [on, xOn],
      [off, xOff],
    ] as const) {
      const p = r.proxy;
      const s = r.b;
      // every packet the proxy let through reached B (loopback, 4 MiB buffers): duplicates
      // are counted apart; a packet after the loss of its frame's start is still accepted
      expect(s.packets + s.duplicates + s.late).toBe(p.rtpOut);
      // a packet is declared lost only if the proxy dropped it
      expect(s.lost).toBeLessThanOrEqual(x.distinctDropped);
      // a gap is filled (recovered) only by a retransmission or a reordered packet
      expect(s.recovered).toBeLessThanOrEqual(x.distinctDropped + p.reordered);
      // every duplicate the proxy made is seen as one; NACK adds retransmissions of packets
      // that were only late (reordered or jittered)
      expect(s.duplicates).toBeGreaterThanOrEqual(p.duplicated);
      expect(s.duplicates).toBeLessThanOrEqual(p.duplicated + r.a.sent.retransmitted);
      // B counts a packet as reordered when it comes after a later one: the proxy's reordering
      // (less what duplicates hide) plus, with NACK, the retransmissions
      expect(s.reordered).toBeGreaterThanOrEqual(p.reordered - p.duplicated);
      expect(s.reordered).toBeLessThanOrEqual(p.reordered + r.a.sent.retransmitted);
      // each PLI B sent crossed the proxy and reached A
      expect(r.plis.length).toBe(s.keyframeRequestsSent);
      expect(r.keyframeRequestsAtA).toBe(s.keyframeRequestsSent);
      expect(r.a.keyframeRequestsReceived).toBe(s.keyframeRequestsSent);
      // after any loss, B asks for a keyframe (or gets one) at the latest when its request is
      // repeated (keyframeRetryMs, 1 s)
      expect(Math.max(0, ...x.lossToKeyframeRequestMs)).toBeLessThan(200 + 50); // rate limit + timer slack;
      // rate-limited: at most one PLI per 200 ms (keyframeIntervalMs)
      expect(s.keyframeRequestsSent).toBeLessThanOrEqual(
        Math.ceil((TOTAL_FRAMES * FRAME_MS) / 200),
      );
      expect(p.rtcpReverse).toBeGreaterThanOrEqual(s.nacksSent + s.keyframeRequestsSent);
    }
    // with NACK every dropped packet is repaired or declared lost (or fell before the first
    // packet B saw)
    expect(on.b.recovered + on.b.lost).toBeGreaterThanOrEqual(xOn.distinctDropped - 2);
    expect(on.b.lost).toBeLessThan(xOn.distinctDropped / 2);
    // without NACK every drop B could notice is a loss
    expect(off.b.lost).toBeGreaterThanOrEqual(xOff.distinctDropped - 2);
    expect(off.b.recovered).toBeLessThanOrEqual(off.proxy.reordered);
    expect(off.b.keyframeRequestsSent).toBeGreaterThan(0);
  });
});

describe("ImpairProxy itself (raw sockets)", () => {
  /** sends `count` numbered RTP-like datagrams A → proxy → B; returns what B got, in order. */
  async function through(
    impairment: Partial<Impairment>,
    count: number,
    midway?: (proxy: ImpairProxy) => void,
  ): Promise<{ got: { seq: number; delayMs: number }[]; counts: ImpairCounts; queued: number }> {
    const a = await bindPair();
    const b = await bindPair();
    const proxy = await ImpairProxy.open({
      target: ["127.0.0.1", b.port],
      seed: 7,
      impairment,
    });
    const got: { seq: number; delayMs: number }[] = [];
    b.rtp.on("message", (m) => {
      got.push({ seq: m.readUInt16BE(2), delayMs: performance.now() - m.readDoubleBE(12) });
    });
    try {
      for (let i = 0; i < count; i++) {
        if (i === count >> 1) midway?.(proxy);
        const d = Buffer.alloc(20);
        d[0] = 0x80;
        d[1] = 96;
        d.writeUInt16BE(i, 2);
        d.writeDoubleBE(performance.now(), 12);
        a.rtp.send(d, proxy.aPort, "127.0.0.1");
        if (i % 10 === 9) await sleep(2); // bursts of 10, like a video frame
      }
      const expected = () => proxy.counts.rtpIn - proxy.counts.dropped + proxy.counts.duplicated;
      const end = performance.now() + 2000;
      while ((proxy.counts.rtpIn < count || got.length < expected()) && performance.now() < end)
        await sleep(5);
      return { got, counts: structuredClone(proxy.counts), queued: proxy.queued };
    } finally {
      await proxy.close();
      await proxy.close(); // twice is fine
      await closePair(a);
      await closePair(b);
    }
  }

  /** displacement of each datagram: how many that were sent after it arrived before it. */
  function displacements(seqs: number[]): number[] {
    return seqs.map((s, k) => seqs.slice(0, k).filter((t) => t > s).length);
  }

  it("jitter alone delays but never reorders", async () => {
    const { got, counts, queued } = await through({ jitterMs: 20 }, 1000);
    expect(got.map((g) => g.seq)).toEqual([...Array(1000).keys()]);
    const delays = got.map((g) => g.delayMs).sort((u, v) => u - v);
    // FIFO delays: spread over [0, J] (a little more for timer slack), skewed up in a burst
    expect(delays[Math.floor(delays.length * 0.9)]!).toBeGreaterThan(10);
    expect(delays.at(-1)!).toBeLessThan(20 + 15);
    expect(counts).toMatchObject({ dropped: 0, duplicated: 0, reordered: 0, overflow: 0 });
    expect(counts.delayed).toBeGreaterThan(900);
    expect(queued).toBe(0);
  });

  it("loss, duplicates and reordering: counted, and no datagram falls behind more than reorderDepth later ones", async () => {
    const { got, counts } = await through(
      { loss: 0.1, duplicate: 0.05, reorder: 0.2, reorderDepth: 3, jitterMs: 5 },
      3000,
    );
    const seqs = got.map((g) => g.seq);
    expect(got.length).toBe(3000 - counts.dropped + counts.duplicated);
    expect(counts.dropped).toBeGreaterThan(200);
    expect(counts.dropped).toBeLessThan(400);
    expect(new Set(counts.droppedSeqs).size).toBe(counts.dropped);
    // exactly the dropped ones are missing, exactly the duplicated ones come twice
    const seen = new Map<number, number>();
    for (const s of seqs) seen.set(s, (seen.get(s) ?? 0) + 1);
    expect([...Array(3000).keys()].filter((s) => !seen.has(s))).toEqual(
      [...counts.droppedSeqs].sort((u, v) => u - v),
    );
    expect([...seen].filter(([, n]) => n === 2).map(([s]) => s)).toEqual(
      [...counts.duplicatedSeqs].sort((u, v) => u - v),
    );
    const disp = displacements(seqs);
    expect(Math.max(...disp)).toBeLessThanOrEqual(3);
    expect(Math.max(...disp)).toBe(counts.maxDisplacement);
    expect(counts.reordered).toBeGreaterThan(100);
    expect(counts.reordered).toBeLessThanOrEqual(counts.heldBack);
  });

  it("setImpairment(NO_IMPAIRMENT) at runtime: from then on nothing is lost, duplicated or reordered", async () => {
    const { got, counts } = await through(
      { loss: 0.2, duplicate: 0.1, reorder: 0.3, reorderDepth: 3, jitterMs: 10 },
      1000,
      (proxy) => proxy.setImpairment(NO_IMPAIRMENT),
    );
    expect(counts.droppedSeqs.every((s) => s < 500)).toBe(true);
    expect(counts.duplicatedSeqs.every((s) => s < 500)).toBe(true);
    expect(counts.reorderedSeqs.every((s) => s < 500)).toBe(true);
    const tail = got.map((g) => g.seq).filter((s) => s >= 500);
    expect(tail).toEqual([...Array(500).keys()].map((k) => k + 500));
  });
});
