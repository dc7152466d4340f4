import type { HookRegistry } from "./hook-registry.js";
import type { HookEventMapLike, HookRunResult } from "./hook-registry-types.js";
import type { HookTrigger } from "./hook-trigger.js";

/** BridgeHookTrigger is a trigger a bridge runs for each frame: BEFORE_BRIDGE_VIDEO or _AUDIO. */
export type BridgeHookTrigger =
  | typeof HookTrigger.BEFORE_BRIDGE_VIDEO
  | typeof HookTrigger.BEFORE_BRIDGE_AUDIO;

/**
 * BridgeHooks is the seam between a bridge and the hooks of its per-frame trigger `T`, whose
 * event is `E` (a `BridgeVideoEvent` or `BridgeAudioEvent`). A `HookRegistry` whose event for
 * `T` is `E` is one as it is (then its observe-only hooks also count as deciding); `bridgeHooks`
 * adapts one so that only deciding hooks take a room off the bridge's synchronous fast path.
 */
export interface BridgeHooks<T extends BridgeHookTrigger, E> {
  /** hasHooks: does a hook that decides (may block or modify) apply to the room? Then frames wait for `run`. */
  hasHooks(trigger: T, roomId: string): boolean;
  /** run runs the hooks for one frame; resolves with the decision and the final event, never rejects. */
  run(trigger: T, event: E, roomId: string): Promise<HookRunResult<E>>;
  /** hasObservers, when given, tells whether `observe` has anything to call for the room. */
  hasObservers?(trigger: T, roomId: string): boolean;
  /** observe, when given, hands a frame sent on the fast path to observe-only hooks; it must not block. */
  observe?(trigger: T, event: E, roomId: string): void;
}

/**
 * bridgeHooks adapts `registry` to the seam of a bridge for `trigger`: hooks with execution
 * "sync" decide (the bridge waits for them), "async" hooks observe each frame the bridge sends
 * on its fast path without delaying it.
 */
export function bridgeHooks<M extends HookEventMapLike, T extends BridgeHookTrigger>(
  registry: HookRegistry<M>,
  trigger: T,
): BridgeHooks<T, M[T]> {
  return {
    hasHooks: (_trigger, roomId) => registry.hasHooks(trigger, roomId, "sync"),
    run: (_trigger, event, roomId) => registry.run(trigger, event, roomId),
    hasObservers: (_trigger, roomId) => registry.hasHooks(trigger, roomId, "async"),
    observe: (_trigger, event, roomId) => {
      void registry.run(trigger, event, roomId);
    },
  };
}
