import type { RemoteInfo } from "node:dgram";
import type { Observable, SchedulerLike, Subscription } from "rxjs";
import { asyncScheduler, Subject } from "rxjs";
import { RtpVideoError } from "../errors.js";
import { compactNtp, compactNtpFromMs, ntpFromMs, roundTripTimeMs } from "../rtcp/ntp.js";

import { parseRtcp } from "../rtcp/parse.js";
import { ReceptionStats } from "../rtcp/reception-stats.js";
import { serializeRtcp } from "../rtcp/serialize.js";
import type { ReportBlock, RtcpPacket, RtcpParseErrorCode } from "../rtcp/types.js";
import { type RtpPacket, type RtpParseErrorCode, serializeRtpPacket } from "../rtp/rtp-packet.js";
import { RtpPacketView } from "../rtp/rtp-packet-view.js";
import { SourceLatch } from "./source-latch.js";
import { type Address, bindUdpPair, type PortRange, type UdpPair } from "./udp-pair.js";

/**
 * SENT_SRS is how many of our SRs a report's LSR may echo (RFC 3550 §6.4.1): at the RTCP
 * intervals used here (≥ 1 s) a peer's report answers one of the last few.
 */
const SENT_SRS = 16;

/**
 * LONE_SOURCE_HOLD_MS: a first source that sends fewer packets than the probation, alone, in
 * sequence and with one SSRC, is accepted after this wait (not confirmed; see SourceLatch).
 */
const LONE_SOURCE_HOLD_MS = 100;
/** MAX_HELD_RTCP bounds the RTCP compounds held before any RTP source is known. */
const MAX_HELD_RTCP = 4;

interface HeldRtcp {
  readonly host: string;
  readonly port: number;
  readonly packets: readonly RtcpPacket[];
  readonly errors: readonly RtcpParseErrorCode[];
}

/** RtpSessionOptions are the transport options every RTP session takes. */
export interface RtpSessionOptions {
  /** localAddr to bind RTP to; RTCP takes the next port unless rtcpMux. Default ["0.0.0.0", 0]. */
  readonly localAddr?: Address;
  /**
   * localPortRange: with local port 0, the RTP port is drawn at random among the even ports of
   * this range (RTCP on the next one), so a session's port cannot be guessed from another's.
   * Default: random in 20000..59999. A range without an even/odd pair in 1024..65535 throws
   * `BAD_OPTION`; no free pair in 64 draws throws `PORT_UNAVAILABLE`.
   */
  readonly localPortRange?: PortRange;
  /** remoteAddr to send RTP to (RTCP to its port + 1 unless rtcpMux); null or absent: learn it. */
  readonly remoteAddr?: Address | null;
  /** rtcpRemoteAddr overrides where RTCP is sent (SDP `a=rtcp`, RFC 3605); default remote + 1. */
  readonly rtcpRemoteAddr?: Address;
  /** rtcpMux carries RTCP on the RTP port (RFC 5761). Default false. */
  readonly rtcpMux?: boolean;
  /**
   * symmetric latches onto the address media really comes from (and sends there), with the
   * rules of `expectedSource`, `probationPackets` and `latchTimeoutMs`; packets from any other
   * address are dropped and counted in `foreignSource`. Default true. With symmetric false and a
   * remoteAddr, only packets from exactly remoteAddr (RTCP: the RTCP remote) are accepted and the
   * session never latches: what a session to a receive-only participant (one that sends us no
   * media, SDP `recvonly` on its side) should use.
   */
  readonly symmetric?: boolean;
  /**
   * expectedSource is where the remote's RTP comes from as signalled (SDP `c=`/`m=`, or
   * configuration), when known: accepted at once, and media from any other address is refused
   * while it is live (heard within `latchTimeoutMs`; it counts as live from the session's start).
   * Without it, `remoteAddr` is preferred (accepted at once, takes the stream back when heard) but
   * not waited for, so a remote behind NAT is learned. Default: none.
   */
  readonly expectedSource?: Address;
  /** expectedRtcpSource is where the remote's RTCP comes from; default expectedSource's port + 1
   * (its port with rtcpMux). */
  readonly expectedRtcpSource?: Address;
  /**
   * probationPackets is how many packets in sequence, from one address and with one SSRC, a new
   * source must send before it is accepted (held meanwhile and delivered once it is; Asterisk's
   * `strictrtp` probation). Default 4; an integer ≥ 1.
   */
  readonly probationPackets?: number;
  /**
   * latchTimeoutMs is the silence of the accepted source after which another (probationed)
   * source may replace it; the same for RTCP. Default 2000.
   */
  readonly latchTimeoutMs?: number;
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
  /**
   * datagrams from an address other than the accepted source (RTP/RTCP injection, a flood, or a
   * new source still on probation), not delivered; never counted in `lost` or jitter.
   */
  foreignSource: number;
  /** sourceChanges counts the accepted RTP source moving from one address to another. */
  sourceChanges: number;
  /** RTP packets with a payload type this session does not take, dropped. */
  wrongPayloadType: number;
  /** RTCP compound packets received. */
  rtcpPackets: number;
  /** RTCP compound packets sent. */
  rtcpSent: number;
  /** send errors of the socket (e.g. ICMP unreachable), counted and otherwise ignored. */
  sendErrors: number;
}

