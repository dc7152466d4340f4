import { type KeyframeStartTest, type RtpPacket, tryParseRtpPacket } from "@framewire/rtp-video";

/** PACKET_CACHE_LIMIT bounds the packets of one cached keyframe (a larger one is not cached). */
const PACKET_CACHE_LIMIT = 2048;

/** CachedPacket is one packet of a cached keyframe: its own copy of the datagram, parsed. */
export interface CachedPacket {
  readonly packet: RtpPacket;
  readonly datagram: Uint8Array;
}

/**
 * PacketKeyframeCache keeps the packets of a source's last keyframe for cut-through forwarding,
 * so a target that joins (or whose source left) gets a picture at once, as the frame path's
 * `KeyframeCache` does: from a keyframe's first packet (`isStart`, looked for in the first two
 * packets of a frame) to the packet with the marker bit, the packets of that RTP timestamp,
 * copied. `deltasSinceKeyframe` counts the frames that
 * ended after it: a replayed keyframe is decodable on its own only while it is 0.
 */
export class PacketKeyframeCache {
  /** deltasSinceKeyframe counts frames (marker bits) of the source since the cached keyframe. */
  deltasSinceKeyframe = 0;
  private readonly isStart: KeyframeStartTest;
  /** timestamp is the RTP timestamp of the cached keyframe (-1: none). */
  timestamp = -1;
  private done: readonly Uint8Array[] | undefined = undefined;
  private pending: Uint8Array[] | undefined = undefined;
  private pendingTs = -1;
  /** the RTP timestamp of the newest packet, and how many packets of that frame came. */
  private frameTs = -1;
  private inFrame = 0;

  constructor(isStart: KeyframeStartTest) {
    this.isStart = isStart;
  }

  /** complete is true when a whole keyframe is cached. */
  get complete(): boolean {
    return this.done !== undefined;
  }

  /**
   * ingest takes one packet of the source; true when it completed a keyframe (its marker bit
   * ended the frame a keyframe start began).
   */
  ingest(packet: RtpPacket, datagram: Uint8Array): boolean {
    const ts = packet.timestamp;
    if (ts !== this.frameTs) {
      this.frameTs = ts;
      this.inFrame = 0;
    }
    // a keyframe starts in a frame's first packet, or its second after an AUD or SEI alone: the
    // payload of the others is not looked at (a session makes a packet's payload view on demand)
    if (++this.inFrame <= 2 && ts !== this.pendingTs && this.isStart(packet.payload)) {
      this.pending = [];
      this.pendingTs = ts;
    }
    const pending = this.pending;
    const mine = pending !== undefined && ts === this.pendingTs;
    if (mine) {
      if (pending.length < PACKET_CACHE_LIMIT) pending.push(new Uint8Array(datagram));
      else this.pending = undefined;
    }
    if (!packet.marker) return false;
    if (mine && this.pending !== undefined) {
      this.done = this.pending;
      this.timestamp = ts;
      this.pending = undefined;
      this.deltasSinceKeyframe = 0;
      return true;
    }
    if (this.done !== undefined && ts !== this.pendingTs) this.deltasSinceKeyframe++;
    return false;
  }

  /** packets are the cached keyframe's packets, each parsed again from its copy. */
  packets(): CachedPacket[] {
    const out: CachedPacket[] = [];
    for (const datagram of this.done ?? []) {
      const packet = tryParseRtpPacket(datagram);
      if (typeof packet !== "string") out.push({ packet, datagram });
    }
    return out;
  }
}
