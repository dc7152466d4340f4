import type { RemoteInfo } from "node:dgram";
import type { Observable, SchedulerLike, Subscription } from "rxjs";
import { asyncScheduler, Subject } from "rxjs";
import { RtpVideoError } from "../errors.js";
import { compactNtpFromMs, ntpFromMs, roundTripTimeMs } from "../rtcp/ntp.js";
import { parseRtcp } from "../rtcp/parse.js";
import { ReceptionStats } from "../rtcp/reception-stats.js";
import { serializeRtcp } from "../rtcp/serialize.js";
import type { ReportBlock, RtcpPacket, RtcpParseErrorCode } from "../rtcp/types.js";
import { type RtpPacket, type RtpParseErrorCode, tryParseRtpPacket } from "../rtp/rtp-packet.js";
import { type Address, bindUdpPair, type UdpPair } from "./udp-pair.js";

/** RtpSessionOptions are the transport options every RTP session takes. */
export interface RtpSessionOptions {
  /** localAddr to bind RTP to; RTCP takes the next port unless rtcpMux. Default ["0.0.0.0", 0]. */
  readonly localAddr?: Address;
  /** remoteAddr to send RTP to (RTCP to its port + 1 unless rtcpMux); null or absent: learn it. */
  readonly remoteAddr?: Address | null;
  /** rtcpRemoteAddr overrides where RTCP is sent (SDP `a=rtcp`, RFC 3605); default remote + 1. */
  readonly rtcpRemoteAddr?: Address;
  /** rtcpMux carries RTCP on the RTP port (RFC 5761). Default false. */
  readonly rtcpMux?: boolean;
  /**
   * symmetric latches onto the address media really comes from (and sends there); packets from
   * any other address are then dropped and counted. Default true. With symmetric false and a
   * remoteAddr, only packets from exactly remoteAddr are accepted.
   */
  readonly symmetric?: boolean;
  /** scheduler gives time and timers; default rxjs asyncScheduler (epoch ms). */
  readonly scheduler?: SchedulerLike;
  /** rtcpIntervalMs is the mean interval of SR/RR reports (randomised ×[0.5, 1.5]); 1000. */
  readonly rtcpIntervalMs?: number;
  /** cname for SDES; default "framewire-<ssrc>". */
  readonly cname?: string;
  /** ssrc of what this session sends; default random. */
  readonly ssrc?: number;
  /** random source for SSRC, ports and RTCP jitter; default Math.random. */
  readonly random?: () => number;
}

/** TransportStats count datagrams at the socket, before any media logic. */
export interface TransportStats {
  /** datagrams received on the RTP and RTCP sockets. */
  datagrams: number;
  /** RTP datagrams that did not parse, by RFC 3550 rule broken. */
  malformedRtp: Partial<Record<RtpParseErrorCode, number>>;
  /** RTCP datagrams or sub-packets that did not parse, by rule broken. */
  malformedRtcp: Partial<Record<RtcpParseErrorCode, number>>;
  /** datagrams from an address other than the remote (RTP injection), dropped. */
  foreignSource: number;
  /** RTP packets with a payload type this session does not take, dropped. */
  wrongPayloadType: number;
  /** RTCP compound packets received. */
  rtcpPackets: number;
  /** RTCP compound packets sent. */
  rtcpSent: number;
  /** send errors of the socket (e.g. ICMP unreachable), counted and otherwise ignored. */
  sendErrors: number;
}

/** RemoteReport is what the remote says about our stream in its last report block. */
export interface RemoteReport {
  /** fractionLost since its previous report, 0..1. */
  readonly fractionLost: number;
  /** cumulativeLost packets. */
  readonly cumulativeLost: number;
  /** jitterMs is its interarrival jitter estimate in ms. */
  readonly jitterMs: number;
  /** rttMs is the round-trip time from LSR/DLSR (RFC 3550 §6.4.1), when it echoed an SR. */
  readonly rttMs: number | undefined;
  /** atMs is when the report arrived (scheduler time). */
  readonly atMs: number;
}

/**
 * RtpSessionBase is the socket shell shared by audio and video sessions: it binds RTP and RTCP
 * sockets, demultiplexes RTP from RTCP (RFC 5761 §4 when muxed), filters sources (symmetric RTP,
 * injection protection), sends SR/RR + SDES at a randomised interval, and keeps the remote's
 * reports. Subclasses handle the media.
 */
