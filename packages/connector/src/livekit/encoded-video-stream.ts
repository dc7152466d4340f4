import type { VideoFrame as RtpVideoFrame } from "@framewire/rtp-video";
import type { StreamEndReason } from "../core/stream-end-reason.js";
import type { VideoStreamStats } from "../core/video-track-stream.js";
import { TrackSource } from "./enums.js";
import type { RemoteParticipant } from "./participant.js";
import type { Track } from "./track.js";
import {
  type Feed,
  participantFeed,
  trackFeed,
  type VideoStreamParticipantSource,
} from "./video-feed.js";

/** EncodedVideoFrame is one access unit as received (`@framewire/rtp-video`'s `VideoFrame`). */
export type EncodedVideoFrame = RtpVideoFrame;

/**
 * EncodedVideoFrameEvent is one access unit as the caller sent it (Annex-B H.264, or VP8/VP9),
 * with the RTP truth: `timestampUs` the media time on the 90 kHz clock from the stream's first
 * frame, `rtpTimestamp` as carried, `receivedAtMs` on the connector's scheduler clock.
 */
export interface EncodedVideoFrameEvent {
  readonly frame: EncodedVideoFrame;
  readonly timestampUs: bigint;
  readonly rtpTimestamp: number;
  readonly receivedAtMs: number;
  readonly keyframe: boolean;
}

/** EncodedVideoStreamOptions: the queue the consumer pulls from, in frames (default 4). */
export interface EncodedVideoStreamOptions {
  readonly capacity?: number;
}

/**
 * EncodedVideoStream is ours (LiveKit has none): a remote video track's access units, never
 * decoded, for recorders and relays — with `connect(..., { rawMedia: false })` node-av is never
 * loaded. Bounded like `VideoStream` (a full queue drops its oldest frame and the deltas after it
 * up to the next keyframe, which it requests), so what it delivers always decodes from its first
 * (key)frame; `requestKeyframe()` asks the caller for one. It ends on the same paths as
 * `VideoStream`, with the reason in `ended`.
 */
export class EncodedVideoStream extends ReadableStream<EncodedVideoFrameEvent> {
  readonly #feed: Feed<EncodedVideoFrame>;

  constructor(
    track: Track | VideoStreamParticipantSource,
    options: EncodedVideoStreamOptions = {},
  ) {
    const opts = {
      format: "encoded" as const,
      ...(options.capacity === undefined || options.capacity === 0
        ? {}
        : { capacity: options.capacity }),
    };
    const feed =
      typeof track === "object" && track !== null && "participant" in track
        ? participantFeed<EncodedVideoFrame>(track, opts)
        : trackFeed<EncodedVideoFrame>(track, opts, "an EncodedVideoStream");
    super(
      {
        pull: async (controller) => {
          const e = await feed.next();
          if (e === undefined) {
            controller.close();
            return;
          }
          controller.enqueue({
            frame: e.frame,
            timestampUs: e.timestampUs,
            rtpTimestamp: e.rtpTimestamp,
            receivedAtMs: e.receivedAtMs,
            keyframe: e.keyframe,
          });
        },
        cancel: () => feed.close(),
      },
      { highWaterMark: 0 },
    );
    this.#feed = feed;
  }

  /** fromParticipant follows `participant`'s video of `source` across republishes (as `VideoStream.fromParticipant`). */
  static fromParticipant(
    participant: RemoteParticipant,
    source: TrackSource = TrackSource.SOURCE_CAMERA,
    options: EncodedVideoStreamOptions = {},
  ): EncodedVideoStream {
    return new EncodedVideoStream({ participant, source }, options);
  }

  /** ended resolves with the reason once the stream has ended. */
  get ended(): Promise<StreamEndReason> {
    return this.#feed.ended;
  }

  /** endReason is why the stream ended, or undefined while it runs. */
  get endReason(): StreamEndReason | undefined {
    return this.#feed.endReason;
  }

  /** rebinds counts the tracks a `fromParticipant` stream moved to after the first. */
  get rebinds(): number {
    return this.#feed.rebinds;
  }

  /** stats are the stream's counters (summed over re-binds). */
  stats(): VideoStreamStats {
    return this.#feed.stats();
  }

  /** requestKeyframe asks the source for a keyframe. */
  requestKeyframe(): void {
    this.#feed.requestKeyframe();
  }

  /** close ends the stream (`unsubscribed`), like `cancel()`. */
  async close(): Promise<void> {
    await this.cancel().catch(() => this.#feed.close());
  }
}
