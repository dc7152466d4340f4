/**
 * ImpairProxy: a UDP impairment proxy for integration tests, on 127.0.0.1 only.
 *
 *        A (sender)                      proxy                          B (receiver)
 *   RTP  ──────────▶ aPort   ──[loss, dup, reorder, jitter]──▶ bPort ──────────▶ target
 *   RTCP ──────────▶ aPort+1 ─────────── (as is) ──────────── bPort+1 ─────────▶ target+1
 *   RTCP ◀────────── aPort+1 ◀────────── (as is) ──────────── bPort+1 ◀───────── B (feedback)
 *   RTP  ◀────────── aPort   ◀────────── (as is) ──────────── bPort   ◀───────── B
 *
 * A is given `remoteAddr = ["127.0.0.1", proxy.aPort]`; the proxy forwards to `target` (B's
 * RTP port; RTCP to the next port unless `targetRtcp` is given, or to wherever B's RTCP comes
 * from once it has sent some). B latches onto bPort / bPort+1 (symmetric RTP), so its RTCP
 * feedback (RR, NACK, PLI) comes back to the proxy, which relays it to the address A's
 * RTCP came from (or, before A has sent any RTCP, to A's RTP address + 1, RFC 3550 §11).
 * Both directions of both legs are relayed; only forward RTP is impaired.
 *
 * Forward RTP goes through three stages, each with its own PRNG stream derived from the seed
 * (test-support's `prng`) and a fixed number of draws per datagram whatever the settings, so
 * whether the n-th datagram in is dropped, duplicated or held back depends only on the seed and
 * n, not on timing (the jitter draws follow the order datagrams leave stage 2):
 *
 *  1. loss — each datagram is dropped with probability `loss`; a survivor is duplicated with
 *     probability `duplicate` (the copy follows the original into stage 2 as its own datagram).
 *  2. reorder — each datagram is held back with probability `reorder`, until 1..`reorderDepth`
 *     (uniform) datagrams that came in after it have left this stage, or `reorderHoldMs` has
 *     passed, whichever is first. Every datagram that leaves the stage (held ones included)
 *     counts against each datagram held before it, so no datagram ends up behind more than
 *     `reorderDepth` datagrams that came in after it: the stage is the only source of
 *     reordering, and its displacement is bounded by `reorderDepth`.
 *  3. jitter — each datagram gets an extra delay drawn uniformly from [0, jitterMs], but the
 *     queue is FIFO: a datagram leaves at max(its own due time, the previous datagram's
 *     departure). Jitter therefore never reorders. Independent per-packet delays would reorder
 *     any two packets sent less than `jitterMs` apart (every packet of a keyframe burst), which
 *     would make the reorder setting meaningless; the price of the FIFO is that delays within a
 *     burst are correlated (a packet waits behind a slower predecessor), so the delay
 *     distribution is skewed above uniform and the interarrival jitter a receiver measures is
 *     a little lower than J/2 per packet would suggest. Held-back packets in stage 2 wait for
 *     later packets (at most `reorderHoldMs`), so their delay is that wait plus their jitter.
 *
 * With `jitterReorders` (off by default), stage 3 draws the same delays but each datagram leaves
 * at its own due time, as netem's jitter does: datagrams sent closer together than the jitter
 * overtake each other (every burst is reordered), the reordering real jitter causes.
 *
 * `setImpairment` changes the settings at runtime: what is already in stage 3 keeps its
 * departure time (new datagrams queue behind it, so order is kept); turning `reorder` to 0
 * releases the held datagrams at once, in order. Queues are bounded (`maxQueue` datagrams in
 * stage 3, `maxHeld` in stage 2); an overflow is counted and the datagram dropped (stage 3) or
 * not held (stage 2). `close()` clears the timers, drops what is queued and closes the sockets.
 */
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { performance } from "node:perf_hooks";
import { prng } from "@framewire/test-support";

