import { Observable, Subject } from "rxjs";
import type { Depacketizer, Packetizer } from "../codec.js";
import { RtpVideoError } from "../errors.js";
import { H264Depacketizer } from "../h264/h264-depacketizer.js";
import { type H264PacketizationMode, H264Packetizer } from "../h264/h264-packetizer.js";
import { checkH264ParameterSets } from "../h264/parameter-sets.js";
import type { RtcpPacket } from "../rtcp/types.js";
import { type RtpPacket, serializeRtpPacket } from "../rtp/rtp-packet.js";
import { RtxAssociation } from "../rtx/rtx-association.js";
import { originalFromRtx, originalSequenceNumber } from "../rtx/rtx-packet.js";
import type { VideoCodec, VideoFrame } from "../video-frame.js";
import { Vp8Depacketizer } from "../vp8/vp8-depacketizer.js";
import { Vp8Packetizer } from "../vp8/vp8-packetizer.js";
import { Vp9Depacketizer } from "../vp9/vp9-depacketizer.js";
import { Vp9Packetizer } from "../vp9/vp9-packetizer.js";
import { RateMeter } from "./rate-meter.js";
import type { RemoteReport, RtpSessionOptions, SourceStats } from "./rtp-session.js";
import { openPair, RtpSessionBase, randomSsrc } from "./rtp-session.js";
import type { UdpPair } from "./udp-pair.js";
import { VideoReceiver, type VideoReceiverOptions } from "./video-receiver.js";
import { VideoSender } from "./video-sender.js";

/** KeyframeRequest is a PLI or FIR received from the remote (RFC 4585 §6.3.1, RFC 5104 §4.3.1). */
export interface KeyframeRequest {
  readonly kind: "pli" | "fir";
  /** senderSsrc is who asked. */
  readonly senderSsrc: number;
}

/**
 * RtpPacketListener receives each accepted media packet of a session as it arrives (see
 * `VideoRtpSession.onPacket`): the packet parsed and the datagram it came in (the bytes as
 * received; the listener may rewrite them in place once nothing else reads them).
 */
export type RtpPacketListener = (packet: RtpPacket, datagram: Uint8Array) => void;

/** ReceivedRtpPacket is one item of `VideoRtpSession.packets$`. */
export interface ReceivedRtpPacket {
  readonly packet: RtpPacket;
  readonly datagram: Uint8Array;
}

/** VideoSessionOptions configure a VideoRtpSession. */
export interface VideoSessionOptions
  extends RtpSessionOptions,
    Omit<VideoReceiverOptions, "depacketizer" | "scheduler" | "clockRate"> {
  /** codec of the stream; default "h264". */
  readonly codec?: VideoCodec;
  /** payloadType of the stream; default 96. */
  readonly payloadType?: number;
  /** clockRate; default 90000. */
  readonly clockRate?: number;
  /** mtu of outgoing payloads; default 1200. */
  readonly mtu?: number;
  /** packetizationMode for H.264; default 1. */
  readonly packetizationMode?: H264PacketizationMode;
  /**
   * h264OversizeInMode0: what packetization-mode 0 does with a NAL unit larger than the MTU
   * (`H264PacketizerOptions.oversizeInMode0`); default "fu-a", counted in `stats().sent`.
   */
  readonly h264OversizeInMode0?: "refuse" | "fu-a" | "drop";
  /** codecs lets a caller plug other codecs: factories by codec name. */
  readonly codecs?: Partial<Record<VideoCodec, CodecPlug>>;
  /**
   * h264ParameterSets are the remote's out-of-band SPS/PPS (its SDP `sprop-parameter-sets`,
   * RFC 6184 §8.1), NAL units without start codes: put in front of received IDR access units
   * that lack them, so every keyframe the session emits decodes on its own. H.264 with the
   * built-in depacketizer only; a bad unit throws `BAD_OPTION` before any socket is bound.
   */
  readonly h264ParameterSets?: readonly Uint8Array[];
  /**
   * rtxPayloadType is the negotiated RTX payload type (RFC 4588 §8.1: `a=rtpmap:<pt> rtx/90000`
   * with `a=fmtp:<pt> apt=<payloadType>`), the same number both ways like `payloadType`. With
   * it, the remote's retransmissions on that payload type and their own SSRC are restored and
   * fed to the jitter buffer, and NACKs from the remote are answered on our own RTX stream
   * (`rtxSsrc`). Without it: same-stream retransmission both ways (RFC 4585).
   */
  readonly rtxPayloadType?: number;
  /** rtxSsrc is the SSRC of our RTX stream; default random (other than `ssrc`). */
  readonly rtxSsrc?: number;
  /** sendRtx: answer NACKs on our RTX stream; default true when `rtxPayloadType` is given. */
  readonly sendRtx?: boolean;
  /**
   * remoteRtx is the remote's RTX SSRC as signalled (`a=ssrc-group:FID <media> <rtx>`, RFC 5576
   * §4, RFC 4588 §8.3); without it the RTX SSRC is learned from the first RTX packet that
   * carries a packet we miss.
   */
  readonly remoteRtx?: { readonly mediaSsrc?: number; readonly rtxSsrc: number };
}

