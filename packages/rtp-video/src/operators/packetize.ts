import { Observable, type OperatorFunction } from "rxjs";
import type { Packetizer } from "../codec.js";
import { H264Packetizer } from "../h264/h264-packetizer.js";
import type { RtpPacket } from "../rtp/rtp-packet.js";
import { RtpPacketizer } from "../rtp/rtp-packetizer.js";
import type { SequenceSource } from "../rtp/sequence.js";
import type { VideoFrame } from "../video-frame.js";

/** PacketizeOptions configure `packetize()`. */
export interface PacketizeOptions {
  /** payloadType of the packets; default 96. */
  readonly payloadType?: number;
  /** ssrc of the packets; default random. */
  readonly ssrc?: number;
  /** packetizer factory; default an H264Packetizer with MTU 1200, packetization-mode 1. */
  readonly packetizer?: () => Packetizer;
  /** sequence source; default a random start (RFC 3550 §5.1). */
  readonly sequence?: SequenceSource;
  /** clockRate of the RTP timestamps; default 90000. */
  readonly clockRate?: number;
  /**
   * initialTimestamp is the RTP timestamp of timestampMs 0; default random (RFC 3550 §5.1).
   * Frame timestamps are `initialTimestamp + round(timestampMs * clockRate / 1000)`, mod 2^32.
   */
  readonly initialTimestamp?: number;
  /** random number source for the defaults; default Math.random. */
  readonly random?: () => number;
}

/**
 * packetize turns frames into RTP packets through an RtpPacketizer (one per subscription), with
 * RTP timestamps taken from each frame's `timestampMs` and the marker bit on each frame's last
 * packet. A frame the packetizer refuses is an error of the stream (a programming error).
 */
export function packetize(options: PacketizeOptions = {}): OperatorFunction<VideoFrame, RtpPacket> {
  return (source) =>
    new Observable<RtpPacket>((subscriber) => {
      const random = options.random ?? Math.random;
      const clockRate = options.clockRate ?? 90000;
      const base = options.initialTimestamp ?? Math.floor(random() * 0x100000000);
      const rtp = new RtpPacketizer({
        packetizer: options.packetizer?.() ?? new H264Packetizer(),
        payloadType: options.payloadType ?? 96,
        ssrc: options.ssrc ?? Math.floor(random() * 0x100000000) >>> 0,
        ...(options.sequence === undefined ? {} : { sequence: options.sequence }),
      });
      return source.subscribe({
        next(frame) {
          const ticks = base + Math.round((frame.timestampMs * clockRate) / 1000);
          const ts = ((ticks % 0x100000000) + 0x100000000) % 0x100000000;
          let packets: RtpPacket[];
          try {
            packets = rtp.packetizePackets(frame.data, ts);
          } catch (e) {
            subscriber.error(e);
            return;
          }
          for (const p of packets) subscriber.next(p);
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
    });
}
