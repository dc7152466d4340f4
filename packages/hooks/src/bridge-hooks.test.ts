import { flushPromises, ManualScheduler } from "@framewire/test-support";
import { describe, expect, expectTypeOf, it } from "vitest";
import { type BridgeHooks, bridgeHooks } from "./bridge-hooks.js";
import type { BridgeAudioEvent, BridgeVideoEvent, HookEventMap } from "./hook-events.js";
import { HookRegistry } from "./hook-registry.js";
import { HookResult } from "./hook-result.js";
import { HookTrigger } from "./hook-trigger.js";

interface Session {
  readonly id: string;
}
interface Frame {
  readonly n: number;
}
type Map = HookEventMap<Session, Frame, Frame>;

const V = HookTrigger.BEFORE_BRIDGE_VIDEO;
const A = HookTrigger.BEFORE_BRIDGE_AUDIO;
const event = (n: number, roomId = "r1") => ({
  session: { id: "a" },
  frame: { n },
  roomId,
  timestamp: 0,
});

describe("bridgeHooks: a registry seen through one bridge's per-frame trigger", () => {
  it("only sync hooks decide; async hooks are observers, run by observe", async () => {
    const registry = new HookRegistry<Map>({ scheduler: new ManualScheduler() });
    const seam = bridgeHooks(registry, V);
    const seen: string[] = [];
    registry.hook(V, (e, ctx) => void seen.push(`audit ${e.frame.n} ${ctx.decision}`), {
      execution: "async",
      roomId: "r1",
    });
    expect(seam.hasHooks(V, "r1")).toBe(false);
    expect(seam.hasObservers?.(V, "r1")).toBe(true);
    expect(seam.hasObservers?.(V, "r2")).toBe(false);
    seam.observe?.(V, event(1), "r1");
    await flushPromises();
    expect(seen).toEqual(["audit 1 allow"]);

    registry.hook(V, (e) => (e.frame.n === 2 ? HookResult.block("muted") : undefined));
    expect(seam.hasHooks(V, "r2")).toBe(true);
    expect(await seam.run(V, event(2), "r1")).toMatchObject({ allowed: false, reason: "muted" });
    expect(await seam.run(V, event(3), "r1")).toMatchObject({ allowed: true, modified: false });
  });

  it("keeps the triggers apart: an audio hook is not a video hook", () => {
    const registry = new HookRegistry<Map>();
    registry.hook(A, () => undefined);
    expect(bridgeHooks(registry, A).hasHooks(A, "r1")).toBe(true);
    expect(bridgeHooks(registry, V).hasHooks(V, "r1")).toBe(false);
  });

  it("types: the seam is typed by the trigger's event; a registry is a seam as it is", () => {
    type Registry = HookRegistry<Map>;
    expectTypeOf(bridgeHooks(new HookRegistry<Map>(), V)).toEqualTypeOf<
      BridgeHooks<typeof V, BridgeVideoEvent<Session, Frame>>
    >();
    expectTypeOf<Registry>().toExtend<BridgeHooks<typeof V, BridgeVideoEvent<Session, Frame>>>();
    expectTypeOf<Registry>().toExtend<BridgeHooks<typeof A, BridgeAudioEvent<Session, Frame>>>();
  });
});
