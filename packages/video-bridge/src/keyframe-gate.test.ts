import type { VideoFrame } from "@framewire/rtp-video";
import { describe, expect, it } from "vitest";
import {
  accessUnit,
  bridgeHarness,
  type FakeSession,
  FrameSource,
  NAL,
  nalTypes,
  speakerRoom,
} from "../test/video-fakes.js";
import type { VideoBridgeOptions } from "./video-bridge-options.js";

function setup(opts: VideoBridgeOptions<FakeSession> = {}) {
  const { scheduler, bridge, events, join } = bridgeHarness(opts);
  const requests = (events_ = events) =>
    events_.flatMap((e) =>
      e.type === "keyframe-requested" ? [`${e.source.id}:${e.reason}@${scheduler.now()}`] : [],
    );
  return { scheduler, bridge, events, join, requests };
}

describe("delta gate (per target and source)", () => {
  it("sends a source's deltas to a target only after a keyframe of that source", () => {
    const { bridge, join, scheduler } = setup();
    const A = join("A");
    const B = join("B");
    const a = new FrameSource("A");
    bridge.forward(A.s, a.delta());
    bridge.forward(A.s, a.delta());
    expect(B.b.sent).toEqual([]);
    expect(bridge.stats().droppedGated).toBe(2);
    expect(A.b.keyframeRequests).toEqual(["A"]);
    scheduler.advance(500);
    bridge.forward(A.s, a.delta());
    expect(A.b.keyframeRequests).toEqual(["A", "A"]);
    bridge.forward(A.s, a.key());
    bridge.forward(A.s, a.delta());
    expect(B.b.labels()).toEqual(["A:K3", "A:D4"]);
  });

  it("a target that joins mid-GOP waits while an earlier target keeps receiving", () => {
    const { bridge, join } = setup();
    const A = join("A");
    const B = join("B");
    const a = new FrameSource("A");
    bridge.forward(A.s, a.key());
    bridge.forward(A.s, a.delta());
    const C = join("C");
    bridge.forward(A.s, a.delta());
    expect(B.b.labels()).toEqual(["A:K0", "A:D1", "A:D2"]);
    expect(C.b.labels()).toEqual(["A:K0"]);
    bridge.forward(A.s, a.key());
    bridge.forward(A.s, a.delta());
    expect(C.b.labels()).toEqual(["A:K0", "A:K3", "A:D4"]);
  });
});

describe("cached keyframe for a late joiner", () => {
  it("sends the cached keyframe at once, inside addSession, then waits for a live keyframe", () => {
    const { bridge, join, scheduler, requests, events } = setup();
    const A = join("A");
    join("B");
    const a = new FrameSource("A", { startMs: 10_000 });
    bridge.forward(A.s, a.key());
    scheduler.advance(33);
    bridge.forward(A.s, a.delta());
    scheduler.advance(33);
    bridge.forward(A.s, a.delta());
    scheduler.advance(20);
    const before = events.length;
    const C = join("C");
    expect(C.b.labels()).toEqual(["A:K0"]);
    expect(C.b.sent[0]).toMatchObject({ keyframe: true, timestampMs: 0 });
    // B's join asked A at 0 ms: the rate limit defers this request to 500 ms
    expect(requests(events.slice(before))).toEqual([]);
    expect(events.slice(before).find((e) => e.type === "source-switched")).toMatchObject({
      target: C.s,
      from: null,
      to: A.s,
      cached: true,
    });
    scheduler.advance(13);
    bridge.forward(A.s, a.delta());
    expect(C.b.labels()).toEqual(["A:K0"]);
    scheduler.advance(401);
    expect(requests(events.slice(before))).toEqual(["A:join@500"]);
    scheduler.advance(30);
    bridge.forward(A.s, a.key());
    scheduler.advance(33);
    bridge.forward(A.s, a.delta());
    expect(C.b.labels()).toEqual(["A:K0", "A:K4", "A:D5"]);
    // replayed keyframe at 86 ms, live keyframe at 530 ms (real elapsed 444), then the source's delta
    expect(C.b.sent.map((s) => s.timestampMs)).toEqual([0, 444, 477]);
    expect(bridge.stats().cachedKeyframesSent).toBe(1);
  });

  it("opens the gate at once when no delta followed the cached keyframe", () => {
    const { bridge, join } = setup();
    const A = join("A");
    join("B");
    const a = new FrameSource("A");
    bridge.forward(A.s, a.key());
    const C = join("C");
    bridge.forward(A.s, a.delta());
    expect(C.b.labels()).toEqual(["A:K0", "A:D1"]);
  });

  it("prepends the SPS/PPS seen earlier when the cached keyframe lacks them", () => {
    const { bridge, join } = setup();
    const A = join("A");
    const B = join("B");
    const a = new FrameSource("A");
    const params: VideoFrame = { ...a.delta(), data: accessUnit(NAL.SPS, NAL.PPS) };
    bridge.forward(A.s, params);
    bridge.forward(A.s, a.key(false));
    expect(nalTypes(B.b.sent.at(-1)!.data)).toEqual([7, 8, 5]);
    const C = join("C");
    expect(nalTypes(C.b.sent[0]!.data)).toEqual([7, 8, 5]);
    expect(C.b.labels()).toEqual(["A:K1"]);
  });
});

