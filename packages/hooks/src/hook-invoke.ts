import type { SchedulerLike } from "rxjs";
import { HookError } from "./hook-errors.js";
import type { HookContext, HookFn, HookReturn } from "./hook-registry-types.js";
import { HookResult } from "./hook-result.js";
import type { HookExecution, HookTrigger } from "./hook-trigger.js";

/** HookEntry is one registered hook. */
export interface HookEntry {
  readonly seq: number;
  readonly fn: HookFn<unknown>;
  readonly priority: number;
  readonly timeoutMs: number;
  readonly execution: HookExecution;
  readonly name: string;
  active: boolean;
}

/** FAILED is the outcome of a hook that failed (skipped: fail-open). */
export const FAILED = Symbol("failed");
/** Outcome is a hook's result, or FAILED. */
export type Outcome = HookResult<unknown> | typeof FAILED;

/** HookFailSink reports a hook that failed: threw, rejected, timed out or gave no HookResult. */
export type HookFailSink = (
  entry: HookEntry,
  ctx: HookContext<HookTrigger>,
  kind: "error" | "timeout",
  error: unknown,
) => void;

/** HookRunParts are what a hook run needs: the clock for its timeout, where its failure goes. */
export interface HookRunParts {
  readonly scheduler: SchedulerLike;
  readonly fail: HookFailSink;
}

/**
 * invokeHook runs one hook for `event` (its context made from `trigger`, `roomId`, `decision`): its HookResult (undefined and null allow), or FAILED,
 * reported to `fail`, when it throws, rejects, gives something else or does not settle within its
 * `timeoutMs` on `scheduler` (a late result is ignored).
 */
export function invokeHook<T extends HookTrigger>(
  entry: HookEntry,
  event: unknown,
  trigger: T,
  roomId: string | undefined,
  decision: "allow" | "block" | undefined,
  parts: HookRunParts,
): Outcome | Promise<Outcome> {
  const { scheduler, fail } = parts;
  const ctx: HookContext<T> = {
    trigger,
    roomId,
    execution: entry.execution,
    name: entry.name,
    decision,
  };
  let out: HookReturn<unknown> | PromiseLike<HookReturn<unknown>>;
  try {
    out = entry.fn(event, ctx);
  } catch (error) {
    fail(entry, ctx, "error", error);
    return FAILED;
  }
  if (!isThenable(out)) return validate(entry, ctx, fail, out);
  const promise = out;
  return new Promise<Outcome>((resolve) => {
    let settled = false;
    const timer = Number.isFinite(entry.timeoutMs)
      ? scheduler.schedule(() => {
          if (settled) return;
          settled = true;
          fail(
            entry,
            ctx,
            "timeout",
            new HookError(
              "HOOK_TIMEOUT",
              `hook ${entry.name} did not settle within ${entry.timeoutMs} ms`,
            ),
          );
          resolve(FAILED);
        }, entry.timeoutMs)
      : undefined;
    promise.then(
      (value) => {
        if (settled) return;
        settled = true;
        timer?.unsubscribe();
        resolve(validate(entry, ctx, fail, value));
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        timer?.unsubscribe();
        fail(entry, ctx, "error", error);
        resolve(FAILED);
      },
    );
  });
}

function validate(
  entry: HookEntry,
  ctx: HookContext<HookTrigger>,
  fail: HookFailSink,
  value: unknown,
): Outcome {
  if (value === undefined || value === null) return HookResult.allow();
  if (HookResult.isHookResult(value)) return value;
  fail(
    entry,
    ctx,
    "error",
    new HookError(
      "HOOK_INVALID_RESULT",
      `hook ${entry.name} returned something that is no HookResult`,
    ),
  );
  return FAILED;
}

/** isThenable tells a promise-like from a plain value. */
export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}
