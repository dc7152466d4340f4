import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { rng, stream } from "../test/gen.js";
import { FrameAssembler } from "./frame-assembler.js";
import type { FrameAssemblerOptions, KeyframeNeeded } from "./frame-assembler-types.js";
import { H264Packetizer } from "./h264/h264-packetizer.js";
import type { RtpPacket } from "./rtp/rtp-packet.js";
import { RtpPacketizer } from "./rtp/rtp-packetizer.js";
import { sequenceFrom } from "./rtp/sequence.js";
import type { VideoFrame } from "./video-frame.js";

interface Sent {
  packets: RtpPacket[];
  /** frameOf[i] is the index of the access unit packet i belongs to. */
  frameOf: number[];
  aus: Uint8Array[];
}

/** send packetizes access units at 30 fps (3000 ticks) from a given sequence number. */
function send(
  aus: Uint8Array[],
  opts: { seq?: number; ts?: number; ssrc?: number; mtu?: number } = {},
): Sent {
  const rtp = new RtpPacketizer({
    packetizer: new H264Packetizer({ mtu: opts.mtu ?? 1200 }),
    payloadType: 96,
    ssrc: opts.ssrc ?? 0x1234,
    sequence: sequenceFrom(opts.seq ?? 1000),
  });
  const packets: RtpPacket[] = [];
  const frameOf: number[] = [];
  aus.forEach((au, i) => {
    for (const p of rtp.packetizePackets(au, ((opts.ts ?? 0) + i * 3000) >>> 0)) {
      packets.push(p);
      frameOf.push(i);
    }
  });
  return { packets, frameOf, aus };
}

function assemble(packets: RtpPacket[], options: FrameAssemblerOptions = {}) {
  const frames: VideoFrame[] = [];
  const signals: KeyframeNeeded[] = [];
  const a = new FrameAssembler(
    { frame: (f) => frames.push(f), keyframeNeeded: (s) => signals.push(s) },
    options,
  );
  for (const p of packets) a.push(p);
  return { frames, signals, a };
}

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.compare(a, b) === 0;
const sizes = (i: number) => (i % 10 === 0 ? 9000 : 100 + ((i * 997) % 3500));

