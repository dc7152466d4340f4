import type { RawVideoFrame } from "@framewire/media/frames";
import type { VideoCodec, VideoFrame } from "@framewire/rtp-video";
import { type Observable, type SchedulerLike, Subject } from "rxjs";
import { ConnectorError } from "../errors.js";
import type { MediaModule } from "./media-loader.js";

/** VideoPublishOptions configure a participant's published video. */
export interface VideoPublishOptions {
  /** width and height of what is sent (raw frames of another size are scaled). */
  readonly width: number;
  readonly height: number;
  /** fps the encoder is set for; default 30. */
  readonly fps?: number;
  /** bitrate in bit/s; default 1 000 000. */
  readonly bitrate?: number;
  /** encoded: the application writes encoded access units itself (`writeEncoded`); node-av is never loaded. */
  readonly encoded?: boolean;
}

/** EncodedVideoInput is one access unit an encoded publisher writes (Annex-B for H.264). */
export interface EncodedVideoInput {
  readonly data: Uint8Array;
  readonly keyframe: boolean;
  /** timestampMs is the media time; default the participant's clock since publishing began. */
  readonly timestampMs?: number;
}

/** VideoPublicationStats count what a published video took, sent and dropped. */
export interface VideoPublicationStats {
  readonly captured: number;
  readonly encoded: number;
  readonly sent: number;
  /** dropped raw frames replaced by a newer one while the encoder was busy. */
  readonly dropped: number;
  readonly keyframeRequests: number;
  readonly encodeErrors: number;
}

/** VideoPublicationParts are what a participant gives the publication it makes. */
export interface VideoPublicationParts {
  readonly codec: VideoCodec;
  readonly scheduler: SchedulerLike;
  readonly send: (frame: VideoFrame) => void;
  readonly media: MediaModule | undefined;
  readonly onClose: () => void;
}

type Encoder = Awaited<ReturnType<MediaModule["VideoEncoder"]["create"]>>;

/**
 * VideoPublication is a participant's published video: raw frames (`captureFrame`, encoded with
 * libx264 constrained baseline / libvpx VP8 realtime by `@framewire/media`) or encoded access
 * units (`writeEncoded`), sent into the room as a source the video bridge forwards to everyone.
 * Capturing never blocks: while the encoder works on a frame, only the newest captured frame
 * waits (older ones are dropped, counted). A member's keyframe request makes the next frame a
 * keyframe (`keyframeRequests$` tells an encoded publisher). `close()` unpublishes.
 */
export class VideoPublication {
  readonly kind = "video" as const;
  readonly codec: VideoCodec;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  /** keyframeRequests$ emits each time a member of the room asks for a keyframe. */
  readonly keyframeRequests$: Observable<void>;
  readonly #parts: VideoPublicationParts;
  readonly #encoder: Encoder | undefined;
  readonly #keyframes = new Subject<void>();
  readonly #startMs: number;
  readonly #rtpBase = Math.floor(Math.random() * 0x100000000);
  #sequence = 0;
  #busy = false;
  #next: { frame: RawVideoFrame; timestampMs: number } | undefined;
  #closed = false;
  #stats = { captured: 0, encoded: 0, sent: 0, dropped: 0, keyframeRequests: 0, encodeErrors: 0 };

  private constructor(
    parts: VideoPublicationParts,
    options: VideoPublishOptions,
    encoder: Encoder | undefined,
  ) {
    this.#parts = parts;
    this.codec = parts.codec;
    this.width = options.width;
    this.height = options.height;
    this.fps = options.fps ?? 30;
    this.#encoder = encoder;
    this.#startMs = parts.scheduler.now();
    this.keyframeRequests$ = this.#keyframes.asObservable();
  }

