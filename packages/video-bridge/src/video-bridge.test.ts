import {
  type BridgeVideoEvent,
  type HookEventMap,
  HookRegistry,
  HookResult,
  HookTrigger,
} from "@framewire/hooks";
import type { RtpVideoBackend, VideoFrame, VideoSession } from "@framewire/rtp-video";
import { ManualScheduler } from "@framewire/test-support";
import { describe, expect, expectTypeOf, it } from "vitest";
import { FakeBackend, FakeSession, FrameSource, flush, labelOf } from "../test/video-fakes.js";
import { RoomFullError, VideoBridgeError } from "./errors.js";
import { VideoBridge } from "./video-bridge.js";
import type { VideoBridgeOptions } from "./video-bridge-options.js";
import type {
  VideoBridgeBackend,
  VideoBridgeEvent,
  VideoBridgeHooks,
} from "./video-bridge-types.js";

const V = HookTrigger.BEFORE_BRIDGE_VIDEO;
type Registry = HookRegistry<HookEventMap<FakeSession, VideoFrame>>;

function setup(opts: VideoBridgeOptions<FakeSession> = {}) {
  const scheduler = new ManualScheduler();
  const bridge = new VideoBridge<FakeSession>({ scheduler, ...opts });
  const events: VideoBridgeEvent<FakeSession>[] = [];
  bridge.events$.subscribe((e) => events.push(e));
  const join = (
    id: string,
    room = "r1",
    codec: ConstructorParameters<typeof FakeSession>[1] = "h264",
  ) => {
    const s = new FakeSession(id, codec);
    const b = new FakeBackend();
    bridge.addSession(s, room, b);
    return { s, b };
  };
  return { scheduler, bridge, events, join };
}

function withLabel(frame: VideoFrame, label: string): VideoFrame {
  const f = new FrameSource(label);
  const made = frame.keyframe ? f.key() : f.delta();
  return { ...frame, data: made.data };
}

describe("VideoBridge two-party forwarding", () => {
  it("forwards each side to the other through the target's own backend, never to itself", () => {
    const { bridge, join } = setup();
    const A = join("A");
    const B = join("B");
    const a = new FrameSource("A", { startMs: 1000 });
    const b = new FrameSource("B", { startMs: 90_000 });
    bridge.forward(A.s, a.key());
    expect(B.b.labels()).toEqual(["A:K0"]);
    bridge.forward(A.s, a.delta());
    bridge.forward(B.s, b.key());
    bridge.forward(B.s, b.delta());
    expect(B.b.labels()).toEqual(["A:K0", "A:D1"]);
    expect(A.b.labels()).toEqual(["B:K0", "B:D1"]);
    expect(B.b.sent.map((s) => s.to)).toEqual(["B", "B"]);
    expect(B.b.sent.map((s) => [s.keyframe, s.timestampMs])).toEqual([
      [true, 0],
      [false, 33],
    ]);
    expect(bridge.stats()).toMatchObject({ framesIn: 4, framesSent: 4, keyframesSent: 2 });
  });

  it("keeps rooms isolated", () => {
    const { bridge, join } = setup();
    const A = join("A", "r1");
    const B = join("B", "r1");
    const C = join("C", "r2");
    const D = join("D", "r2");
    const a = new FrameSource("A");
    const c = new FrameSource("C");
    bridge.forward(A.s, a.key());
    bridge.forward(C.s, c.key());
    expect(B.b.labels()).toEqual(["A:K0"]);
    expect(D.b.labels()).toEqual(["C:K0"]);
    expect(C.b.labels()).toEqual([]);
    expect(A.b.labels()).toEqual([]);
    expect(bridge.getSessions("r2").map((s) => s.id)).toEqual(["C", "D"]);
  });

  it("counts frames of sessions it does not bridge", () => {
    const { bridge } = setup();
    bridge.forward(new FakeSession("X"), new FrameSource("X").key());
    expect(bridge.stats().unknownSource).toBe(1);
  });
});

