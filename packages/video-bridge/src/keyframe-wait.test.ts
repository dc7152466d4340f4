import type { ManualScheduler } from "@framewire/test-support";
import { describe, expect, it } from "vitest";
import { bridgeHarness, type FakeSession, FrameSource, speakerRoom } from "../test/video-fakes.js";
import { VideoBridge } from "./video-bridge.js";
import type { VideoBridgeOptions } from "./video-bridge-options.js";

// keyframeWaitMs (roomkit's keyframe_wait_s): how long a target holds back the deltas of a source
// it has no keyframe of. Virtual time throughout: the wait is measured on the injected scheduler.

function setup(opts: VideoBridgeOptions<FakeSession> = {}) {
  const { scheduler, bridge, events, join } = bridgeHarness(opts);
  const waitsEnded = () =>
    events.flatMap((e) =>
      e.type === "keyframe-wait-ended" ? [`${e.target.id}<-${e.source.id}:${e.waitedMs}`] : [],
    );
  return { scheduler, bridge, events, join, waitsEnded };
}

/** deltas forwards `n` deltas of `src`, one every `stepMs` of virtual time (the first at once). */
function deltas(
  bridge: VideoBridge<FakeSession>,
  scheduler: ManualScheduler,
  session: FakeSession,
  src: FrameSource,
  n: number,
  stepMs = 100,
): void {
  for (let i = 0; i < n; i++) {
    if (i > 0) scheduler.advance(stepMs);
    bridge.forward(session, src.delta());
  }
}