export abstract class RtpSessionBase {
  /** ssrc of what this session sends. */
  readonly ssrc: number;
  /** localPort is the bound RTP port (RTCP is localPort + 1 without rtcp-mux). */
  readonly localPort: number;
  /** transport counts datagrams at the socket. */
  readonly transport: TransportStats = {
    datagrams: 0,
    malformedRtp: {},
    malformedRtcp: {},
    foreignSource: 0,
    wrongPayloadType: 0,
    rtcpPackets: 0,
    rtcpSent: 0,
    sendErrors: 0,
  };
  /** rtcp$ emits every RTCP packet received from the remote. */
  readonly rtcp$: Observable<RtcpPacket>;
  /** closed$ emits once, when the session closes, with the reason. */
  readonly closed$: Observable<string>;
  /** remoteReport is the remote's last report block about our stream. */
  remoteReport: RemoteReport | undefined;

  protected readonly scheduler: SchedulerLike;
  protected readonly cname: string;
  protected readonly rtcpMux: boolean;
  protected remoteSsrc: number | undefined;
  /** reception holds the statistics of the remote's stream (RFC 3550 §6.4.1), once it sends. */
  protected reception: ReceptionStats | undefined;
  protected lastSr: { ntp: { sec: number; frac: number }; receivedAtMs: number } | undefined;
  protected isClosed = false;
  private readonly pair: UdpPair;
  private readonly symmetric: boolean;
  private readonly fixedRemote: Address | undefined;
  private rtpTarget: Address | undefined;
  private rtcpTarget: Address | undefined;
  private latchedRtp: Address | undefined;
  private latchedRtcp: Address | undefined;
  private readonly rtcpSubject = new Subject<RtcpPacket>();
  private readonly closedSubject = new Subject<string>();
  private rtcpTimer: Subscription | undefined;
  private readonly rtcpIntervalMs: number;
  private readonly random: () => number;

  protected constructor(pair: UdpPair, options: RtpSessionOptions, ssrc: number) {
    this.pair = pair;
    this.ssrc = ssrc;
    this.localPort = pair.port;
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.random = options.random ?? Math.random;
    this.cname = options.cname ?? `framewire-${ssrc.toString(16)}`;
    this.rtcpMux = options.rtcpMux ?? false;
    this.symmetric = options.symmetric ?? true;
    this.rtcpIntervalMs = options.rtcpIntervalMs ?? 1000;
    const remote = options.remoteAddr ?? undefined;
    this.fixedRemote = remote;
    this.rtpTarget = remote;
    this.rtcpTarget =
      remote === undefined
        ? undefined
        : this.rtcpMux
          ? remote
          : (options.rtcpRemoteAddr ?? [remote[0], remote[1] + 1]);
    this.rtcp$ = this.rtcpSubject.asObservable();
    this.closed$ = this.closedSubject.asObservable();
    pair.rtp.on("message", (msg, rinfo) => this.onDatagram(msg, rinfo, false));
    pair.rtcp?.on("message", (msg, rinfo) => this.onDatagram(msg, rinfo, true));
    for (const s of [pair.rtp, pair.rtcp]) s?.on("error", () => this.transport.sendErrors++);
    this.scheduleRtcp();
  }

  /** remoteAddr is where RTP is sent: the configured address, or the latched source. */
  get remoteAddr(): Address | undefined {
    return this.rtpTarget;
  }

  /** setRemoteAddr re-targets the session (e.g. after a SIP re-INVITE); null stops sending. */
  setRemoteAddr(remote: Address | null, rtcpRemote?: Address): void {
    this.rtpTarget = remote ?? undefined;
    this.rtcpTarget =
      remote === null
        ? undefined
        : this.rtcpMux
          ? remote
          : (rtcpRemote ?? [remote[0], remote[1] + 1]);
    this.latchedRtp = undefined;
    this.latchedRtcp = undefined;
  }

