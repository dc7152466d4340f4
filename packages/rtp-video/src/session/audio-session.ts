import { type Observable, Subject } from "rxjs";
import { RtpVideoError } from "../errors.js";
import type { RtcpPacket } from "../rtcp/types.js";
import { type RtpPacket, rtpPacketSize, writeRtpHeader } from "../rtp/rtp-packet.js";
import { TimestampUnwrapper } from "../rtp/sequence.js";
import {
  type AudioFrame,
  type AudioPayloadType,
  DEFAULT_AUDIO_PAYLOAD_TYPES,
} from "./audio-frame.js";
import { RateMeter } from "./rate-meter.js";
import type { RemoteReport, RtpSessionOptions, SourceStats } from "./rtp-session.js";
import { openPair, RtpSessionBase, randomSsrc } from "./rtp-session.js";
import type { UdpPair } from "./udp-pair.js";

/** AudioSessionOptions configure an AudioRtpSession. */
export interface AudioSessionOptions extends RtpSessionOptions {
  /** payloadTypes accepted and sent; default PCMU 0, PCMA 8, telephone-event 101, Opus 111. */
  readonly payloadTypes?: readonly AudioPayloadType[];
  /** payloadType sent by default; default the first of `payloadTypes`. */
  readonly payloadType?: number;
}

/** OutgoingAudio is one payload to send and its duration in samples (timestamp advance). */
export interface OutgoingAudio {
  readonly data: Uint8Array;
  /** samples the payload lasts; default data.length for G.711, 960 (20 ms) for Opus. */
  readonly samples?: number;
  /** payloadType to send with; default the session's. */
  readonly payloadType?: number;
  /** marker bit (talkspurt start, RFC 4733 event start). */
  readonly marker?: boolean;
  /** timestamp to send with, when the caller keeps its own (e.g. an RFC 4733 event's). */
  readonly rtpTimestamp?: number;
}

/**
 * AudioSessionStats is a snapshot of an audio session's counters, with the security counters of
 * `SourceStats` (`foreignSource`, `sourceChanges`, `malformed`).
 */
export interface AudioSessionStats extends SourceStats {
  readonly packets: number;
  readonly bytes: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly jitterMs: number;
  readonly bitrate: number;
  readonly sent: { readonly packets: number; readonly octets: number };
  readonly remote: RemoteReport | undefined;
}

const DEDUP = 1024;

/**
 * AudioRtpSession is one audio RTP stream over UDP (PCMU/PCMA/Opus/L16 and RFC 4733
 * telephone-events, passed through): each packet comes out as an AudioFrame in arrival order
 * (duplicates dropped), and `sendAudio` sends payloads with a continuous timestamp.
 */
export class AudioRtpSession extends RtpSessionBase {
  /** frames$ emits each inbound audio payload. */
  readonly frames$: Observable<AudioFrame>;
  private readonly types: Map<number, AudioPayloadType>;
  private readonly defaultPt: number;
  private readonly subject = new Subject<AudioFrame>();
  private readonly meter = new RateMeter();
  private readonly seen = new Int32Array(DEDUP).fill(-1);
  private readonly tsUnwrap = new TimestampUnwrapper();
  private firstTs = -1;
  private packets = 0;
  private bytes = 0;
  private duplicates = 0;
  private seq: number;
  private ts: number;
  private sentPackets = 0;
  private sentOctets = 0;
  private sentSinceReport = false;

  /** open binds the sockets and starts the session. */
  static async open(options: AudioSessionOptions = {}): Promise<AudioRtpSession> {
    const types = options.payloadTypes ?? DEFAULT_AUDIO_PAYLOAD_TYPES;
    if (types.length === 0) throw new RtpVideoError("BAD_OPTION", "payloadTypes must not be empty");
    if (
      options.payloadType !== undefined &&
      !types.some((t) => t.payloadType === options.payloadType)
    ) {
      throw new RtpVideoError(
        "BAD_OPTION",
        `payloadType ${options.payloadType} is not in payloadTypes`,
      );
    }
    const pair = await openPair(options);
    return new AudioRtpSession(pair, options, types);
  }

