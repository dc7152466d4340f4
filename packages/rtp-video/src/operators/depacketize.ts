import { Observable, type OperatorFunction } from "rxjs";
import type { Depacketizer } from "../codec.js";
import { FrameBuffer } from "../frame-buffer.js";
import { splitAnnexB } from "../h264/annexb.js";
import { H264Depacketizer } from "../h264/h264-depacketizer.js";
import type { RtpPacket } from "../rtp/rtp-packet.js";

/** NalUnitEvent is one NAL unit recovered from RTP, with the packet that completed it. */
export interface NalUnitEvent {
  /** nal is the NAL unit without start code. */
  readonly nal: Uint8Array;
  /** rtpTimestamp of the packet that carried (the end of) the unit. */
  readonly rtpTimestamp: number;
  /** sequenceNumber of that packet. */
  readonly sequenceNumber: number;
  /** marker of that packet: true on the last unit of an access unit. */
  readonly marker: boolean;
}

/** DepacketizeOptions configure `depacketize()`. */
export interface DepacketizeOptions {
  /** depacketizer to use; default a new H264Depacketizer per subscription. */
  readonly depacketizer?: () => Depacketizer;
}

/**
 * depacketize turns in-order H.264 RTP packets into NAL units (RFC 6184 §5.6–5.8), with no
 * reordering and no frame assembly (use `assembleFrames()` for that). Malformed payloads are
 * dropped and counted by the depacketizer, never errors of the stream.
 */
export function depacketize(
  options: DepacketizeOptions = {},
): OperatorFunction<RtpPacket, NalUnitEvent> {
  return (source) =>
    new Observable<NalUnitEvent>((subscriber) => {
      const depacketizer = options.depacketizer?.() ?? new H264Depacketizer();
      const buffer = new FrameBuffer();
      let lastSeq = -1;
      return source.subscribe({
        next(packet) {
          if (lastSeq >= 0 && packet.sequenceNumber !== ((lastSeq + 1) & 0xffff)) {
            depacketizer.reset();
            buffer.clear();
          }
          lastSeq = packet.sequenceNumber;
          depacketizer.push(packet.payload, packet.sequenceNumber, buffer);
          if (packet.marker) depacketizer.endFrame(buffer);
          if (depacketizer.pending) return;
          const units = splitAnnexB(buffer.bytes.subarray(0, buffer.length));
          buffer.clear();
          for (let i = 0; i < units.length; i++) {
            subscriber.next({
              nal: units[i]!.slice(),
              rtpTimestamp: packet.timestamp,
              sequenceNumber: packet.sequenceNumber,
              marker: packet.marker && i === units.length - 1,
            });
          }
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
    });
}