describe("keyframeWaitMs: the keyframe gate, bounded", () => {
  it("by default a source that never sends a keyframe stays gated (today's behaviour), asked again and again", () => {
    const { bridge, join, scheduler } = setup();
    const A = join("A");
    const B = join("B");
    deltas(bridge, scheduler, A.s, new FrameSource("A"), 100); // 9.9 s of deltas, no keyframe
    expect(B.b.sent).toEqual([]);
    expect(bridge.stats()).toMatchObject({ droppedGated: 100, deltasPassedAfterWait: 0 });
    expect(A.b.keyframeRequests.length).toBeGreaterThanOrEqual(10);
  });

  it("a positive value: a source that never answers PLI reaches its target once it waited that long", () => {
    const { bridge, join, scheduler, waitsEnded, events } = setup({ keyframeWaitMs: 1000 });
    const A = join("A");
    const B = join("B");
    const a = new FrameSource("A");
    // the wait starts with the first delta held (at 0); deltas at 100 … 900 ms are held too
    deltas(bridge, scheduler, A.s, a, 10);
    expect(B.b.sent).toEqual([]);
    expect(bridge.stats().droppedGated).toBe(10);
    scheduler.advance(99);
    bridge.forward(A.s, a.delta()); // 999 ms: not yet
    expect(B.b.sent).toEqual([]);
    scheduler.advance(1);
    bridge.forward(A.s, a.delta()); // 1000 ms: passes, and the gate stays open
    scheduler.advance(100);
    bridge.forward(A.s, a.delta());
    expect(B.b.labels()).toEqual(["A:D11", "A:D12"]);
    expect(bridge.getCurrentSource(B.s)).toBe(A.s);
    expect(waitsEnded()).toEqual(["B<-A:1000"]);
    // a keyframe ends the keyless stretch: its deltas are ordinary again
    scheduler.advance(100);
    bridge.forward(A.s, a.key());
    scheduler.advance(100);
    bridge.forward(A.s, a.delta());
    expect(B.b.labels()).toEqual(["A:D11", "A:D12", "A:K13", "A:D14"]);
    expect(bridge.stats()).toMatchObject({
      droppedGated: 11,
      deltasPassedAfterWait: 2,
      framesSent: 4,
    });
    expect(events.filter((e) => e.type === "keyframe-wait-ended")).toHaveLength(1);
  });

  it("a keyframe within the wait opens the gate as before; no delta passes early", () => {
    const { bridge, join, scheduler, waitsEnded } = setup({ keyframeWaitMs: 1000 });
    const A = join("A");
    const B = join("B");
    const a = new FrameSource("A");
    deltas(bridge, scheduler, A.s, a, 5);
    scheduler.advance(100);
    bridge.forward(A.s, a.key());
    deltas(bridge, scheduler, A.s, a, 3);
    expect(B.b.labels()).toEqual(["A:K5", "A:D6", "A:D7", "A:D8"]);
    expect(bridge.stats().deltasPassedAfterWait).toBe(0);
    expect(waitsEnded()).toEqual([]);
  });

  it("a gate that closes again (a failed send) starts a new wait from its first held delta", () => {
    const { bridge, join, scheduler, waitsEnded } = setup({ keyframeWaitMs: 500 });
    const A = join("A");
    const B = join("B");
    const a = new FrameSource("A");
    bridge.forward(A.s, a.key());
    scheduler.advance(100);
    B.b.failSend = () => true;
    bridge.forward(A.s, a.delta()); // lost: B's decoder chain is broken, the gate closes
    B.b.failSend = undefined;
    scheduler.advance(10_000); // long after: the new wait starts with the next delta, not before
    deltas(bridge, scheduler, A.s, a, 5); // 10.1 s … 10.5 s: held
    expect(B.b.labels()).toEqual(["A:K0"]);
    scheduler.advance(100);
    bridge.forward(A.s, a.delta()); // 500 ms after the first held delta
    expect(B.b.labels()).toEqual(["A:K0", "A:D7"]);
    expect(waitsEnded()).toEqual(["B<-A:500"]);
    expect(bridge.stats()).toMatchObject({ targetErrors: 1, deltasPassedAfterWait: 1 });
  });

  it("bounds a switch too: a new speaker that sends no keyframe takes over after the wait", () => {
    const { bridge, join, scheduler, waitsEnded } = setup({ keyframeWaitMs: 600 });
    const { A, B, C, a, c } = speakerRoom({ bridge, join });
    expect(bridge.getCurrentSource(B.s)).toBe(A.s);
    bridge.setActiveSpeaker("r1", "C"); // B should switch to C at C's next keyframe
    for (let i = 0; i < 6; i++) {
      scheduler.advance(100);
      bridge.forward(A.s, a.delta());
      bridge.forward(C.s, c.delta());
    }
    // 100 … 600 ms: B keeps receiving A; C's first delta held at 100, so the wait ends at 700
    expect(bridge.getCurrentSource(B.s)).toBe(A.s);
    scheduler.advance(100);
    bridge.forward(A.s, a.delta());
    bridge.forward(C.s, c.delta());
    expect(bridge.getCurrentSource(B.s)).toBe(C.s);
    expect(B.b.labels().slice(-2)).toEqual(["A:D7", "C:D7"]);
    expect(waitsEnded()).toContain("B<-C:600");
  });

  it("0 turns the gate off: deltas pass at once, counted; keyframes are still requested on join", () => {
    const { bridge, join, scheduler, events } = setup({ keyframeWaitMs: 0 });
    const A = join("A");
    const B = join("B");
    const a = new FrameSource("A");
    deltas(bridge, scheduler, A.s, a, 3);
    expect(B.b.labels()).toEqual(["A:D0", "A:D1", "A:D2"]);
    expect(bridge.stats()).toMatchObject({ droppedGated: 0, deltasPassedAfterWait: 3 });
    expect(A.b.keyframeRequests).toEqual(["A"]); // B's join
    expect(events.find((e) => e.type === "keyframe-wait-ended")).toMatchObject({ waitedMs: 0 });
    scheduler.advance(100);
    bridge.forward(A.s, a.key());
    bridge.forward(A.s, a.delta());
    expect(bridge.stats().deltasPassedAfterWait).toBe(3);
    expect(scheduler.pending).toBe(0); // nobody waits: no retry timer left
  });

  it("validates the option: a finite number >= 0, else BAD_OPTION", () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, "500" as unknown as number]) {
      expect(() => new VideoBridge({ keyframeWaitMs: bad })).toThrow(
        expect.objectContaining({
          code: "BAD_OPTION",
          message: expect.stringContaining("keyframeWaitMs"),
        }),
      );
    }
    expect(() => new VideoBridge({ keyframeWaitMs: 0 })).not.toThrow();
    expect(() => new VideoBridge({ keyframeWaitMs: 1500 })).not.toThrow();
  });
});
