// @framewire/hooks: explicit public API.
export { type BridgeHooks, type BridgeHookTrigger, bridgeHooks } from "./bridge-hooks.js";
export { HookError, type HookErrorCode } from "./hook-errors.js";
export type {
  BridgeAudioEvent,
  BridgeFrameEvent,
  BridgeVideoEvent,
  HookEventMap,
  SessionEvent,
  VideoTrackEvent,
  VisionResultEvent,
} from "./hook-events.js";
export { HookRegistry } from "./hook-registry.js";
export type {
  HookAllowed,
  HookBlocked,
  HookContext,
  HookEventMapLike,
  HookFailure,
  HookFn,
  HookOptions,
  HookRegistryOptions,
  HookReturn,
  HookRunResult,
  HookStats,
} from "./hook-registry-types.js";
export { type HookAllow, type HookBlock, type HookModify, HookResult } from "./hook-result.js";
export { HOOK_TRIGGERS, type HookExecution, HookTrigger } from "./hook-trigger.js";
