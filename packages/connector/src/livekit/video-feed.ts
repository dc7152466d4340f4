import type { StreamEndReason } from "../core/stream-end-reason.js";
import type {
  VideoFrameEvent as CoreVideoFrameEvent,
  VideoStreamOptions as CoreVideoStreamOptions,
  VideoStreamStats,
  VideoTrackStream,
} from "../core/video-track-stream.js";
import { ConnectorError } from "../errors.js";
import { TrackKind, type TrackSource } from "./enums.js";
import { type RemoteParticipant, remoteParticipantLink } from "./participant.js";
import { remoteTrackLink, type Track } from "./track.js";

/** VideoStreamParticipantSource names a participant's track by source, for `fromParticipant`. */
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

/**
 * Feed is what a video stream pulls from: one core stream (a track), or a participant's track of
 * one source re-bound each time it republishes.
 */
export class Feed<F> {
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
  async next(): Promise<CoreVideoFrameEvent<F> | undefined> {
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
      if (!r.done) return r.value as CoreVideoFrameEvent<F>;
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

/** trackFeed opens a feed on a subscribed remote video track. */
export function trackFeed<F>(track: Track, opts: CoreVideoStreamOptions, what: string): Feed<F> {
  const link = remoteTrackLink(track);
  if (link === undefined || track.kind !== TrackKind.KIND_VIDEO)
    throw new ConnectorError("BAD_OPTION", `${what} reads a RemoteVideoTrack`);
  if (!link.subscribed)
    throw new ConnectorError("INVALID_STATE", `track ${track.sid} is not subscribed`);
  const feed = new Feed<F>(() => link.core.subscribeVideo(link.sessionId, opts), undefined);
  link.streams.add(feed);
  void feed.ended.then(() => link.streams.delete(feed));
  return feed;
}

/** participantFeed follows a participant's video track of one source across republishes. */
export function participantFeed<F>(
  spec: VideoStreamParticipantSource,
  opts: CoreVideoStreamOptions,
): Feed<F> {
  const link = remoteParticipantLink(spec.participant);
  if (link === undefined)
    throw new ConnectorError("BAD_OPTION", "fromParticipant takes a RemoteParticipant of a Room");
  const open = (): CoreStream | undefined => {
    if (link.gone !== undefined) return undefined;
    for (const pub of spec.participant.trackPublications.values())
      if (pub.kind === TrackKind.KIND_VIDEO && pub.source === spec.source)
        return link.core.subscribeVideo(link.sessionId, opts);
    return undefined;
  };
  return new Feed<F>(open, { watchers: link.watchers, gone: () => link.gone });
}
