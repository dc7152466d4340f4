// Both bridges speak one vocabulary: the same verbs, option names and ranges, filter and hook
// semantics, and the same common fields in stats() and events$. Each case runs on both.
import {
  bridgeHooks,
  type HookEventMap,
  HookRegistry,
  HookResult,
  HookTrigger,
} from "@framewire/hooks";
import type { AudioFrame, VideoFrame } from "@framewire/rtp-video";
import { ManualScheduler } from "@framewire/test-support";
import type { Observable } from "rxjs";
import { describe, expect, expectTypeOf, it } from "vitest";
import { frame as audioFrame, FakeAudioBackend, flushPromises } from "../test/audio-fakes.js";
import { FakeBackend, FakeSession, FrameSource } from "../test/video-fakes.js";
import { AudioBridge } from "./audio-bridge.js";
import type { AudioBridgeOptions } from "./audio-bridge-options.js";
import type { AudioBridgeStats } from "./audio-bridge-stats.js";
import type { AudioBridgeEvent } from "./audio-bridge-types.js";
import type { BridgeEvent, BridgeStats } from "./bridge-types.js";
import { VideoBridge } from "./video-bridge.js";
import type { VideoBridgeOptions } from "./video-bridge-options.js";
import type { VideoBridgeEvent, VideoBridgeStats } from "./video-bridge-types.js";

type Registry = HookRegistry<HookEventMap<FakeSession, VideoFrame, AudioFrame>>;

/** Harness drives either bridge through the verbs both have. */
interface Harness {
  readonly name: string;
  readonly bridge: VideoBridge<FakeSession> | AudioBridge<FakeSession>;
  readonly scheduler: ManualScheduler;
  readonly events: { readonly type: string }[];
  join(id: string, room?: string): FakeSession;
  /** send forwards the next frame of `from` (a keyframe for video, 20 ms of PCMU for audio). */
  send(from: FakeSession): void;
  /** received counts what reached `id`. */
  received(id: string): number;
  /** failSendsTo makes every send to `id` throw. */
  failSendsTo(id: string): void;
}

function videoHarness(options: VideoBridgeOptions<FakeSession> = {}): Harness {
  const scheduler = new ManualScheduler();
  const bridge = new VideoBridge<FakeSession>({ scheduler, ...options });
  const backends = new Map<string, FakeBackend>();
  const sources = new Map<string, FrameSource>();
  const events: VideoBridgeEvent<FakeSession>[] = [];
  bridge.events$.subscribe((e) => events.push(e));
  return {
    name: "VideoBridge",
    bridge,
    scheduler,
    events,
    join(id, room = "r") {
      const s = new FakeSession(id);
      const b = new FakeBackend();
      backends.set(id, b);
      sources.set(id, new FrameSource(id));
      bridge.addSession(s, room, b);
      return s;
    },
    send(from) {
      bridge.forward(from, (sources.get(from.id) ?? new FrameSource(from.id)).key());
    },
    received: (id) => backends.get(id)?.sent.length ?? 0,
    failSendsTo(id) {
      backends.get(id)!.failSend = () => true;
    },
  };
}

function audioHarness(options: AudioBridgeOptions<FakeSession> = {}): Harness {
  const scheduler = new ManualScheduler();
  const bridge = new AudioBridge<FakeSession>({ scheduler, levels: false, ...options });
  const backends = new Map<string, FakeAudioBackend>();
  const events: AudioBridgeEvent<FakeSession>[] = [];
  bridge.events$.subscribe((e) => events.push(e));
  return {
    name: "AudioBridge",
    bridge,
    scheduler,
    events,
    join(id, room = "r") {
      const s = new FakeSession(id);
      const b = new FakeAudioBackend();
      backends.set(id, b);
      bridge.addSession(s, room, b, { codec: "pcmu", sampleRate: 8000, payloadType: 0 });
      return s;
    },
    send(from) {
      (bridge as AudioBridge<FakeSession>).forward(from, audioFrame("pcmu", new Uint8Array(160)));
    },
    received: (id) => backends.get(id)?.sent.length ?? 0,
    failSendsTo(id) {
      backends.get(id)!.onSend = () => {
        throw new Error(`send to ${id} failed`);
      };
    },
  };
}

/** COMMON_EVENTS are the event types of both bridges (the video bridge has more). */
const COMMON_EVENTS = [
  "session-added",
  "session-removed",
  "frame-dropped",
  "target-failed",
  "closed",
];

const harnesses = [
  { name: "VideoBridge", make: videoHarness },
  { name: "AudioBridge", make: audioHarness },
] as const;

