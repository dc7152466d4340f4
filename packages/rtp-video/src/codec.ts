import type { FrameSink } from "./frame-sink.js";
import type { VideoCodec } from "./video-frame.js";

/**
 * Depacketizer turns the RTP payloads of one stream back into codec data, one payload at a time
 * (pion's `Depacketizer` role). It writes complete units into the current frame's `FrameSink` and
 * discards (and counts) what it cannot use. It never throws on malformed payloads.
 */
export interface Depacketizer {
  /** codec produced by this depacketizer. */
  readonly codec: VideoCodec;
  /**
   * push feeds one payload carried with RTP sequence number `sequenceNumber`. Complete units are
   * appended to `out`; a unit left incomplete is rolled back out of `out`.
   */
  push(payload: Uint8Array, sequenceNumber: number, out: FrameSink): void;
  /** endFrame is called when the frame closes: a unit still open is discarded. */
  endFrame(out: FrameSink): void;
  /** pending is true while a unit is partly reassembled (an FU-A waiting for its end). */
  readonly pending: boolean;
  /** reset forgets any partial unit (after a sequence gap or a stream change). */
  reset(): void;
  /** dropped counts discarded payloads and units by reason. */
  readonly dropped: Readonly<Record<string, number>>;
}

/** PayloadSink receives the payloads a Packetizer makes; `payload` is valid only during the call. */
export type PayloadSink = (payload: Uint8Array, last: boolean) => void;

/**
 * PayloadWriter receives each payload in two parts, so that a packetizer need not assemble it
 * and the caller can write it straight where it goes (an RTP datagram): `prefix[0,
 * prefixLength)`, bytes the packetizer made (an FU-A indicator and header, a whole STAP-A), then
 * `source[start, end)`, bytes of the access unit. Both are valid only during the call.
 */
export interface PayloadWriter {
  payload(
    prefix: Uint8Array,
    prefixLength: number,
    source: Uint8Array,
    start: number,
    end: number,
    last: boolean,
  ): void;
}

/**
 * Packetizer splits one access unit into RTP payloads no larger than its MTU (pion's `Payloader`
 * role). The last payload of the access unit is flagged so the caller can set the marker bit.
 */
export interface Packetizer {
  /** codec accepted by this packetizer. */
  readonly codec: VideoCodec;
  /** mtu is the largest payload it emits, in bytes. */
  readonly mtu: number;
  /** packetize emits the payloads of `accessUnit` in order; returns how many it emitted. */
  packetize(accessUnit: Uint8Array, emit: PayloadSink): number;
  /**
   * packetizeTo, when a packetizer has it, writes the same payloads as `packetize` in parts
   * (one copy fewer per payload); `RtpPacketizer` prefers it.
   */
  packetizeTo?(accessUnit: Uint8Array, out: PayloadWriter): number;
}