/** Address is a host and a UDP port. */
export type ProxyAddress = readonly [host: string, port: number];

/** Impairment of the forward RTP path. */
export interface Impairment {
  /** loss probability of each datagram, 0..1. */
  readonly loss: number;
  /** duplicate probability of each surviving datagram, 0..1. */
  readonly duplicate: number;
  /** reorder probability: the chance that a datagram is held back, 0..1. */
  readonly reorder: number;
  /** reorderDepth N: a held datagram leaves behind at most N later ones (uniform 1..N). */
  readonly reorderDepth: number;
  /** jitterMs J: extra delay uniform in [0, J] ms, order-preserving (see the file comment). */
  readonly jitterMs: number;
}

/** NO_IMPAIRMENT forwards everything at once and in order. */
export const NO_IMPAIRMENT: Impairment = {
  loss: 0,
  duplicate: 0,
  reorder: 0,
  reorderDepth: 0,
  jitterMs: 0,
};

/** ProxyLeg names a socket pair side. */
export type ProxyLeg = "rtp" | "rtcp";
/** ProxyDirection: forward is A→B, reverse is B→A. */
export type ProxyDirection = "forward" | "reverse";

/** ProxyTapEvent describes one datagram as the proxy received it (before any impairment). */
export interface ProxyTapEvent {
  readonly leg: ProxyLeg;
  readonly direction: ProxyDirection;
  readonly data: Uint8Array;
  /** atMs is performance.now() at reception. */
  readonly atMs: number;
}

/** ImpairProxyOptions configure an ImpairProxy. */
export interface ImpairProxyOptions {
  /** target is B's RTP address (127.0.0.1). */
  readonly target: ProxyAddress;
  /** targetRtcp is B's RTCP address until B sends RTCP; default target port + 1. */
  readonly targetRtcp?: ProxyAddress;
  /** seed of the PRNG. */
  readonly seed: number;
  /** impairment at start; default none. */
  readonly impairment?: Partial<Impairment>;
  /** reorderHoldMs bounds how long a held datagram waits for later ones; default 50. */
  readonly reorderHoldMs?: number;
  /** maxQueue bounds the jitter queue (datagrams); default 4096. */
  readonly maxQueue?: number;
  /** maxHeld bounds the datagrams held back at once; default 64. */
  readonly maxHeld?: number;
  /** maxRecorded bounds the recorded sequence-number lists; default 65536. */
  readonly maxRecorded?: number;
  /** tap sees every datagram the proxy receives, before impairment (synchronously). */
  readonly tap?: (event: ProxyTapEvent) => void;
  /**
   * jitterReorders gives each datagram its own jitter delay, independent of the others (netem
   * style), so jitter reorders; default false (order-preserving FIFO jitter, see above).
   */
  readonly jitterReorders?: boolean;
  /**
   * reverseRtcpTo is where B's RTCP is relayed to, instead of where A's RTCP came from (a peer
   * such as gst-launch sends its RTCP from another socket than the one it receives RTCP on).
   */
  readonly reverseRtcpTo?: ProxyAddress;
}

