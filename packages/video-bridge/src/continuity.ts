/**
 * OutputClock gives one target's outbound video a continuous, strictly increasing media clock
 * (the `timestampMs` the bridge passes to `sendVideoSync`) while the bridge switches the source
 * the target receives.
 *
 * A SIP/RTP endpoint decodes one stream per m=video line. Its sender (the target's own RTP
 * session) re-packetizes every frame, so SSRC and sequence numbers stay continuous on their own;
 * the RTP timestamp follows `timestampMs`, which must therefore not jump back or leap forward
 * when the bridge switches sources (each source has its own clock origin). The rule:
 *
 * - first frame: 0;
 * - next frame of the same source: previous output + the source's own frame delta (so the
 *   source's pacing is kept), when that delta is in (0, maxGapMs];
 * - a switch, a replayed (cached) keyframe, a frame right after one, or a source delta out of
 *   range (reorder, restart): previous output + the real time elapsed since the previous output
 *   frame, or one frame interval when no time elapsed.
 */
export class OutputClock {
  /** frameIntervalMs is the step used when no time elapsed between two output frames. */
  readonly frameIntervalMs: number;
  /** maxGapMs bounds a source delta that is followed as is. */
  readonly maxGapMs: number;
  private lastOut: number | undefined;
  private lastSrc = 0;
  private lastSource: string | null = null;
  private lastWall = 0;

  constructor(frameIntervalMs = 33, maxGapMs = 5000) {
    this.frameIntervalMs = frameIntervalMs;
    this.maxGapMs = maxGapMs;
  }

  /**
   * stamp returns the output timestamp of a frame and records it. `source` is the frame's source
   * id, or null for a frame with no continuity (a replayed cached keyframe); `sourceMs` is the
   * frame's own `timestampMs`; `nowMs` the bridge's clock.
   */
  stamp(source: string | null, sourceMs: number, nowMs: number): number {
    let out: number;
    if (this.lastOut === undefined) out = 0;
    else {
      const delta = sourceMs - this.lastSrc;
      if (source !== null && source === this.lastSource && delta > 0 && delta <= this.maxGapMs) {
        out = this.lastOut + delta;
      } else {
        const elapsed = nowMs - this.lastWall;
        out = this.lastOut + (elapsed >= 1 ? elapsed : this.frameIntervalMs);
      }
    }
    this.lastOut = out;
    this.lastSrc = sourceMs;
    this.lastSource = source;
    this.lastWall = nowMs;
    return out;
  }

  /** lastMs is the last output timestamp, undefined before the first frame. */
  get lastMs(): number | undefined {
    return this.lastOut;
  }
}
