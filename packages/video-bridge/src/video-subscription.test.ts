import type { VideoFrame } from "@framewire/rtp-video";
import { ManualScheduler } from "@framewire/test-support";
import { describe, expect, it } from "vitest";
import { FakeBackend, FakeSession, FrameSource, labelOf } from "../test/video-fakes.js";
import { VideoBridgeError } from "./errors.js";
import { VideoBridge } from "./video-bridge.js";

type Session = FakeSession & { readonly subscribesVideo?: boolean };

function setup() {
  const scheduler = new ManualScheduler();
  const bridge = new VideoBridge<Session>({
    scheduler,
    keyframeRequestIntervalMs: 100,
    keyframeRetryMs: 300,
  });
  const join = (id: string, room = "r1", subscribes = false) => {
    const s: Session = Object.assign(new FakeSession(id), { subscribesVideo: subscribes });
    const b = new FakeBackend();
    bridge.addSession(s, room, b);
    return { s, b };
  };
  const collect = (target: Session, source: Session) => {
    const got: string[] = [];
    let completed = false;
    let error: unknown;
    const sub = bridge.subscribe(target, source).subscribe({
      next: (f: VideoFrame) => got.push(labelOf(f.data)),
      complete: () => {
        completed = true;
      },
      error: (e: unknown) => {
        error = e;
      },
    });
    return {
      got,
      sub,
      get completed() {
        return completed;
      },
      get error() {
        return error;
      },
    };
  };
  return { scheduler, bridge, join, collect };
}

describe("VideoBridge.subscribe (per-source subscriptions)", () => {
  it("gives a subscriber every source it subscribes to, each from a keyframe, and nothing else", () => {
    const { bridge, join, collect } = setup();
    const A = join("A");
    const B = join("B");
    const BOT = join("BOT", "r1", true);
    const fromA = collect(BOT.s, A.s);
    const fromB = collect(BOT.s, B.s);
    const a = new FrameSource("A");
    const b = new FrameSource("B");
    bridge.forward(A.s, a.delta()); // before any keyframe of A: held back
    bridge.forward(A.s, a.key());
    bridge.forward(B.s, b.key());
    bridge.forward(A.s, a.delta());
    bridge.forward(B.s, b.delta());
    expect(fromA.got).toEqual(["A:K1", "A:D2"]);
    expect(fromB.got).toEqual(["B:K0", "B:D1"]);
    // the subscriber is never sent the selected source; the phones still see each other
    expect(BOT.b.sent).toEqual([]);
    expect(B.b.labels()).toEqual(["A:K1", "A:D2"]);
    expect(A.b.labels()).toEqual(["B:K0", "B:D1"]);
    expect(bridge.stats().droppedGated).toBeGreaterThanOrEqual(1);
  });

  it("starts a late subscription at the cached keyframe when no delta followed it", () => {
    const { bridge, join, collect } = setup();
    const A = join("A");
    const BOT = join("BOT", "r1", true);
    const a = new FrameSource("A");
    bridge.forward(A.s, a.key());
    const requestsBefore = A.b.keyframeRequests.length;
    const fromA = collect(BOT.s, A.s);
    expect(fromA.got).toEqual(["A:K0"]);
    expect(A.b.keyframeRequests.length).toBe(requestsBefore);
    bridge.forward(A.s, a.delta());
    expect(fromA.got).toEqual(["A:K0", "A:D1"]);
    expect(bridge.stats().cachedKeyframesSent).toBe(1);
  });

  it("asks the source for a keyframe when a delta followed the cached one, and retries while it waits", () => {
    const { scheduler, bridge, join, collect } = setup();
    const A = join("A");
    const BOT = join("BOT", "r1", true);
    const a = new FrameSource("A");
    bridge.forward(A.s, a.key());
    bridge.forward(A.s, a.delta());
    scheduler.advance(1000);
    const before = A.b.keyframeRequests.length;
    const fromA = collect(BOT.s, A.s);
    expect(fromA.got).toEqual([]);
    expect(A.b.keyframeRequests.length).toBe(before + 1);
    bridge.forward(A.s, a.delta());
    expect(fromA.got).toEqual([]);
    scheduler.advance(1000);
    expect(A.b.keyframeRequests.length).toBeGreaterThan(before + 1);
    bridge.forward(A.s, a.key());
    expect(fromA.got).toEqual(["A:K3"]);
  });

  it("requestKeyframe closes the subscription's gate until the next keyframe, which it asks for", () => {
    const { scheduler, bridge, join, collect } = setup();
    const A = join("A");
    const BOT = join("BOT", "r1", true);
    const a = new FrameSource("A");
    const fromA = collect(BOT.s, A.s);
    bridge.forward(A.s, a.key());
    scheduler.advance(1000);
    const before = A.b.keyframeRequests.length;
    bridge.requestKeyframe(BOT.s, A.s);
    expect(A.b.keyframeRequests.length).toBe(before + 1);
    bridge.forward(A.s, a.delta());
    bridge.forward(A.s, a.key());
    expect(fromA.got).toEqual(["A:K0", "A:K2"]);
  });

  it("completes when the source leaves, when the subscriber leaves and when the bridge closes", () => {
    const { bridge, join, collect } = setup();
    const A = join("A");
    const B = join("B");
    const C = join("C");
    const BOT = join("BOT", "r1", true);
    const fromA = collect(BOT.s, A.s);
    const fromB = collect(BOT.s, B.s);
    bridge.removeSession(A.s);
    expect(fromA.completed).toBe(true);
    expect(fromB.completed).toBe(false);
    const BOT2 = join("BOT2", "r1", true);
    const fromC = collect(BOT2.s, C.s);
    bridge.removeSession(BOT2.s);
    expect(fromC.completed).toBe(true);
    bridge.close();
    expect(fromB.completed).toBe(true);
  });

  it("stops delivering once unsubscribed", () => {
    const { bridge, join, collect } = setup();
    const A = join("A");
    const BOT = join("BOT", "r1", true);
    const a = new FrameSource("A");
    const fromA = collect(BOT.s, A.s);
    bridge.forward(A.s, a.key());
    fromA.sub.unsubscribe();
    bridge.forward(A.s, a.delta());
    expect(fromA.got).toEqual(["A:K0"]);
  });

  it("errors with a typed error for sessions not in one room, or a session subscribing to itself", () => {
    const { join, collect } = setup();
    const A = join("A", "r1");
    const X = join("X", "r2", true);
    const cross = collect(X.s, A.s);
    expect(cross.error).toBeInstanceOf(VideoBridgeError);
    expect((cross.error as VideoBridgeError).code).toBe("SESSION_NOT_FOUND");
    const self = collect(A.s, A.s);
    expect((self.error as VideoBridgeError).code).toBe("BAD_OPTION");
  });
});