/** ImpairCounts count what the proxy did. */
export interface ImpairCounts {
  /** forward RTP datagrams received from A. */
  rtpIn: number;
  /** forward RTP datagrams sent to B (duplicates included). */
  rtpOut: number;
  /** forward RTP datagrams dropped by the loss setting. */
  dropped: number;
  /** RTP sequence numbers of the dropped datagrams, in order (bounded by maxRecorded). */
  droppedSeqs: number[];
  /** datagrams duplicated (one extra copy each). */
  duplicated: number;
  /** RTP sequence numbers of the duplicated datagrams (bounded). */
  duplicatedSeqs: number[];
  /** datagrams held back by the reorder setting. */
  heldBack: number;
  /** held datagrams that left behind at least one datagram that came in after them. */
  reordered: number;
  /** RTP sequence numbers of the reordered datagrams (bounded). */
  reorderedSeqs: number[];
  /** largest number of later datagrams one datagram was overtaken by. */
  maxDisplacement: number;
  /** datagrams that waited in the jitter queue (delay > 0). */
  delayed: number;
  /** datagrams dropped because the jitter queue was full. */
  overflow: number;
  /** datagrams not held back because maxHeld were held already. */
  holdRefused: number;
  /** forward RTCP datagrams relayed A→B. */
  rtcpForward: number;
  /** reverse RTCP datagrams relayed B→A. */
  rtcpReverse: number;
  /** reverse RTP datagrams relayed B→A. */
  rtpReverse: number;
  /** reverse datagrams dropped because A's address was not known yet. */
  unroutable: number;
  /** socket send errors. */
  sendErrors: number;
}

interface Held {
  readonly data: Uint8Array;
  readonly index: number;
  remaining: number;
  passed: number;
  timer: NodeJS.Timeout | undefined;
}

interface Queued {
  readonly data: Uint8Array;
  readonly due: number;
}

const LOCALHOST = "127.0.0.1";

/**
 * ImpairProxy relays RTP and RTCP between two RTP sessions on 127.0.0.1 and impairs forward RTP
 * with seeded loss, duplication, bounded reordering and order-preserving jitter.
 */
export class ImpairProxy {
  /** aPort is the RTP port A sends to (RTCP: aPort + 1). */
  readonly aPort: number;
  /** bPort is the RTP port the proxy sends to B from (RTCP: bPort + 1). */
  readonly bPort: number;
  /** counts are live counters. */
  readonly counts: ImpairCounts = {
    rtpIn: 0,
    rtpOut: 0,
    dropped: 0,
    droppedSeqs: [],
    duplicated: 0,
    duplicatedSeqs: [],
    heldBack: 0,
    reordered: 0,
    reorderedSeqs: [],
    maxDisplacement: 0,
    delayed: 0,
    overflow: 0,
    holdRefused: 0,
    rtcpForward: 0,
    rtcpReverse: 0,
    rtpReverse: 0,
    unroutable: 0,
    sendErrors: 0,
  };
  private impairment: Impairment;
  // one PRNG stream per stage, so that the loss pattern does not depend on when hold timers fire
  private readonly lossRandom: () => number;
  private readonly reorderRandom: () => number;
  private readonly jitterRandom: () => number;
  private readonly a: SocketPair;
  private readonly b: SocketPair;
  private readonly target: ProxyAddress;
  private readonly targetRtcp: ProxyAddress;
  private readonly reorderHoldMs: number;
  private readonly maxQueue: number;
  private readonly maxHeld: number;
  private readonly maxRecorded: number;
  private readonly tap: ((event: ProxyTapEvent) => void) | undefined;
  private readonly jitterReorders: boolean;
  private readonly reverseRtcpTo: ProxyAddress | undefined;
  private readonly jitterTimers = new Set<NodeJS.Timeout>();
  private aRtpPeer: ProxyAddress | undefined;
  private aRtcpPeer: ProxyAddress | undefined;
  private bRtcpPeer: ProxyAddress | undefined;
  private arrivals = 0;
  private readonly held: Held[] = [];
  private readonly queue: Queued[] = [];
  private queueHead = 0;
  private lastDeparture = 0;
  private queueTimer: NodeJS.Timeout | undefined;
  private closed = false;

  /** open binds two even/odd port pairs on 127.0.0.1 and starts relaying. */
  static async open(options: ImpairProxyOptions): Promise<ImpairProxy> {
    if (options.target[0] !== LOCALHOST) throw new Error("ImpairProxy: target must be 127.0.0.1");
    checked({ ...NO_IMPAIRMENT, ...options.impairment });
    const a = await bindPair();
    let b: SocketPair;
    try {
      b = await bindPair();
    } catch (e) {
      await closePair(a);
      throw e;
    }
    return new ImpairProxy(a, b, options);
  }

