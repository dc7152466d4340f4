import type { AudioStreamStats, AudioTrackStream } from "../core/audio-track-stream.js";
import type { StreamEndReason } from "../core/stream-end-reason.js";
import { ConnectorError } from "../errors.js";
import { AudioFrame } from "./audio-frame.js";
import { TrackKind } from "./enums.js";
import { Room, roomCore } from "./room.js";
import { remoteTrackLink, type Track } from "./track.js";

/**
 * AudioStreamOptions are LiveKit's (`sampleRate` default 48000, `numChannels` default 1,
 * `frameSizeMs` default 10) plus `capacityMs`, the bounded queue the consumer pulls from (default
 * 500 ms; the oldest frames go first, counted). LiveKit's noise cancellation is not offered.
 */
export interface AudioStreamOptions {
  sampleRate?: number;
  numChannels?: number;
  frameSizeMs?: number;
  capacityMs?: number;
}

function normalize(
  sampleRateOrOptions: number | AudioStreamOptions | undefined,
  numChannels: number | undefined,
) {
  const o: AudioStreamOptions =
    typeof sampleRateOrOptions === "object"
      ? sampleRateOrOptions
      : {
          ...(sampleRateOrOptions === undefined ? {} : { sampleRate: sampleRateOrOptions }),
          ...(numChannels === undefined ? {} : { numChannels }),
        };
  if ("noiseCancellation" in o)
    throw new ConnectorError("BAD_OPTION", "AudioStream: noiseCancellation is not supported");
  return {
    sampleRate: o.sampleRate ?? 48000,
    channels: o.numChannels ?? 1,
    frameSizeMs: o.frameSizeMs ?? 10,
    ...(o.capacityMs === undefined ? {} : { capacityMs: o.capacityMs }),
  };
}

/**
 * AudioStream is LiveKit's `AudioStream`: a `ReadableStream<AudioFrame>` (so also
 * `for await`-able) of a remote audio track as 16-bit PCM at `sampleRate` × `numChannels`, in
 * frames of `frameSizeMs`, from one bounded queue (`capacityMs`). It ends on every path (track
 * unpublished or unsubscribed, participant left, room disconnected, `cancel()`), the reason in
 * `ended`. `AudioStream.mixed(room)` is the room's mix without the local participant, beside any
 * per-participant streams.
 */
export class AudioStream extends ReadableStream<AudioFrame> {
  readonly #core: AudioTrackStream;

  constructor(track: Track);
  constructor(track: Track, sampleRate: number);
  constructor(track: Track, sampleRate: number, numChannels: number);
  constructor(track: Track, options: AudioStreamOptions);
  constructor(
    track: Track | Room,
    sampleRateOrOptions?: number | AudioStreamOptions,
    numChannels?: number,
  ) {
    const opts = normalize(sampleRateOrOptions, numChannels);
    let core: AudioTrackStream;
    if (track instanceof Room) core = roomCore(track).subscribeMixedAudio(opts);
    else {
      const link = remoteTrackLink(track);
      if (link === undefined || track.kind !== TrackKind.KIND_AUDIO)
        throw new ConnectorError("BAD_OPTION", "an AudioStream reads a RemoteAudioTrack");
      if (!link.subscribed)
        throw new ConnectorError("INVALID_STATE", `track ${track.sid} is not subscribed`);
      core = link.core.subscribeAudio(link.sessionId, opts);
      link.streams.add(core);
      void core.ended.then(() => link.streams.delete(core));
    }
    super(
      {
        pull: async (controller) => {
          const r = await core.next();
          if (r.done) {
            controller.close();
            return;
          }
          const f = r.value.frame;
          controller.enqueue(new AudioFrame(f.data, f.sampleRate, f.channels, f.samplesPerChannel));
        },
        cancel: () => core.close(),
      },
      { highWaterMark: 0 },
    );
    this.#core = core;
  }

  /** mixed is the room's audio mixed without the local participant ("everyone but me"). */
  static mixed(room: Room, options: AudioStreamOptions = {}): AudioStream {
    return new AudioStream(room as unknown as Track, options);
  }

  /** ended resolves with the reason once the stream has ended. */
  get ended(): Promise<StreamEndReason> {
    return this.#core.ended;
  }

  /** endReason is why the stream ended, or undefined while it runs. */
  get endReason(): StreamEndReason | undefined {
    return this.#core.endReason;
  }

  /** stats are the stream's counters. */
  stats(): AudioStreamStats {
    return this.#core.stats();
  }

  /** close ends the stream (`unsubscribed`), like `cancel()`. */
  async close(): Promise<void> {
    await this.cancel().catch(() => this.#core.close());
  }
}
