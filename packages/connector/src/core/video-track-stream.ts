import type { PixelFormat, RawVideoFrame } from "@framewire/media/frames";
import type { VideoFrame } from "@framewire/rtp-video";
import type { Observable, SchedulerLike, Subscription } from "rxjs";
import { ConnectorError } from "../errors.js";
import { loadMedia, type MediaModule } from "./media-loader.js";
import { PullQueue } from "./pull-queue.js";
import type { StreamEndReason } from "./stream-end-reason.js";

/** DEFAULT_VIDEO_CAPACITY is a video stream's queue, in frames, unless told otherwise. */
export const DEFAULT_VIDEO_CAPACITY = 4;

/** VideoStreamFormat is what a video stream delivers: the encoded access units, or raw frames. */
export type VideoStreamFormat = "encoded" | PixelFormat;

/** VideoStreamOptions configure one subscribed video stream. */
export interface VideoStreamOptions {
  /** format: "encoded" (no decoding, node-av never loaded) or a pixel format; default "encoded". */
  readonly format?: VideoStreamFormat;
  /** capacity of the queue the consumer pulls from, in frames (≥ 1); default 4. */
  readonly capacity?: number;
  /** maxFps: raw frames closer than 1/maxFps to the last delivered one are decoded, not converted. */
  readonly maxFps?: number;
  /** width and height scale raw frames (both or neither); default the stream's own size. */
  readonly width?: number;
  readonly height?: number;
}

/**
 * VideoFrameEvent is one delivered frame with its timing from the RTP truth: `rtpTimestamp` as it
 * was carried, `timestampUs` the media time on the codec's 90 kHz clock from the stream's first
 * frame, `receivedAtMs` when the bridge handed it over on the participant's scheduler clock.
 */
export interface VideoFrameEvent<F> {
  readonly frame: F;
  readonly timestampUs: bigint;
  readonly rtpTimestamp: number;
  readonly receivedAtMs: number;
  readonly keyframe: boolean;
  /** rotation of the picture in degrees (RTP video from SIP/RTP endpoints carries none: 0). */
  readonly rotation: 0;
}

/** VideoStreamStats are one stream's counters since it was opened. */
export interface VideoStreamStats {
  /** received frames from the bridge. */
  readonly received: number;
  /** decoded pictures (raw streams). */
  readonly decoded: number;
  /** delivered to the consumer. */
  readonly delivered: number;
  /** dropped encoded frames: a full queue, or deltas after a gap until the next keyframe. */
  readonly dropped: number;
  /** skippedFps raw pictures decoded but not converted or delivered (maxFps). */
  readonly skippedFps: number;
  /** queued frames waiting for the consumer. */
  readonly queued: number;
  /** decodeErrors counts access units the decoder refused. */
  readonly decodeErrors: number;
  /** keyframeRequests sent for this stream after a gap. */
  readonly keyframeRequests: number;
}

interface Queued {
  readonly frame: VideoFrame;
  readonly receivedAtMs: number;
}

/** VideoTrackStreamParts are what a participant gives the stream it opens. */
export interface VideoTrackStreamParts {
  readonly frames$: Observable<VideoFrame>;
  readonly scheduler: SchedulerLike;
  /** requestKeyframe asks the source for a keyframe through the bridge (after a gap). */
  readonly requestKeyframe: () => void;
  /** endReason says why the bridge's stream completed (participant left, room closed…). */
  readonly endReason: () => StreamEndReason;
}

type Decoding = {
  readonly media: MediaModule;
  decoder: InstanceType<MediaModule["VideoDecoder"]> | undefined;
  readonly converter: InstanceType<MediaModule["VideoConverter"]>;
};

/**
 * VideoTrackStream is one subscribed source's video, pulled by its consumer (`next`, or
 * `for await`). It queues encoded frames, at most `capacity` of them; a full queue drops its
 * oldest frame and, since a delta cannot be decoded without its predecessors, the deltas after it
 * up to the next keyframe (requested at once) — so a recorder always gets a decodable stream and
 * a raw consumer never decodes a frame it will not get. Raw streams decode in pull order (the
 * decoder is loaded with `@framewire/media` on the first pull) and convert only what they deliver.
 * The stream ends with a `StreamEndReason` on every path; `close()` ends it as `unsubscribed`.
 */