describe("FrameAssembler", () => {
  it("turns packets into access units: one frame per timestamp, closed by the marker", () => {
    const aus = stream(30, 10, sizes, rng(1));
    const { frames, signals, a } = assemble(send(aus).packets);
    expect(frames).toHaveLength(30);
    frames.forEach((f, i) => {
      expect(same(f.data, aus[i]!)).toBe(true);
      expect(f.sequence).toBe(i);
      expect(f.keyframe).toBe(i % 10 === 0);
      expect(f.timestampMs).toBeCloseTo((i * 100) / 3, 9);
      expect([f.width, f.height]).toEqual([640, 360]);
      expect(f.codec).toBe("h264");
    });
    expect(signals).toEqual([]);
    expect(a.stats).toMatchObject({ frames: 30, keyframes: 3, lost: 0 });
  });

  it("is safe across the sequence wrap 65535 → 0 and the timestamp wrap 2^32 → 0", () => {
    const aus = stream(20, 10, sizes, rng(2));
    const sent = send(aus, { seq: 65500, ts: 0xffffffff - 10 * 3000 });
    const { frames } = assemble(sent.packets);
    expect(frames).toHaveLength(20);
    frames.forEach((f, i) => {
      expect(f.timestampMs).toBeCloseTo((i * 100) / 3, 9);
    });
  });

  it("closes a frame on a timestamp change when the sender never sets the marker", () => {
    const aus = stream(5, 5, () => 3000, rng(3));
    const packets = send(aus).packets.map((p) => ({ ...p, marker: false }));
    const { frames } = assemble(packets);
    // the last frame stays open: nothing proves it complete
    expect(frames.map((f) => f.sequence)).toEqual([0, 1, 2, 3]);
  });

  it("waits for a keyframe at the start and says so once", () => {
    const aus = stream(25, 10, sizes, rng(4));
    const sent = send(aus);
    const from = sent.frameOf.indexOf(3);
    const { frames, signals, a } = assemble(sent.packets.slice(from));
    expect(frames[0]!.keyframe).toBe(true);
    expect(frames).toHaveLength(15);
    expect(signals.map((s) => s.reason)).toEqual(["stream-start"]);
    expect(a.stats.framesDroppedWaiting).toBe(7);
  });

  it("drops duplicates, counted", () => {
    const sent = send(stream(10, 10, sizes, rng(5)));
    const doubled = sent.packets.flatMap((p, i) => (i % 3 === 0 ? [p, p] : [p]));
    const { frames, a } = assemble(doubled);
    expect(frames).toHaveLength(10);
    expect(a.stats.duplicates).toBe(Math.ceil(sent.packets.length / 3));
  });

  it("drops a frame hit by loss, raises keyframe-needed, and resumes at the next keyframe", () => {
    const aus = stream(30, 10, sizes, rng(6));
    const sent = send(aus);
    const lostAt = sent.frameOf.indexOf(3) + 1; // the second of frame 3's three packets
    expect(sent.frameOf.filter((f) => f === 3)).toHaveLength(3);
    const packets = sent.packets.filter((_, i) => i !== lostAt);
    const { frames, signals, a } = assemble(packets, { reorderWindow: 8 });
    const emitted = frames.map((f) => sent.aus.indexOf(sent.aus.find((au) => same(au, f.data))!));
    expect(emitted).toEqual([0, 1, 2, ...Array.from({ length: 20 }, (_, k) => 10 + k)]);
    expect(signals).toEqual([{ reason: "packet-loss", ssrc: 0x1234, lostPackets: 1 }]);
    expect(a.stats.lost).toBe(1);
    // sequence counts emitted frames
    expect(frames.map((f) => f.sequence)).toEqual([...frames.keys()]);
  });

  it("declares a packet lost when a packet a window ahead arrives, or on flush()", () => {
    const sent = send(stream(3, 3, () => 5000, rng(7)));
    const packets = sent.packets.filter((_, i) => i !== 1);
    const { frames, a } = assemble(packets.slice(0, 3), { reorderWindow: 64 });
    expect(frames).toHaveLength(0);
    expect(a.stats.lost).toBe(0); // still waiting for it
    a.flush();
    expect(a.stats.lost).toBe(1);
  });

  it("holds a new SSRC until a second packet confirms it (RFC 3550 §A.1), then restarts", () => {
    const first = send(stream(10, 5, sizes, rng(8)), { ssrc: 1 });
    const second = send(stream(10, 5, sizes, rng(9)), { ssrc: 2, seq: 40000, ts: 123 });
    const stray = { ...second.packets[0]!, ssrc: 99 };
    const { frames, a } = assemble([
      ...first.packets.slice(0, 5),
      stray,
      ...first.packets.slice(5),
      ...second.packets,
    ]);
    expect(frames).toHaveLength(20);
    expect(a.stats.outOfWindow).toBe(1);
    expect(a.stats.resyncs).toBe(1);
    // timestampMs stays monotonic across the new stream
    const ts = frames.map((f) => f.timestampMs);
    expect(ts.every((t, i) => i === 0 || t > ts[i - 1]!)).toBe(true);
  });

  it("ignores a lone packet far outside the window but follows a confirmed jump", () => {
    const sent = send(stream(10, 5, sizes, rng(10)));
    const stray = {
      ...sent.packets[3]!,
      sequenceNumber: (sent.packets[3]!.sequenceNumber + 20000) & 0xffff,
    };
    const { frames, a } = assemble([...sent.packets.slice(0, 3), stray, ...sent.packets.slice(3)]);
    expect(frames).toHaveLength(10);
    expect(a.stats.outOfWindow).toBe(1);
    const jumped = send(stream(10, 5, sizes, rng(11)), { seq: 30000, ts: 90000 * 5 });
    const r = assemble([...sent.packets, ...jumped.packets]);
    expect(r.frames).toHaveLength(20);
    expect(r.a.stats.resyncs).toBe(1);
  });

  it("drops a frame larger than maxFrameBytes and keeps going", () => {
    const aus = stream(10, 5, (i) => (i === 5 ? 50_000 : 1000), rng(12));
    const { frames, a } = assemble(send(aus).packets, { maxFrameBytes: 20_000 });
    expect(frames.map((f) => f.sequence)).toEqual([0, 1, 2, 3, 4]);
    expect(a.stats.framesDroppedTooLarge).toBe(1);
  });

  it("refuses bad options with typed errors", () => {
    const sink = { frame: () => {} };
    expect(() => new FrameAssembler(sink, { reorderWindow: 0 })).toThrow(/BAD_OPTION/);
    expect(() => new FrameAssembler(sink, { reorderWindow: 5000 })).toThrow(/BAD_OPTION/);
    expect(() => new FrameAssembler(sink, { clockRate: 0 })).toThrow(/BAD_OPTION/);
  });
});

