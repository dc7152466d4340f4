import type { BridgeStats } from "./bridge-types.js";

/** AudioBridgeSessionStats are one bridged session's counters. */
export interface AudioBridgeSessionStats {
  readonly roomId: string;
  /** framesIn counts the frames given to `forward` for this session. */
  readonly framesIn: number;
  /** packetsSent counts the packets sent to this session. */
  readonly packetsSent: number;
  /** targetErrors: sendAudio threw for this session. */
  readonly targetErrors: number;
  /** notSent: sendAudio returned false (no remote address yet). */
  readonly notSent: number;
  /** bufferedMs of its audio waiting in the mix (mix strategy). */
  readonly bufferedMs: number;
  /** droppedMs of its audio dropped from a full mix buffer. */
  readonly droppedMs: number;
}

/**
 * AudioBridgeStats are the audio bridge's counters: those of both bridges (`BridgeStats`;
 * `framesSent` is `forwarded + transcoded + mixed + telephoneEvents`) and the audio ones.
 */
export interface AudioBridgeStats extends BridgeStats {
  /** forwarded counts packets sent unchanged. */
  readonly forwarded: number;
  /** transcoded counts frames sent after decode → resample → encode ("forward" with differing formats). */
  readonly transcoded: number;
  /** mixed counts frames sent by the "mix" strategy (one per target per tick). */
  readonly mixed: number;
  /** telephoneEvents counts RFC 4733 packets relayed. */
  readonly telephoneEvents: number;
  /** notSent counts sendAudio calls that returned false. */
  readonly notSent: number;
  /** unsupported counts frames that could not be decoded or encoded for a target (a codec without a plug). */
  readonly unsupported: number;
  readonly mixer: {
    readonly droppedSamples: number;
    readonly underruns: number;
    readonly saturatedSamples: number;
  };
  readonly clock: {
    readonly ticks: number;
    readonly lateTicks: number;
    readonly skippedTicks: number;
  };
}
