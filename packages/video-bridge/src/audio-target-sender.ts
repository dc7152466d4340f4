import type { OutgoingAudio } from "@framewire/rtp-video";
import type { SchedulerLike } from "rxjs";
import type {
  AudioBridgeBackend,
  AudioBridgeFormat,
  AudioBridgeSession,
  AudioDropReason,
} from "./audio-bridge-types.js";
import type { AudioOutputClock } from "./audio-output-clock.js";
import type { BridgeReporter } from "./bridge-reporter.js";

/** AudioTarget is what the sender needs of a bridged session it sends to. */
export interface AudioTarget<S extends AudioBridgeSession> {
  readonly session: S;
  readonly roomId: string;
  readonly backend: AudioBridgeBackend<S>;
  readonly format: AudioBridgeFormat;
  readonly clock: AudioOutputClock;
  /** bytesPerSample of the target's codec (0: a payload that cannot be split, Opus). */
  readonly bytesPerSample: number;
  /** removed: the session left (or the bridge closed) while it was being sent to. */
  readonly removed: boolean;
  packetsSent: number;
  targetErrors: number;
  notSent: number;
}

/**
 * AudioTargetSender is the last step of the audio bridge: audio to one target, on the target's
 * RTP timeline (`AudioOutputClock`). A PCM payload larger than `maxPayloadBytes` (L16 at 48 kHz)
 * goes as several packets split on sample boundaries. A `sendAudio` that throws fails that
 * target only (`target-failed`, naming the source, or null for the mix); one that returns false
 * (no remote address yet) is counted in `notSent`.
 */
export class AudioTargetSender<S extends AudioBridgeSession> {
  private readonly scheduler: SchedulerLike;
  private readonly maxPayloadBytes: number;
  private readonly counters: { notSent: number };
  private readonly reporter: BridgeReporter<S, AudioDropReason, S | null>;

  constructor(
    scheduler: SchedulerLike,
    maxPayloadBytes: number,
    counters: { notSent: number },
    reporter: BridgeReporter<S, AudioDropReason, S | null>,
  ) {
    this.scheduler = scheduler;
    this.maxPayloadBytes = maxPayloadBytes;
    this.counters = counters;
    this.reporter = reporter;
  }

  /**
   * sendPayload sends a payload in the target's own format (`samples` long, `marker` on its
   * first packet) from `source`; true when every packet went out.
   */
  sendPayload(
    target: AudioTarget<S>,
    source: S | null,
    payload: Uint8Array,
    samples: number,
    marker: boolean,
  ): boolean {
    const bps = target.bytesPerSample;
    const max = this.maxPayloadBytes;
    const pt = target.format.payloadType;
    if (bps === 0 || payload.length <= max) {
      return this.sendAudio(target, source, payload, samples, marker, pt);
    }
    const parts = Math.ceil(payload.length / max);
    const perPart = Math.ceil(samples / parts);
    let ok = true;
    for (let at = 0; at < samples; at += perPart) {
      const n = Math.min(perPart, samples - at);
      const chunk = payload.subarray(at * bps, (at + n) * bps);
      ok = this.sendAudio(target, source, chunk, n, marker && at === 0, pt) && ok;
      if (target.removed) return false;
    }
    return ok;
  }

  /** sendAudio sends one audio packet on the target's timeline: the timestamp advances by `samples`. */
  sendAudio(
    target: AudioTarget<S>,
    source: S | null,
    data: Uint8Array,
    samples: number,
    marker: boolean,
    payloadType: number,
  ): boolean {
    const clock = target.clock;
    const rtpTimestamp = clock.stampAudio(this.scheduler.now(), samples, marker);
    return this.send(target, source, {
      data,
      samples,
      payloadType,
      marker: clock.marker,
      rtpTimestamp,
    });
  }

  /** send hands one packet to the target's backend as it is (RFC 4733 events are stamped by the caller). */
  send(target: AudioTarget<S>, source: S | null, audio: OutgoingAudio): boolean {
    try {
      if (target.backend.sendAudio(target.session, audio)) {
        target.packetsSent++;
        return true;
      }
      target.notSent++;
      this.counters.notSent++;
      return false;
    } catch (error) {
      target.targetErrors++;
      this.reporter.targetFailed(target.session, source, target.roomId, error);
      return false;
    }
  }
}