describe("VideoBridge membership", () => {
  it("throws a RoomFullError naming the room and the limit; re-adding is no new participant", () => {
    const { bridge, join } = setup({ maxParticipants: 2 });
    const A = join("A");
    join("B");
    let error: unknown;
    try {
      join("C");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RoomFullError);
    expect(error).toBeInstanceOf(VideoBridgeError);
    expect(error).toMatchObject({ code: "ROOM_FULL", roomId: "r1", limit: 2 });
    expect((error as Error).message).toMatch(/room r1 is full.*2/);
    const newBackend = new FakeBackend();
    bridge.addSession(A.s, "r1", newBackend);
    expect(bridge.getParticipantCount("r1")).toBe(2);
    join("C", "r2");
    expect(bridge.getParticipantCount("r2")).toBe(1);
  });

  it("moves a session to another room, and removes sessions", () => {
    const { bridge, join, events } = setup();
    const A = join("A");
    const B = join("B");
    bridge.addSession(A.s, "r2", A.b);
    expect(bridge.getRoomId(A.s)).toBe("r2");
    expect(bridge.getParticipantCount("r1")).toBe(1);
    bridge.forward(A.s, new FrameSource("A").key());
    expect(B.b.sent).toEqual([]);
    expect(bridge.removeSession(B.s)).toBe(true);
    expect(bridge.removeSession("B")).toBe(false);
    expect(bridge.getParticipantCount("r1")).toBe(0);
    expect(bridge.getSessions("r1")).toEqual([]);
    expect(events.filter((e) => e.type === "session-removed").length).toBe(2);
  });

  it("closes once: forwards nothing after, refuses sessions, completes its observables", () => {
    const { bridge, join, events } = setup();
    const A = join("A");
    const B = join("B");
    let completed = false;
    bridge.forwarded$.subscribe({ complete: () => (completed = true) });
    bridge.close();
    bridge.close();
    expect(bridge.closed).toBe(true);
    expect(events.filter((e) => e.type === "closed")).toHaveLength(1);
    expect(completed).toBe(true);
    bridge.forward(A.s, new FrameSource("A").key());
    expect(B.b.sent).toEqual([]);
    expect(() => join("C")).toThrow(/BRIDGE_CLOSED/);
    expect(bridge.getParticipantCount("r1")).toBe(0);
  });

  it("validates its options", () => {
    expect(() => new VideoBridge({ forwardingStrategy: "composite" as "forward" })).toThrow(
      /UNSUPPORTED/,
    );
    expect(() => new VideoBridge({ maxParticipants: 0 })).toThrow(/BAD_OPTION/);
    expect(() => new VideoBridge({ keyframeRequestIntervalMs: -1 })).toThrow(/BAD_OPTION/);
  });
});

describe("VideoBridge enabled", () => {
  it("enabled = false forwards nothing", () => {
    const { bridge, join } = setup({ enabled: false });
    const A = join("A");
    const B = join("B");
    bridge.forward(A.s, new FrameSource("A").key());
    expect(B.b.sent).toEqual([]);
    expect(bridge.stats().droppedDisabled).toBe(1);
  });

  it("pauses and resumes: on resume gates close and a keyframe is asked for", () => {
    const { bridge, join, scheduler } = setup();
    const A = join("A");
    const B = join("B");
    const a = new FrameSource("A");
    bridge.forward(A.s, a.key());
    bridge.forward(A.s, a.delta());
    bridge.setEnabled(false);
    expect(bridge.enabled).toBe(false);
    bridge.forward(A.s, a.delta());
    scheduler.advance(1000);
    const requests = A.b.keyframeRequests.length;
    bridge.setEnabled(true);
    expect(A.b.keyframeRequests.length).toBe(requests + 1);
    bridge.forward(A.s, a.delta());
    bridge.forward(A.s, a.key());
    bridge.forward(A.s, a.delta());
    expect(B.b.labels()).toEqual(["A:K0", "A:D1", "A:K4", "A:D5"]);
  });
});