describe("keyframe requests", () => {
  it("relays a receiver's PLI/FIR to the source it receives, rate-limited per source", () => {
    const { bridge, join, scheduler } = setup({ keyframeRequestIntervalMs: 500 });
    const { A, B, C, a } = speakerRoom({ bridge, join });
    expect(bridge.getCurrentSource(B.s)).toBe(A.s);
    scheduler.advance(1000);
    const base = A.b.keyframeRequests.length;
    B.s.pli();
    scheduler.advance(100);
    B.s.pli("fir");
    scheduler.advance(100);
    C.s.pli(); // C receives A too: same source, same limit
    scheduler.advance(300);
    B.s.pli();
    // sent at 1000; the PLIs at 1100 and 1200 collapse into one trailing request at 1500; the
    // PLI at 1500 falls into the next interval and is sent at 2000
    expect(A.b.keyframeRequests.length - base).toBe(2);
    expect(C.b.keyframeRequests).toEqual([]);
    expect(bridge.stats()).toMatchObject({ pliReceived: 4, pliRelayed: 1 });
    scheduler.advance(499);
    expect(A.b.keyframeRequests.length - base).toBe(2);
    scheduler.advance(1);
    expect(A.b.keyframeRequests.length - base).toBe(3);
    bridge.forward(A.s, a.key());
    B.s.pli();
    scheduler.advance(1000);
    expect(A.b.keyframeRequests.length - base).toBe(3);
  });

  it("asks again every keyframeRetryMs on the scheduler while a target waits, with no frame arriving", () => {
    const { bridge, join, scheduler, requests } = setup({ keyframeRetryMs: 1000 });
    const A = join("A");
    const a = new FrameSource("A");
    bridge.forward(A.s, a.delta());
    join("B");
    expect(requests()).toEqual(["A:join@0"]);
    scheduler.advance(1000);
    scheduler.advance(1000);
    const log = requests();
    expect(log).toHaveLength(3);
    expect(A.b.keyframeRequests).toEqual(["A", "A", "A"]);
    // A went silent: after activeSourceTimeoutMs (2000) nobody waits for it any more
    scheduler.advance(1000);
    scheduler.advance(5000);
    expect(A.b.keyframeRequests).toHaveLength(3);
    expect(scheduler.pending).toBe(0);
  });

  it("stops retrying once the gate is open", () => {
    const { bridge, join, scheduler } = setup({ keyframeRetryMs: 1000 });
    const A = join("A");
    const B = join("B");
    const a = new FrameSource("A");
    bridge.forward(A.s, a.delta());
    scheduler.advance(200);
    bridge.forward(A.s, a.key());
    expect(B.b.labels()).toEqual(["A:K1"]);
    scheduler.advance(1000);
    expect(scheduler.pending).toBe(0);
    expect(A.b.keyframeRequests).toEqual(["A"]);
  });

  it("counts a backend whose requestKeyframe throws", () => {
    const { bridge, join } = setup();
    const A = join("A");
    A.b.onRequest = () => {
      throw new Error("no video");
    };
    bridge.forward(A.s, new FrameSource("A").delta());
    join("B");
    expect(bridge.stats().keyframeRequestErrors).toBe(1);
  });
});