  private constructor(a: SocketPair, b: SocketPair, options: ImpairProxyOptions) {
    this.a = a;
    this.b = b;
    this.aPort = a.port;
    this.bPort = b.port;
    this.target = options.target;
    this.targetRtcp = options.targetRtcp ?? [options.target[0], options.target[1] + 1];
    this.lossRandom = prng(options.seed);
    this.reorderRandom = prng((options.seed ^ 0x9e3779b9) >>> 0);
    this.jitterRandom = prng((options.seed + 0x7f4a7c15) >>> 0);
    this.impairment = checked({ ...NO_IMPAIRMENT, ...options.impairment });
    this.reorderHoldMs = options.reorderHoldMs ?? 50;
    this.maxQueue = options.maxQueue ?? 4096;
    this.maxHeld = options.maxHeld ?? 64;
    this.maxRecorded = options.maxRecorded ?? 65536;
    this.tap = options.tap;
    this.jitterReorders = options.jitterReorders ?? false;
    this.reverseRtcpTo = options.reverseRtcpTo;
    a.rtp.on("message", (m, r) => this.onForwardRtp(m, r));
    a.rtcp.on("message", (m, r) => this.onForwardRtcp(m, r));
    b.rtp.on("message", (m) => this.onReverseRtp(m));
    b.rtcp.on("message", (m, r) => this.onReverseRtcp(m, r));
    for (const s of [a.rtp, a.rtcp, b.rtp, b.rtcp]) s.on("error", () => this.counts.sendErrors++);
  }

  /** current returns the impairment in force. */
  get current(): Impairment {
    return this.impairment;
  }

  /** setImpairment changes (part of) the impairment; `setImpairment(NO_IMPAIRMENT)` ends it. */
  setImpairment(change: Partial<Impairment>): void {
    this.impairment = checked({ ...this.impairment, ...change });
    if (this.impairment.reorder === 0 || this.impairment.reorderDepth === 0) this.releaseAllHeld();
  }

  /** queued is how many forward datagrams wait in the proxy (held + jitter queue). */
  get queued(): number {
    return this.held.length + this.queue.length - this.queueHead + this.jitterTimers.size;
  }

  /** close stops relaying, drops what is queued and closes the sockets. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const h of this.held) clearTimeout(h.timer);
    this.held.length = 0;
    clearTimeout(this.queueTimer);
    for (const t of this.jitterTimers) clearTimeout(t);
    this.jitterTimers.clear();
    this.queue.length = 0;
    this.queueHead = 0;
    await Promise.all([closePair(this.a), closePair(this.b)]);
  }

  // -- forward RTP: loss → duplicate → reorder → jitter ---------------------------------------

  private onForwardRtp(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.closed) return;
    this.aRtpPeer = [rinfo.address, rinfo.port];
    this.counts.rtpIn++;
    const data = new Uint8Array(msg);
    this.tap?.({ leg: "rtp", direction: "forward", data, atMs: performance.now() });
    const imp = this.impairment;
    // a fixed number of draws per datagram, whatever the settings, so that changing one setting
    // does not shift the PRNG sequence seen by the others
    const rLoss = this.lossRandom();
    const rDup = this.lossRandom();
    if (rLoss < imp.loss) {
      this.counts.dropped++;
      this.record(this.counts.droppedSeqs, data);
      return;
    }
    this.reorderStage(data);
    if (rDup < imp.duplicate) {
      this.counts.duplicated++;
      this.record(this.counts.duplicatedSeqs, data);
      this.reorderStage(data);
    }
  }

  private reorderStage(data: Uint8Array): void {
    const index = this.arrivals++;
    const imp = this.impairment;
    const rHold = this.reorderRandom();
    const rDepth = this.reorderRandom();
    if (rHold < imp.reorder && imp.reorderDepth > 0) {
      if (this.held.length >= this.maxHeld) {
        this.counts.holdRefused++;
      } else {
        const h: Held = {
          data,
          index,
          remaining: 1 + Math.floor(rDepth * imp.reorderDepth),
          passed: 0,
          timer: undefined,
        };
        h.timer = setTimeout(() => this.release(h), this.reorderHoldMs);
        this.held.push(h);
        this.counts.heldBack++;
        return;
      }
    }
    this.leaveReorderStage(data, index);
  }

  /** leaveReorderStage passes a datagram on; it overtakes every datagram held before it. */
  private leaveReorderStage(data: Uint8Array, index: number): void {
    this.jitterStage(data);
    if (this.held.length === 0) return;
    const due: Held[] = [];
    for (const h of this.held) {
      if (h.index >= index) continue;
      h.passed++;
      h.remaining--;
      if (h.remaining <= 0) due.push(h);
    }
    // oldest first (release() skips one that a nested release already let go)
    for (const h of due) this.release(h);
  }

