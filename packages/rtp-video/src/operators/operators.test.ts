import { from, lastValueFrom, map, mergeMap, toArray } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import { describe, expect, it } from "vitest";
import { rng, stream } from "../../test/gen.js";
import type { RtpPacket } from "../rtp/rtp-packet.js";
import { sequenceFrom } from "../rtp/sequence.js";
import type { VideoFrame } from "../video-frame.js";
import { type AssemblerEvent, assembleFrames } from "./assemble-frames.js";
import { depacketize } from "./depacketize.js";
import { packetize } from "./packetize.js";

const aus = stream(6, 3, (i) => (i % 3 === 0 ? 2500 : 300), rng(1));
const frames: VideoFrame[] = aus.map((data, i) => ({
  codec: "h264",
  data,
  keyframe: i % 3 === 0,
  timestampMs: (i * 100) / 3,
  rtpTimestamp: 0,
  sequence: i,
  width: 640,
  height: 360,
}));
const fixed = { ssrc: 7, initialTimestamp: 1000, sequence: sequenceFrom(10) };

function packetsOf(fs: VideoFrame[]): Promise<RtpPacket[]> {
  return lastValueFrom(
    from(fs).pipe(packetize({ ...fixed, sequence: sequenceFrom(10) }), toArray()),
  );
}

describe("operators", () => {
  it("packetize: marker on each frame's last packet, timestamps from timestampMs", async () => {
    const packets = await packetsOf(frames);
    expect(packets.map((p) => p.sequenceNumber)).toEqual(packets.map((_, i) => 10 + i));
    const markers = packets.filter((p) => p.marker);
    expect(markers).toHaveLength(6);
    expect(markers.map((p) => p.timestamp)).toEqual([1000, 4000, 7000, 10000, 13000, 16000]);
    expect(packets.every((p) => p.ssrc === 7 && p.payloadType === 96)).toBe(true);
  });

  it("packetize → assembleFrames round-trips frames", async () => {
    const events = await lastValueFrom(
      from(frames).pipe(packetize(fixed), assembleFrames(), toArray()),
    );
    const out = events.flatMap((e) => (e.type === "frame" ? [e.frame] : []));
    expect(out.map((f) => [...f.data])).toEqual(aus.map((a) => [...a]));
    expect(out.map((f) => f.timestampMs)).toEqual(frames.map((f) => f.timestampMs));
  });

  it("packetize errors the stream on an access unit it cannot send", async () => {
    const bad = { ...frames[0]!, data: new Uint8Array([0, 0, 1]) };
    await expect(lastValueFrom(from([bad]).pipe(packetize()))).rejects.toMatchObject({
      code: "H264_EMPTY_ACCESS_UNIT",
    });
  });

  it("depacketize yields NAL units with the marker on the access unit's last one", async () => {
    const packets = await packetsOf(frames.slice(0, 2));
    const nals = await lastValueFrom(from(packets).pipe(depacketize(), toArray()));
    // frame 0: SPS, PPS, IDR; frame 1: one P slice
    expect(nals.map((n) => n.nal[0]! & 0x1f)).toEqual([7, 8, 5, 1]);
    expect(nals.map((n) => n.marker)).toEqual([false, false, true, true]);
  });

  it("assembleFrames in virtual time: frames as the marker arrives, keyframe-needed on loss", async () => {
    const packets = await packetsOf(frames);
    const perFrame = new Map<number, RtpPacket[]>();
    for (const p of packets) perFrame.set(p.timestamp, [...(perFrame.get(p.timestamp) ?? []), p]);
    const g = [...perFrame.values()];
    // frame 1 loses its only packet: the gap is seen when frame 2 arrives (window 1), frame 2
    // (a delta) is held back, and keyframe 3 resumes the stream
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    scheduler.run(({ cold, expectObservable }) => {
      const src = cold<RtpPacket[]>("a-b-c-d-e-f|", {
        a: g[0]!,
        b: [],
        c: g[2]!,
        d: g[3]!,
        e: g[4]!,
        f: g[5]!,
      });
      const summary = src.pipe(
        mergeMap((group) => from(group)),
        assembleFrames({ reorderWindow: 1 }),
        map((e: AssemblerEvent) =>
          e.type === "frame" ? `f${e.frame.keyframe ? "K" : "P"}` : `k:${e.signal.reason}`,
        ),
      );
      expectObservable(summary).toBe("a---b-c-d-e|", {
        a: "fK",
        b: "k:packet-loss",
        c: "fK",
        d: "fP",
        e: "fP",
      });
    });
  });

  it("assembleFrames puts packets back in order and cleans up on unsubscribe", async () => {
    const packets = await packetsOf(frames.slice(0, 1));
    expect(packets).toHaveLength(4); // STAP-A (SPS, PPS) + 3 FU-A of the IDR
    const [p0, p1, p2, p3] = packets;
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    scheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      // p2 arrives before p1; the frame is complete when the marker packet p3 arrives
      const src = hot<RtpPacket>("^-a-c-b-d----", { a: p0!, b: p1!, c: p2!, d: p3! });
      const kinds = src.pipe(
        assembleFrames(),
        map((e) => (e.type === "frame" ? e.frame.data.length : e.type)),
      );
      expectObservable(kinds, "^-----------!").toBe("--------a", { a: aus[0]!.length });
      expectSubscriptions(src.subscriptions).toBe("^-----------!");
    });
  });
});
