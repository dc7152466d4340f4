import type { RawVideoFrame } from "@framewire/media/frames";
import type { StreamEndReason } from "../core/stream-end-reason.js";
import type {
  VideoStreamOptions as CoreVideoStreamOptions,
  VideoStreamStats,
} from "../core/video-track-stream.js";
import { TrackSource, VideoBufferType, VideoRotation } from "./enums.js";
import type { RemoteParticipant } from "./participant.js";
import type { Track } from "./track.js";
import {
  type Feed,
  participantFeed,
  trackFeed,
  type VideoStreamParticipantSource,
} from "./video-feed.js";
import { fromRawVideoFrame, requirePixelFormat, type VideoFrame } from "./video-frame.js";

/**
 * VideoFrameEvent is LiveKit's frame event (`frame`, `timestampUs`, `rotation`) plus the RTP
 * truth: `rtpTimestamp` as carried, `receivedAtMs` on the connector's scheduler clock, and
 * whether the access unit was a keyframe. `timestampUs` is the media time on the 90 kHz clock
 * from the stream's first frame.
 */
export interface VideoFrameEvent {
  frame: VideoFrame;
  timestampUs: bigint;
  rotation: VideoRotation;
  readonly rtpTimestamp: number;
  readonly receivedAtMs: number;
  readonly keyframe: boolean;
}

/**
 * VideoStreamOptions are the Python SDK's (`format`, `capacity`) plus ours: `maxFps` (pictures
 * closer than 1/maxFps are decoded but never converted or delivered) and `width`/`height`
 * (scaling).
 */
export interface VideoStreamOptions {
  /** format of the frames delivered; default `VideoBufferType.I420` (what the decoder makes: no conversion). */
  readonly format?: VideoBufferType;
  /** capacity of the queue the consumer pulls from, in frames; 0 or omitted: 4 (never unbounded). */
  readonly capacity?: number;
  readonly maxFps?: number;
  readonly width?: number;
  readonly height?: number;
}

function coreOptions(options: VideoStreamOptions): CoreVideoStreamOptions {
  const type = options.format ?? VideoBufferType.I420;
  const format = requirePixelFormat(type, "VideoStream format");
  return {
    format,
    ...(options.capacity === undefined || options.capacity === 0
      ? {}
      : { capacity: options.capacity }),
    ...(options.maxFps === undefined ? {} : { maxFps: options.maxFps }),
    ...(options.width === undefined ? {} : { width: options.width }),
    ...(options.height === undefined ? {} : { height: options.height }),
  };
}

/**
 * VideoStream is LiveKit's `VideoStream`: a `ReadableStream<VideoFrameEvent>` (so also
 * `for await`-able) of a remote video track's frames, decoded (only those delivered) and
 * converted to `format`. It pulls from one bounded queue (`capacity` frames; a full queue drops
 * its oldest frame and the deltas after it, counted in `stats()`), and ends on every path —
 * track unpublished or unsubscribed, participant left, room disconnected, `cancel()` — with the
 * reason in `ended`/`endReason`. `new VideoStream({ participant, source })` (or
 * `fromParticipant`) follows that participant's track of `source` across republishes.
 */
export class VideoStream extends ReadableStream<VideoFrameEvent> {
  readonly #feed: Feed<RawVideoFrame>;

  constructor(track: Track | VideoStreamParticipantSource, options: VideoStreamOptions = {}) {
    const feed =
      typeof track === "object" && track !== null && "participant" in track
        ? participantFeed<RawVideoFrame>(track, coreOptions(options))
        : trackFeed<RawVideoFrame>(track, coreOptions(options), "a VideoStream");
    super(
      {
        pull: async (controller) => {
          const e = await feed.next();
          if (e === undefined) {
            controller.close();
            return;
          }
          controller.enqueue({
            frame: fromRawVideoFrame(e.frame),
            timestampUs: e.timestampUs,
            rotation: VideoRotation.VIDEO_ROTATION_0,
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

  /** fromTrack is `new VideoStream(track, options)` (the Python SDK's name). */
  static fromTrack(track: Track, options: VideoStreamOptions = {}): VideoStream {
    return new VideoStream(track, options);
  }

  /**
   * fromParticipant follows `participant`'s video track of `source`: frames of each track it
   * publishes, the same stream across an unpublish and republish; it ends when the participant
   * leaves or the room disconnects.
   */
  static fromParticipant(
    participant: RemoteParticipant,
    source: TrackSource = TrackSource.SOURCE_CAMERA,
    options: VideoStreamOptions = {},
  ): VideoStream {
    return new VideoStream({ participant, source }, options);
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

  /** close ends the stream (`unsubscribed`), like `cancel()` (the Python SDK's `aclose`). */
  async close(): Promise<void> {
    await this.cancel().catch(() => this.#feed.close());
  }
}