describe("VideoBridge filter and processor", () => {
  it("drops what the filter drops (and the deltas after it until a keyframe), forwards what it returns", () => {
    const { bridge, join } = setup();
    const A = join("A");
    const B = join("B");
    const a = new FrameSource("A");
    let mute = false;
    bridge.setFrameFilter((source, frame) => {
      if (mute && source.id === "A") return null;
      return frame.keyframe ? withLabel(frame, "filtered") : frame;
    });
    bridge.forward(A.s, a.key());
    bridge.forward(A.s, a.delta());
    mute = true;
    bridge.forward(A.s, a.delta());
    mute = false;
    bridge.forward(A.s, a.delta());
    bridge.forward(A.s, a.key());
    bridge.forward(A.s, a.delta());
    expect(B.b.labels()).toEqual(["filtered:K0", "A:D1", "filtered:K0", "A:D5"]);
    expect(bridge.stats()).toMatchObject({ droppedFiltered: 1, droppedBrokenChain: 1 });
    bridge.setFrameFilter(null);
    bridge.forward(A.s, a.delta());
    expect(B.b.labels().at(-1)).toBe("A:D6");
  });

  it("drops a frame whose filter throws (fail-closed) and counts it", () => {
    const { bridge, join } = setup();
    const A = join("A");
    const B = join("B");
    bridge.setFrameFilter(() => {
      throw new Error("bug");
    });
    bridge.forward(A.s, new FrameSource("A").key());
    expect(B.b.sent).toEqual([]);
    expect(bridge.stats()).toMatchObject({ filterErrors: 1, droppedFiltered: 1 });
  });

  it("transforms per target with the frame processor", () => {
    const { bridge, join } = setup();
    const A = join("A");
    const B = join("B");
    const C = join("C");
    const seen: string[] = [];
    bridge.setFrameProcessor((target, frame) => {
      seen.push(`${target.id}<-${labelOf(frame.data)}`);
      return withLabel(frame, `for-${target.id}`);
    });
    bridge.forward(A.s, new FrameSource("A").key());
    expect(seen).toEqual(["B<-A:K0", "C<-A:K0"]);
    expect(B.b.labels()).toEqual(["for-B:K0"]);
    expect(C.b.labels()).toEqual(["for-C:K0"]);
  });
});

describe("VideoBridge failures and re-entrancy", () => {
  it("a target whose send throws does not stop the others", () => {
    const { bridge, join, events } = setup();
    const A = join("A");
    const B = join("B");
    const C = join("C");
    B.b.failSend = () => true;
    bridge.forward(A.s, new FrameSource("A").key());
    expect(C.b.labels()).toEqual(["A:K0"]);
    expect(bridge.stats().targetErrors).toBe(1);
    expect(events.find((e) => e.type === "target-failed")).toMatchObject({
      target: B.s,
      source: A.s,
    });
    expect(bridge.getCurrentSource(B.s)).toBeNull();
    expect(bridge.getCurrentSource(C.s)).toBe(A.s);
  });

  it("a filter that removes a target mid-forward: the target is skipped, nothing breaks", () => {
    const { bridge, join } = setup();
    const A = join("A");
    const B = join("B");
    const C = join("C");
    bridge.setFrameFilter((_s, frame) => {
      bridge.removeSession(C.s);
      return frame;
    });
    bridge.forward(A.s, new FrameSource("A").key());
    expect(B.b.labels()).toEqual(["A:K0"]);
    expect(C.b.sent).toEqual([]);
  });

  it("a filter that removes the source itself: the frame goes nowhere", () => {
    const { bridge, join } = setup();
    const A = join("A");
    const B = join("B");
    bridge.setFrameFilter((s, frame) => {
      bridge.removeSession(s);
      return frame;
    });
    bridge.forward(A.s, new FrameSource("A").key());
    expect(B.b.sent).toEqual([]);
    expect(bridge.getParticipantCount("r1")).toBe(1);
  });

  it("a send that removes a later target, or the source, mid-loop", () => {
    const { bridge, join } = setup();
    const A = join("A");
    const B = join("B");
    const C = join("C");
    const D = join("D");
    B.b.onSend = () => bridge.removeSession(C.s);
    bridge.forward(A.s, new FrameSource("A").key());
    expect(C.b.sent).toEqual([]);
    expect(D.b.labels()).toEqual(["A:K0"]);
    B.b.onSend = () => bridge.removeSession(A.s);
    bridge.forward(A.s, new FrameSource("A", { startMs: 33 }).delta());
    expect(D.b.labels()).toEqual(["A:K0"]);
  });

  it("a frame forwarded from inside a send of the same source is queued behind the current one", () => {
    const { bridge, join } = setup();
    const A = join("A");
    const B = join("B");
    const C = join("C");
    const a = new FrameSource("A");
    const k0 = a.key();
    const d1 = a.delta();
    let once = true;
    B.b.onSend = () => {
      if (!once) return;
      once = false;
      bridge.forward(A.s, d1);
    };
    bridge.forward(A.s, k0);
    expect(B.b.labels()).toEqual(["A:K0", "A:D1"]);
    expect(C.b.labels()).toEqual(["A:K0", "A:D1"]);
  });
});

