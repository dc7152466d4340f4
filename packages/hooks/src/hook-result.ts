/** HookAllow lets the event through unchanged. */
export interface HookAllow {
  readonly action: "allow";
}

/** HookBlock stops the event: the chain ends and the caller drops what the event stands for. */
export interface HookBlock {
  readonly action: "block";
  /** reason is reported to the caller and in stats; free text, e.g. "video_muted". */
  readonly reason: string;
}

/** HookModify replaces the event: later hooks and the caller see `event` instead. */
export interface HookModify<E> {
  readonly action: "modify";
  readonly event: E;
}

/** HookResult is what a hook returns (roomkit's `HookResult`): allow, block or modify. */
export type HookResult<E = unknown> = HookAllow | HookBlock | HookModify<E>;

const ALLOW: HookAllow = Object.freeze({ action: "allow" });

/** HookResult builds hook results: `HookResult.allow()`, `.block(reason)`, `.modify(event)`. */
export const HookResult = {
  /** allow lets the event through unchanged (the same as returning nothing). */
  allow(): HookAllow {
    return ALLOW;
  },
  /** block stops the chain; `reason` travels to the caller. */
  block(reason = "blocked"): HookBlock {
    return { action: "block", reason };
  },
  /** modify replaces the event for the following hooks and the caller. */
  modify<E>(event: E): HookModify<E> {
    return { action: "modify", event };
  },
  /** isHookResult tells a hook result from any other value (used to validate what hooks return). */
  isHookResult(value: unknown): value is HookResult<unknown> {
    if (typeof value !== "object" || value === null) return false;
    const action = (value as { action?: unknown }).action;
    return action === "allow" || action === "block" || action === "modify";
  },
} as const;
