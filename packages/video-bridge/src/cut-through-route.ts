import { keyframeStartTest, RtpRewriter } from "@framewire/rtp-video";
import { PacketKeyframeCache } from "./packet-keyframe-cache.js";
import type { CutThroughStats, VideoPacketPort } from "./video-bridge-types.js";

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
  /** lastTs is the RTP timestamp of the source's newest packet (-1: none yet). */
  lastTs = -1;
  /** fast: at the source's newest frame start, the bridge-wide conditions held (no decisive hook). */
  fast = false;
  /** off removes the packet listener. */
  off: (() => void) | undefined = undefined;

  constructor(port: VideoPacketPort, index: number) {
    this.port = port;
    this.index = index;
    this.cache = new PacketKeyframeCache(keyframeStartTest(port.codec));
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
  private epoch = 0;

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

  /** stats are the route's counters. */
  stats(): CutThroughStats {
    const r = this.rewriter.stats;
    return { packets: this.packets, gated: r.gated, dropped: r.dropped, switches: r.switches };
  }
}
