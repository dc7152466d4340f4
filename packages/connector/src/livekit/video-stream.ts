import type { RawVideoFrame } from "@framewire/media/frames";
import type { StreamEndReason } from "../core/stream-end-reason.js";
import type {
  VideoFrameEvent as CoreVideoFrameEvent,
  VideoStreamOptions as CoreVideoStreamOptions,
  VideoStreamStats,
  VideoTrackStream,
} from "../core/video-track-stream.js";
import { ConnectorError } from "../errors.js";
import { TrackKind, TrackSource, VideoBufferType, VideoRotation } from "./enums.js";
import { type RemoteParticipant, remoteParticipantLink } from "./participant.js";
import { remoteTrackLink, type Track } from "./track.js";
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

/** VideoStreamParticipantSource names a participant's track by source, for `VideoStream.fromParticipant`. */
export interface VideoStreamParticipantSource {
  readonly participant: RemoteParticipant;
  readonly source: TrackSource;
}

type CoreStream = VideoTrackStream<unknown>;

interface Rebind {
  readonly watchers: Set<() => void>;
  readonly gone: () => StreamEndReason | undefined;
}

const ZERO_STATS: VideoStreamStats = {
  received: 0,
  decoded: 0,
  delivered: 0,
  dropped: 0,
  skippedFps: 0,
  queued: 0,
  decodeErrors: 0,
  keyframeRequests: 0,
};

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
 * Feed is what a VideoStream pulls from: one core stream (a track), or a participant's track of
 * one source re-bound each time it republishes.
 */
class Feed {
  readonly #open: () => CoreStream | undefined;
  readonly #rebind: Rebind | undefined;
  readonly #watcher = () => this.#changed();
  #current: CoreStream | undefined;
  /** next is the stream opened on a republish while the old one's queue is still being read. */
  #next: CoreStream | undefined;
  #wake: (() => void) | undefined;
  #reason: StreamEndReason | undefined;
  #stopped = false;
  #resolveEnded!: (r: StreamEndReason) => void;
  readonly ended: Promise<StreamEndReason>;
  #past: VideoStreamStats = ZERO_STATS;
  #bindings = 0;

