import { Observable, type OperatorFunction } from "rxjs";
import type { Depacketizer } from "../codec.js";
import { FrameAssembler } from "../frame-assembler.js";
import type {
  FrameAssemblerOptions,
  FrameAssemblerStats,
  KeyframeNeeded,
} from "../frame-assembler-types.js";
import type { RtpPacket } from "../rtp/rtp-packet.js";
import type { VideoFrame } from "../video-frame.js";

/** AssemblerEvent is what `assembleFrames()` emits: a frame, or a keyframe-needed signal. */
export type AssemblerEvent =
  | { readonly type: "frame"; readonly frame: VideoFrame }
  | { readonly type: "keyframe-needed"; readonly signal: KeyframeNeeded };

/** AssembleFramesOptions are FrameAssemblerOptions plus a stats hook. */
export interface AssembleFramesOptions extends Omit<FrameAssemblerOptions, "depacketizer"> {
  /** depacketizer factory, called once per subscription; default H.264. */
  readonly depacketizer?: () => Depacketizer;
  /** onStats receives the live stats object of each subscription's assembler. */
  readonly onStats?: (stats: Readonly<FrameAssemblerStats>) => void;
}

/**
 * assembleFrames turns RTP packets of one stream into frames through a FrameAssembler (one per
 * subscription): reordering, loss handling and keyframe gating as documented there. When the
 * source completes, waiting packets are flushed first.
 */
export function assembleFrames(
  options: AssembleFramesOptions = {},
): OperatorFunction<RtpPacket, AssemblerEvent> {
  return (source) =>
    new Observable<AssemblerEvent>((subscriber) => {
      const { depacketizer, onStats, ...rest } = options;
      const assembler = new FrameAssembler(
        {
          frame: (frame) => subscriber.next({ type: "frame", frame }),
          keyframeNeeded: (signal) => subscriber.next({ type: "keyframe-needed", signal }),
        },
        depacketizer === undefined ? rest : { ...rest, depacketizer: depacketizer() },
      );
      onStats?.(assembler.stats);
      return source.subscribe({
        next: (packet) => assembler.push(packet),
        error: (e: unknown) => subscriber.error(e),
        complete: () => {
          assembler.flush();
          subscriber.complete();
        },
      });
    });
}