/** OutgoingVideoFrame is what `sendFrame` takes: a VideoFrame, or just data and timing. */
export interface OutgoingVideoFrame {
  /** data is one access unit (Annex-B for H.264). */
  readonly data: Uint8Array;
  /** keyframe of the access unit (for stats). */
  readonly keyframe?: boolean;
  /** timestampMs on the sender's media clock; default: time since the session's first frame. */
  readonly timestampMs?: number;
}

/**
 * VideoSessionStats is a snapshot of a session's counters and rates, with the security counters
 * of `SourceStats` (`foreignSource`, `sourceChanges`, `malformed`).
 */
export interface VideoSessionStats extends SourceStats {
  readonly packets: number;
  readonly bytes: number;
  readonly lost: number;
  readonly reordered: number;
  readonly duplicates: number;
  readonly late: number;
  /** jitterMs is the interarrival jitter (RFC 3550 §A.8) in ms. */
  readonly jitterMs: number;
  readonly frames: number;
  readonly keyframes: number;
  /** fps over the last second. */
  readonly fps: number;
  /** bitrate received over the last second, bits/s. */
  readonly bitrate: number;
  readonly framesDropped: number;
  /** parameterSetsInserted counts IDR frames given the out-of-band SPS/PPS (`h264ParameterSets`). */
  readonly parameterSetsInserted: number;
  readonly nacksSent: number;
  readonly recovered: number;
  /** retransmissionsReceived: RTX packets (or, without RTX, NACKed packets that came). */
  readonly retransmissionsReceived: number;
  /** retransmissionsUseful: retransmissions that filled a gap before it was given up. */
  readonly retransmissionsUseful: number;
  /** duplicateRetransmissions: retransmissions of packets already received, dropped. */
  readonly duplicateRetransmissions: number;
  /** lateRetransmissions: retransmissions that came after their packet was given up, dropped. */
  readonly lateRetransmissions: number;
  /** rtxUnassociated: RTX packets of an SSRC not associated with the media stream, dropped. */
  readonly rtxUnassociated: number;
  /** reorderWindowMs is the wait before a gap is NACKed now (see `nackReorderFactor`). */
  readonly reorderWindowMs: number;
  readonly keyframeRequestsSent: number;
  readonly keyframeRequestsReceived: number;
  readonly sent: {
    readonly frames: number;
    readonly keyframes: number;
    readonly packets: number;
    readonly octets: number;
    readonly retransmitted: number;
    /** rtxPackets: retransmissions sent on our RTX stream (in `retransmitted`). */
    readonly rtxPackets: number;
    /** retransmitMisses: NACKed packets no longer in the send history. */
    readonly retransmitMisses: number;
    /** nalUnitsOutsideMode: H.264 NAL units over the MTU sent as FU-A in mode 0. */
    readonly nalUnitsOutsideMode: number;
    /** nalUnitsDropped: H.264 NAL units over the MTU dropped in mode 0 (`"drop"`). */
    readonly nalUnitsDropped: number;
    /** fps and bitrate sent over the last second. */
    readonly fps: number;
    readonly bitrate: number;
  };
  readonly remote: RemoteReport | undefined;
}

