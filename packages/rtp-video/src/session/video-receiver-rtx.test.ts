import { ManualScheduler, prng } from "@framewire/test-support";
import { describe, expect, it } from "vitest";
import { rng, stream } from "../../test/gen.js";
import { H264Packetizer } from "../h264/h264-packetizer.js";
import type { RtpPacket } from "../rtp/rtp-packet.js";
import { RtpPacketizer } from "../rtp/rtp-packetizer.js";
import { sequenceFrom } from "../rtp/sequence.js";
import type { VideoFrame } from "../video-frame.js";
import { VideoReceiver, type VideoReceiverOptions } from "./video-receiver.js";

const FRAME_MS = 1000 / 30;

/** packets of `count` frames (keyframe every `gop`), each with the frame it belongs to. */
function packets(count: number, gop: number) {
  const rtp = new RtpPacketizer({
    packetizer: new H264Packetizer(),
    payloadType: 96,
    ssrc: 5,
    sequence: sequenceFrom(65300),
  });
  const out: { packet: RtpPacket; frame: number }[] = [];
  stream(count, gop, (i) => (i % gop === 0 ? 16_000 : 3000), rng(7)).forEach((au, i) => {
    for (const packet of rtp.packetizePackets(au, i * 3000)) out.push({ packet, frame: i });
  });
  return out;
}

function setup(options: VideoReceiverOptions = {}) {
  const scheduler = new ManualScheduler();
  const frames: VideoFrame[] = [];
  const nacks: { at: number; seqs: number[] }[] = [];
  const r = new VideoReceiver(
    {
      frame: (f) => frames.push(f),
      nack: (_, seqs) => nacks.push({ at: scheduler.now(), seqs }),
      keyframeRequest: () => {},
    },
    { scheduler, ...options },
  );
  return { scheduler, frames, nacks, r };
}

/**
 * deliver plays the packets in virtual time: frame i is sent at i × 33.3 ms, every packet is
 * delayed by its own draw in [0, jitterMs] (independent delays: the jitter reorders) but the
 * very first (a stream is joined at its first packet), packets in `drop` never arrive. Returns when the last one arrived, plus 1 s.
 */
function deliver(
  s: ReturnType<typeof setup>,
  ps: { packet: RtpPacket; frame: number }[],
  jitterMs: number,
  seed: number,
  drop: ReadonlySet<number> = new Set(),
  onArrive?: (index: number) => void,
): void {
  const random = prng(seed);
  const arrivals = ps
    .map(({ frame }, i) => {
      const delay = random() * jitterMs;
      return { i, at: Math.round(frame * FRAME_MS + (i === 0 ? 0 : delay)) };
    })
    .filter(({ i }) => !drop.has(i))
    .sort((a, b) => a.at - b.at || a.i - b.i);
  for (const { i, at } of arrivals) {
    s.scheduler.advance(at - s.scheduler.now());
    s.r.receive(ps[i]!.packet);
    onArrive?.(i);
  }
  s.scheduler.advance(1000);
}

describe("VideoReceiver reorder window (NACK only what is missing, not late)", () => {
  it("80 ms of reordering jitter without loss: 0 NACKs, every frame, the window grows to the jitter", () => {
    const ps = packets(150, 30);
    const s = setup();
    deliver(s, ps, 80, 0x5eed);
    expect(s.nacks).toEqual([]);
    expect(s.frames).toHaveLength(150);
    expect(s.r.stats).toMatchObject({ lost: 0, nacksSent: 0 });
    expect(s.r.stats.recovered).toBeGreaterThan(50); // late packets arrived after all
    expect(s.r.reorderWindowMs).toBeGreaterThan(60);
    expect(s.r.reorderWindowMs).toBeLessThanOrEqual(100); // capped at latencyMs / 2
  });

  it("the same jitter without the reorder window (nackReorderFactor 0) NACKs what is merely late", () => {
    const ps = packets(150, 30);
    const s = setup({ nackReorderFactor: 0 });
    deliver(s, ps, 80, 0x5eed);
    expect(s.r.stats.nacksSent).toBeGreaterThan(20);
  });

  it("in order with loss: the window stays at nackDelayMs, so a loss is NACKed at once", () => {
    const ps = packets(60, 30);
    const s = setup();
    const lost = 40;
    const seq = ps[lost]!.packet.sequenceNumber;
    deliver(s, ps, 0, 1, new Set([lost]));
    expect(s.nacks[0]!.seqs).toEqual([seq]);
    // revealed when the next packet came; its frame was then complete (no more arrivals)
    expect(s.r.reorderWindowMs).toBe(5);
  });
});

describe("VideoReceiver retransmissions", () => {
  it("RTX: a missing packet restored is useful, a second copy a duplicate, one after the give-up late", () => {
    const ps = packets(40, 20);
    const s = setup({ rtx: true, latencyMs: 200 });
    const lostA = 5; // in keyframe 0
    const lostB = 30;
    const frame1 = ps.findIndex((p) => p.frame === 1);
    deliver(s, ps, 0, 1, new Set([lostA, lostB]), (i) => {
      if (i === frame1) {
        s.scheduler.advance(20); // NACKed 5 ms after frame 0 ended; the RTX packet comes an RTT later
        expect(s.r.isMissing(ps[lostA]!.packet.sequenceNumber)).toBe(true);
        s.r.receiveRetransmission(ps[lostA]!.packet);
        s.r.receiveRetransmission(ps[lostA]!.packet);
      }
    });
    // lostB was given up at the latency bound; its retransmission now is late
    s.r.receiveRetransmission(ps[lostB]!.packet);
    expect(s.r.stats).toMatchObject({
      retransmissionsReceived: 3,
      retransmissionsUseful: 1,
      duplicateRetransmissions: 1,
      lateRetransmissions: 1,
      lost: 1,
    });
    expect(s.r.stats.recovered).toBe(1);
    expect(s.nacks.flatMap((n) => n.seqs)).toContain(ps[lostA]!.packet.sequenceNumber);
  });

  it("without RTX, a NACKed packet that arrives on the media stream counts as a retransmission", () => {
    const ps = packets(10, 10);
    const s = setup();
    for (let i = 0; i < ps.length; i++) if (i !== 3) s.r.receive(ps[i]!.packet);
    s.scheduler.advance(10);
    expect(s.nacks).toHaveLength(1);
    s.r.receive(ps[3]!.packet);
    expect(s.r.stats).toMatchObject({
      retransmissionsReceived: 1,
      retransmissionsUseful: 1,
      recovered: 1,
    });
    s.scheduler.advance(500);
    expect(s.frames).toHaveLength(10);
  });

  it("repeats a NACK after about one RTT once the RTT is known, and not when the answer would come too late", () => {
    const ps = packets(10, 10);
    const s = setup({ latencyMs: 200, maxNackRetries: 10 });
    s.r.setRoundTripTime(60);
    for (let i = 0; i < ps.length; i++) if (i !== 3) s.r.receive(ps[i]!.packet);
    s.scheduler.advance(400);
    // first at the reorder window (5 ms), then every RTT + window (65 ms), while now + RTT < 200
    expect(s.nacks.map((n) => n.at)).toEqual([5, 70, 135]);
  });
});
