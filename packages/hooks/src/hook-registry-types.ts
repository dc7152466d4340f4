import type { SchedulerLike } from "rxjs";
import type { HookResult } from "./hook-result.js";
import type { HookExecution, HookTrigger } from "./hook-trigger.js";

/** HookEventMapLike is what a registry's event map must provide: one event type per trigger. */
export type HookEventMapLike = { readonly [K in HookTrigger]: unknown };

/** HookContext is what a hook receives beside the event. */
export interface HookContext<T extends HookTrigger = HookTrigger> {
  readonly trigger: T;
  /** roomId the run is for; undefined when the caller ran the trigger without a room. */
  readonly roomId: string | undefined;
  readonly execution: HookExecution;
  /** name of the hook (its option, else the function's name, else "hook#<n>"). */
  readonly name: string;
  /** decision is undefined while sync hooks decide; async hooks see the final "allow" or "block". */
  readonly decision: "allow" | "block" | undefined;
}

/** HookReturn is what a hook may return: a HookResult, or nothing (= allow). */
// biome-ignore lint/suspicious/noConfusingVoidType: a hook that returns nothing allows; `void` lets plain `(e) => { log(e); }` bodies type-check.
export type HookReturn<E> = HookResult<E> | undefined | void;

/** HookFn is a hook: a plain function or one returning a promise (then bounded by its timeout). */
export type HookFn<E, T extends HookTrigger = HookTrigger> = (
  event: E,
  ctx: HookContext<T>,
) => HookReturn<E> | PromiseLike<HookReturn<E>>;

/** HookOptions configure one registration; every field is optional. */
export interface HookOptions {
  /** priority orders sync hooks: higher runs first; equal priorities run in registration order. Default 0. */
  readonly priority?: number;
  /** timeoutMs bounds a hook that returns a promise; `Infinity` disables. Default: the registry's. */
  readonly timeoutMs?: number;
  /** roomId scopes the hook to one room; without it the hook is global (applies to every room). */
  readonly roomId?: string;
  /** execution: "sync" decides (default), "async" observes after the decision. */
  readonly execution?: HookExecution;
  /** name for stats and error reports. */
  readonly name?: string;
}

/** HookRegistryOptions configure a HookRegistry. */
export interface HookRegistryOptions {
  /** scheduler times hook timeouts (tests pass virtual time); default rxjs asyncScheduler. */
  readonly scheduler?: SchedulerLike;
  /** defaultTimeoutMs for hooks registered without `timeoutMs`; default 1000. */
  readonly defaultTimeoutMs?: number;
}

/** HookAllowed is the outcome of a run no hook blocked; `event` is the final (maybe modified) event. */
export interface HookAllowed<E> {
  readonly allowed: true;
  readonly event: E;
  /** modified is true when at least one hook replaced the event. */
  readonly modified: boolean;
}

/** HookBlocked is the outcome of a run a hook blocked. */
export interface HookBlocked<E> {
  readonly allowed: false;
  /** event as it was when the blocking hook saw it. */
  readonly event: E;
  readonly reason: string;
  /** blockedBy is the name of the hook that blocked. */
  readonly blockedBy: string;
}

/** HookRunResult is what `run` resolves to. */
export type HookRunResult<E> = HookAllowed<E> | HookBlocked<E>;

/** HookStats are a registry's counters (totals, or for one trigger). */
export interface HookStats {
  /** runs counts calls of `run`. */
  readonly runs: number;
  /** blocked counts runs a hook blocked. */
  readonly blocked: number;
  /** modified counts runs that ended allowed with a modified event. */
  readonly modified: number;
  /** errors counts hooks that threw, rejected or returned something that is no HookResult. */
  readonly errors: number;
  /** timeouts counts hooks that did not settle within their timeout. */
  readonly timeouts: number;
}

/** HookFailure reports one hook that failed; the run went on without it (fail-open). */
export interface HookFailure {
  readonly trigger: HookTrigger;
  readonly roomId: string | undefined;
  readonly name: string;
  readonly execution: HookExecution;
  readonly kind: "error" | "timeout";
  readonly error: unknown;
}