/**
 * VideoRtpSession is one video RTP stream over UDP, both ways: inbound packets come out as
 * frames on `frames$` (jitter bound, NACK after a reorder window, RTX received when negotiated,
 * keyframe requests as PLI), outbound frames go out with `sendFrame` (NACKs answered from a
 * bounded history, on our RTX stream when negotiated, RFC 4588), keyframe requests from the remote
 * come out on `keyframeRequests$`, and SR/RR/SDES flow at a regular interval.
 */
export class VideoRtpSession extends RtpSessionBase {
  /** frames$ emits each complete inbound frame (none with `assemble: false`). */
  readonly frames$: Observable<VideoFrame>;
  /**
   * packets$ emits each accepted media packet as it arrives, like `onPacket` (which is the
   * cheaper of the two: no object per packet).
   */
  readonly packets$: Observable<ReceivedRtpPacket>;
  /** keyframeRequests$ emits each PLI or FIR the remote sends about our stream. */
  readonly keyframeRequests$: Observable<KeyframeRequest>;
  /** codec of the stream. */
  readonly codec: VideoCodec;
  /** payloadType of the stream. */
  readonly payloadType: number;
  /** clockRate of the stream. */
  readonly clockRate: number;
  #rtxPayloadType: number | undefined;
  #rtxSsrc: number | undefined;
  private readonly rtxAssociation: RtxAssociation;
  private readonly receiver: VideoReceiver;
  private readonly sender: VideoSender;
  private readonly framesSubject = new Subject<VideoFrame>();
  private readonly keyframeSubject = new Subject<KeyframeRequest>();
  private readonly inMeter = new RateMeter();
  private readonly outMeter = new RateMeter();
  private firSeq = 0;
  private readonly lastFirSeq = new Map<number, number>();
  private keyframeRequestsReceived = 0;
  private sentSinceReport = false;
  private firstSendMs: number | undefined;
  private rtpBase: number;
  private lastSendWall = 0;
  private packetListeners: readonly RtpPacketListener[] = [];
  private forwardedBytes = 0;

  /** open binds the sockets and starts the session. Bad options throw before any bind. */
  static async open(options: VideoSessionOptions = {}): Promise<VideoRtpSession> {
    const codec = options.codec ?? "h264";
    if (BUILT_IN[codec] === undefined && options.codecs?.[codec] === undefined) {
      throw new RtpVideoError(
        "BAD_OPTION",
        `no packetizer for codec ${codec}; pass options.codecs`,
      );
    }
    const pt = options.payloadType ?? 96;
    if (!Number.isInteger(pt) || pt < 0 || pt > 127)
      throw new RtpVideoError("BAD_OPTION", "payloadType must be 0..127");
    const rtxPt = options.rtxPayloadType;
    if (
      rtxPt !== undefined &&
      (!Number.isInteger(rtxPt) || rtxPt < 0 || rtxPt > 127 || rtxPt === pt)
    ) {
      throw new RtpVideoError(
        "BAD_OPTION",
        "rtxPayloadType must be 0..127 and differ from payloadType (RFC 4588 §8.1)",
      );
    }
    if (options.h264ParameterSets !== undefined) {
      if (codec !== "h264" || options.codecs?.h264 !== undefined) {
        throw new RtpVideoError(
          "BAD_OPTION",
          "h264ParameterSets need codec h264 with the built-in depacketizer",
        );
      }
      checkH264ParameterSets(options.h264ParameterSets);
    }
    const pair = await openPair(options);
    return new VideoRtpSession(pair, options);
  }