  /** close stops timers and closes the sockets; calling it again does nothing. */
  close(reason = "closed"): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.rtcpTimer?.unsubscribe();
    this.onClose();
    for (const s of [this.pair.rtp, this.pair.rtcp]) {
      try {
        s?.close();
      } catch {
        // already closed
      }
    }
    this.rtcpSubject.complete();
    this.closedSubject.next(reason);
    this.closedSubject.complete();
  }

  /** sendBye sends an RTCP BYE (RFC 3550 §6.6) in a compound packet. */
  sendBye(reason?: string): void {
    this.sendRtcp([
      { type: "bye", ssrcs: [this.ssrc], ...(reason === undefined ? {} : { reason }) },
    ]);
  }

  protected abstract acceptsPayloadType(pt: number): boolean;
  protected abstract onRtp(packet: RtpPacket): void;
  protected abstract onFeedback(packet: RtcpPacket): void;
  /** senderInfo is the SR sender info when this session has sent media since the last report. */
  protected abstract senderInfo(
    nowMs: number,
  ): { rtpTimestamp: number; packets: number; octets: number } | undefined;
  /** receptionBlock is the report block about the remote's stream, if any. */
  protected receptionBlock(nowMs: number): ReportBlock | undefined {
    return this.reception?.reportBlock(nowMs, this.lastSrInfo());
  }

  /**
   * startReception starts the reception statistics afresh for a new remote SSRC (the caller
   * checks, per packet, that `reception` is missing or counts another SSRC).
   */
  protected startReception(ssrc: number, clockRate: number): ReceptionStats {
    this.reception = new ReceptionStats({ ssrc, clockRate, minSequential: 1 });
    this.remoteSsrc = ssrc;
    return this.reception;
  }
  protected onClose(): void {}

  /** sendRtpDatagram sends one RTP datagram to the remote (dropped when none is known yet). */
  protected sendRtpDatagram(datagram: Uint8Array): boolean {
    const target = this.rtpTarget;
    if (this.isClosed || target === undefined) return false;
    // no per-send callback: send errors arrive as the socket's "error" event (counted there)
    this.pair.rtp.send(datagram, target[1], target[0]);
    return true;
  }

  /** sendRtcp sends feedback behind an SR/RR (and SDES), as a compound packet (RFC 3550 §6.1). */
  protected sendRtcp(extra: RtcpPacket[]): void {
    const target = this.rtcpTarget;
    if (this.isClosed || target === undefined) return;
    const now = this.scheduler.now();
    const block = this.receptionBlock(now);
    const reports = block === undefined ? [] : [block];
    const info = this.senderInfo(now);
    const head: RtcpPacket =
      info === undefined
        ? { type: "rr", ssrc: this.ssrc, reports }
        : {
            type: "sr",
            ssrc: this.ssrc,
            ntpTime: ntpFromMs(now),
            rtpTimestamp: info.rtpTimestamp >>> 0,
            packetCount: info.packets >>> 0,
            octetCount: info.octets >>> 0,
            reports,
          };
    let bytes: Uint8Array;
    try {
      bytes = serializeRtcp([head, ...extra], { cname: this.cname });
    } catch {
      this.transport.sendErrors++;
      return;
    }
    const socket = this.rtcpMux ? this.pair.rtp : (this.pair.rtcp ?? this.pair.rtp);
    this.transport.rtcpSent++;
    socket.send(bytes, target[1], target[0], (e) => {
      if (e) this.transport.sendErrors++;
    });
  }

  private scheduleRtcp(): void {
    const delay = this.rtcpIntervalMs * (0.5 + this.random());
    this.rtcpTimer = this.scheduler.schedule(() => {
      if (this.isClosed) return;
      this.sendRtcp([]);
      this.scheduleRtcp();
    }, delay);
  }

  private onDatagram(msg: Uint8Array, rinfo: RemoteInfo, onRtcpSocket: boolean): void {
    if (this.isClosed) return;
    this.transport.datagrams++;
    // RFC 5761 §4: with rtcp-mux, payload types 64..95 (second byte 192..223) are RTCP
    const b1 = msg.length > 1 ? msg[1]! : 0;
    const isRtcp = onRtcpSocket || (this.rtcpMux && b1 >= 192 && b1 <= 223);
    if (this.isForeign(rinfo, isRtcp)) {
      this.transport.foreignSource++;
      return;
    }
    if (isRtcp) {
      if (this.onRtcpDatagram(msg)) this.latch(rinfo, true);
      return;
    }
    const parsed = tryParseRtpPacket(msg);
    if (typeof parsed === "string") {
      this.transport.malformedRtp[parsed] = (this.transport.malformedRtp[parsed] ?? 0) + 1;
      return;
    }
    if (!this.acceptsPayloadType(parsed.payloadType)) {
      this.transport.wrongPayloadType++;
      return;
    }
    this.latch(rinfo, false);
    this.onRtp(parsed);
  }

  /** isForeign is true for a datagram from anywhere but the latched or configured remote. */
  private isForeign(rinfo: RemoteInfo, rtcp: boolean): boolean {
    if (this.symmetric) {
      const latched = rtcp ? this.latchedRtcp : this.latchedRtp;
      return latched !== undefined && (latched[1] !== rinfo.port || latched[0] !== rinfo.address);
    }
    const fixed = this.fixedRemote;
    if (fixed === undefined) return false;
    const port = rtcp && !this.rtcpMux ? fixed[1] + 1 : fixed[1];
    return rinfo.address !== fixed[0] || rinfo.port !== port;
  }

  /** latch makes the source of a valid packet the remote (symmetric RTP, RFC 4961). */
  private latch(rinfo: RemoteInfo, rtcp: boolean): void {
    if (!this.symmetric) return;
    if (rtcp) {
      if (this.latchedRtcp !== undefined) return;
      this.latchedRtcp = [rinfo.address, rinfo.port];
      this.rtcpTarget = [rinfo.address, rinfo.port];
      return;
    }
    if (this.latchedRtp !== undefined) return;
    this.latchedRtp = [rinfo.address, rinfo.port];
    this.rtpTarget = [rinfo.address, rinfo.port];
    // until RTCP itself arrives, answer RTCP where RFC 3550 §11 puts it: next to RTP
    if (this.latchedRtcp === undefined) {
      this.rtcpTarget = this.rtcpMux ? this.rtpTarget : [rinfo.address, rinfo.port + 1];
    }
  }

  private onRtcpDatagram(msg: Uint8Array): boolean {
    const { packets, errors } = parseRtcp(msg);
    for (const e of errors)
      this.transport.malformedRtcp[e] = (this.transport.malformedRtcp[e] ?? 0) + 1;
    if (packets.length === 0) return false;
    this.transport.rtcpPackets++;
    const now = this.scheduler.now();
    for (const p of packets) {
      if (p.type === "sr") {
        if (this.remoteSsrc === undefined || p.ssrc === this.remoteSsrc) {
          this.lastSr = { ntp: p.ntpTime, receivedAtMs: now };
        }
      }
      if (p.type === "sr" || p.type === "rr") {
        for (const b of p.reports) {
          if (b.ssrc !== this.ssrc) continue;
          this.remoteReport = {
            fractionLost: b.fractionLost / 256,
            cumulativeLost: b.cumulativeLost,
            jitterMs: (b.jitter * 1000) / this.clockRateForReports(),
            rttMs: roundTripTimeMs(b, compactNtpFromMs(now)),
            atMs: now,
          };
        }
      }
      this.onFeedback(p);
      this.rtcpSubject.next(p);
    }
    return true;
  }

  /** clockRateForReports is the clock rate of what this session sends (for jitter in ms). */
  protected abstract clockRateForReports(): number;

  /** lastSrInfo is the LSR/DLSR input for our report blocks. */
  protected lastSrInfo():
    | { ntpTime: { sec: number; frac: number }; receivedAtMs: number }
    | undefined {
    return this.lastSr === undefined
      ? undefined
      : { ntpTime: this.lastSr.ntp, receivedAtMs: this.lastSr.receivedAtMs };
  }
}

/** randomSsrc draws a non-zero 32-bit SSRC. */
export function randomSsrc(random: () => number = Math.random): number {
  return (Math.floor(random() * 0xfffffffe) + 1) >>> 0;
}

/** openPair binds a session's sockets, refusing bad options before anything is bound. */
export async function openPair(options: RtpSessionOptions): Promise<UdpPair> {
  const local = options.localAddr ?? ["0.0.0.0", 0];
  const remote = options.remoteAddr;
  if (remote !== undefined && remote !== null) {
    const [, port] = remote;
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new RtpVideoError("BAD_OPTION", `bad remote port ${port}`);
    }
  }
  return bindUdpPair(local, options.rtcpMux ?? false, options.random);
}
