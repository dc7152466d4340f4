import type { VideoFrame } from "@framewire/rtp-video";
import { keyframeToJpeg } from "./av.js";

/** Thumbnail is the latest picture of one participant. */
export interface Thumbnail {
  readonly jpeg: Buffer;
  readonly at: number;
  /** count is how many thumbnails this participant had so far. */
  readonly count: number;
}

/** ThumbnailOptions set how often and how large. */
export interface ThumbnailOptions {
  /** minIntervalMs between two thumbnails of one participant (default 1000). */
  readonly minIntervalMs?: number;
  readonly width?: number;
  readonly now?: () => number;
  /** maxParticipants bounds the thumbnails kept (default 64); the oldest are forgotten. */
  readonly maxParticipants?: number;
}

/**
 * Thumbnails turns participants' keyframes into JPEGs, at most one per participant per
 * interval and one decode at a time per participant, so a fast keyframe source costs little.
 */
export class Thumbnails {
  private readonly latest = new Map<string, Thumbnail>();
  private readonly busy = new Set<string>();
  private readonly tried = new Map<string, number>();
  private readonly now: () => number;
  failures = 0;

  constructor(private readonly options: ThumbnailOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  /** offer looks at a participant's frame; keyframes may become the new thumbnail. */
  offer(participantId: string, frame: VideoFrame): void {
    if (!frame.keyframe || this.busy.has(participantId)) return;
    const t = this.now();
    const last = this.tried.get(participantId);
    if (last !== undefined && t - last < (this.options.minIntervalMs ?? 1000)) return;
    this.tried.set(participantId, t);
    this.busy.add(participantId);
    keyframeToJpeg(frame.codec, frame.data, this.options.width ?? 320)
      .then((jpeg) => {
        if (jpeg === undefined) {
          this.failures++;
          return;
        }
        const count = (this.latest.get(participantId)?.count ?? 0) + 1;
        this.latest.delete(participantId); // re-insert: the map stays in recency order
        this.latest.set(participantId, { jpeg, at: this.now(), count });
        const max = this.options.maxParticipants ?? 64;
        for (const id of this.latest.keys()) {
          if (this.latest.size <= max) break;
          this.latest.delete(id);
          this.tried.delete(id);
        }
      })
      .catch(() => {
        this.failures++;
      })
      .finally(() => this.busy.delete(participantId));
  }

  get(participantId: string): Thumbnail | undefined {
    return this.latest.get(participantId);
  }
}
