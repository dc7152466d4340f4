import { type KeyframeStartTest, keyframeStartTest, RtpRewriter } from "@framewire/rtp-video";
import { PacketKeyframeCache } from "./packet-keyframe-cache.js";
import type { CutThroughStats, VideoPacketPort } from "./video-bridge-types.js";

/** FRAME_RING is how many frames a route remembers having forwarded (to report them on `forwarded$`). */
const FRAME_RING = 64;

/** EPOCH_STEP separates the rewriter source numbers of one source across re-gates of a route. */
const EPOCH_STEP = 0x100000;

/**
 * CutThroughSource is a source's side of cut-through forwarding: its packet seam, the number
 * that names it to the targets' rewriters, the timestamp of its newest packet (a new one is a
 * frame's first packet, where switching and gating are decided) and its cached keyframe packets.
 */
export class CutThroughSource {
  readonly port: VideoPacketPort;
  /** index names the source to the rewriters (unique in the bridge). */
  readonly index: number;
  readonly cache: PacketKeyframeCache;
  /** isStart tells a keyframe's first packet of the source's codec. */
  readonly isStart: KeyframeStartTest;
  /** lastTs is the RTP timestamp of the source's newest packet (-1: none yet). */
  lastTs = -1;
  /** fast: at the source's newest frame start, the bridge-wide conditions held (no decisive hook). */
  fast = false;
  /** off removes the packet listener. */
  off: (() => void) | undefined = undefined;

  constructor(port: VideoPacketPort, index: number) {
    this.port = port;
    this.index = index;
    this.isStart = keyframeStartTest(port.codec);
    this.cache = new PacketKeyframeCache(this.isStart);
  }
}

/**
 * CutThroughRoute is a target's side of cut-through forwarding: the `RtpRewriter` that maps the
 * packets of the source it receives onto the target's own stream, and its counters. When the
 * route missed packets of its source (paused, sent frames meanwhile, a failed send) it is
 * `broken`: the next packets of that source are gated again until a keyframe start
 * (`regate`), the sequence numbers running on.
 */
export class CutThroughRoute {
  readonly port: VideoPacketPort;
  readonly rewriter: RtpRewriter;
  packets = 0;
  broken = false;
  /** lastOutTs is the outgoing timestamp of the newest frame forwarded (-1: none). */
  lastOutTs = -1;
  private epoch = 0;
  /** the frames forwarded, newest last: source index, incoming and outgoing RTP timestamp. */
  private readonly ringSource = new Int32Array(FRAME_RING);
  private readonly ringIn = new Float64Array(FRAME_RING).fill(-1);
  private readonly ringOut = new Float64Array(FRAME_RING);
  private ringNext = 0;

  constructor(port: VideoPacketPort, keyframeGate: boolean, now: () => number) {
    this.port = port;
    this.rewriter = new RtpRewriter({
      ssrc: port.ssrc,
      payloadType: port.payloadType,
      codec: port.codec,
      clockRate: port.clockRate,
      keyframeGate,
      now,
    });
  }

  /** num is the rewriter's number of `source` now. */
  num(source: CutThroughSource): number {
    return source.index + this.epoch * EPOCH_STEP;
  }

  /** regate makes `source` (the one received) pass again only from its next keyframe start. */
  regate(source: CutThroughSource): void {
    this.broken = false;
    this.epoch++;
    this.rewriter.select(this.num(source));
  }

  /** record notes a frame of source `index` (incoming timestamp `inTs`) forwarded as `outTs`. */
  record(index: number, inTs: number, outTs: number): void {
    const i = this.ringNext;
    this.ringSource[i] = index;
    this.ringIn[i] = inTs;
    this.ringOut[i] = outTs;
    this.ringNext = (i + 1) % FRAME_RING;
  }

  /**
   * forwardedAs is the outgoing RTP timestamp of the frame of source `index` with incoming
   * timestamp `inTs`, when the route forwarded it (among its last FRAME_RING frames).
   */
  forwardedAs(index: number, inTs: number): number | undefined {
    for (let k = 1; k <= FRAME_RING; k++) {
      const i = (this.ringNext - k + FRAME_RING) % FRAME_RING;
      if (this.ringIn[i] === inTs && this.ringSource[i] === index) return this.ringOut[i];
    }
    return undefined;
  }

  /** stats are the route's counters. */
  stats(): CutThroughStats {
    const r = this.rewriter.stats;
    return { packets: this.packets, gated: r.gated, dropped: r.dropped, switches: r.switches };
  }
}