/**
 * SourceStats are a session's security counters, in its stats: what came from elsewhere than the
 * accepted source, and what did not parse. None of it is in `lost` or jitter.
 */
export interface SourceStats {
  /** foreignSource: datagrams from another address than the accepted source, not delivered. */
  readonly foreignSource: number;
  /** sourceChanges: times the accepted RTP source moved to another address. */
  readonly sourceChanges: number;
  /** malformed: RTP and RTCP datagrams from the accepted source that did not parse. */
  readonly malformed: number;
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
    sourceChanges: 0,
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
  private symmetric: boolean;
  private fixedRemote: Address | undefined;
  private fixedRtcp: Address | undefined;
  private rtpTarget: Address | undefined;
  private rtcpTarget: Address | undefined;
  private expectedSource: Address | undefined;
  private expectedRtcpSource: Address | undefined;
  private rtpLatch!: SourceLatch<RtpPacket>;
  private rtcpLatch!: SourceLatch<never>;
  private readonly probationPackets: number;
  private readonly latchTimeoutMs: number;
  private loneTimer: Subscription | undefined;
  private heldRtcp: HeldRtcp[] = [];
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
    this.probationPackets = options.probationPackets ?? 4;
    this.latchTimeoutMs = options.latchTimeoutMs ?? 2000;
    const remote = options.remoteAddr ?? undefined;
    this.rtpTarget = remote;
    this.rtcpTarget =
      remote === undefined
        ? undefined
        : this.rtcpMux
          ? remote
          : (options.rtcpRemoteAddr ?? [remote[0], remote[1] + 1]);
    this.fixedRemote = remote;
    this.fixedRtcp = this.rtcpTarget;
    this.expectedSource = options.expectedSource;
    this.expectedRtcpSource =
      options.expectedRtcpSource ??
      (options.expectedSource === undefined ? undefined : this.rtcpNextTo(options.expectedSource));
    this.resetLatches();
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
    this.fixedRemote = this.rtpTarget;
    this.fixedRtcp = this.rtcpTarget;
    this.resetLatches();
  }

  /**
   * setExpectedSource sets where the remote's media is signalled to come from (see the
   * `expectedSource` option), e.g. from a new SDP; null: none. Latching starts afresh.
   */
  setExpectedSource(source: Address | null, rtcpSource?: Address): void {
    this.expectedSource = source ?? undefined;
    this.expectedRtcpSource = rtcpSource ?? (source === null ? undefined : this.rtcpNextTo(source));
    this.resetLatches();
  }

  /** sourceStats are the security counters of `transport`, summed for the session's stats. */
  protected sourceStats(): SourceStats {
    const t = this.transport;
    let malformed = 0;
    for (const n of Object.values(t.malformedRtp)) malformed += n;
    for (const n of Object.values(t.malformedRtcp)) malformed += n;
    return { foreignSource: t.foreignSource, sourceChanges: t.sourceChanges, malformed };
  }

  /**
   * setSymmetric switches latching on or off (see the `symmetric` option), e.g. when a re-INVITE
   * makes the remote receive-only (off) or sending again (on). Latching starts afresh.
   */
  setSymmetric(on: boolean): void {
    this.symmetric = on;
    this.resetLatches();
  }

  /** latchedSource is the address RTP is accepted from now, if any (see `symmetric`). */
  get latchedSource(): Address | undefined {
    return this.symmetric ? this.rtpLatch.source : this.fixedRemote;
  }

  /** close stops timers and closes the sockets; calling it again does nothing. */
  close(reason = "closed"): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.rtcpTimer?.unsubscribe();
    this.loneTimer?.unsubscribe();
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
  /**
   * isRepairPayloadType: packets of this payload type repair another stream (RTX, RFC 4588)
   * and carry their own SSRC and sequence numbers, so they take no part in latching: taken only
   * from the accepted source (delivered to `onRtp`), never counted towards a probation.
   */
  protected isRepairPayloadType(_pt: number): boolean {
    return false;
  }
  /**
   * onRtp takes one accepted RTP packet and the datagram it was parsed from (the bytes as
   * received; for a packet held on probation and released later, the same bytes), and the time
   * it is delivered (`scheduler.now()`, read once per datagram).
   */
  protected abstract onRtp(packet: RtpPacket, datagram: Uint8Array, nowMs: number): void;
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
    const ntpTime = ntpFromMs(now);
    if (info !== undefined) this.noteSentSr(compactNtp(ntpTime));
    const head: RtcpPacket =
      info === undefined
        ? { type: "rr", ssrc: this.ssrc, reports }
        : {
            type: "sr",
            ssrc: this.ssrc,
            ntpTime,
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
    if (!this.symmetric) {
      if (this.isForeignFixed(rinfo, isRtcp)) {
        this.transport.foreignSource++;
        return;
      }
      if (isRtcp) {
        const { packets, errors } = parseRtcp(msg);
        this.countRtcpErrors(errors);
        this.processRtcp(packets);
        return;
      }
      const parsed = this.parseAccepted(msg);
      if (parsed !== undefined) this.onRtp(parsed, msg, this.scheduler.now());
      return;
    }
    if (isRtcp) this.onLatchedRtcp(msg, rinfo);
    else this.onLatchedRtp(msg, rinfo);
  }

  /** parseAccepted parses RTP from the accepted source, counting what is malformed or unwanted. */
  private parseAccepted(msg: Uint8Array): RtpPacket | undefined {
    const parsed = RtpPacketView.parse(msg);
    if (typeof parsed === "string") {
      this.transport.malformedRtp[parsed] = (this.transport.malformedRtp[parsed] ?? 0) + 1;
      return undefined;
    }
    if (!this.acceptsPayloadType(parsed.payloadType)) {
      this.transport.wrongPayloadType++;
      return undefined;
    }
    return parsed;
  }

  private onLatchedRtp(msg: Uint8Array, rinfo: RemoteInfo): void {
    const latch = this.rtpLatch;
    const { address, port } = rinfo;
    const now = this.scheduler.now();
    let parsed: RtpPacket | undefined;
    if (latch.isAccepted(address, port)) {
      // the accepted source (every packet of a call but its first few): no verdict to judge
      parsed = this.parseAccepted(msg);
      if (parsed === undefined) return;
      if (!this.isRepairPayloadType(parsed.payloadType))
        latch.heard(parsed.ssrc, parsed.sequenceNumber, now);
      this.onRtp(parsed, msg, now);
      return;
    } else {
      // another source: counted now; taken back out of the count if it is delivered later
      this.transport.foreignSource++;
      if (!latch.mayChange(now) && !this.isAt(this.expectedRtpAddr(), address, port)) return;
      const p = RtpPacketView.parse(msg);
      if (typeof p !== "string" && this.isRepairPayloadType(p.payloadType)) return;
      if (typeof p === "string" || !this.acceptsPayloadType(p.payloadType)) {
        latch.spoil(address, port);
        return;
      }
      parsed = p;
    }
    const v = latch.offer(address, port, parsed.ssrc, parsed.sequenceNumber, now, parsed);
    if (v.kind === "accept") {
      this.onRtp(parsed, msg, now);
    } else if (v.kind === "latched") {
      this.transport.foreignSource -= v.held.length + 1;
      this.rtpLatched([address, port], v.changed);
      for (const p of v.held) this.onRtp(p, this.heldDatagram(p), now);
      this.onRtp(parsed, msg, now);
      this.replayHeldRtcp();
    } else if (v.kind === "probation") {
      this.heldDatagrams.set(parsed, msg);
      this.scheduleLoneRelease();
    }
  }

  private onLatchedRtcp(msg: Uint8Array, rinfo: RemoteInfo): void {
    const latch = this.rtcpLatch;
    const { address, port } = rinfo;
    const now = this.scheduler.now();
    const known =
      latch.isAccepted(address, port) || this.isAt(this.expectedRtcpAddr(), address, port);
    if (!known && !latch.mayChange(now)) {
      this.transport.foreignSource++;
      return;
    }
    const { packets, errors } = parseRtcp(msg);
    if (packets.length === 0) {
      if (known) this.countRtcpErrors(errors);
      else this.transport.foreignSource++;
      return;
    }
    const v = latch.admitProven(address, port, now, known || this.provesRtcp(packets));
    if (v.kind === "foreign") {
      this.transport.foreignSource++;
      // before any RTP source is known, keep a few: RTCP may come first (ffmpeg sends an SR
      // before its first RTP packet); replayed if its RTP source gets accepted and it names it
      if (this.rtpLatch.source === undefined) {
        if (this.heldRtcp.length >= MAX_HELD_RTCP) this.heldRtcp.shift();
        this.heldRtcp.push({ host: address, port, packets, errors });
      }
      return;
    }
    if (v.kind === "latched") this.rtcpTarget = [address, port];
    this.countRtcpErrors(errors);
    this.processRtcp(packets);
  }

  /** isForeignFixed is true, without symmetric RTP, for a datagram not from the remote. */
  private isForeignFixed(rinfo: RemoteInfo, rtcp: boolean): boolean {
    const fixed = rtcp ? this.fixedRtcp : this.fixedRemote;
    if (fixed === undefined) return false;
    return rinfo.address !== fixed[0] || rinfo.port !== fixed[1];
  }

  /** rtpLatched makes the newly accepted RTP source the remote (symmetric RTP, RFC 4961). */
  private rtpLatched(source: Address, changed: boolean): void {
    if (changed) this.transport.sourceChanges++;
    this.rtpTarget = source;
    // until RTCP itself arrives (or when the source moved), answer RTCP where RFC 3550 §11 puts
    // it: next to RTP
    if (this.rtcpLatch.source === undefined || changed) this.rtcpTarget = this.rtcpNextTo(source);
  }

  /**
   * replayHeldRtcp delivers the RTCP held before any RTP source was known, when it came from the
   * host of the RTP source just accepted and names its SSRC.
   */
  private replayHeldRtcp(): void {
    const source = this.rtpLatch.source;
    const held = this.heldRtcp.splice(0);
    if (source === undefined) return;
    for (const h of held) {
      if (h.host !== source[0] || !this.provesRtcp(h.packets)) continue;
      const v = this.rtcpLatch.admitProven(h.host, h.port, this.scheduler.now(), true);
      if (v.kind === "foreign") continue;
      if (v.kind === "latched") this.rtcpTarget = [h.host, h.port];
      this.transport.foreignSource--;
      this.countRtcpErrors(h.errors);
      this.processRtcp(h.packets);
    }
  }

  /**
   * provesRtcp: an RTCP compound from a new address is believed only when it names an SSRC an
   * off-path sender cannot know: ours in a report block or feedback, or the SSRC of the RTP
   * source accepted.
   */
  private provesRtcp(packets: readonly RtcpPacket[]): boolean {
    const theirs = this.remoteSsrc;
    for (const p of packets) {
      if (p.type === "sr" || p.type === "rr") {
        if (p.ssrc === theirs || p.reports.some((b) => b.ssrc === this.ssrc)) return true;
      } else if (p.type === "nack" || p.type === "pli") {
        if (p.mediaSsrc === this.ssrc) return true;
      } else if (p.type === "fir") {
        if (p.entries.some((e) => e.ssrc === this.ssrc)) return true;
      }
    }
    return false;
  }

  /** heldDatagrams: the datagram of each packet held on probation (they die with the packet). */
  private readonly heldDatagrams = new WeakMap<RtpPacket, Uint8Array>();

  /** heldDatagram is the datagram a held packet was parsed from (rebuilt if not known). */
  private heldDatagram(p: RtpPacket): Uint8Array {
    return this.heldDatagrams.get(p) ?? serializeRtpPacket(p);
  }

  private scheduleLoneRelease(): void {
    if (this.loneTimer !== undefined) return;
    this.loneTimer = this.scheduler.schedule(() => {
      this.loneTimer = undefined;
      if (this.isClosed) return;
      const held = this.rtpLatch.releaseLone(this.scheduler.now(), LONE_SOURCE_HOLD_MS);
      const source = this.rtpLatch.source;
      if (held === undefined || source === undefined) {
        if (this.rtpLatch.source === undefined && this.rtpLatch.pending > 0) {
          this.scheduleLoneRelease();
        }
        return;
      }
      this.transport.foreignSource -= held.length;
      this.rtpLatched(source, false);
      const now = this.scheduler.now();
      for (const p of held) this.onRtp(p, this.heldDatagram(p), now);
      this.replayHeldRtcp();
    }, LONE_SOURCE_HOLD_MS);
  }

  private resetLatches(): void {
    const now = this.scheduler.now();
    const strict = this.expectedSource !== undefined;
    const common = {
      strict,
      probationPackets: this.probationPackets,
      timeoutMs: this.latchTimeoutMs,
      nowMs: now,
    };
    this.rtpLatch = new SourceLatch<RtpPacket>({ ...common, expected: this.expectedRtpAddr() });
    this.rtcpLatch = new SourceLatch<never>({
      ...common,
      strict: strict || this.expectedRtcpSource !== undefined,
      expected: this.expectedRtcpAddr(),
    });
    this.loneTimer?.unsubscribe();
    this.loneTimer = undefined;
    this.heldRtcp = [];
  }

  /** expectedRtpAddr is the expected source, else the configured remote (preferred, not awaited). */
  private expectedRtpAddr(): Address | undefined {
    return this.expectedSource ?? this.fixedRemote;
  }

  private expectedRtcpAddr(): Address | undefined {
    return (
      this.expectedRtcpSource ?? (this.expectedSource === undefined ? this.fixedRtcp : undefined)
    );
  }

  private rtcpNextTo(source: Address): Address {
    return this.rtcpMux ? source : [source[0], source[1] + 1];
  }

  private isAt(a: Address | undefined, host: string, port: number): boolean {
    return a !== undefined && a[0] === host && a[1] === port;
  }

  private countRtcpErrors(errors: readonly RtcpParseErrorCode[]): void {
    for (const e of errors)
      this.transport.malformedRtcp[e] = (this.transport.malformedRtcp[e] ?? 0) + 1;
  }

  /** the compact NTP times (RFC 3550 §6.4.1 LSR) of the last SENT_SRS SRs we sent. */
  private readonly sentSrs = new Uint32Array(SENT_SRS);
  private sentSrCount = 0;

  private noteSentSr(compact: number): void {
    this.sentSrs[this.sentSrCount % SENT_SRS] = compact >>> 0;
    this.sentSrCount++;
  }

  /** sentSr tells whether `lsr` is the compact NTP time of one of our last SRs. */
  private sentSr(lsr: number): boolean {
    if (lsr === 0) return false;
    const n = Math.min(this.sentSrCount, SENT_SRS);
    for (let i = 0; i < n; i++) if (this.sentSrs[i] === lsr >>> 0) return true;
    return false;
  }

  private processRtcp(packets: readonly RtcpPacket[]): void {
    if (packets.length === 0) return;
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
            // only an LSR that echoes one of our SRs gives a round-trip time: a forged or
            // garbled report must not set it (a huge RTT would switch NACKs off)
            rttMs: this.sentSr(b.lastSr) ? roundTripTimeMs(b, compactNtpFromMs(now)) : undefined,
            atMs: now,
          };
        }
      }
      this.onFeedback(p);
      this.rtcpSubject.next(p);
    }
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
  const n = options.probationPackets;
  if (n !== undefined && (!Number.isInteger(n) || n < 1 || n > 1000)) {
    throw new RtpVideoError(
      "BAD_OPTION",
      `probationPackets must be an integer in 1..1000, not ${n}`,
    );
  }
  const t = options.latchTimeoutMs;
  if (t !== undefined && (!Number.isFinite(t) || t < 0)) {
    throw new RtpVideoError("BAD_OPTION", `latchTimeoutMs must be ≥ 0, not ${t}`);
  }
  const remote = options.remoteAddr;
  if (remote !== undefined && remote !== null) {
    const [, port] = remote;
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new RtpVideoError("BAD_OPTION", `bad remote port ${port}`);
    }
  }
  return bindUdpPair(local, options.rtcpMux ?? false, options.random, options.localPortRange);
}
