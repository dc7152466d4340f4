import type { VideoSession } from "@framewire/rtp-video";
import {
  finiteNonNegative,
  positiveNumber,
  type ResolvedBridgeOptions,
  resolveBridgeOptions,
} from "./bridge-options.js";
import type { BridgeConfig, BridgeWiring } from "./bridge-types.js";
import { VideoBridgeError } from "./errors.js";
import type { BridgeSession, VideoBridgeHooks } from "./video-bridge-types.js";

/** VideoForwardingStrategy is how the video bridge forwards; only "forward" (no decoding) exists. */
export type VideoForwardingStrategy = "forward";

/**
 * VideoBridgeConfig is roomkit's VideoBridgeConfig in TypeScript names, with Framewire's knobs
 * (all optional); `enabled`, `maxParticipants` and `maxQueuedFrames` are those of `BridgeConfig`,
 * the same for both bridges.
 */
export interface VideoBridgeConfig extends BridgeConfig {
  /** forwardingStrategy (`forwarding_strategy`); only "forward", else UNSUPPORTED. */
  readonly forwardingStrategy?: VideoForwardingStrategy;
  /**
   * keyframeWaitMs bounds how long a target holds back the deltas of a source it has no keyframe
   * of (`keyframe_wait_s`, in ms): after that long, counted from the first delta held, deltas
   * pass (counted in `deltasPassedAfterWait`). `0` turns the gate off. A finite number >= 0.
   * Default: no bound, the target waits for a keyframe (which is requested) indefinitely.
   */
  readonly keyframeWaitMs?: number;
  /** keyframeRequestIntervalMs is the least time between two keyframe requests to one source. Default 500. */
  readonly keyframeRequestIntervalMs?: number;
  /** keyframeRetryMs is how often keyframes are asked for while a target waits for one. Default 1000. */
  readonly keyframeRetryMs?: number;
  /** frameIntervalMs is the output clock's step on a switch when no time elapsed. Default 33. */
  readonly frameIntervalMs?: number;
  /** activeSourceTimeoutMs: a source that sent nothing for this long is not selected. Default 2000. */
  readonly activeSourceTimeoutMs?: number;
  /**
   * cutThrough forwards each RTP packet as it arrives (SSRC, sequence number and timestamp
   * rewritten by an `RtpRewriter` per target) instead of whole frames, from a source to a target
   * whose backends both have the packet seam (`videoPacketPort`), in the same codec, while the
   * bridge has no filter, no processor and no BEFORE_BRIDGE_VIDEO hook that decides for the room,
   * and the target is no subscriber (`subscribesVideo`). Otherwise, and for backends without the
   * seam, frames are forwarded as before. Frames assembled beside (keyframe cache, hooks that
   * observe, subscriptions) go on; `forwarded$` reports the frames whose packets went. Default
   * false (whole frames): measured, the frame path sustains more two-party rooms per core at
   * e2e p99 < 50 ms (104 against 64, bench part 3) until a source's frame assembly can be
   * switched off at run time.
   */
  readonly cutThrough?: boolean;
}

/** VideoBridgeOptions are the config plus the bridge's clock and hooks; every field is optional. */
export interface VideoBridgeOptions<S extends BridgeSession = VideoSession>
  extends VideoBridgeConfig,
    BridgeWiring<VideoBridgeHooks<S>> {}

/** ResolvedVideoBridgeOptions are a VideoBridge's options, checked, with every default applied. */
export interface ResolvedVideoBridgeOptions<S> extends ResolvedBridgeOptions<VideoBridgeHooks<S>> {
  readonly forwardingStrategy: VideoForwardingStrategy;
  /** keyframeWaitMs: Infinity (the default) waits for a keyframe indefinitely. */
  readonly keyframeWaitMs: number;
  readonly keyframeRequestIntervalMs: number;
  readonly keyframeRetryMs: number;
  readonly frameIntervalMs: number;
  readonly activeSourceTimeoutMs: number;
  readonly cutThrough: boolean;
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
    cutThrough: flag(options.cutThrough, "cutThrough", false),
  };
}

function flag(value: boolean | undefined, name: string, byDefault = true): boolean {
  if (value === undefined) return byDefault;
  if (typeof value !== "boolean")
    throw new VideoBridgeError("BAD_OPTION", `${name} must be a boolean`);
  return value;
}
