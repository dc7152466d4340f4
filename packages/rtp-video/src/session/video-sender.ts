import type { Packetizer } from "../codec.js";
import { RtpVideoError } from "../errors.js";
import { H264Packetizer } from "../h264/h264-packetizer.js";
import { RtpPacketizer } from "../rtp/rtp-packetizer.js";
import { type SequenceSource, sequenceFrom } from "../rtp/sequence.js";
import { rtxDatagram } from "../rtx/rtx-packet.js";

/** VideoSenderRtx is the RTX stream a VideoSender retransmits on (RFC 4588 §4, §5.3). */
export interface VideoSenderRtx {
  /** payloadType of the RTX format (`a=rtpmap:<pt> rtx/90000`, `apt=` the media's). */
  readonly payloadType: number;
  /** ssrc of the RTX stream; must differ from the media SSRC. */
  readonly ssrc: number;
  /** sequence of the RTX stream; default random start (its own numbers, RFC 4588 §4). */
  readonly sequence?: SequenceSource;
}

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
  /**
   * historyMs: a packet sent longer ago than this is not retransmitted any more (the receiver
   * has given it up); default 1000. Needs `now`.
   */
  readonly historyMs?: number;
  /** now gives the time in ms (the session's scheduler); without it packets do not age. */
  readonly now?: () => number;
  /**
   * rtx makes retransmissions go out on this RTX stream (RFC 4588: own SSRC and sequence
   * numbers, the original sequence number in front of the payload); without it a NACKed packet
   * is resent as it was, on the media stream (RFC 4585 §6.2.1), for peers without RTX.
   */
  readonly rtx?: VideoSenderRtx;
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
  /** NACKed packets no longer in the history (or never sent, or older than `historyMs`). */
  retransmitMisses: number;
  /** RTX packets sent (retransmissions on the RTX stream; included in `retransmitted`). */
  rtxPackets: number;
  /**
   * nalUnitsOutsideMode: H.264 NAL units larger than the MTU sent as FU-A although
   * packetization-mode 0 was negotiated (`oversizeInMode0: "fu-a"`); 0 for other codecs.
   */
  nalUnitsOutsideMode: number;
  /** nalUnitsDropped: such NAL units dropped with their access unit (`"drop"`). */
  nalUnitsDropped: number;
}