  /** create checks the options and, for raw frames, opens the encoder. */
  static async create(
    parts: VideoPublicationParts,
    options: VideoPublishOptions,
  ): Promise<VideoPublication> {
    for (const [k, v] of [
      ["width", options.width],
      ["height", options.height],
    ] as const) {
      if (!Number.isInteger(v) || v < 16 || v > 1920 || v % 2 !== 0)
        throw new ConnectorError(
          "BAD_OPTION",
          `${k} must be an even integer in 16..1920, got ${v}`,
        );
    }
    const fps = options.fps ?? 30;
    if (!(fps >= 1 && fps <= 60))
      throw new ConnectorError("BAD_OPTION", `fps must be 1..60, got ${fps}`);
    const bitrate = options.bitrate ?? 1_000_000;
    if (!(bitrate >= 50_000 && bitrate <= 20_000_000))
      throw new ConnectorError("BAD_OPTION", `bitrate must be 50000..20000000, got ${bitrate}`);
    if (options.encoded === true) return new VideoPublication(parts, options, undefined);
    const media = parts.media;
    if (media === undefined)
      throw new ConnectorError("MEDIA_UNAVAILABLE", "raw video publishing needs @framewire/media");
    if (parts.codec !== "h264" && parts.codec !== "vp8")
      throw new ConnectorError("BAD_OPTION", `cannot encode ${parts.codec} (h264 or vp8)`);
    const encoder = await media.VideoEncoder.create({
      codec: parts.codec,
      width: options.width,
      height: options.height,
      fps,
      bitrate,
    });
    return new VideoPublication(parts, options, encoder);
  }

  /** closed is true once unpublished. */
  get closed(): boolean {
    return this.#closed;
  }

  stats(): VideoPublicationStats {
    return { ...this.#stats };
  }

  /**
   * captureFrame encodes and sends one raw frame (any pixel format and size: converted and
   * scaled to the publication's). `timestampMs` defaults to the clock since publishing began.
   */
  captureFrame(frame: RawVideoFrame, timestampMs?: number): void {
    if (this.#closed) throw new ConnectorError("INVALID_STATE", "the video publication is closed");
    if (this.#encoder === undefined)
      throw new ConnectorError("INVALID_STATE", "an encoded publication takes writeEncoded()");
    this.#stats.captured++;
    const t = timestampMs ?? this.#parts.scheduler.now() - this.#startMs;
    if (this.#next !== undefined) this.#stats.dropped++;
    this.#next = { frame, timestampMs: t };
    if (!this.#busy) void this.#pump();
  }

  /** writeEncoded sends one encoded access unit of the publication's codec. */
  writeEncoded(input: EncodedVideoInput): void {
    if (this.#closed) throw new ConnectorError("INVALID_STATE", "the video publication is closed");
    if (this.#encoder !== undefined)
      throw new ConnectorError("INVALID_STATE", "a raw publication takes captureFrame()");
    if (!(input.data instanceof Uint8Array) || input.data.byteLength === 0)
      throw new ConnectorError("BAD_OPTION", "data must be a non-empty Uint8Array");
    this.#emit(
      input.data,
      input.keyframe,
      input.timestampMs ?? this.#parts.scheduler.now() - this.#startMs,
    );
  }

  /** keyframeRequested is called when a member asks for a keyframe. */
  keyframeRequested(): void {
    if (this.#closed) return;
    this.#stats.keyframeRequests++;
    this.#encoder?.requestKeyframe();
    this.#keyframes.next();
  }

  /** close unpublishes: nothing more is sent, the encoder is freed; idempotent. */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#closed = true;
    this.#next = undefined;
    this.#keyframes.complete();
    this.#parts.onClose();
    this.#closing = this.#encoder?.close() ?? Promise.resolve();
    return this.#closing;
  }

  #closing: Promise<void> | undefined;

  async #pump(): Promise<void> {
    this.#busy = true;
    try {
      while (this.#next !== undefined && !this.#closed) {
        const { frame, timestampMs } = this.#next;
        this.#next = undefined;
        try {
          const packets = await this.#encoder!.encode(frame);
          for (const p of packets) {
            this.#stats.encoded++;
            if (!this.#closed) this.#emit(p.data, p.keyframe, timestampMs);
          }
        } catch {
          this.#stats.encodeErrors++;
        }
      }
    } finally {
      this.#busy = false;
    }
  }

  #emit(data: Uint8Array, keyframe: boolean, timestampMs: number): void {
    const frame: VideoFrame = {
      codec: this.codec,
      data,
      keyframe,
      timestampMs,
      rtpTimestamp: (this.#rtpBase + Math.round(timestampMs * 90)) >>> 0,
      sequence: this.#sequence++,
      width: this.width,
      height: this.height,
    };
    this.#stats.sent++;
    this.#parts.send(frame);
  }
}
