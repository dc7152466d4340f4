import type { BridgeReporter } from "./bridge-reporter.js";
import type { BridgeSession, VideoBridgeOwnEvent, VideoDropReason } from "./video-bridge-types.js";
import type { VideoParticipant } from "./video-participant.js";

/**
 * receiveFrom makes `src` the source target `t` receives, after a frame of it was sent (the frame
 * path) or its first packets went (cut-through): counted in `switches` and reported as
 * `source-switched` (`cached`: from a replayed keyframe). Nothing happens when `src` already was.
 */
export function receiveFrom<S extends BridgeSession>(
  t: VideoParticipant<S>,
  src: VideoParticipant<S>,
  cached: boolean,
  counters: { switches: number },
  reporter: BridgeReporter<S, VideoDropReason, S, VideoBridgeOwnEvent<S>>,
): void {
  const from = t.current;
  if (from === src) return;
  t.current = src;
  counters.switches++;
  reporter.emit(() => ({
    type: "source-switched",
    target: t.session,
    from: from?.session ?? null,
    to: src.session,
    roomId: t.roomId,
    cached,
  }));
}