describe("VideoBridge codecs", () => {
  it("does not send a frame to a target that decodes another codec (no transcoding), and counts it", () => {
    const { bridge, join } = setup();
    const A = join("A", "r1", "h264");
    const B = join("B", "r1", "vp8");
    const C = join("C", "r1", "h264");
    const D = join("D", "r1", "none");
    bridge.forward(A.s, new FrameSource("A").key());
    expect(B.b.sent).toEqual([]);
    expect(D.b.sent).toEqual([]);
    expect(C.b.labels()).toEqual(["A:K0"]);
    expect(bridge.stats().codecMismatch).toBe(2);
    bridge.forward(B.s, new FrameSource("B", { codec: "vp8" }).key());
    expect(A.b.sent).toEqual([]);
    expect(C.b.labels()).toEqual(["A:K0"]);
    expect(bridge.stats().codecMismatch).toBe(5);
  });
});

describe("VideoBridge hooks (BEFORE_BRIDGE_VIDEO)", () => {
  function hooked(opts: VideoBridgeOptions<FakeSession> = {}) {
    const scheduler = new ManualScheduler();
    const hooks: Registry = new HookRegistry({ scheduler });
    const bridge = new VideoBridge<FakeSession>({ scheduler, hooks, ...opts });
    const join = (id: string, room = "r1") => {
      const s = new FakeSession(id);
      const b = new FakeBackend();
      bridge.addSession(s, room, b);
      return { s, b };
    };
    const run = async (ms: number) => {
      for (let t = 0; t < ms; t++) {
        scheduler.advance(1);
        await flush();
      }
      await flush();
    };
    return { scheduler, hooks, bridge, join, run };
  }

  /** holdFrames adds a hook holding each frame until its `release` is called; `off` removes it. */
  function holdFrames(hooks: Registry, timeoutMs?: number) {
    const release: (() => void)[] = [];
    const off = hooks.hook(
      V,
      () => new Promise<undefined>((r) => release.push(() => r(undefined))),
      timeoutMs === undefined ? {} : { timeoutMs },
    );
    return { release, off };
  }

  /** releaseHeld releases the held frames one at a time (at most `max`), 1 ms of run after each. */
  async function releaseHeld(
    release: (() => void)[],
    run: (ms: number) => Promise<void>,
    max: number,
  ) {
    for (let i = 0; i < max && release.length > 0; i++) {
      release.shift()!();
      await run(1);
    }
  }

  it("fast path: without a hook for the room, forward() sends synchronously", () => {
    const { bridge, join } = hooked();
    const A = join("A");
    const B = join("B");
    bridge.forward(A.s, new FrameSource("A").key());
    expect(B.b.labels()).toEqual(["A:K0"]);
  });

  it("hook path: asynchronous, yet per-source order is kept whatever each hook run takes", async () => {
    const { bridge, join, hooks, scheduler, run } = hooked();
    const A = join("A");
    const B = join("B");
    const delays = [50, 5, 20, 1];
    hooks.hook(
      V,
      () =>
        new Promise<undefined>((resolve) =>
          scheduler.schedule(() => resolve(undefined), delays.shift() ?? 0),
        ),
      { roomId: "r1" },
    );
    const a = new FrameSource("A");
    bridge.forward(A.s, a.key());
    bridge.forward(A.s, a.delta());
    bridge.forward(A.s, a.delta());
    bridge.forward(A.s, a.key());
    expect(B.b.sent).toEqual([]);
    await run(49);
    expect(B.b.sent).toEqual([]);
    await run(100);
    expect(B.b.labels()).toEqual(["A:K0", "A:D1", "A:D2", "A:K3"]);
  });

  it("a hook of one room does not slow another room", async () => {
    const { bridge, join, hooks, run } = hooked();
    const A = join("A", "r1");
    const B = join("B", "r1");
    const C = join("C", "r2");
    const D = join("D", "r2");
    hooks.hook(V, async () => HookResult.allow(), { roomId: "r1" });
    bridge.forward(C.s, new FrameSource("C").key());
    expect(D.b.labels()).toEqual(["C:K0"]);
    bridge.forward(A.s, new FrameSource("A").key());
    expect(B.b.labels()).toEqual([]);
    await run(1);
    expect(B.b.labels()).toEqual(["A:K0"]);
  });

  it("block drops the frame and the deltas depending on it; modify replaces the frame", async () => {
    const { bridge, join, hooks, run } = hooked();
    const A = join("A");
    const B = join("B");
    hooks.hook(V, (e) => {
      const label = labelOf(e.frame.data);
      if (label === "A:D1") return HookResult.block("video_muted");
      if (label === "A:D5") return HookResult.modify({ ...e, frame: withLabel(e.frame, "mod") });
      return undefined;
    });
    const a = new FrameSource("A");
    for (let i = 0; i < 6; i++) bridge.forward(A.s, i === 0 || i === 3 ? a.key() : a.delta());
    await run(1);
    expect(B.b.labels()).toEqual(["A:K0", "A:K3", "A:D4", "mod:D0"]);
    expect(bridge.stats()).toMatchObject({ droppedByHook: 1, droppedBrokenChain: 1 });
  });

  it("a hook that times out is skipped (fail-open) in virtual time", async () => {
    const { bridge, join, hooks, run } = hooked();
    const A = join("A");
    const B = join("B");
    hooks.hook(V, () => new Promise<undefined>(() => {}), { timeoutMs: 100 });
    bridge.forward(A.s, new FrameSource("A").key());
    await run(99);
    expect(B.b.sent).toEqual([]);
    await run(1);
    expect(B.b.labels()).toEqual(["A:K0"]);
    expect(hooks.stats().timeouts).toBe(1);
  });

  it("bounds the queue: drops the oldest delta chain, never a keyframe before deltas", async () => {
    const { bridge, join, hooks, run } = hooked({ maxQueuedFrames: 4 });
    const A = join("A");
    const B = join("B");
    const { release } = holdFrames(hooks, Number.POSITIVE_INFINITY);
    const a = new FrameSource("A");
    const plan = "KDDDKDDDDDK"; // K0 in flight, queue D1 D2 D3 K4, then D5.. overflow
    for (const c of plan) bridge.forward(A.s, c === "K" ? a.key() : a.delta());
    // D5 dropped D1-D3; D8 dropped D5-D7 and itself; D9 dropped until a keyframe; K10 queued.
    expect(bridge.stats()).toMatchObject({ droppedQueue: 7, droppedBrokenChain: 1 });
    await releaseHeld(release, run, 10);
    expect(B.b.labels()).toEqual(["A:K0", "A:K4", "A:K10"]);
  });

  it("drops the oldest keyframe only when the queue holds nothing else", async () => {
    const { bridge, join, hooks, run } = hooked({ maxQueuedFrames: 2 });
    const A = join("A");
    const B = join("B");
    const { release } = holdFrames(hooks, Number.POSITIVE_INFINITY);
    const a = new FrameSource("A");
    for (let i = 0; i < 4; i++) bridge.forward(A.s, a.key());
    expect(bridge.stats().droppedQueue).toBe(1);
    await releaseHeld(release, run, 5);
    expect(B.b.labels()).toEqual(["A:K0", "A:K2", "A:K3"]);
  });

  it("keeps order when the hooks go away while frames are queued", async () => {
    const { bridge, join, hooks, run } = hooked();
    const A = join("A");
    const B = join("B");
    const { release, off } = holdFrames(hooks);
    const a = new FrameSource("A");
    bridge.forward(A.s, a.key());
    bridge.forward(A.s, a.delta());
    off();
    bridge.forward(A.s, a.delta());
    expect(B.b.sent).toEqual([]);
    release.shift()!();
    await run(1);
    expect(B.b.labels()).toEqual(["A:K0", "A:D1", "A:D2"]);
    bridge.forward(A.s, a.delta());
    expect(B.b.labels().at(-1)).toBe("A:D3");
  });

  it("drops queued frames of a session removed while its hooks run", async () => {
    const { bridge, join, hooks, run } = hooked();
    const A = join("A");
    const B = join("B");
    hooks.hook(V, async () => undefined);
    const a = new FrameSource("A");
    bridge.forward(A.s, a.key());
    bridge.forward(A.s, a.delta());
    bridge.removeSession(A.s);
    await run(1);
    expect(B.b.sent).toEqual([]);
  });
});

