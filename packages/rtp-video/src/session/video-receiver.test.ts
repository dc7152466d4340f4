import { ManualScheduler } from "@framewire/test-support";
import { describe, expect, it } from "vitest";
import { rng, stream } from "../../test/gen.js";
import { H264Packetizer } from "../h264/h264-packetizer.js";
import type { RtpPacket } from "../rtp/rtp-packet.js";
import { RtpPacketizer } from "../rtp/rtp-packetizer.js";
import { sequenceFrom } from "../rtp/sequence.js";
import type { VideoFrame } from "../video-frame.js";
import { VideoReceiver, type VideoReceiverOptions } from "./video-receiver.js";

function packets(count: number, gop: number): { packets: RtpPacket[]; frameOf: number[] } {
  const rtp = new RtpPacketizer({
    packetizer: new H264Packetizer(),
    payloadType: 96,
    ssrc: 5,
    sequence: sequenceFrom(65000),
  });
  const out: RtpPacket[] = [];
  const frameOf: number[] = [];
  stream(count, gop, (i) => (i % gop === 0 ? 6000 : 2500), rng(3)).forEach((au, i) => {
    for (const p of rtp.packetizePackets(au, i * 3000)) {
      out.push(p);
      frameOf.push(i);
    }
  });
  return { packets: out, frameOf };
}

function setup(options: VideoReceiverOptions = {}) {
  const scheduler = new ManualScheduler();
  const frames: VideoFrame[] = [];
  const nacks: { at: number; seqs: number[] }[] = [];
  const plis: { at: number; reason: string }[] = [];
  const r = new VideoReceiver(
    {
      frame: (f) => frames.push(f),
      nack: (_, seqs) => nacks.push({ at: scheduler.now(), seqs }),
      keyframeRequest: (_, reason) => plis.push({ at: scheduler.now(), reason }),
    },
    { scheduler, ...options },
  );
  return { scheduler, frames, nacks, plis, r };
}

describe("VideoReceiver (virtual time)", () => {
  it("NACKs a missing packet after the reordering delay and recovers it from a retransmission", () => {
    const { packets: ps } = packets(10, 10);
    const { scheduler, frames, nacks, plis, r } = setup();
    const lost = 5;
    for (let i = 0; i < ps.length; i++) if (i !== lost) r.receive(ps[i]!);
    scheduler.advance(4);
    expect(nacks).toEqual([]); // plain reordering is given 5 ms
    scheduler.advance(1);
    expect(nacks).toEqual([{ at: 5, seqs: [ps[lost]!.sequenceNumber] }]);
    scheduler.advance(20);
    r.receive(ps[lost]!); // the retransmission, before the retry is due
    scheduler.advance(100);
    expect(frames).toHaveLength(10);
    expect(r.stats).toMatchObject({ recovered: 1, lost: 0, nacksSent: 1 });
    expect(plis).toEqual([]);
  });

  it("repeats a NACK at the retry interval, at most maxNackRetries times, then gives up at the latency bound", () => {
    const { packets: ps } = packets(20, 10);
    const { scheduler, frames, nacks, plis, r } = setup({
      latencyMs: 200,
      nackRetryMs: 40,
      maxNackRetries: 3,
    });
    for (let i = 0; i < ps.length; i++) {
      if (i !== 3) r.receive(ps[i]!);
    }
    scheduler.advance(1000);
    expect(nacks.map((n) => n.at)).toEqual([5, 45, 85]);
    // declared lost at the latency bound: frame 0 emitted, frames 1..9 dropped, keyframe 10 waits
    expect(r.stats.lost).toBe(1);
    expect(plis[0]).toEqual({ at: 200, reason: "packet-loss" });
    // packet 3 belongs to keyframe 0: frames 0..9 are dropped, the stream resumes at keyframe 10
    expect(frames.map((f) => Math.round(f.timestampMs))).toEqual(
      Array.from({ length: 10 }, (_, k) => Math.round(((10 + k) * 100) / 3)),
    );
  });

  it("rate-limits keyframe requests and repeats them until a keyframe arrives", () => {
    const { packets: ps, frameOf } = packets(40, 20);
    const { scheduler, plis, r, frames } = setup({ keyframeIntervalMs: 200, keyframeRetryMs: 500 });
    // join mid-stream: frames 1..19 are deltas → a request at once, repeats every 500 ms
    const from = frameOf.indexOf(1);
    for (let i = from; i < frameOf.indexOf(20); i++) r.receive(ps[i]!);
    r.requestKeyframe(); // rate-limited: folded into one request at t=200
    scheduler.advance(1200);
    expect(plis.map((p) => [p.at, p.reason])).toEqual([
      [0, "stream-start"],
      [500, "retry"],
      [1000, "retry"],
    ]);
    for (let i = frameOf.indexOf(20); i < ps.length; i++) r.receive(ps[i]!);
    scheduler.advance(5000);
    expect(plis).toHaveLength(3);
    expect(frames[0]!.keyframe).toBe(true);
  });

  it("does not NACK without nack, and stops all timers on close", () => {
    const { packets: ps } = packets(5, 5);
    const { scheduler, nacks, r } = setup({ nack: false });
    r.receive(ps[0]!);
    r.receive(ps[2]!);
    scheduler.advance(100);
    expect(nacks).toEqual([]);
    r.close();
    scheduler.advance(10_000);
    expect(scheduler.pending).toBe(0);
  });
});

describe("VideoReceiver regressions", () => {
  it("a stray packet far ahead of the stream (held on probation) does not stop NACKs", () => {
    const { packets: ps, frameOf } = packets(40, 20);
    const { scheduler, nacks, r, frames } = setup();
    const lostIndex = frameOf.indexOf(25) + 1;
    ps.forEach((p, i) => {
      if (i === frameOf.indexOf(10)) {
        r.receive({
          ...p,
          sequenceNumber: (p.sequenceNumber + 5000) & 0xffff,
          payload: new Uint8Array([0x41, 0x9a]),
        });
      }
      if (i !== lostIndex) r.receive(p);
      scheduler.advance(3);
    });
    expect(nacks.flatMap((n) => n.seqs)).toContain(ps[lostIndex]!.sequenceNumber);
    r.receive(ps[lostIndex]!);
    scheduler.advance(300);
    expect(frames).toHaveLength(40);
  });

  it("asks again for a keyframe when packets are lost while one is awaited (rate limit, not the 1 s retry)", () => {
    const { packets: ps, frameOf } = packets(60, 20);
    const { scheduler, plis, r } = setup({
      keyframeIntervalMs: 200,
      keyframeRetryMs: 1000,
      nack: false,
      latencyMs: 50,
    });
    // a loss in frame 2 → PLI; then the keyframe that answers (frame 20) loses a packet too
    const lost = new Set([frameOf.indexOf(2) + 1, frameOf.indexOf(20) + 2]);
    ps.forEach((p, i) => {
      if (!lost.has(i)) r.receive(p);
      scheduler.advance(10);
    });
    scheduler.advance(300);
    const times = plis.map((p) => p.at);
    expect(times.length).toBeGreaterThanOrEqual(2);
    // the second request follows the second loss within the rate limit + latency bound
    const secondLossAt = (frameOf.indexOf(20) + 3) * 10;
    expect(times[1]! - secondLossAt).toBeLessThan(300);
  });
});
