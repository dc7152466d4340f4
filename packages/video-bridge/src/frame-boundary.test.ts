import { type HookEventMap, HookRegistry, HookResult, HookTrigger } from "@framewire/hooks";
import type { VideoFrame } from "@framewire/rtp-video";
import { ManualScheduler } from "@framewire/test-support";
import { describe, expect, it } from "vitest";
import {
  accessUnit,
  bridgeHarness,
  type FakeSession,
  FrameSource,
  flush,
  slice,
} from "../test/video-fakes.js";

// A VideoFrame that a user builds and hands to the bridge (forward, a filter's result, a hook's
// modified frame, a processor's result) is checked where it enters: a JavaScript caller's mistake
// is a typed INVALID_VIDEO_FRAME error naming the field, never a crash deeper down.

const setup = bridgeHarness;

/** malformed makes a frame whose `change` fields are wrong, as a JavaScript caller might. */
function malformed(frame: VideoFrame, change: Record<string, unknown>): VideoFrame {
  return { ...frame, ...change } as unknown as VideoFrame;
}

/** thrown runs `fn` and returns what it threw (undefined when it did not throw). */
function thrown(fn: () => void): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

const cases: [string, Record<string, unknown>, string][] = [
  ["data as a plain array", { data: [0, 0, 0, 1, 0x65] }, "data"],
  ["data missing", { data: undefined }, "data"],
  ["codec in upper case", { codec: "H264" }, "codec"],
  ["keyframe as a string", { keyframe: "true" }, "keyframe"],
  ["timestampMs NaN", { timestampMs: Number.NaN }, "timestampMs"],
  ["rtpTimestamp negative", { rtpTimestamp: -1 }, "rtpTimestamp"],
  ["sequence fractional", { sequence: 1.5 }, "sequence"],
  ["width negative", { width: -1 }, "width"],
  ["height missing", { height: undefined }, "height"],
];

describe("VideoBridge.forward checks the frame it is given", () => {
  it.each(cases)(
    "%s: INVALID_VIDEO_FRAME naming the field, nothing sent or counted",
    (_n, change, field) => {
      const { bridge, join } = setup();
      const A = join("A");
      const B = join("B");
      const error = thrown(() =>
        bridge.forward(A.s, malformed(new FrameSource("A").key(), change)),
      );
      expect(error).toMatchObject({
        name: "InvalidVideoFrameError",
        code: "INVALID_VIDEO_FRAME",
        field,
        message: expect.stringContaining(`VideoBridge.forward: frame.${field} must`),
      });
      expect(B.b.sent).toEqual([]);
      expect(bridge.stats()).toMatchObject({ framesIn: 0, framesRouted: 0, framesSent: 0 });
    },
  );

  it("rejects a value that is no frame at all, and keeps working afterwards", () => {
    const { bridge, join } = setup();
    const A = join("A");
    const B = join("B");
    for (const bad of [undefined, null, "frame", new Uint8Array(8)]) {
      expect(thrown(() => bridge.forward(A.s, bad as unknown as VideoFrame))).toMatchObject({
        code: "INVALID_VIDEO_FRAME",
      });
    }
    bridge.forward(A.s, new FrameSource("A").key());
    expect(B.b.labels()).toEqual(["A:K0"]);
  });
});

describe("what the bridge's callbacks return is checked too", () => {
  it("a filter returning a malformed frame (or undefined) is a failed filter: dropped, counted, the error on events$", () => {
    const { bridge, join, events } = setup();
    const A = join("A");
    const B = join("B");
    const a = new FrameSource("A");
    const results: ((f: VideoFrame) => VideoFrame | null)[] = [
      (f) => f,
      (f) => malformed(f, { data: "not bytes" }),
      () => undefined as unknown as VideoFrame,
      (f) => f,
    ];
    bridge.setFrameFilter((_s, f) => results.shift()!(f));
    bridge.forward(A.s, a.key());
    bridge.forward(A.s, a.delta());
    bridge.forward(A.s, a.delta());
    bridge.forward(A.s, a.key());
    expect(B.b.labels()).toEqual(["A:K0", "A:K3"]);
    expect(bridge.stats()).toMatchObject({ filterErrors: 2, droppedFiltered: 2 });
    const drops = events.filter((e) => e.type === "frame-dropped");
    expect(drops).toHaveLength(2);
    expect(drops[0]).toMatchObject({
      reason: "filter-error",
      error: { code: "INVALID_VIDEO_FRAME", field: "data" },
    });
    expect(drops[1]).toMatchObject({ reason: "filter-error", error: { field: "" } });
  });

  it("a processor returning a malformed frame fails that target only (target-failed, with the error)", () => {
    const { bridge, join, events } = setup();
    const A = join("A");
    const B = join("B");
    const C = join("C");
    bridge.setFrameProcessor((target, f) => (target.id === "B" ? malformed(f, { width: 1.5 }) : f));
    bridge.forward(A.s, new FrameSource("A").key());
    expect(B.b.sent).toEqual([]);
    expect(C.b.labels()).toEqual(["A:K0"]);
    expect(bridge.stats().targetErrors).toBe(1);
    expect(events.find((e) => e.type === "target-failed")).toMatchObject({
      target: B.s,
      error: { code: "INVALID_VIDEO_FRAME", field: "width" },
    });
  });

  it("a hook modifying the frame into a malformed one is a failed hook: the original frame goes on (fail-open)", async () => {
    const scheduler = new ManualScheduler();
    const hooks = new HookRegistry<HookEventMap<FakeSession, VideoFrame>>({ scheduler });
    const { bridge, join } = setup({ hooks });
    const A = join("A");
    const B = join("B");
    hooks.hook(HookTrigger.BEFORE_BRIDGE_VIDEO, (e) =>
      HookResult.modify({ ...e, frame: malformed(e.frame, { codec: "h265" }) }),
    );
    bridge.forward(A.s, new FrameSource("A").key());
    await flush();
    await flush();
    expect(B.b.labels()).toEqual(["A:K0"]);
    expect(bridge.stats()).toMatchObject({ hookErrors: 1, framesSent: 1 });
  });

  it("a well-formed frame of the caller's own (a filter's replacement) is forwarded", () => {
    const { bridge, join } = setup();
    const A = join("A");
    const B = join("B");
    bridge.setFrameFilter((_s, f) => ({
      ...f,
      data: accessUnit(slice("own:K0", true)),
    }));
    bridge.forward(A.s, new FrameSource("A").key());
    expect(B.b.labels()).toEqual(["own:K0"]);
  });
});
