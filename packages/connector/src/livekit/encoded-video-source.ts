import type { Subscription } from "rxjs";
import type { VideoPublication } from "../core/video-publication.js";
import { ConnectorError } from "../errors.js";

let bind: (source: EncodedVideoSource, publication: VideoPublication | undefined) => void;

/**
 * EncodedVideoSource is ours (LiveKit has none): a published video track the application feeds
 * with encoded access units of the room's codec (Annex-B H.264 unless `connect` asked for VP8),
 * for relays and pre-encoded content; node-av is never loaded for it. `onKeyframeRequest` tells
 * the application when a member of the room needs a keyframe (and once when publishing starts).
 * Frames written while unpublished are dropped (a delta is useless without its keyframe).
 */
export class EncodedVideoSource {
  width: number;
  height: number;
  closed = false;
  #publication: VideoPublication | undefined;
  #requests: Subscription | undefined;
  readonly #listeners = new Set<() => void>();

  static {
    bind = (source, publication) => {
      source.#requests?.unsubscribe();
      source.#requests = undefined;
      source.#publication = publication;
      if (publication === undefined) return;
      source.#requests = publication.keyframeRequests$.subscribe(() => source.#keyframeRequested());
      source.#keyframeRequested();
    };
  }

  constructor(width: number, height: number) {
    for (const [k, v] of [
      ["width", width],
      ["height", height],
    ] as const)
      if (!Number.isInteger(v) || v < 16 || v > 1920 || v % 2 !== 0)
        throw new ConnectorError(
          "BAD_OPTION",
          `EncodedVideoSource ${k} must be an even integer in 16..1920, got ${v}`,
        );
    this.width = width;
    this.height = height;
  }

  /** published is true while the source's track is published. */
  get published(): boolean {
    return this.#publication !== undefined && !this.#publication.closed;
  }

  /**
   * writeFrame sends one access unit; `timestampUs` is its media time (omitted: the
   * publication's clock). Returns false when unpublished (the frame was dropped). INVALID_STATE
   * after `close()`, BAD_OPTION for empty data.
   */
  writeFrame(data: Uint8Array, keyframe: boolean, timestampUs?: bigint): boolean {
    if (this.closed) throw new ConnectorError("INVALID_STATE", "the EncodedVideoSource is closed");
    const pub = this.#publication;
    if (pub === undefined || pub.closed) return false;
    pub.writeEncoded({
      data,
      keyframe,
      ...(timestampUs === undefined ? {} : { timestampMs: Number(timestampUs) / 1000 }),
    });
    return true;
  }

  /** onKeyframeRequest calls `listener` each time a keyframe is wanted; returns the unsubscribe. */
  onKeyframeRequest(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** close stops the source: later writes throw INVALID_STATE; idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    this.#listeners.clear();
  }

  #keyframeRequested(): void {
    for (const l of [...this.#listeners]) {
      try {
        l();
      } catch (e) {
        setImmediate(() => {
          throw e;
        });
      }
    }
  }
}

/** bindEncodedVideoSource links a source to its publication (undefined: unpublished). */
export function bindEncodedVideoSource(
  source: EncodedVideoSource,
  publication: VideoPublication | undefined,
): void {
  bind(source, publication);
}
