import { ManualScheduler } from "@framewire/test-support";
import { describe, expect, expectTypeOf, it } from "vitest";
import { HookError } from "./hook-errors.js";
import type { BridgeVideoEvent, HookEventMap } from "./hook-events.js";
import { HookRegistry } from "./hook-registry.js";
import type { HookContext, HookFailure } from "./hook-registry-types.js";
import { HookResult } from "./hook-result.js";
import { HOOK_TRIGGERS, HookTrigger } from "./hook-trigger.js";

interface Session {
  readonly id: string;
}
interface Frame {
  readonly n: number;
}
type Map = HookEventMap<Session, Frame>;
type VideoEvent = BridgeVideoEvent<Session, Frame>;

const V = HookTrigger.BEFORE_BRIDGE_VIDEO;
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function setup(defaultTimeoutMs = 1000) {
  const scheduler = new ManualScheduler();
  const registry = new HookRegistry<Map>({ scheduler, defaultTimeoutMs });
  const failures: HookFailure[] = [];
  registry.errors$.subscribe((f) => failures.push(f));
  return { scheduler, registry, failures };
}

function event(n: number, roomId = "r1"): VideoEvent {
  return { session: { id: "a" }, frame: { n }, roomId, timestamp: 0 };
}

describe("HookTrigger and HookResult", () => {
  it("lists roomkit's triggers with their lowercase names", () => {
    expect(HookTrigger.BEFORE_BRIDGE_VIDEO).toBe("before_bridge_video");
    expect(HookTrigger.ON_VISION_RESULT).toBe("on_vision_result");
    expect(HOOK_TRIGGERS).toHaveLength(9);
    expectTypeOf<"on_session_ended">().toExtend<HookTrigger>();
  });

  it("builds allow, block and modify", () => {
    expect(HookResult.allow()).toEqual({ action: "allow" });
    expect(HookResult.block("video_muted")).toEqual({ action: "block", reason: "video_muted" });
    expect(HookResult.modify(event(2))).toEqual({ action: "modify", event: event(2) });
    expect(HookResult.isHookResult({ action: "block", reason: "x" })).toBe(true);
    expect(HookResult.isHookResult("allow")).toBe(false);
  });
});

describe("HookRegistry sync chain", () => {
  it("runs higher priority first, equal priorities in registration order, global and room merged", async () => {
    const { registry } = setup();
    const order: string[] = [];
    registry.hook(V, () => void order.push("g0"), { name: "g0" });
    registry.hook(V, () => void order.push("r5"), { priority: 5, roomId: "r1" });
    registry.hook(V, () => void order.push("g5"), { priority: 5 });
    registry.hook(V, () => void order.push("r0"), { roomId: "r1" });
    registry.hook(V, () => void order.push("g-1"), { priority: -1 });
    registry.hook(V, () => void order.push("other-room"), { priority: 9, roomId: "r2" });
    const result = await registry.run(V, event(1), "r1");
    expect(result).toEqual({ allowed: true, event: event(1), modified: false });
    expect(order).toEqual(["r5", "g5", "g0", "r0", "g-1"]);
  });

  it("stops the chain at block and reports reason and hook name", async () => {
    const { registry } = setup();
    const seen: number[] = [];
    registry.hook(V, () => HookResult.block("video_muted"), { priority: 2, name: "mute" });
    registry.hook(V, (e) => void seen.push(e.frame.n));
    const result = await registry.run(V, event(1), "r1");
    expect(result).toEqual({
      allowed: false,
      event: event(1),
      reason: "video_muted",
      blockedBy: "mute",
    });
    expect(seen).toEqual([]);
    expect(registry.stats(V)).toMatchObject({ runs: 1, blocked: 1 });
  });

  it("hands a modified event to the next hooks and to the caller", async () => {
    const { registry } = setup();
    const seen: number[] = [];
    registry.hook(V, (e) => HookResult.modify({ ...e, frame: { n: e.frame.n * 10 } }), {
      priority: 1,
    });
    registry.hook(V, async (e) => {
      seen.push(e.frame.n);
      return HookResult.modify({ ...e, frame: { n: e.frame.n + 1 } });
    });
    const result = await registry.run(V, event(3), "r1");
    expect(seen).toEqual([30]);
    expect(result).toEqual({ allowed: true, event: event(31), modified: true });
    expect(registry.stats().modified).toBe(1);
  });

  it("runs plain functions without waiting on a promise between them", async () => {
    const { registry } = setup();
    const ctxs: HookContext[] = [];
    registry.hook(V, (_e, ctx) => {
      ctxs.push(ctx);
      return undefined;
    });
    registry.hook(V, (_e, ctx) => {
      ctxs.push(ctx);
      return HookResult.allow();
    });
    const p = registry.run(V, event(1), "r1");
    expect(ctxs).toHaveLength(2);
    expect(ctxs[0]).toMatchObject({
      trigger: V,
      roomId: "r1",
      execution: "sync",
      decision: undefined,
    });
    expect((await p).allowed).toBe(true);
  });
});

