import type { AudioFrame } from "@framewire/rtp-video";
import type { SchedulerLike } from "rxjs";
import type { AudioBridgeStats } from "./audio-bridge-stats.js";
import type { AudioBridgeSession } from "./audio-bridge-types.js";
import type { AudioLevelMonitor } from "./audio-levels.js";
import type { AudioMember, AudioRoom } from "./audio-member.js";
import type { AudioTargetSender } from "./audio-target-sender.js";
import { frameSamples } from "./audio-transcoder.js";
import type { AudioSampleRate } from "./resample.js";

/** AudioFanOutCounters are the counters of `AudioBridgeStats` the fan-out keeps. */
export type AudioFanOutCounters = {
  -readonly [K in keyof Pick<
    AudioBridgeStats,
    "forwarded" | "transcoded" | "mixed" | "telephoneEvents" | "unsupported" | "framesSent"
  >]: number;
};

/** AudioFanOutParts are what the fan-out sends with and reports to. */
export interface AudioFanOutParts<S extends AudioBridgeSession> {
  readonly scheduler: SchedulerLike;
  readonly sender: AudioTargetSender<S>;
  readonly counters: AudioFanOutCounters;
  /** monitor measures levels, or undefined when levels are off. */
  readonly monitor: AudioLevelMonitor | undefined;
  /** sendSilence: the mix sends encoded silence when nobody else speaks. */
  readonly sendSilence: boolean;
  /** closed is true once the bridge closed. */
  closed(): boolean;
}

/**
 * AudioFanOut is what each target of an audio room gets: a source's packet unchanged when the
 * target takes its codec and rate, else decoded once, resampled once per rate and encoded once
 * per format (`forward`); an RFC 4733 event on the target's own timeline (`relayEvent`); the
 * room's mix-minus every tick (`mixOut`).
 */
export class AudioFanOut<S extends AudioBridgeSession> {
  private readonly parts: AudioFanOutParts<S>;
  private readonly sender: AudioTargetSender<S>;
  private readonly counters: AudioFanOutCounters;

  constructor(parts: AudioFanOutParts<S>) {
    this.parts = parts;
    this.sender = parts.sender;
    this.counters = parts.counters;
  }

  /**
   * forward sends one frame of `source` to the other members of `room` ("forward" strategy);
   * `predecoded` is the frame's PCM when the caller already decoded it (decoders keep state).
   */
  forward(
    room: AudioRoom<S>,
    source: AudioMember<S>,
    frame: AudioFrame,
    predecoded?: { readonly pcm: Int16Array | undefined },
  ): void {
    const rate = source.codec.rateOf(frame.codec);
    const samples = frameSamples(frame.codec, frame.data);
    let pcm: Int16Array | undefined = predecoded?.pcm;
    let decoded = predecoded !== undefined;
    const decodeOnce = (): Int16Array | undefined => {
      if (!decoded) {
        decoded = true;
        pcm = source.codec.decode(frame);
      }
      return pcm;
    };
    const monitor = this.parts.monitor;
    if (monitor !== undefined && room.members.size > 1) {
      const p = decodeOnce();
      if (p !== undefined) monitor.feed(room.id, source.id, p);
    }
    // Per-call caches, made on the first target that needs transcoding.
    let resampled: Map<AudioSampleRate, Int16Array> | undefined;
    let encoded: Map<string, Uint8Array> | undefined;
    for (const target of [...room.members.values()]) {
      if (source.removed || this.parts.closed()) return;
      if (target === source || target.removed || target.session.subscribesAudio === true) continue;
      const tf = target.format;
      if (frame.codec === tf.codec && rate === tf.sampleRate) {
        if (
          this.sender.sendAudio(
            target,
            source.session,
            frame.data,
            samples,
            frame.marker,
            tf.payloadType,
          )
        ) {
          this.counters.forwarded++;
          this.counters.framesSent++;
        }
        continue;
      }
      const p = decodeOnce();
      if (p === undefined || target.codec.plug === undefined) {
        this.counters.unsupported++;
        continue;
      }
      resampled ??= new Map();
      encoded ??= new Map();
      let out = resampled.get(tf.sampleRate);
      if (out === undefined) {
        out = rate === tf.sampleRate ? p : source.codec.resample(p, rate, tf.sampleRate);
        resampled.set(tf.sampleRate, out);
      }
      const shared = target.codec.shared;
      const key = `${tf.codec}/${tf.sampleRate}`;
      let payload = shared ? encoded.get(key) : undefined;
      if (payload === undefined) {
        payload = target.codec.encode(out);
        if (payload === undefined) {
          this.counters.unsupported++;
          continue;
        }
        if (shared) encoded.set(key, payload);
      }
      if (this.sender.sendPayload(target, source.session, payload, out.length, frame.marker)) {
        this.counters.transcoded++;
        this.counters.framesSent++;
      }
    }
  }

  /** relayEvent sends an RFC 4733 event of `source` to the other members (duration rescaled). */
  relayEvent(room: AudioRoom<S>, source: AudioMember<S>, frame: AudioFrame): void {
    const sourceRate = source.format.sampleRate;
    const now = this.parts.scheduler.now();
    for (const target of [...room.members.values()]) {
      if (source.removed || this.parts.closed()) return;
      if (target === source || target.removed || target.session.subscribesAudio === true) continue;
      let mapping = target.events.get(source.id);
      if (mapping === undefined || mapping.sourceTs !== frame.rtpTimestamp) {
        mapping = { sourceTs: frame.rtpTimestamp, targetTs: target.clock.stampEvent(now) };
        target.events.set(source.id, mapping);
      }
      const targetRate = target.format.sampleRate;
      let data = frame.data;
      if (targetRate !== sourceRate && data.length >= 4) {
        data = data.slice();
        const duration = ((data[2] as number) << 8) | (data[3] as number);
        const scaled = Math.min(0xffff, Math.round((duration * targetRate) / sourceRate));
        data[2] = scaled >> 8;
        data[3] = scaled & 0xff;
      }
      const ok = this.sender.send(target, source.session, {
        data,
        samples: 0,
        payloadType: target.format.telephoneEventPayloadType ?? frame.payloadType,
        marker: frame.marker,
        rtpTimestamp: mapping.targetTs,
      });
      if (ok) {
        this.counters.telephoneEvents++;
        this.counters.framesSent++;
      }
    }
  }

  /**
   * mixOut runs one tick of the room's mixers: levels are fed from what each member sent, and,
   * while `enabled()` and the room has company, each member gets the mix of the others in its
   * own format.
   */
  mixOut(room: AudioRoom<S>, enabled: () => boolean): void {
    const monitor = this.parts.monitor;
    for (const [rate, mixer] of room.mix.mixers()) {
      if (this.parts.closed()) return;
      const frames = mixer.mix();
      const send = enabled() && room.members.size > 1;
      for (const f of frames) {
        const member = room.members.get(f.id);
        if (member === undefined || member.removed || member.format.sampleRate !== rate) continue;
        if (monitor !== undefined && f.active) monitor.feed(room.id, f.id, f.input);
        if (!send || member.session.subscribesAudio === true) continue;
        if (!f.othersActive && !this.parts.sendSilence) {
          member.talking = false;
          continue;
        }
        const payload = member.codec.encode(f.output);
        if (payload === undefined) {
          this.counters.unsupported++;
          continue;
        }
        const marker = !member.talking;
        member.talking = true;
        if (this.sender.sendPayload(member, null, payload, f.output.length, marker)) {
          this.counters.mixed++;
          this.counters.framesSent++;
        }
      }
    }
  }
}