describe("VideoBridge observables", () => {
  it("emits forwarded frames and periodic stats on the scheduler", () => {
    const { bridge, join, scheduler } = setup();
    const A = join("A");
    join("B");
    const forwarded: string[] = [];
    bridge.forwarded$.subscribe((f) =>
      forwarded.push(`${f.source.id}->${f.target.id}@${f.timestampMs}`),
    );
    const stats: number[] = [];
    let done = false;
    bridge
      .statsEvery(1000)
      .subscribe({ next: (s) => stats.push(s.framesSent), complete: () => (done = true) });
    const a = new FrameSource("A");
    bridge.forward(A.s, a.key());
    scheduler.advance(1000);
    bridge.forward(A.s, a.delta());
    scheduler.advance(1000);
    expect(forwarded).toEqual(["A->B@0", "A->B@33"]);
    expect(stats).toEqual([1, 2]);
    bridge.close();
    expect(done).toBe(true);
    expect(scheduler.pending).toBe(0);
  });
});

describe("VideoBridge types", () => {
  it("drives RtpVideoBackend sessions and takes a HookRegistry as its hooks", () => {
    expectTypeOf<RtpVideoBackend>().toExtend<VideoBridgeBackend<VideoSession>>();
    expectTypeOf<HookRegistry<HookEventMap<VideoSession, VideoFrame>>>().toExtend<
      VideoBridgeHooks<VideoSession>
    >();
    expectTypeOf<HookRegistry<HookEventMap<VideoSession, VideoFrame, unknown, unknown>>>().toExtend<
      VideoBridgeHooks<VideoSession>
    >();
    expectTypeOf<BridgeVideoEvent<FakeSession, VideoFrame>>()
      .toHaveProperty("frame")
      .toEqualTypeOf<VideoFrame>();
    expectTypeOf(new VideoBridge().getSessions("r")).toEqualTypeOf<VideoSession[]>();
  });
});