  private constructor(pair: UdpPair, options: VideoSessionOptions) {
    const random = options.random ?? Math.random;
    super(pair, options, options.ssrc ?? randomSsrc(random));
    this.codec = options.codec ?? "h264";
    this.payloadType = options.payloadType ?? 96;
    this.clockRate = options.clockRate ?? 90000;
    this.#rtxPayloadType = options.rtxPayloadType;
    this.rtxAssociation = new RtxAssociation(options.remoteRtx);
    const sendRtx = this.rtxPayloadType !== undefined && (options.sendRtx ?? true);
    let rtxSsrc = options.rtxSsrc;
    while (sendRtx && (rtxSsrc === undefined || rtxSsrc === this.ssrc))
      rtxSsrc = randomSsrc(random);
    this.#rtxSsrc = sendRtx ? rtxSsrc : undefined;
    this.rtpBase = Math.floor(random() * 0x100000000);
    const mtu = options.mtu ?? 1200;
    const plug = options.codecs?.[this.codec] ?? BUILT_IN[this.codec]!;
    const depacketizer =
      options.h264ParameterSets === undefined
        ? plug.depacketizer()
        : new H264Depacketizer({ parameterSets: options.h264ParameterSets });
    const packetizer =
      this.codec === "h264" && options.codecs?.h264 === undefined
        ? new H264Packetizer({
            mtu,
            packetizationMode: options.packetizationMode ?? 1,
            oversizeInMode0: options.h264OversizeInMode0 ?? "fu-a",
          })
        : plug.packetizer(mtu);
    const {
      codec: _c,
      payloadType: _p,
      clockRate: _r,
      mtu: _m,
      codecs: _x,
      h264ParameterSets: _ps,
      h264OversizeInMode0: _ov,
      rtxPayloadType: _rp,
      rtxSsrc: _rs,
      sendRtx: _sr,
      remoteRtx: _rr,
      ...receiverOptions
    } = options;
    this.receiver = new VideoReceiver(
      {
        frame: (f) => {
          this.inMeter.record(this.scheduler.now(), f.data.length);
          this.framesSubject.next(f);
        },
        nack: (mediaSsrc, lost) =>
          this.sendRtcp([{ type: "nack", senderSsrc: this.ssrc, mediaSsrc, lost }]),
        keyframeRequest: (mediaSsrc) =>
          this.sendRtcp([{ type: "pli", senderSsrc: this.ssrc, mediaSsrc }]),
      },
      {
        ...stripUndefined(receiverOptions),
        depacketizer,
        scheduler: this.scheduler,
        clockRate: this.clockRate,
        rtx: this.rtxPayloadType !== undefined,
      },
    );
    this.sender = new VideoSender((d) => this.sendRtpDatagram(d), {
      packetizer,
      payloadType: this.payloadType,
      ssrc: this.ssrc,
      now: () => this.scheduler.now(),
      ...(this.rtxSsrc === undefined || this.rtxPayloadType === undefined
        ? {}
        : { rtx: { payloadType: this.rtxPayloadType, ssrc: this.rtxSsrc } }),
    });
    this.frames$ = this.framesSubject.asObservable();
    this.packets$ = new Observable<ReceivedRtpPacket>((subscriber) =>
      this.onPacket((packet, datagram) => subscriber.next({ packet, datagram })),
    );
    this.keyframeRequests$ = this.keyframeSubject.asObservable();
  }