  private release(h: Held): void {
    const i = this.held.indexOf(h);
    if (i < 0 || this.closed) return;
    this.held.splice(i, 1);
    clearTimeout(h.timer);
    if (h.passed > 0) {
      this.counts.reordered++;
      this.record(this.counts.reorderedSeqs, h.data);
      this.counts.maxDisplacement = Math.max(this.counts.maxDisplacement, h.passed);
    }
    this.leaveReorderStage(h.data, h.index);
  }

  private releaseAllHeld(): void {
    while (this.held.length > 0) this.release(this.held[0]!);
  }

  private jitterStage(data: Uint8Array): void {
    const rJitter = this.jitterRandom();
    const now = performance.now();
    if (this.jitterReorders) {
      const delay = rJitter * this.impairment.jitterMs;
      if (delay <= 0) {
        this.sendForward(data);
        return;
      }
      this.counts.delayed++;
      const t = setTimeout(() => {
        this.jitterTimers.delete(t);
        if (!this.closed) this.sendForward(data);
      }, delay);
      this.jitterTimers.add(t);
      return;
    }
    const due = Math.max(now + rJitter * this.impairment.jitterMs, this.lastDeparture);
    this.lastDeparture = due;
    const waiting = this.queue.length - this.queueHead;
    if (waiting === 0 && due <= now) {
      this.sendForward(data);
      return;
    }
    if (waiting >= this.maxQueue) {
      this.counts.overflow++;
      return;
    }
    this.counts.delayed++;
    this.queue.push({ data, due });
    if (waiting === 0) this.armQueue();
  }

  private armQueue(): void {
    const head = this.queue[this.queueHead];
    if (head === undefined || this.closed) return;
    clearTimeout(this.queueTimer);
    this.queueTimer = setTimeout(
      () => this.drainQueue(),
      Math.max(0, head.due - performance.now()),
    );
  }

