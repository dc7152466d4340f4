// What a FrameAssembler is given and gives back: its options, its sink, the keyframe-needed
// signal and its counters. The assembler itself is in frame-assembler.ts.
import type { Depacketizer } from "./codec.js";
import type { VideoFrame } from "./video-frame.js";

/** KeyframeNeededReason says why the assembler asks for a keyframe. */
export type KeyframeNeededReason =
  /** packets were lost: the frame they belonged to was dropped. */
  | "packet-loss"
  /** a frame arrived complete in sequence but its payloads were malformed. */
  | "corrupt-frame"
  /** the stream (or a new SSRC) started with a frame that is not a keyframe. */
  | "stream-start";

/** KeyframeNeeded is the signal the assembler raises when it must wait for a keyframe. */
export interface KeyframeNeeded {
  readonly reason: KeyframeNeededReason;
  /** ssrc of the stream that needs a keyframe. */
  readonly ssrc: number;
  /** lostPackets is the number of packets declared lost so far in the stream. */
  readonly lostPackets: number;
}

/** FrameAssemblerSink receives what an assembler produces, synchronously. */
export interface FrameAssemblerSink {
  /** frame receives each complete, well-formed frame, in order. */
  frame(frame: VideoFrame): void;
  /** keyframeNeeded is called once each time the assembler starts waiting for a keyframe. */
  keyframeNeeded?(signal: KeyframeNeeded): void;
}

/** FrameAssemblerOptions configure a FrameAssembler; every field has a default. */
export interface FrameAssemblerOptions {
  /** depacketizer of the stream's codec; default a new H264Depacketizer. */
  readonly depacketizer?: Depacketizer;
  /** clockRate of the RTP timestamps in Hz; default 90000. */
  readonly clockRate?: number;
  /**
   * reorderWindow is how many packets a packet may arrive behind its successors and still be
   * used (1..4096, default 64). A missing packet is declared lost when a packet that many
   * sequence numbers ahead of it arrives, or when `flush()` is called.
   */
  readonly reorderWindow?: number;
  /** maxFrameBytes is the hard cap on one access unit; larger frames are dropped. Default 8 MiB. */
  readonly maxFrameBytes?: number;
  /** maxDropout is the forward sequence jump taken as a restart, not loss (RFC 3550 §A.1); 3000. */
  readonly maxDropout?: number;
  /** maxMisorder is the backward sequence jump taken as a restart, not lateness (§A.1); 100. */
  readonly maxMisorder?: number;
}

/** FrameAssemblerStats are the assembler's counters; every dropped item is counted once. */
export interface FrameAssemblerStats {
  /** packets accepted into the reorder window. */
  packets: number;
  /** payload bytes of accepted packets. */
  bytes: number;
  /** packets that arrived after a later one and were put back in order. */
  reordered: number;
  /** packets that arrived twice. */
  duplicates: number;
  /** packets that arrived after they had been declared lost. */
  late: number;
  /** packets declared lost. */
  lost: number;
  /** packets far outside the window (RFC 3550 §A.1 probation), dropped. */
  outOfWindow: number;
  /** restarts: a new SSRC, or a sequence jump confirmed by a second packet. */
  resyncs: number;
  /** frames emitted. */
  frames: number;
  /** keyframes emitted. */
  keyframes: number;
  /** frames dropped because packets of theirs were lost. */
  framesDroppedLoss: number;
  /** frames dropped because a payload was malformed. */
  framesDroppedCorrupt: number;
  /** frames dropped because they exceeded maxFrameBytes. */
  framesDroppedTooLarge: number;
  /** complete frames dropped while waiting for a keyframe. */
  framesDroppedWaiting: number;
  /** keyframe-needed signals raised. */
  keyframeRequests: number;
}

/** newFrameAssemblerStats is a FrameAssemblerStats with every counter at 0. */
export function newFrameAssemblerStats(): FrameAssemblerStats {
  return {
    packets: 0,
    bytes: 0,
    reordered: 0,
    duplicates: 0,
    late: 0,
    lost: 0,
    outOfWindow: 0,
    resyncs: 0,
    frames: 0,
    keyframes: 0,
    framesDroppedLoss: 0,
    framesDroppedCorrupt: 0,
    framesDroppedTooLarge: 0,
    framesDroppedWaiting: 0,
    keyframeRequests: 0,
  };
}
