import {
  finiteNonNegative,
  positiveNumber,
  type ResolvedBridgeOptions,
  resolveBridgeOptions,
} from "./bridge-options.js";
import { VideoBridgeError } from "./errors.js";
import type {
  BridgeSession,
  VideoBridgeHooks,
  VideoBridgeOptions,
  VideoForwardingStrategy,
} from "./video-bridge-types.js";

/** ResolvedVideoBridgeOptions are a VideoBridge's options, checked, with every default applied. */
export interface ResolvedVideoBridgeOptions<S> extends ResolvedBridgeOptions<VideoBridgeHooks<S>> {
  readonly forwardingStrategy: VideoForwardingStrategy;
  /** keyframeWaitMs: Infinity (the default) waits for a keyframe indefinitely. */
  readonly keyframeWaitMs: number;
  readonly keyframeRequestIntervalMs: number;
  readonly keyframeRetryMs: number;
  readonly frameIntervalMs: number;
  readonly activeSourceTimeoutMs: number;
}

/** VIDEO_MAX_QUEUED_FRAMES is the default `maxQueuedFrames` of the video bridge: 1 s at 30 fps. */
const VIDEO_MAX_QUEUED_FRAMES = 30;

/**
 * resolveVideoBridgeOptions is where the video bridge's defaults live: it checks every option
 * (BAD_OPTION when out of range, UNSUPPORTED for a strategy other than "forward") and fills in
 * the defaults.
 */
export function resolveVideoBridgeOptions<S extends BridgeSession>(
  options: VideoBridgeOptions<S>,
): ResolvedVideoBridgeOptions<S> {
  const strategy: string = options.forwardingStrategy ?? "forward";
  if (strategy !== "forward") {
    throw new VideoBridgeError(
      "UNSUPPORTED",
      `forwardingStrategy "${strategy}" is not supported: only "forward" (compositing is planned)`,
    );
  }
  return {
    ...resolveBridgeOptions(options, VIDEO_MAX_QUEUED_FRAMES),
    forwardingStrategy: "forward",
    keyframeWaitMs:
      options.keyframeWaitMs === undefined
        ? Number.POSITIVE_INFINITY
        : finiteNonNegative(
            options.keyframeWaitMs,
            "keyframeWaitMs",
            " (ms; leave it out to wait indefinitely)",
          ),
    keyframeRequestIntervalMs: positiveNumber(
      options.keyframeRequestIntervalMs ?? 500,
      "keyframeRequestIntervalMs",
    ),
    keyframeRetryMs: positiveNumber(options.keyframeRetryMs ?? 1000, "keyframeRetryMs"),
    frameIntervalMs: positiveNumber(options.frameIntervalMs ?? 33, "frameIntervalMs"),
    activeSourceTimeoutMs: positiveNumber(
      options.activeSourceTimeoutMs ?? 2000,
      "activeSourceTimeoutMs",
    ),
  };
}