  private drainQueue(): void {
    this.queueTimer = undefined;
    if (this.closed) return;
    const now = performance.now();
    // setTimeout may fire a fraction of a millisecond early: allow 0.5 ms
    while (this.queueHead < this.queue.length && this.queue[this.queueHead]!.due <= now + 0.5) {
      this.sendForward(this.queue[this.queueHead]!.data);
      this.queueHead++;
    }
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    } else if (this.queueHead > 1024) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    this.armQueue();
  }

  private sendForward(data: Uint8Array): void {
    this.counts.rtpOut++;
    this.send(this.b.rtp, data, this.target);
  }

  // -- the other legs: relayed as they come ---------------------------------------------------

  private onForwardRtcp(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.closed) return;
    this.aRtcpPeer = [rinfo.address, rinfo.port];
    const data = new Uint8Array(msg);
    this.tap?.({ leg: "rtcp", direction: "forward", data, atMs: performance.now() });
    this.counts.rtcpForward++;
    this.send(this.b.rtcp, data, this.bRtcpPeer ?? this.targetRtcp);
  }

  private onReverseRtp(msg: Buffer): void {
    if (this.closed) return;
    const data = new Uint8Array(msg);
    this.tap?.({ leg: "rtp", direction: "reverse", data, atMs: performance.now() });
    const to = this.aRtpPeer;
    if (to === undefined) {
      this.counts.unroutable++;
      return;
    }
    this.counts.rtpReverse++;
    this.send(this.a.rtp, data, to);
  }

  private onReverseRtcp(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.closed) return;
    this.bRtcpPeer = [rinfo.address, rinfo.port];
    const data = new Uint8Array(msg);
    this.tap?.({ leg: "rtcp", direction: "reverse", data, atMs: performance.now() });
    const rtp = this.aRtpPeer;
    const to =
      this.reverseRtcpTo ??
      this.aRtcpPeer ??
      (rtp === undefined ? undefined : [rtp[0], rtp[1] + 1]);
    if (to === undefined) {
      this.counts.unroutable++;
      return;
    }
    this.counts.rtcpReverse++;
    this.send(this.a.rtcp, data, to);
  }

  private send(socket: Socket, data: Uint8Array, to: ProxyAddress): void {
    if (this.closed) return;
    socket.send(data, to[1], to[0], (e) => {
      if (e) this.counts.sendErrors++;
    });
  }

  private record(list: number[], data: Uint8Array): void {
    if (list.length < this.maxRecorded && data.length >= 4) list.push((data[2]! << 8) | data[3]!);
  }
}

function checked(imp: Impairment): Impairment {
  for (const k of ["loss", "duplicate", "reorder"] as const) {
    const v = imp[k];
    if (!(v >= 0 && v <= 1)) throw new Error(`ImpairProxy: ${k} must be in 0..1`);
  }
  if (!Number.isInteger(imp.reorderDepth) || imp.reorderDepth < 0)
    throw new Error("ImpairProxy: reorderDepth must be an integer >= 0");
  if (!(imp.jitterMs >= 0)) throw new Error("ImpairProxy: jitterMs must be >= 0");
  return imp;
}

/** SocketPair is an RTP socket on an even port and an RTCP socket on the next one. */
export interface SocketPair {
  readonly rtp: Socket;
  readonly rtcp: Socket;
  readonly port: number;
}

function bindOne(port: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const s = createSocket({ type: "udp4" });
    s.once("error", () => {
      s.close();
      resolve(undefined);
    });
    s.bind({ port, address: LOCALHOST, exclusive: true }, () => {
      s.removeAllListeners("error");
      try {
        // a keyframe is a burst of ~100 datagrams: do not let the kernel drop them
        s.setRecvBufferSize(4 * 1024 * 1024);
        s.setSendBufferSize(4 * 1024 * 1024);
      } catch {
        // keep the default size
      }
      resolve(s);
    });
  });
}

/** bindPair binds an even port and the next one on 127.0.0.1 (bounded tries), 4 MiB buffers. */
export async function bindPair(): Promise<SocketPair> {
  for (let attempt = 0; attempt < 64; attempt++) {
    const port = 20000 + 2 * Math.floor(Math.random() * 20000);
    const rtp = await bindOne(port);
    if (rtp === undefined) continue;
    const rtcp = await bindOne(port + 1);
    if (rtcp !== undefined) return { rtp, rtcp, port };
    await closeSocket(rtp);
  }
  throw new Error("ImpairProxy: no free even/odd UDP port pair on 127.0.0.1 in 64 tries");
}

function closeSocket(s: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      s.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });
}

/** closePair closes both sockets of a pair (an already closed one is fine). */
export async function closePair(p: SocketPair): Promise<void> {
  await Promise.all([closeSocket(p.rtp), closeSocket(p.rtcp)]);
}
