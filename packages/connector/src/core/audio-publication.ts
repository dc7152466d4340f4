import type { AudioFrame } from "@framewire/rtp-video";
import { encodeL16 } from "@framewire/video-bridge";
import type { SchedulerLike } from "rxjs";
import { ConnectorError } from "../errors.js";
import { PARTICIPANT_AUDIO_FORMAT } from "./participant-session.js";
import { PcmConverter } from "./pcm-converter.js";

/** AudioPublishOptions configure a participant's published audio. */
export interface AudioPublishOptions {
  /** sampleRate of what the application sends. */
  readonly sampleRate: number;
  /** channels of what the application sends (1 or 2, interleaved). */
  readonly channels: number;
}

/** AudioPublicationStats count what a published audio sent. */
export interface AudioPublicationStats {
  readonly frames: number;
  readonly samples: number;
}

/** AudioPublicationParts are what a participant gives the publication it makes. */
export interface AudioPublicationParts {
  readonly scheduler: SchedulerLike;
  readonly send: (frame: AudioFrame) => void;
  readonly onClose: () => void;
}

/**
 * AudioPublication is a participant's published audio: each `send` is one period of PCM on the
 * application's output clock (LiveKit's `AudioSource` and the Vonage-style publisher pace it),
 * converted to the room's L16 48 kHz mono and handed to the audio bridge, whose levels make the
 * participant the speaker like anyone else. RTP timestamps follow the samples sent, and jump with
 * the clock after a pause (marked as a new talkspurt).
 */
export class AudioPublication {
  readonly kind = "audio" as const;
  readonly sampleRate: number;
  readonly channels: number;
  readonly #parts: AudioPublicationParts;
  readonly #converter: PcmConverter;
  readonly #rtpBase = Math.floor(Math.random() * 0x100000000);
  #rtp = 0;
  #seq = Math.floor(Math.random() * 0x10000);
  #lastAtMs: number | undefined;
  #closed = false;
  #stats = { frames: 0, samples: 0 };

  constructor(parts: AudioPublicationParts, options: AudioPublishOptions) {
    this.#parts = parts;
    this.sampleRate = options.sampleRate;
    this.channels = options.channels;
    this.#converter = new PcmConverter(options, { sampleRate: 48000, channels: 1 });
  }

  get closed(): boolean {
    return this.#closed;
  }

  stats(): AudioPublicationStats {
    return { ...this.#stats };
  }

  /** send publishes one period of interleaved 16-bit PCM in the publication's format. */
  send(samples: Int16Array): void {
    if (this.#closed) throw new ConnectorError("INVALID_STATE", "the audio publication is closed");
    if (samples.length % this.channels !== 0)
      throw new ConnectorError(
        "BAD_OPTION",
        `samples must hold whole frames of ${this.channels} channel(s)`,
      );
    const pcm = this.#converter.convert(samples);
    if (pcm.length === 0) return;
    const now = this.#parts.scheduler.now();
    let marker = false;
    if (this.#lastAtMs === undefined) marker = true;
    else {
      const expected = this.#lastAtMs + ((this.#lastLen / 48) | 0);
      if (now - expected > 60) {
        this.#rtp += Math.round((now - this.#lastAtMs) * 48) - this.#lastLen;
        marker = true;
      }
    }
    const frame: AudioFrame = {
      codec: "l16",
      payloadType: PARTICIPANT_AUDIO_FORMAT.payloadType,
      data: encodeL16(pcm),
      rtpTimestamp: (this.#rtpBase + this.#rtp) >>> 0,
      timestampMs: this.#rtp / 48,
      sequenceNumber: this.#seq,
      marker,
    };
    this.#seq = (this.#seq + 1) & 0xffff;
    this.#rtp += pcm.length;
    this.#lastAtMs = now;
    this.#lastLen = pcm.length;
    this.#stats.frames++;
    this.#stats.samples += pcm.length;
    this.#parts.send(frame);
  }

  #lastLen = 0;

  /** close unpublishes; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#converter.close();
    this.#parts.onClose();
  }
}