describe("FrameAssembler properties", () => {
  const streamArb = fc.record({
    seed: fc.integer({ min: 1, max: 1 << 30 }),
    count: fc.integer({ min: 12, max: 40 }),
    gop: fc.integer({ min: 3, max: 10 }),
    mtu: fc.integer({ min: 200, max: 1500 }),
    seq: fc.integer({ min: 0, max: 65535 }),
  });
  const makeSent = (s: { seed: number; count: number; gop: number; mtu: number; seq: number }) => {
    const r = rng(s.seed);
    const aus = stream(s.count, s.gop, () => 1 + Math.floor(r() * 4000), r);
    return send(aus, { seq: s.seq, mtu: s.mtu, ts: Math.floor(r() * 2 ** 32) });
  };

  it("any reordering inside the window gives the same frames", () => {
    fc.assert(
      fc.property(
        streamArb,
        fc.integer({ min: 1, max: 16 }),
        fc.integer(),
        (s, depth, shuffleSeed) => {
          const sent = makeSent(s);
          // displace packets by at most `depth` positions: shuffle inside consecutive blocks.
          // The first packet received starts the stream (nothing older is waited for): keep it first.
          const r = rng(shuffleSeed);
          const shuffled: RtpPacket[] = [sent.packets[0]!];
          for (let i = 1; i < sent.packets.length; i += depth + 1) {
            const block = sent.packets.slice(i, i + depth + 1);
            for (let k = block.length - 1; k > 0; k--) {
              const j = Math.floor(r() * (k + 1));
              [block[k], block[j]] = [block[j]!, block[k]!];
            }
            shuffled.push(...block);
          }
          const inOrder = assemble(sent.packets).frames;
          const { frames, a } = assemble(shuffled, { reorderWindow: 32 });
          a.flush();
          expect(frames.length).toBe(inOrder.length);
          expect(frames.length).toBe(s.count);
          frames.forEach((f, i) => {
            expect(same(f.data, inOrder[i]!.data)).toBe(true);
            expect(f.timestampMs).toBe(inOrder[i]!.timestampMs);
          });
          expect(a.stats.lost).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("any single lost packet drops exactly its frame, raises keyframe-needed, resumes at the next keyframe", () => {
    fc.assert(
      fc.property(streamArb, fc.nat(), (s, pick) => {
        const sent = makeSent(s);
        const lost = pick % sent.packets.length;
        const lostFrame = sent.frameOf[lost]!;
        const { frames, signals, a } = assemble(
          sent.packets.filter((_, i) => i !== lost),
          {
            reorderWindow: 16,
          },
        );
        a.flush();
        const nextKey = Math.ceil((lostFrame + 1) / s.gop) * s.gop;
        const expected = [
          ...Array.from({ length: lostFrame }, (_, k) => k),
          ...Array.from({ length: Math.max(0, s.count - nextKey) }, (_, k) => nextKey + k),
        ];
        // the last frame's loss is only seen when nothing follows it: then it is never closed
        const got = frames.map((f) => sent.aus.findIndex((au) => same(au, f.data)));
        expect(got).toEqual(expected);
        if (lost === 0) {
          // a lost first packet is invisible: the stream simply starts later, without a keyframe
          expect(signals.map((x) => x.reason)).toEqual(["stream-start"]);
        } else if (lost < sent.packets.length - 1) {
          expect(signals.map((x) => x.reason)).toEqual(["packet-loss"]);
          expect(a.stats.lost).toBe(1);
        }
      }),
      { numRuns: 200 },
    );
  });
});
