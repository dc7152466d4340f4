/** AUDIO_GAP_MS: a pause longer than this (three 20 ms frames) is jumped over with the marker bit set. */
const AUDIO_GAP_MS = 60;

/**
 * AudioOutputClock is the RTP timeline of what the audio bridge sends one target: the bridge,
 * not the sources, owns it. Each audio packet's timestamp advances by the samples sent; a pause
 * longer than 60 ms is jumped over in real time with the marker bit set on the next packet
 * (RFC 3551 §4.1), so the timeline follows the wall clock across silence suppression. All the
 * packets of one RFC 4733 event carry the timestamp of its start (RFC 4733 §2.5.1).
 */
export class AudioOutputClock {
  /** sampleRate is the target's RTP clock rate. */
  readonly sampleRate: number;
  /** marker is the M bit of the audio packet stamped last. */
  marker = false;
  private ts: number;
  /** expectedMs is when, on the bridge's clock, the next sample is due if the stream is continuous. */
  private expectedMs = 0;
  private started = false;
  /** markerPending: an event jumped a gap; the next audio packet has M set. */
  private markerPending = false;

  /** `initialTs` is the first RTP timestamp (random, RFC 3550 §5.1). */
  constructor(sampleRate: number, initialTs: number) {
    this.sampleRate = sampleRate;
    this.ts = initialTs >>> 0;
  }

  /**
   * stampAudio returns the timestamp of an audio packet of `samples` sent at `nowMs` and moves the
   * timeline past it; `marker` (the packet's own M bit) is then set when a gap was jumped.
   */
  stampAudio(nowMs: number, samples: number, marker: boolean): number {
    const jumped = this.sync(nowMs);
    const ts = this.ts;
    this.ts = (ts + samples) >>> 0;
    this.expectedMs += (samples * 1000) / this.sampleRate;
    this.marker = marker || jumped || this.markerPending;
    this.markerPending = false;
    return ts;
  }

  /** stampEvent returns the timestamp for the start of an RFC 4733 event at `nowMs`. */
  stampEvent(nowMs: number): number {
    if (this.sync(nowMs)) this.markerPending = true;
    return this.ts;
  }

  /** sync jumps the timeline over a gap longer than AUDIO_GAP_MS; true when it jumped (or started). */
  private sync(nowMs: number): boolean {
    if (!this.started) {
      this.started = true;
      this.expectedMs = nowMs;
      return true;
    }
    const late = nowMs - this.expectedMs;
    if (late > AUDIO_GAP_MS) {
      this.ts = (this.ts + Math.round((late * this.sampleRate) / 1000)) >>> 0;
      this.expectedMs = nowMs;
      return true;
    }
    return false;
  }
}
