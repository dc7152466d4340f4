import type { Packetizer } from "../codec.js";
import { RtpVideoError } from "../errors.js";
import { RtpPacketizer } from "../rtp/rtp-packetizer.js";
import type { SequenceSource } from "../rtp/sequence.js";

/** VideoSenderOptions configure a VideoSender. */
export interface VideoSenderOptions {
  /** packetizer of the stream's codec. */
  readonly packetizer: Packetizer;
  /** payloadType of the stream. */
  readonly payloadType: number;
  /** ssrc of the stream. */
  readonly ssrc: number;
  /** sequence source; default random start. */
  readonly sequence?: SequenceSource;
  /** historyPackets is how many sent packets are kept to answer NACKs (power of 2); 1024. */
  readonly historyPackets?: number;
}

/** VideoSenderStats count what a VideoSender sent. */
export interface VideoSenderStats {
  /** frames sent. */
  frames: number;
  /** keyframes sent. */
  keyframes: number;
  /** RTP packets sent, retransmissions excluded. */
  packets: number;
  /** payload octets sent (RFC 3550 §6.4.1 sender's octet count). */
  octets: number;
  /** packets retransmitted in answer to NACKs. */
  retransmitted: number;
  /** NACKed packets no longer in the history (or never sent). */
  retransmitMisses: number;
}

/**
 * VideoSender is the sending half of a video RTP session without the socket: it packetizes
 * frames into datagrams, remembers the last packets sent in a bounded history, and answers
 * generic NACKs (RFC 4585 §6.2.1) by resending the very packets that were asked for.
 */
export class VideoSender {
  /** stats are live counters. */
  readonly stats: VideoSenderStats = {
    frames: 0,
    keyframes: 0,
    packets: 0,
    octets: 0,
    retransmitted: 0,
    retransmitMisses: 0,
  };
  /** ssrc of the stream. */
  readonly ssrc: number;
  /** lastRtpTimestamp is the timestamp of the last frame sent (for sender reports). */
  lastRtpTimestamp = 0;
  private readonly rtp: RtpPacketizer;
  private readonly mask: number;
  private readonly send: (datagram: Uint8Array) => void;
  /**
   * The history of sent packets: slot k holds the packet whose sequence number is ≡ k (mod
   * size), as where its bytes lie (the slab the packetizer cut it from, offset, length), not as
   * the datagram view itself. It holds no per-packet object alive (the views die young); only the
   * few slabs the last `size` packets were cut from live on.
   */
  private readonly historyBuffer: ArrayBufferLike[];
  private readonly historyOffset: Int32Array;
  private readonly historyLength: Int32Array;
  private readonly historySeq: Int32Array;

  constructor(send: (datagram: Uint8Array) => void, options: VideoSenderOptions) {
    this.send = send;
    this.ssrc = options.ssrc;
    this.rtp = new RtpPacketizer(options);
    const size = options.historyPackets ?? 1024;
    if (!Number.isInteger(size) || size < 1 || size > 65536 || (size & (size - 1)) !== 0) {
      throw new RtpVideoError("BAD_OPTION", "historyPackets must be a power of 2 in 1..65536");
    }
    this.mask = size - 1;
    this.historyBuffer = new Array<ArrayBufferLike>(size).fill(NO_BUFFER);
    this.historyOffset = new Int32Array(size);
    this.historyLength = new Int32Array(size);
    this.historySeq = new Int32Array(size).fill(-1);
  }

  /** sendFrame packetizes one access unit and sends its datagrams; returns how many. */
  sendFrame(data: Uint8Array, rtpTimestamp: number, keyframe: boolean): number {
    const datagrams = this.rtp.packetizeFrame(data, rtpTimestamp);
    for (let i = 0; i < datagrams.length; i++) {
      const d = datagrams[i]!;
      this.remember(d);
      this.stats.packets++;
      this.stats.octets += d.length - 12;
      this.send(d);
    }
    this.stats.frames++;
    if (keyframe) this.stats.keyframes++;
    this.lastRtpTimestamp = rtpTimestamp >>> 0;
    return datagrams.length;
  }

  /** retransmit resends the packets with these sequence numbers that are still in the history. */
  retransmit(sequenceNumbers: readonly number[]): number {
    let sent = 0;
    for (const seq of sequenceNumbers) {
      const slot = seq & this.mask;
      const n = this.historyLength[slot]!;
      if (n > 0 && this.historySeq[slot] === (seq & 0xffff)) {
        this.send(new Uint8Array(this.historyBuffer[slot]!, this.historyOffset[slot]!, n));
        sent++;
      } else {
        this.stats.retransmitMisses++;
      }
    }
    this.stats.retransmitted += sent;
    return sent;
  }

  /** remember notes where a sent datagram lies, in its history slot. */
  private remember(d: Uint8Array): void {
    const seq = (d[2]! << 8) | d[3]!;
    const slot = seq & this.mask;
    this.historyBuffer[slot] = d.buffer;
    this.historyOffset[slot] = d.byteOffset;
    this.historyLength[slot] = d.length;
    this.historySeq[slot] = seq;
  }
}

const NO_BUFFER = new ArrayBuffer(0);