  private constructor(
    pair: UdpPair,
    options: AudioSessionOptions,
    types: readonly AudioPayloadType[],
  ) {
    const random = options.random ?? Math.random;
    super(pair, options, options.ssrc ?? randomSsrc(random));
    this.types = new Map(types.map((t) => [t.payloadType, t]));
    this.defaultPt = options.payloadType ?? types[0]!.payloadType;
    this.seq = Math.floor(random() * 0x10000);
    this.ts = Math.floor(random() * 0x100000000);
    this.frames$ = this.subject.asObservable();
  }

  /** sendFormat is the payload type, codec and clock rate this session sends by default. */
  get sendFormat(): AudioPayloadType {
    return this.types.get(this.defaultPt)!;
  }

  /** sendAudio sends one payload; returns false when no remote address is known yet. */
  sendAudio(audio: OutgoingAudio): boolean {
    const pt = audio.payloadType ?? this.defaultPt;
    const type = this.types.get(pt);
    if (type === undefined)
      throw new RtpVideoError("BAD_OPTION", `payloadType ${pt} is not negotiated`);
    const samples = audio.samples ?? (type.codec === "opus" ? 960 : audio.data.length);
    const timestamp = audio.rtpTimestamp ?? this.ts;
    const d = new Uint8Array(rtpPacketSize(audio.data.length));
    writeRtpHeader(d, 0, {
      payloadType: pt,
      sequenceNumber: this.seq,
      timestamp,
      ssrc: this.ssrc,
      marker: audio.marker ?? false,
    });
    d.set(audio.data, 12);
    if (!this.sendRtpDatagram(d)) return false;
    this.seq = (this.seq + 1) & 0xffff;
    if (audio.rtpTimestamp === undefined) this.ts = (this.ts + samples) >>> 0;
    this.sentPackets++;
    this.sentOctets += audio.data.length;
    this.sentSinceReport = true;
    return true;
  }

  /** stats returns a snapshot of the session's counters. */
  stats(): AudioSessionStats {
    const snap = this.reception?.snapshot();
    const rate = this.types.get(this.defaultPt)?.clockRate ?? 8000;
    return {
      packets: this.packets,
      bytes: this.bytes,
      lost: Math.max(0, snap?.cumulativeLost ?? 0),
      duplicates: this.duplicates,
      jitterMs: ((snap?.jitter ?? 0) * 1000) / rate,
      bitrate: this.meter.rate(this.scheduler.now()).bitsPerSecond,
      sent: { packets: this.sentPackets, octets: this.sentOctets },
      remote: this.remoteReport,
      ...this.sourceStats(),
    };
  }

  protected override acceptsPayloadType(pt: number): boolean {
    return this.types.has(pt);
  }

  protected override onRtp(p: RtpPacket, _datagram: Uint8Array, now: number): void {
    const type = this.types.get(p.payloadType)!;
    let reception = this.reception;
    if (reception === undefined || reception.ssrc !== p.ssrc) {
      reception = this.startReception(p.ssrc, type.clockRate);
      this.seen.fill(-1);
    }
    const slot = p.sequenceNumber % DEDUP;
    if (this.seen[slot] === p.sequenceNumber) {
      this.duplicates++;
      return;
    }
    this.seen[slot] = p.sequenceNumber;
    reception.receive(p.sequenceNumber, p.timestamp, now);
    this.packets++;
    this.bytes += p.payload.length;
    this.meter.record(now, p.payload.length);
    const ext = this.tsUnwrap.unwrap(p.timestamp);
    if (this.firstTs < 0) this.firstTs = ext;
    this.subject.next({
      codec: type.codec,
      payloadType: p.payloadType,
      data: new Uint8Array(p.payload),
      rtpTimestamp: p.timestamp,
      timestampMs: ((ext - this.firstTs) * 1000) / type.clockRate,
      sequenceNumber: p.sequenceNumber,
      marker: p.marker,
    });
  }

  protected override onFeedback(_p: RtcpPacket): void {}

  protected override senderInfo(_nowMs: number) {
    if (!this.sentSinceReport) return undefined;
    this.sentSinceReport = false;
    return { rtpTimestamp: this.ts, packets: this.sentPackets, octets: this.sentOctets };
  }

  protected override clockRateForReports(): number {
    return this.types.get(this.defaultPt)?.clockRate ?? 8000;
  }

  protected override onClose(): void {
    this.subject.complete();
  }
}