/**
 * VideoSender is the sending half of a video RTP session without the socket: it packetizes
 * frames into datagrams, remembers the last packets sent in a bounded history, and answers
 * generic NACKs (RFC 4585 §6.2.1) by resending the very packets that were asked for, on the RTX
 * stream when one is set (RFC 4588), else as they were. The history holds the last
 * `historyPackets` packets (slot = sequence number mod size, so a newer packet overwrites the one
 * `historyPackets` before it) and nothing older than `historyMs`; a NACK for anything else is a
 * `retransmitMisses`.
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
    rtxPackets: 0,
    nalUnitsOutsideMode: 0,
    nalUnitsDropped: 0,
  };
  /** rtxSsrc is the SSRC of the RTX stream, when there is one. */
  get rtxSsrc(): number | undefined {
    return this.rtx?.ssrc;
  }
  /** ssrc of the stream. */
  readonly ssrc: number;
  /** lastRtpTimestamp is the timestamp of the last frame sent (for sender reports). */
  lastRtpTimestamp = 0;
  private readonly rtp: RtpPacketizer;
  /** h264 is the packetizer when it counts NAL units sent outside packetization-mode 0. */
  private readonly h264: H264Packetizer | undefined;
  private readonly mask: number;
  private readonly send: (datagram: Uint8Array) => void;
  /**
   * The history of sent packets: slot k holds the packet whose sequence number is ≡ k (mod
   * size), as where its bytes lie (the slab the packetizer cut it from, offset, length), not as
   * the datagram view itself. It holds no per-packet object alive (the views die young); only the
   * few slabs the last `size` packets were cut from live on.
   */
  private readonly historyBuffer: ArrayBufferLike[];
  /** historyDatagram[k]: the forwarded datagram of slot k itself (`sendPacket`), if it is one. */
  private readonly historyDatagram: (Uint8Array | undefined)[];
  private readonly historyOffset: Int32Array;
  private readonly historyLength: Int32Array;
  private readonly historySeq: Int32Array;
  private readonly historyAt: Float64Array;
  private readonly historyMs: number;
  private readonly now: (() => number) | undefined;
  private rtx: { readonly payloadType: number; readonly ssrc: number } | undefined;
  private readonly rtxSequence: SequenceSource | undefined;

  constructor(send: (datagram: Uint8Array) => void, options: VideoSenderOptions) {
    this.send = send;
    this.ssrc = options.ssrc;
    this.rtp = new RtpPacketizer(options);
    this.h264 = options.packetizer instanceof H264Packetizer ? options.packetizer : undefined;
    const size = options.historyPackets ?? 1024;
    if (!Number.isInteger(size) || size < 1 || size > 65536 || (size & (size - 1)) !== 0) {
      throw new RtpVideoError("BAD_OPTION", "historyPackets must be a power of 2 in 1..65536");
    }
    this.mask = size - 1;
    this.historyBuffer = new Array<ArrayBufferLike>(size).fill(NO_BUFFER);
    this.historyDatagram = new Array<Uint8Array | undefined>(size).fill(undefined);
    this.historyOffset = new Int32Array(size);
    this.historyLength = new Int32Array(size);
    this.historySeq = new Int32Array(size).fill(-1);
    this.historyAt = new Float64Array(size);
    this.historyMs = options.historyMs ?? 1000;
    if (!(this.historyMs > 0)) throw new RtpVideoError("BAD_OPTION", "historyMs must be > 0");
    this.now = options.now;
    const rtx = options.rtx;
    if (rtx !== undefined) {
      const pt = rtx.payloadType;
      if (!Number.isInteger(pt) || pt < 0 || pt > 127 || pt === options.payloadType) {
        throw new RtpVideoError(
          "BAD_OPTION",
          "rtx.payloadType must be 0..127 and differ from the media's (RFC 4588 §8.1)",
        );
      }
      if (
        !Number.isInteger(rtx.ssrc) ||
        rtx.ssrc < 0 ||
        rtx.ssrc > 0xffffffff ||
        rtx.ssrc === options.ssrc
      ) {
        throw new RtpVideoError(
          "BAD_OPTION",
          "rtx.ssrc must be a 32-bit SSRC other than the media's (RFC 4588 §5.3)",
        );
      }
      this.rtx = { payloadType: pt, ssrc: rtx.ssrc >>> 0 };
      this.rtxSequence = rtx.sequence ?? sequenceFrom();
    }
  }

  /** sendFrame packetizes one access unit and sends its datagrams; returns how many. */
  sendFrame(data: Uint8Array, rtpTimestamp: number, keyframe: boolean): number {
    const datagrams = this.rtp.packetizeFrame(data, rtpTimestamp);
    if (this.h264 !== undefined) {
      this.stats.nalUnitsOutsideMode = this.h264.stats.nalUnitsOutsideMode;
      this.stats.nalUnitsDropped = this.h264.stats.nalUnitsDropped;
      if (datagrams.length === 0) return 0; // dropped in mode 0 (counted above): not sent
    }
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

  /**
   * sendPacket sends one datagram made elsewhere (a forwarded packet, `RtpRewriter`) on this
   * stream and keeps it in the history, so NACKs for it are answered like those for packets of
   * `sendFrame`. It must carry this sender's SSRC and sequence numbers that do not collide with
   * those of `sendFrame` (a sender does one or the other). A marker bit counts a frame.
   * The datagram is kept as it is (not copied): it must not be changed afterwards. `nowMs` is
   * the time of sending when the caller has it (default: `now`).
   */
  sendPacket(datagram: Uint8Array, nowMs?: number): void {
    this.keep(datagram, nowMs ?? this.now?.() ?? 0);
    this.stats.packets++;
    this.stats.octets += datagram.length - 12;
    if ((datagram[1]! & 0x80) !== 0) this.stats.frames++;
    this.lastRtpTimestamp =
      ((datagram[4]! << 24) | (datagram[5]! << 16) | (datagram[6]! << 8) | datagram[7]!) >>> 0;
    this.send(datagram);
  }

  /** dropRtx makes retransmissions go out on the media stream from now on. */
  dropRtx(): void {
    this.rtx = undefined;
  }

  /** retransmit resends the packets with these sequence numbers that are still in the history. */
  retransmit(sequenceNumbers: readonly number[]): number {
    let sent = 0;
    const now = this.now?.();
    for (const seq of sequenceNumbers) {
      const slot = seq & this.mask;
      const n = this.historyLength[slot]!;
      const fresh = now === undefined || now - this.historyAt[slot]! <= this.historyMs;
      if (n > 0 && this.historySeq[slot] === (seq & 0xffff) && fresh) {
        const original =
          this.historyDatagram[slot] ??
          new Uint8Array(this.historyBuffer[slot]!, this.historyOffset[slot]!, n);
        if (this.rtx === undefined) {
          this.send(original);
        } else {
          const d = rtxDatagram(original, {
            payloadType: this.rtx.payloadType,
            ssrc: this.rtx.ssrc,
            sequenceNumber: this.rtxSequence!.next(),
          });
          if (d === undefined) {
            this.stats.retransmitMisses++;
            continue;
          }
          this.send(d);
          this.stats.rtxPackets++;
        }
        sent++;
      } else {
        this.stats.retransmitMisses++;
      }
    }
    this.stats.retransmitted += sent;
    return sent;
  }

  /**
   * keep puts a forwarded datagram into its history slot by reference (the view itself, so no
   * `buffer` getter, a call into the runtime, per packet). A copy into a ring of slots was
   * measured slower in the relay benchmark: it writes a cold 1.5 MB region packet by packet,
   * while the datagram just received is in the cache already.
   */
  private keep(d: Uint8Array, nowMs: number): void {
    const seq = (d[2]! << 8) | d[3]!;
    const slot = seq & this.mask;
    this.historyDatagram[slot] = d;
    this.historyLength[slot] = d.length;
    this.historySeq[slot] = seq;
    this.historyAt[slot] = nowMs;
  }

  /** remember notes where a sent datagram lies, in its history slot. */
  private remember(d: Uint8Array, nowMs?: number): void {
    const seq = (d[2]! << 8) | d[3]!;
    const slot = seq & this.mask;
    this.historyDatagram[slot] = undefined;
    this.historyBuffer[slot] = d.buffer;
    this.historyOffset[slot] = d.byteOffset;
    this.historyLength[slot] = d.length;
    this.historySeq[slot] = seq;
    this.historyAt[slot] = nowMs ?? this.now?.() ?? 0;
  }
}

const NO_BUFFER = new ArrayBuffer(0);
