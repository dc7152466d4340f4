import { asyncScheduler, type SchedulerLike } from "rxjs";
import type { BridgeConfig, BridgeWiring } from "./bridge-types.js";
import { VideoBridgeError } from "./errors.js";

/** ResolvedBridgeOptions are the options both bridges share, with their defaults applied. */
export interface ResolvedBridgeOptions<H> {
  readonly enabled: boolean;
  readonly maxParticipants: number;
  readonly maxQueuedFrames: number;
  readonly scheduler: SchedulerLike;
  readonly hooks: H | undefined;
}

/**
 * resolveBridgeOptions checks the options both bridges share and applies their defaults (the
 * same names, ranges and defaults for both; `maxQueuedFrames` defaults to one second of media,
 * which the bridge says). Throws BAD_OPTION for a value out of range.
 */
export function resolveBridgeOptions<H>(
  options: BridgeConfig & BridgeWiring<H>,
  defaultMaxQueuedFrames: number,
): ResolvedBridgeOptions<H> {
  const enabled = options.enabled ?? true;
  if (typeof enabled !== "boolean") throw badOption(`enabled must be a boolean, got ${enabled}`);
  return {
    enabled,
    maxParticipants: integerAtLeast(options.maxParticipants ?? 10, 2, "maxParticipants"),
    maxQueuedFrames: integerAtLeast(
      options.maxQueuedFrames ?? defaultMaxQueuedFrames,
      1,
      "maxQueuedFrames",
    ),
    scheduler: options.scheduler ?? asyncScheduler,
    hooks: options.hooks,
  };
}

/** integerAtLeast returns `value` when it is an integer >= `min`, else throws BAD_OPTION. */
export function integerAtLeast(value: number, min: number, name: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw badOption(`${name} must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

/** positiveNumber returns `value` when it is a number > 0 (Infinity included), else throws BAD_OPTION. */
export function positiveNumber(value: number, name: string): number {
  if (typeof value !== "number" || !(value > 0)) {
    throw badOption(`${name} must be a number > 0, got ${String(value)}`);
  }
  return value;
}

/** finiteNonNegative returns `value` when it is a finite number >= 0, else throws BAD_OPTION. */
export function finiteNonNegative(value: number, name: string, hint = ""): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw badOption(`${name} must be a finite number >= 0${hint}, got ${String(value)}`);
  }
  return value;
}

function badOption(message: string): VideoBridgeError {
  return new VideoBridgeError("BAD_OPTION", message);
}