describe.each(harnesses)("$name: the bridges' one vocabulary", ({ make }) => {
  it("options: the same names and ranges (BAD_OPTION), a strategy it lacks is UNSUPPORTED", () => {
    for (const bad of [
      { maxParticipants: 1 },
      { maxParticipants: 2.5 },
      { maxParticipants: "10" as unknown as number },
      { maxQueuedFrames: 0 },
      { enabled: "yes" as unknown as boolean },
    ]) {
      expect(() => make(bad)).toThrow(expect.objectContaining({ code: "BAD_OPTION" }));
    }
    expect(() => make({ forwardingStrategy: "composite" as "forward" })).toThrow(/UNSUPPORTED/);
    const h = make({ maxParticipants: 2, maxQueuedFrames: 1 });
    expect(h.bridge.maxParticipants).toBe(2);
    expect(make().bridge.maxParticipants).toBe(10);
    h.join("a");
    h.join("b");
    expect(() => h.join("c")).toThrow(expect.objectContaining({ name: "RoomFullError" }));
    expect(() => h.bridge.statsEvery(0)).toThrow(/BAD_OPTION/);
  });

  it("verbs: setEnabled/enabled, getSessions, getParticipantCount, getRoomId, close/closed", () => {
    const h = make();
    const a = h.join("a");
    h.join("b");
    expect(h.bridge.getSessions("r").map((s) => s.id)).toEqual(["a", "b"]);
    expect(h.bridge.getParticipantCount("r")).toBe(2);
    expect(h.bridge.getRoomId(a)).toBe("r");
    expect(h.bridge.getRoomId("nobody")).toBeUndefined();
    h.bridge.setEnabled(false);
    expect(h.bridge.enabled).toBe(false);
    h.send(a);
    expect(h.received("b")).toBe(0);
    h.bridge.setEnabled(true);
    h.send(a);
    expect(h.received("b")).toBe(1);
    expect(h.bridge.removeSession(a)).toBe(true);
    expect(h.bridge.getParticipantCount("r")).toBe(1);
    h.bridge.close();
    h.bridge.close();
    expect(h.bridge.closed).toBe(true);
    expect(h.events.map((e) => e.type).filter((t) => COMMON_EVENTS.includes(t))).toEqual([
      "session-added",
      "session-added",
      "frame-dropped",
      "session-removed",
      "closed",
    ]);
  });

  it("the filter fails closed: a throwing filter drops the frame, counted and reported", () => {
    const h = make();
    const a = h.join("a");
    h.join("b");
    const bug = new Error("bug");
    h.bridge.setFrameFilter(() => {
      throw bug;
    });
    h.send(a);
    expect(h.received("b")).toBe(0);
    h.bridge.setFrameFilter(() => null);
    h.send(a);
    h.bridge.setFrameFilter(null);
    h.send(a);
    expect(h.received("b")).toBe(1);
    expect(h.bridge.stats()).toMatchObject({ filterErrors: 1, droppedFiltered: 2 });
    expect(h.events.filter((e) => e.type === "frame-dropped")).toEqual([
      { type: "frame-dropped", source: a, roomId: "r", reason: "filter-error", error: bug },
      { type: "frame-dropped", source: a, roomId: "r", reason: "filtered" },
    ]);
  });

  it("stats and events: the common fields, the same shape; statsEvery on the scheduler", () => {
    const h = make();
    const a = h.join("a");
    h.join("b");
    h.join("c");
    const every: number[] = [];
    let done = false;
    (h.bridge.statsEvery(1000) as Observable<BridgeStats>).subscribe({
      next: (s) => every.push(s.framesIn),
      complete: () => (done = true),
    });
    h.failSendsTo("b");
    h.send(a);
    h.send(new FakeSession("stranger"));
    h.scheduler.advance(1000);
    expect(h.received("c")).toBe(1);
    expect(h.bridge.stats()).toMatchObject({
      rooms: 1,
      sessions: 3,
      framesIn: 1,
      framesSent: 1,
      targetErrors: 1,
      unknownSource: 1,
      droppedDisabled: 0,
      droppedByHook: 0,
      hookErrors: 0,
      droppedQueue: 0,
    });
    expect(h.events.find((e) => e.type === "target-failed")).toMatchObject({
      target: { id: "b" },
      source: a,
      roomId: "r",
      error: expect.any(Error),
    });
    expect(every).toEqual([1]);
    h.bridge.close();
    expect(done).toBe(true);
  });

  it("hooks through bridgeHooks: sync hooks decide (fail-open), async ones observe the fast path", async () => {
    const registry: Registry = new HookRegistry();
    const isVideo = make === videoHarness;
    const trigger = isVideo ? HookTrigger.BEFORE_BRIDGE_VIDEO : HookTrigger.BEFORE_BRIDGE_AUDIO;
    const h = isVideo
      ? videoHarness({ hooks: bridgeHooks(registry, HookTrigger.BEFORE_BRIDGE_VIDEO) })
      : audioHarness({ hooks: bridgeHooks(registry, HookTrigger.BEFORE_BRIDGE_AUDIO) });
    const a = h.join("a");
    h.join("b");
    const seen: string[] = [];
    const offObserver = registry.hook(trigger, (e) => void seen.push(e.session.id), {
      execution: "async",
    });
    h.send(a);
    expect(h.received("b")).toBe(1); // synchronous: an observer takes nobody off the fast path
    expect(seen).toEqual(["a"]);
    offObserver();
    let verdict: "block" | "throw" = "block";
    registry.hook(trigger, () => {
      if (verdict === "throw") throw new Error("hook bug");
      return HookResult.block("muted");
    });
    h.send(a);
    await flushPromises();
    verdict = "throw";
    h.send(a);
    await flushPromises();
    // the registry skips a hook that throws (fail-open): the frame goes on, no bridge hook error
    expect(h.bridge.stats()).toMatchObject({ droppedByHook: 1, hookErrors: 0 });
    expect(h.received("b")).toBe(2);
  });
});

describe("the bridges' types", () => {
  it("share the common stats and events", () => {
    expectTypeOf<VideoBridgeStats>().toExtend<BridgeStats>();
    expectTypeOf<AudioBridgeStats>().toExtend<BridgeStats>();
    expectTypeOf<BridgeEvent<FakeSession>>().toExtend<VideoBridgeEvent<FakeSession>>();
    expectTypeOf<BridgeEvent<FakeSession, "disabled", FakeSession | null>>().toExtend<
      AudioBridgeEvent<FakeSession>
    >();
  });
});