describe("HookRegistry fail-open", () => {
  it("skips and counts a hook that throws, rejects or returns garbage", async () => {
    const { registry, failures } = setup();
    const seen: string[] = [];
    registry.hook(
      V,
      () => {
        throw new Error("boom");
      },
      { priority: 3, name: "thrower" },
    );
    registry.hook(V, () => Promise.reject(new Error("nope")), { priority: 2, name: "rejecter" });
    registry.hook(V, (() => "yes") as unknown as () => undefined, { priority: 1, name: "garbage" });
    registry.hook(V, () => void seen.push("last"));
    const result = await registry.run(V, event(1), "r1");
    expect(result.allowed).toBe(true);
    expect(seen).toEqual(["last"]);
    expect(registry.stats()).toMatchObject({ runs: 1, errors: 3, timeouts: 0 });
    expect(failures.map((f) => [f.name, f.kind])).toEqual([
      ["thrower", "error"],
      ["rejecter", "error"],
      ["garbage", "error"],
    ]);
    expect((failures[2]!.error as HookError).code).toBe("HOOK_INVALID_RESULT");
  });

  it("times out a slow hook in virtual time, skips it and ignores its late result", async () => {
    const { registry, scheduler, failures } = setup();
    let release: (r: ReturnType<typeof HookResult.block>) => void = () => {};
    registry.hook(V, () => new Promise((resolve) => (release = resolve)), {
      timeoutMs: 100,
      name: "slow",
    });
    registry.hook(V, (e) => HookResult.modify({ ...e, frame: { n: 99 } }), { priority: -1 });
    let done: unknown;
    void registry.run(V, event(1), "r1").then((r) => (done = r));
    await flush();
    scheduler.advance(99);
    await flush();
    expect(done).toBeUndefined();
    scheduler.advance(1);
    await flush();
    expect(done).toEqual({ allowed: true, event: event(99), modified: true });
    release(HookResult.block("too late"));
    await flush();
    expect(registry.stats()).toMatchObject({ timeouts: 1, blocked: 0, errors: 0 });
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ name: "slow", kind: "timeout" });
    expect((failures[0]!.error as HookError).code).toBe("HOOK_TIMEOUT");
  });

  it("uses the registry's default timeout; Infinity disables it", async () => {
    const { registry, scheduler } = setup(50);
    registry.hook(V, () => new Promise<undefined>(() => {}));
    let done = false;
    void registry.run(V, event(1), "r1").then(() => (done = true));
    await flush();
    scheduler.advance(50);
    await flush();
    expect(done).toBe(true);

    const other = setup(50);
    let release: () => void = () => {};
    other.registry.hook(V, () => new Promise<undefined>((r) => (release = () => r(undefined))), {
      timeoutMs: Number.POSITIVE_INFINITY,
    });
    let done2 = false;
    void other.registry.run(V, event(1), "r1").then(() => (done2 = true));
    other.scheduler.advance(1e9);
    await flush();
    expect(done2).toBe(false);
    release();
    await flush();
    expect(done2).toBe(true);
  });

  it("rejects invalid options", () => {
    const { registry } = setup();
    expect(() => registry.hook(V, () => undefined, { timeoutMs: 0 })).toThrow(HookError);
    expect(() => registry.hook(V, () => undefined, { priority: Number.NaN })).toThrow(/BAD_OPTION/);
    expect(() => new HookRegistry({ defaultTimeoutMs: -1 })).toThrow(/defaultTimeoutMs/);
  });
});

