// @framewire/video-bridge: explicit public API.
export { OutputClock } from "./continuity.js";
export { RoomFullError, VideoBridgeError, type VideoBridgeErrorCode } from "./errors.js";
export { VideoBridge } from "./video-bridge.js";
export type {
  BridgeSession,
  ForwardedVideoFrame,
  ForwardingStrategy,
  KeyframeRequestReason,
  VideoBridgeBackend,
  VideoBridgeConfig,
  VideoBridgeEvent,
  VideoBridgeHooks,
  VideoBridgeOptions,
  VideoBridgeStats,
  VideoDropReason,
  VideoFrameFilter,
  VideoFrameProcessor,
} from "./video-bridge-types.js";
