import { AudioMixer, type AudioMixerOptions, type MixerParticipantStats } from "./mixer.js";
import type { AudioSampleRate } from "./resample.js";

/** RoomMixMember is what the mix needs of a room member: its id and the rate it receives. */
export interface RoomMixMember {
  readonly id: string;
  readonly format: { readonly sampleRate: AudioSampleRate };
}

/** RoomMixTotals are the mixer counters the audio bridge reports (`stats().mixer`). */
export interface RoomMixTotals {
  readonly droppedSamples: number;
  readonly underruns: number;
  readonly saturatedSamples: number;
}

/**
 * RoomMix is one room's mix for the audio bridge's "mix" strategy: one `AudioMixer` per sample
 * rate that a member receives, each taking everyone's audio (resampled to its rate) and mixing
 * it, minus their own, for the members at that rate. A rate nobody receives any more is retired;
 * its counters stay in the totals.
 */
export class RoomMix {
  private readonly options: Omit<AudioMixerOptions, "sampleRate">;
  private readonly byRate = new Map<AudioSampleRate, AudioMixer>();
  private retired = { droppedSamples: 0, underruns: 0, saturatedSamples: 0 };

  constructor(options: Omit<AudioMixerOptions, "sampleRate">) {
    this.options = options;
  }

  /** add mixes member `id`, who receives at `rate`, with `members` (the room, `id` among them). */
  add(id: string, rate: AudioSampleRate, members: Iterable<RoomMixMember>): void {
    if (!this.byRate.has(rate)) {
      const mixer = new AudioMixer({ ...this.options, sampleRate: rate });
      for (const other of members) {
        if (other.id !== id) mixer.add(other.id, { listens: other.format.sampleRate === rate });
      }
      this.byRate.set(rate, mixer);
    }
    for (const [mixRate, mixer] of this.byRate) mixer.add(id, { listens: mixRate === rate });
  }

  /** remove takes `id` out of every mixer and returns the rates nobody of `members` receives any more. */
  remove(id: string, members: Iterable<RoomMixMember>): AudioSampleRate[] {
    const gone: AudioSampleRate[] = [];
    const left = [...members];
    for (const [rate, mixer] of this.byRate) {
      mixer.remove(id);
      if (left.some((m) => m.format.sampleRate === rate)) continue;
      this.retired = sum(this.retired, mixer.stats());
      this.byRate.delete(rate);
      gone.push(rate);
    }
    return gone;
  }

  /**
   * push hands 20 ms of what `id` sent, at `rate`, to every mixer, resampled by `codec` (the
   * sender's, which keeps one resampler per rate pair) where the mixer runs at another rate.
   */
  push(
    id: string,
    pcm: Int16Array,
    rate: AudioSampleRate,
    codec: { resample(pcm: Int16Array, from: AudioSampleRate, to: AudioSampleRate): Int16Array },
  ): void {
    for (const [mixRate, mixer] of this.byRate) {
      mixer.push(id, mixRate === rate ? pcm : codec.resample(pcm, rate, mixRate));
    }
  }

  /** mixers lists the mixers by rate (a snapshot: a tick may add or remove members). */
  mixers(): [AudioSampleRate, AudioMixer][] {
    return [...this.byRate];
  }

  /** participantStats are `id`'s FIFO counters in the mixer of `rate`. */
  participantStats(id: string, rate: AudioSampleRate): MixerParticipantStats | undefined {
    return this.byRate.get(rate)?.participantStats(id);
  }

  /** stats sums the counters of every mixer the room had. */
  stats(): RoomMixTotals {
    let totals: RoomMixTotals = this.retired;
    for (const mixer of this.byRate.values()) totals = sum(totals, mixer.stats());
    return totals;
  }
}

function sum(a: RoomMixTotals, b: RoomMixTotals): RoomMixTotals {
  return {
    droppedSamples: a.droppedSamples + b.droppedSamples,
    underruns: a.underruns + b.underruns,
    saturatedSamples: a.saturatedSamples + b.saturatedSamples,
  };
}