describe("HookRegistry async hooks", () => {
  it("start after the decision with the final event, and run does not wait for them", async () => {
    const { registry, scheduler } = setup();
    const seen: [number, string | undefined][] = [];
    let finish: () => void = () => {};
    registry.hook(
      V,
      (e, ctx) => {
        seen.push([e.frame.n, ctx.decision]);
        return new Promise<undefined>((r) => (finish = () => r(undefined)));
      },
      { execution: "async", priority: 100 },
    );
    registry.hook(V, (e) => HookResult.modify({ ...e, frame: { n: 7 } }));
    const result = await registry.run(V, event(1), "r1");
    expect(result).toEqual({ allowed: true, event: event(7), modified: true });
    expect(seen).toEqual([[7, "allow"]]);
    let idle = false;
    void registry.idle().then(() => (idle = true));
    await flush();
    expect(idle).toBe(false);
    finish();
    await flush();
    expect(idle).toBe(true);
    scheduler.advance(10_000);
    expect(registry.stats().timeouts).toBe(0);
  });

  it("see a block too, and a failing async hook is counted", async () => {
    const { registry, scheduler } = setup();
    const decisions: (string | undefined)[] = [];
    registry.hook(V, (_e, ctx) => void decisions.push(ctx.decision), { execution: "async" });
    registry.hook(V, () => new Promise<undefined>(() => {}), { execution: "async", timeoutMs: 10 });
    registry.hook(V, () => HookResult.block("no"));
    const result = await registry.run(V, event(1), "r1");
    expect(result.allowed).toBe(false);
    expect(decisions).toEqual(["block"]);
    scheduler.advance(10);
    await registry.idle();
    expect(registry.stats().timeouts).toBe(1);
  });
});

describe("HookRegistry per-room index", () => {
  it("answers hasHooks per room: a room hook does not apply elsewhere, a global one everywhere", async () => {
    const { registry } = setup();
    const ran: string[] = [];
    const off = registry.hook(V, (e) => void ran.push(e.roomId), { roomId: "r1" });
    expect(registry.hasHooks(V, "r1")).toBe(true);
    expect(registry.hasHooks(V, "r2")).toBe(false);
    expect(registry.hasHooks(V)).toBe(false);
    expect(registry.hasHooks(HookTrigger.BEFORE_BRIDGE_AUDIO, "r1")).toBe(false);
    await registry.run(V, event(1, "r2"), "r2");
    expect(ran).toEqual([]);
    await registry.run(V, event(1, "r1"), "r1");
    expect(ran).toEqual(["r1"]);

    const offGlobal = registry.hook(V, () => undefined, { execution: "async" });
    expect(registry.hasHooks(V, "r2")).toBe(true);
    expect(registry.hasHooks(V, "r2", "sync")).toBe(false);
    expect(registry.hasHooks(V, "r1", "sync")).toBe(true);
    expect(registry.count(V, "r1")).toBe(2);
    offGlobal();
    off();
    off();
    expect(registry.hasHooks(V, "r1")).toBe(false);
    expect(registry.count(V, "r1")).toBe(0);
  });

  it("skips a hook unregistered by an earlier hook of the same run", async () => {
    const { registry } = setup();
    const ran: string[] = [];
    let offB: () => void = () => {};
    registry.hook(
      V,
      () => {
        ran.push("a");
        offB();
      },
      { priority: 1 },
    );
    offB = registry.hook(V, () => void ran.push("b"));
    await registry.run(V, event(1), "r1");
    expect(ran).toEqual(["a"]);
    registry.clear();
    expect(registry.hasHooks(V, "r1")).toBe(false);
  });
});

describe("HookRegistry types", () => {
  it("types each trigger's event from the map", () => {
    const { registry } = setup();
    registry.hook(V, (e) => {
      expectTypeOf(e.frame).toEqualTypeOf<Frame>();
      expectTypeOf(e.session).toEqualTypeOf<Session>();
      return undefined;
    });
    registry.hook(HookTrigger.ON_VIDEO_TRACK_ADDED, (e) => {
      expectTypeOf(e.trackId).toEqualTypeOf<string>();
      return undefined;
    });
    expectTypeOf(registry.run(V, event(1)))
      .resolves.toHaveProperty("event")
      .toEqualTypeOf<VideoEvent>();
  });
});