  constructor(open: () => CoreStream | undefined, rebind: Rebind | undefined) {
    this.#open = open;
    this.#rebind = rebind;
    this.ended = new Promise((r) => {
      this.#resolveEnded = r;
    });
    const first = open();
    this.#current = first;
    if (first !== undefined) this.#bindings++;
    if (rebind === undefined) {
      // a track's stream ends when its core stream does (queued frames can still be read)
      if (first === undefined) this.#stop("closed");
      else void first.ended.then((r) => this.#record(r));
    } else {
      // bound at once on each publish, pulled or not, so that no frame of it is missed
      rebind.watchers.add(this.#watcher);
    }
  }

  get endReason(): StreamEndReason | undefined {
    return this.#reason;
  }

  /** rebinds counts the tracks bound after the first. */
  get rebinds(): number {
    return Math.max(0, this.#bindings - 1);
  }

  stats(): VideoStreamStats {
    const now = this.#current?.stats() ?? { ...ZERO_STATS };
    const p = this.#past;
    return {
      received: p.received + now.received,
      decoded: p.decoded + now.decoded,
      delivered: p.delivered + now.delivered,
      dropped: p.dropped + now.dropped,
      skippedFps: p.skippedFps + now.skippedFps,
      queued: now.queued,
      decodeErrors: p.decodeErrors + now.decodeErrors,
      keyframeRequests: p.keyframeRequests + now.keyframeRequests,
    };
  }

  requestKeyframe(): void {
    this.#current?.requestKeyframe();
  }

  /** next is the next frame, or undefined once the feed has ended. */
  async next(): Promise<CoreVideoFrameEvent<RawVideoFrame> | undefined> {
    for (;;) {
      if (this.#stopped) return undefined;
      const s = this.#current;
      if (s === undefined) {
        const gone = this.#rebind?.gone();
        if (this.#rebind === undefined || gone !== undefined) {
          this.#stop(gone ?? "closed");
          return undefined;
        }
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        this.#wake = undefined;
        continue;
      }
      const r = await s.next();
      if (!r.done) return r.value as CoreVideoFrameEvent<RawVideoFrame>;
      this.#retire(s);
      if (r.value !== "unpublished" || this.#rebind === undefined) {
        this.#stop(r.value);
        return undefined;
      }
      this.#current = this.#next;
      this.#next = undefined;
      if (this.#current === undefined) this.#changed();
    }
  }

  /** close ends the feed: as its core stream ended, else `unsubscribed`. */
  async close(): Promise<void> {
    const s = this.#current;
    const n = this.#next;
    const r = s?.endReason;
    this.#stop(
      r === undefined || (r === "unpublished" && this.#rebind !== undefined) ? "unsubscribed" : r,
    );
    this.#next = undefined;
    await n?.close();
    if (s !== undefined) {
      await s.close();
      this.#retire(s);
    }
  }

  #retire(s: CoreStream): void {
    if (this.#current !== s) return;
    const st = this.stats();
    this.#past = { ...st, queued: 0 };
    this.#current = undefined;
  }

  /** changed: the participant's publications changed (or it is gone): bind to its track if it has one. */
  #changed(): void {
    if (this.#stopped || this.#rebind === undefined) return;
    if (this.#rebind.gone() !== undefined) {
      if (this.#current === undefined) this.#wake?.();
      return;
    }
    const c = this.#current;
    if (this.#next !== undefined || (c !== undefined && c.endReason !== "unpublished")) return;
    let opened: CoreStream | undefined;
    try {
      opened = this.#open();
    } catch {
      opened = undefined; // e.g. the grant was lost: the stream waits, and ends with the participant
    }
    if (opened === undefined) return;
    this.#bindings++;
    if (c === undefined) {
      this.#current = opened;
      this.#wake?.();
    } else this.#next = opened;
  }

  #stop(reason: StreamEndReason): void {
    this.#record(reason);
    if (this.#stopped) return;
    this.#stopped = true;
    this.#rebind?.watchers.delete(this.#watcher);
    this.#wake?.();
  }

  #record(reason: StreamEndReason): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    this.#resolveEnded(reason);
  }
}

function trackFeed(track: Track, options: VideoStreamOptions): Feed {
  const link = remoteTrackLink(track);
  if (link === undefined || track.kind !== TrackKind.KIND_VIDEO)
    throw new ConnectorError("BAD_OPTION", "a VideoStream reads a RemoteVideoTrack");
  if (!link.subscribed)
    throw new ConnectorError("INVALID_STATE", `track ${track.sid} is not subscribed`);
  const opts = coreOptions(options);
  const feed = new Feed(() => link.core.subscribeVideo(link.sessionId, opts), undefined);
  link.streams.add(feed);
  void feed.ended.then(() => link.streams.delete(feed));
  return feed;
}

function participantFeed(spec: VideoStreamParticipantSource, options: VideoStreamOptions): Feed {
  const link = remoteParticipantLink(spec.participant);
  if (link === undefined)
    throw new ConnectorError("BAD_OPTION", "fromParticipant takes a RemoteParticipant of a Room");
  const opts = coreOptions(options);
  const open = (): CoreStream | undefined => {
    if (link.gone !== undefined) return undefined;
    for (const pub of spec.participant.trackPublications.values())
      if (pub.kind === TrackKind.KIND_VIDEO && pub.source === spec.source)
        return link.core.subscribeVideo(link.sessionId, opts);
    return undefined;
  };
  return new Feed(open, { watchers: link.watchers, gone: () => link.gone });
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
  readonly #feed: Feed;

  constructor(track: Track | VideoStreamParticipantSource, options: VideoStreamOptions = {}) {
    const feed =
      typeof track === "object" && track !== null && "participant" in track
        ? participantFeed(track, options)
        : trackFeed(track, options);
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
