import type { RawVideoFrame } from "@framewire/media/frames";
import type { VideoPublication } from "../core/video-publication.js";
import { ConnectorError } from "../errors.js";
import { VideoRotation } from "./enums.js";
import { toRawVideoFrame, VideoFrame } from "./video-frame.js";

/** VideoSourceOptions are the Python SDK's keyword options, after LiveKit's two positional ones. */
export interface VideoSourceOptions {
  /** isScreencast publishes the track as `TrackSource.SOURCE_SCREENSHARE` unless the publish options say otherwise. */
  readonly isScreencast?: boolean;
}

interface Held {
  readonly frame: RawVideoFrame;
}

let bind: (source: VideoSource, publication: VideoPublication | undefined) => void;

/**
 * VideoSource is LiveKit's `VideoSource(width, height)`: frames captured with the positional
 * `captureFrame(frame, timestampUs?, rotation?)` are encoded (H.264 constrained baseline or VP8)
 * at `width`x`height` (frames of another size or type are converted and scaled) once its track is
 * published. Before that, only the last frame is kept, and sent when publishing starts. Capturing
 * never blocks: while the encoder is busy only the newest frame waits (the publication counts the
 * others as dropped). Rotation is not applied (RTP video to SIP phones carries none).
 */
export class VideoSource {
  width: number;
  height: number;
  closed = false;
  readonly isScreencast: boolean;
  #publication: VideoPublication | undefined;
  #held: Held | undefined;

  static {
    bind = (source, publication) => {
      source.#publication = publication;
      const held = source.#held;
      source.#held = undefined;
      if (publication !== undefined && held !== undefined && !publication.closed)
        publication.captureFrame(held.frame);
    };
  }

  constructor(width: number, height: number, options: VideoSourceOptions = {}) {
    for (const [k, v] of [
      ["width", width],
      ["height", height],
    ] as const)
      if (!Number.isInteger(v) || v < 16 || v > 1920 || v % 2 !== 0)
        throw new ConnectorError(
          "BAD_OPTION",
          `VideoSource ${k} must be an even integer in 16..1920, got ${v}`,
        );
    this.width = width;
    this.height = height;
    this.isScreencast = options.isScreencast === true;
  }

  /** published is true while the source's track is published. */
  get published(): boolean {
    return this.#publication !== undefined && !this.#publication.closed;
  }

  /**
   * captureFrame sends `frame` (see the class). `timestampUs` is the media time (0 or omitted:
   * the publication's clock). INVALID_STATE after `close()`; BAD_OPTION for a frame type that
   * cannot be encoded.
   */
  captureFrame(
    frame: VideoFrame,
    timestampUs?: bigint,
    rotation: VideoRotation = VideoRotation.VIDEO_ROTATION_0,
  ): void {
    void rotation;
    if (this.closed) throw new ConnectorError("INVALID_STATE", "the VideoSource is closed");
    if (!(frame instanceof VideoFrame))
      throw new ConnectorError("BAD_OPTION", "captureFrame takes a VideoFrame");
    const raw = toRawVideoFrame(frame);
    const pub = this.#publication;
    if (pub !== undefined && !pub.closed) {
      const ms =
        timestampUs === undefined || timestampUs === 0n ? undefined : Number(timestampUs) / 1000;
      pub.captureFrame(raw, ms);
    } else this.#held = { frame: raw };
  }

  /** close stops the source: later captures throw INVALID_STATE; idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    this.#held = undefined;
  }
}

/** bindVideoSource links a source to its publication (undefined: unpublished). */
export function bindVideoSource(
  source: VideoSource,
  publication: VideoPublication | undefined,
): void {
  bind(source, publication);
}