export class VideoTrackStream<F = VideoFrame> implements AsyncIterable<VideoFrameEvent<F>> {
  readonly format: VideoStreamFormat;
  readonly #parts: VideoTrackStreamParts;
  readonly #queue: PullQueue<Queued>;
  readonly #maxFps: number | undefined;
  readonly #size: { readonly width: number; readonly height: number } | undefined;
  readonly #pending: VideoFrameEvent<F>[] = [];
  readonly #subscription: Subscription;
  #waitKeyframe = false;
  #firstRtp: number | undefined;
  #unwrapped = 0;
  #lastRtp = 0;
  #lastDeliveredUs: bigint | undefined;
  #decoding: Promise<Decoding> | undefined;
  #decodingReady: Decoding | undefined;
  #released = false;
  #stats = {
    received: 0,
    decoded: 0,
    delivered: 0,
    dropped: 0,
    skippedFps: 0,
    decodeErrors: 0,
    keyframeRequests: 0,
  };

  constructor(parts: VideoTrackStreamParts, options: VideoStreamOptions = {}) {
    const capacity = options.capacity ?? DEFAULT_VIDEO_CAPACITY;
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new ConnectorError("BAD_OPTION", `capacity must be an integer ≥ 1, got ${capacity}`);
    const format = options.format ?? "encoded";
    if (options.maxFps !== undefined && !(options.maxFps > 0))
      throw new ConnectorError("BAD_OPTION", `maxFps must be > 0, got ${options.maxFps}`);
    if ((options.width === undefined) !== (options.height === undefined))
      throw new ConnectorError("BAD_OPTION", "width and height go together");
    if (format === "encoded" && (options.maxFps !== undefined || options.width !== undefined))
      throw new ConnectorError(
        "BAD_OPTION",
        "maxFps, width and height apply to raw streams (an encoded stream cannot skip deltas)",
      );
    if (options.width !== undefined) {
      for (const [k, v] of [
        ["width", options.width],
        ["height", options.height],
      ] as const)
        if (!Number.isInteger(v) || (v as number) < 2 || (v as number) > 7680)
          throw new ConnectorError("BAD_OPTION", `${k} must be an integer in 2..7680, got ${v}`);
    }
    this.format = format;
    this.#parts = parts;
    this.#queue = new PullQueue(capacity);
    this.#maxFps = options.maxFps;
    this.#size =
      options.width === undefined ? undefined : { width: options.width, height: options.height! };
    this.#subscription = parts.frames$.subscribe({
      next: (f) => this.#take(f),
      complete: () => this.#end(parts.endReason()),
      error: () => this.#end(parts.endReason()),
    });
  }

  /** ended resolves with the reason once the stream has ended (queued frames may still be read). */
  get ended(): Promise<StreamEndReason> {
    return this.#queue.ended;
  }

  /** endReason is why the stream ended, or undefined while it runs. */
  get endReason(): StreamEndReason | undefined {
    return this.#queue.endReason;
  }

  /** stats returns the stream's counters. */
  stats(): VideoStreamStats {
    return { ...this.#stats, queued: this.#queue.size };
  }

  /** requestKeyframe asks the source for a keyframe (rate-limited by the bridge). */
  requestKeyframe(): void {
    this.#stats.keyframeRequests++;
    this.#parts.requestKeyframe();
  }

  /**
   * next resolves the next frame, or `{ done: true, value: reason }` once the stream has ended
   * and everything queued was read. Concurrent calls are served in order.
   */
  async next(): Promise<IteratorResult<VideoFrameEvent<F>, StreamEndReason>> {
    for (;;) {
      const ready = this.#pending.shift();
      if (ready !== undefined) {
        this.#stats.delivered++;
        return { done: false, value: ready };
      }
      const item = await this.#queue.next();
      if (item === undefined) {
        await this.#release();
        return { done: true, value: this.#queue.endReason ?? "closed" };
      }
      if (this.format === "encoded") {
        this.#stats.delivered++;
        return { done: false, value: this.#event(item, item.frame as F) };
      }
      await this.#decode(item);
    }
  }

  /** return ends the stream (`for await` with `break`): as `close()`. */
  async return(): Promise<IteratorResult<VideoFrameEvent<F>, StreamEndReason>> {
    await this.close();
    return { done: true, value: this.#queue.endReason ?? "unsubscribed" };
  }

  [Symbol.asyncIterator](): AsyncIterator<VideoFrameEvent<F>, StreamEndReason> {
    return this;
  }

  /** close ends the stream as `unsubscribed` (unless it had ended already) and frees its decoder. */
  async close(): Promise<void> {
    this.#end("unsubscribed");
    this.#queue.clear();
    this.#pending.length = 0;
    await this.#release();
  }

  #take(frame: VideoFrame): void {
    this.#stats.received++;
    if (this.#queue.endReason !== undefined) return;
    if (this.#waitKeyframe && !frame.keyframe) {
      this.#stats.dropped++;
      return;
    }
    this.#waitKeyframe = false;
    const q = this.#queue;
    if (q.size >= q.capacity) {
      // drop the oldest frame and the deltas that depended on it, up to the next keyframe
      this.#stats.dropped += q.trim((items) => {
        items.shift();
        while (items.length > 0 && !items[0]!.frame.keyframe) items.shift();
      });
      if (q.size === 0 && !frame.keyframe) {
        this.#stats.dropped++;
        this.#waitKeyframe = true;
        this.requestKeyframe();
        return;
      }
    }
    q.push({ frame, receivedAtMs: this.#parts.scheduler.now() });
  }

  #event(item: Queued, frame: F): VideoFrameEvent<F> {
    return {
      frame,
      timestampUs: this.#mediaTimeUs(item.frame.rtpTimestamp),
      rtpTimestamp: item.frame.rtpTimestamp,
      receivedAtMs: item.receivedAtMs,
      keyframe: item.frame.keyframe,
      rotation: 0,
    };
  }

  /** mediaTimeUs is the RTP timestamp (90 kHz, unwrapped) relative to the stream's first frame. */
  #mediaTimeUs(rtp: number): bigint {
    if (this.#firstRtp === undefined) {
      this.#firstRtp = rtp;
      this.#lastRtp = rtp;
    }
    const delta = ((rtp - this.#lastRtp) | 0) as number; // signed 32-bit step
    this.#unwrapped += delta;
    this.#lastRtp = rtp;
    return (BigInt(this.#unwrapped) * 1000n) / 90n;
  }

  async #decoder(): Promise<Decoding> {
    this.#decoding ??= loadMedia().then((media) => {
      const d: Decoding = { media, decoder: undefined, converter: new media.VideoConverter() };
      this.#decodingReady = d;
      return d;
    });
    return this.#decoding;
  }

  async #decode(item: Queued): Promise<void> {
    const d = await this.#decoder();
    if (this.#released) return;
    const codec = item.frame.codec;
    if (codec !== "h264" && codec !== "vp8" && codec !== "vp9") {
      this.#stats.decodeErrors++;
      return;
    }
    if (d.decoder === undefined || d.decoder.codec !== codec) {
      await d.decoder?.close();
      // pictures come out of the decoder in the stream's format and size (one native copy)
      d.decoder = new d.media.VideoDecoder({
        codec,
        threads: 1,
        output: { format: this.format as PixelFormat, ...(this.#size ?? {}) },
      });
    }
    let pictures: RawVideoFrame[];
    try {
      pictures = await d.decoder.decode(item.frame.data);
    } catch {
      this.#stats.decodeErrors++;
      this.#waitKeyframe = true;
      this.#queue.clear();
      this.requestKeyframe();
      return;
    }
    const event = this.#event(item, undefined as F);
    for (const picture of pictures) {
      this.#stats.decoded++;
      if (this.#skipForFps(event.timestampUs)) {
        this.#stats.skippedFps++;
        continue;
      }
      const target = this.format as PixelFormat;
      const size = this.#size;
      const out =
        picture.format === target &&
        (size === undefined || (size.width === picture.width && size.height === picture.height))
          ? picture
          : d.converter.convert(picture, { format: target, ...(size ?? {}) });
      this.#lastDeliveredUs = event.timestampUs;
      this.#pending.push({ ...event, frame: out as F });
    }
  }

  #skipForFps(us: bigint): boolean {
    if (this.#maxFps === undefined || this.#lastDeliveredUs === undefined) return false;
    // a 10 % margin so that a 30 fps source under maxFps 30 is not thinned by jitter
    const minGapUs = BigInt(Math.floor((1e6 / this.#maxFps) * 0.9));
    return us - this.#lastDeliveredUs < minGapUs;
  }

  #end(reason: StreamEndReason): void {
    if (this.#queue.endReason !== undefined) return;
    this.#subscription?.unsubscribe();
    this.#queue.end(reason);
  }

  async #release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    const d =
      this.#decodingReady ?? (this.#decoding === undefined ? undefined : await this.#decoding);
    if (d === undefined) return;
    await d.decoder?.close();
    d.decoder = undefined;
    d.converter.close();
  }
}