  /**
   * sendFrame packetizes one access unit and sends it; returns the number of packets. The RTP
   * timestamp follows `timestampMs` (or real time since the first frame). Frames sent before the
   * remote address is known are dropped (0 is returned).
   */
  sendFrame(frame: OutgoingVideoFrame): number {
    if (this.isClosed) return 0;
    const now = this.scheduler.now();
    this.firstSendMs ??= now;
    const ms = frame.timestampMs ?? now - this.firstSendMs;
    const ts = (this.rtpBase + Math.round((ms * this.clockRate) / 1000)) % 0x100000000;
    if (this.remoteAddr === undefined) return 0;
    const n = this.sender.sendFrame(frame.data, ts, frame.keyframe ?? false);
    this.lastSendWall = now;
    this.sentSinceReport = true;
    this.outMeter.record(now, frame.data.length);
    return n;
  }

  /**
   * onPacket calls `listener` with each accepted media packet as it arrives: after source
   * latching and the payload-type check, before (and independent of) the jitter buffer, so a
   * forwarder can send it on at once (cut-through, see `RtpRewriter` and `forwardPacket`).
   * Packets come in arrival order, reordered and duplicated as they came; a packet restored from
   * RTX that fills a gap comes too (its datagram rebuilt, header without extensions). Returns a
   * function that removes the listener. A throwing listener does not stop the others or the frame
   * path (its error is thrown asynchronously, as RxJS reports a throwing subscriber).
   * The packet's `payload` is made when first read (a forwarder that does not look into it
   * makes no view per packet): a copy made by spreading the packet has none.
   */
  onPacket(listener: RtpPacketListener): () => void {
    this.packetListeners = [...this.packetListeners, listener];
    return () => {
      this.packetListeners = this.packetListeners.filter((l) => l !== listener);
    };
  }

  /**
   * forwardPacket sends one RTP datagram made elsewhere on this session's stream (e.g. an
   * `RtpRewriter` output carrying this session's `ssrc` and `payloadType`): it goes to the remote
   * at once and into the send history, so NACKs from the remote are answered from it (on our RTX
   * stream when negotiated), and it counts in the sender reports. A session either sends frames
   * (`sendFrame`) or forwards packets, not both (their sequence numbers would collide). The
   * datagram is kept, not copied: do not change it afterwards. Returns false (dropped) when the
   * session is closed or the remote is not known yet.
   */
  forwardPacket(datagram: Uint8Array): boolean {
    if (this.isClosed || this.remoteAddr === undefined || datagram.length < 12) return false;
    const ts =
      ((datagram[4]! << 24) | (datagram[5]! << 16) | (datagram[6]! << 8) | datagram[7]!) >>> 0;
    // the clock is read once per frame (a new timestamp): the SR extrapolates from when its first
    // packet went out, and the history ages packets by it (per packet, the read measurably costs)
    if (ts !== this.sender.lastRtpTimestamp || !this.sentSinceReport)
      this.lastSendWall = this.scheduler.now();
    const now = this.lastSendWall;
    this.sender.sendPacket(datagram, now);
    this.sentSinceReport = true;
    this.forwardedBytes += datagram.length - 12;
    if ((datagram[1]! & 0x80) !== 0) {
      this.outMeter.record(now, this.forwardedBytes);
      this.forwardedBytes = 0;
    }
    return true;
  }

  /** requestKeyframe sends a PLI (default) or a FIR for the remote's stream. */
  requestKeyframe(kind: "pli" | "fir" = "pli"): void {
    const media = this.remoteSsrc ?? 0;
    if (kind === "pli") {
      this.receiver.requestKeyframe("retry");
      return;
    }
    this.firSeq = (this.firSeq + 1) & 0xff;
    this.sendRtcp([
      {
        type: "fir",
        senderSsrc: this.ssrc,
        entries: [{ ssrc: media, sequenceNumber: this.firSeq }],
      },
    ]);
  }

  /**
   * setH264ParameterSets replaces the out-of-band SPS/PPS of the H.264 stream received (see
   * `h264ParameterSets`), e.g. from a new SDP offer. Throws `BAD_OPTION` for a bad unit or a
   * session that is not H.264 with the built-in depacketizer.
   */
  setH264ParameterSets(units: readonly Uint8Array[]): void {
    this.receiver.setH264ParameterSets(units);
  }

  /** rtxPayloadType is the negotiated RTX payload type, if any. */
  get rtxPayloadType(): number | undefined {
    return this.#rtxPayloadType;
  }

  /** rtxSsrc is the SSRC of our RTX stream, when we send one. */
  get rtxSsrc(): number | undefined {
    return this.#rtxSsrc;
  }

  /**
   * dropRtx turns RTX off on a live session (e.g. a placeholder opened with our offer's RTX
   * payload type, answered without it): RTX packets are then a wrong payload type, NACKs are
   * answered on the media stream and repeated as without RTX. Turning it on needs a new session.
   */
  dropRtx(): void {
    if (this.#rtxPayloadType === undefined) return;
    this.#rtxPayloadType = undefined;
    this.#rtxSsrc = undefined;
    this.sender.dropRtx();
    this.receiver.dropRtx();
  }

  /**
   * setRemoteRtx sets the remote's RTX SSRC as signalled (`a=ssrc-group:FID`), e.g. from a new
   * SDP; undefined: learn it from the first RTX packet that carries a packet we miss.
   */
  setRemoteRtx(remoteRtx?: { readonly mediaSsrc?: number; readonly rtxSsrc: number }): void {
    this.rtxAssociation.setSignalled(remoteRtx);
  }

  /** stats returns a snapshot of the session's counters and rates. */
  stats(): VideoSessionStats {
    const now = this.scheduler.now();
    const r = this.receiver.stats;
    const s = this.sender.stats;
    const inRate = this.inMeter.rate(now);
    const outRate = this.outMeter.rate(now);
    const jitter = this.reception?.snapshot().jitter ?? 0;
    return {
      packets: r.packets,
      bytes: r.bytes,
      lost: r.lost,
      reordered: r.reordered,
      duplicates: r.duplicates,
      late: r.late,
      jitterMs: (jitter * 1000) / this.clockRate,
      frames: r.frames,
      keyframes: r.keyframes,
      fps: inRate.perSecond,
      bitrate: inRate.bitsPerSecond,
      framesDropped:
        r.framesDroppedLoss +
        r.framesDroppedCorrupt +
        r.framesDroppedTooLarge +
        r.framesDroppedWaiting,
      parameterSetsInserted: this.receiver.parameterSetsInserted,
      nacksSent: r.nacksSent,
      recovered: r.recovered,
      retransmissionsReceived: r.retransmissionsReceived,
      retransmissionsUseful: r.retransmissionsUseful,
      duplicateRetransmissions: r.duplicateRetransmissions,
      lateRetransmissions: r.lateRetransmissions,
      rtxUnassociated: this.rtxAssociation.stats.rtxUnassociated,
      reorderWindowMs: this.receiver.reorderWindowMs,
      keyframeRequestsSent: r.keyframeRequestsSent,
      keyframeRequestsReceived: this.keyframeRequestsReceived,
      sent: { ...s, fps: outRate.perSecond, bitrate: outRate.bitsPerSecond },
      remote: this.remoteReport,
      ...this.sourceStats(),
    };
  }

  /** depacketizerDrops are the depacketizer's counters by reason. */
  get depacketizerDrops(): Readonly<Record<string, number>> {
    return this.receiver.depacketizerDrops;
  }

  protected override acceptsPayloadType(pt: number): boolean {
    return pt === this.payloadType || pt === this.rtxPayloadType;
  }

  protected override isRepairPayloadType(pt: number): boolean {
    return pt === this.rtxPayloadType;
  }

  protected override onRtp(packet: RtpPacket, datagram: Uint8Array, now: number): void {
    if (packet.payloadType === this.#rtxPayloadType) {
      this.onRtx(packet);
      return;
    }
    let reception = this.reception;
    if (reception === undefined || reception.ssrc !== packet.ssrc) {
      reception = this.startReception(packet.ssrc, this.clockRate);
    }
    reception.receive(packet.sequenceNumber, packet.timestamp, now);
    if (this.packetListeners.length > 0) this.emitPacket(packet, datagram);
    this.receiver.receive(packet, now);
  }

  private emitPacket(packet: RtpPacket, datagram: Uint8Array): void {
    const listeners = this.packetListeners;
    for (let i = 0; i < listeners.length; i++) {
      try {
        listeners[i]!(packet, datagram);
      } catch (e) {
        // never let a listener break the media path; report it outside
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }

  /** onRtx restores the original of an RTX packet (RFC 4588 §4) and feeds it to the receiver. */
  private onRtx(packet: RtpPacket): void {
    const media = this.receiver.mediaSsrc;
    const osn = originalSequenceNumber(packet);
    if (osn === undefined || this.reception === undefined) return; // padding, or no media yet
    const missing = (seq: number): boolean => this.receiver.isMissing(seq);
    if (!this.rtxAssociation.accepts(packet.ssrc, media, osn, missing)) return;
    const original = originalFromRtx(packet, { payloadType: this.payloadType, ssrc: media });
    if (original === undefined) return;
    const useful = this.receiver.stats.retransmissionsUseful;
    this.receiver.receiveRetransmission(original);
    if (this.packetListeners.length > 0 && this.receiver.stats.retransmissionsUseful !== useful)
      this.emitPacket(original, serializeRtpPacket(original));
  }

  protected override onFeedback(p: RtcpPacket): void {
    if ((p.type === "sr" || p.type === "rr") && this.remoteReport?.rttMs !== undefined) {
      this.receiver.setRoundTripTime(this.remoteReport.rttMs);
    }
    if (p.type === "nack" && p.mediaSsrc === this.ssrc) {
      this.sender.retransmit(p.lost);
    } else if (p.type === "pli" && p.mediaSsrc === this.ssrc) {
      this.keyframeRequestsReceived++;
      this.keyframeSubject.next({ kind: "pli", senderSsrc: p.senderSsrc });
    } else if (p.type === "fir") {
      for (const e of p.entries) {
        if (e.ssrc !== this.ssrc) continue;
        // RFC 5104 §4.3.1.2: a repeated sequence number is a retransmission of the same request
        if (this.lastFirSeq.get(p.senderSsrc) === e.sequenceNumber) continue;
        this.lastFirSeq.set(p.senderSsrc, e.sequenceNumber);
        this.keyframeRequestsReceived++;
        this.keyframeSubject.next({ kind: "fir", senderSsrc: p.senderSsrc });
      }
    }
  }

  protected override senderInfo(nowMs: number) {
    if (!this.sentSinceReport) return undefined;
    this.sentSinceReport = false;
    const ticks = Math.round(((nowMs - this.lastSendWall) * this.clockRate) / 1000);
    return {
      rtpTimestamp: (this.sender.lastRtpTimestamp + ticks) >>> 0,
      packets: this.sender.stats.packets,
      octets: this.sender.stats.octets,
    };
  }

  protected override clockRateForReports(): number {
    return this.clockRate;
  }

  protected override onClose(): void {
    this.receiver.close();
    this.framesSubject.complete();
    this.keyframeSubject.complete();
  }
}

/** CodecPlug makes the depacketizer and packetizer of one codec. */
export interface CodecPlug {
  readonly depacketizer: () => Depacketizer;
  readonly packetizer: (mtu: number) => Packetizer;
}

const BUILT_IN: Partial<Record<VideoCodec, CodecPlug>> = {
  h264: {
    depacketizer: () => new H264Depacketizer(),
    packetizer: (mtu) => new H264Packetizer({ mtu }),
  },
  vp8: {
    depacketizer: () => new Vp8Depacketizer(),
    packetizer: (mtu) => new Vp8Packetizer({ mtu }),
  },
  vp9: {
    depacketizer: () => new Vp9Depacketizer(),
    packetizer: (mtu) => new Vp9Packetizer({ mtu }),
  },
};

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
