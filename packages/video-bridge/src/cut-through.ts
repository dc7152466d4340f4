import type { RtpPacket, VideoFrame } from "@framewire/rtp-video";
import type { SchedulerLike } from "rxjs";
import type { BridgeReporter } from "./bridge-reporter.js";
import { CutThroughRoute, CutThroughSource } from "./cut-through-route.js";
import type { KeyframeRequester } from "./keyframe-requester.js";
import { receiveFrom } from "./source-switch.js";
import type {
  BridgeSession,
  KeyframeRequestReason,
  VideoBridgeBackend,
  VideoBridgeOwnEvent,
  VideoBridgeStats,
  VideoDropReason,
} from "./video-bridge-types.js";
import type { VideoParticipant, VideoRoom } from "./video-participant.js";

type P<S extends BridgeSession> = VideoParticipant<S>;

/** CutThroughCounters are the counters of `VideoBridgeStats` the cut-through path keeps. */
export type CutThroughCounters = {
  -readonly [K in
    | "packetsCutThrough"
    | "framesSent"
    | "keyframesSent"
    | "cachedKeyframesSent"
    | "switches"]: VideoBridgeStats[K];
};

/** CutThroughParts are what the cut-through path works with. */
export interface CutThroughParts<S extends BridgeSession> {
  readonly scheduler: SchedulerLike;
  /** keyframeGate: false (keyframeWaitMs 0) forwards a source's packets without waiting. */
  readonly keyframeGate: boolean;
  readonly requester: KeyframeRequester<P<S>>;
  readonly reporter: BridgeReporter<S, VideoDropReason, S, VideoBridgeOwnEvent<S>>;
  readonly counters: CutThroughCounters;
  room(id: string): VideoRoom<S> | undefined;
  isLive(p: P<S>): boolean;
  /** enabled is false while the bridge is paused. */
  enabled(): boolean;
  /** frameLevel is true while the bridge needs frames of every source: a filter or a processor. */
  frameLevel(): boolean;
  /** decides is true while a BEFORE_BRIDGE_VIDEO hook that decides applies to the room. */
  decides(roomId: string): boolean;
  /** select is the source `t` should receive now (the router's choice). */
  select(t: P<S>): P<S> | undefined;
  /**
   * forwarded reports a frame whose packets went to `t` cut-through on `forwarded$` (when it is
   * observed), `timestampMs` being its outgoing RTP timestamp in ms.
   */
  forwarded(t: P<S>, src: P<S>, frame: VideoFrame, timestampMs: number, cached: boolean): void;
}

/**
 * CutThrough is the video bridge's packet path (option `cutThrough`): each RTP packet of a
 * source goes on to every target that receives that source as it arrives, rewritten by the
 * target's `RtpRewriter` (its SSRC, sequence numbers running on across switches, a timestamp
 * that never goes back), when source and target both have the packet seam, the codec is the
 * same, the target is no subscriber, and the bridge has no filter, processor or deciding hook
 * for the room (`serves`); frames go the frame path otherwise. Source selection and keyframe
 * gating are decided on a frame's first packet (a new RTP timestamp): the router's choice of
 * source is applied there, the switch itself happens at the chosen source's keyframe start.
 * Each source's last keyframe is kept as packets (`PacketKeyframeCache`) to prime a target that
 * has no source.
 */
export class CutThrough<S extends BridgeSession> {
  private readonly parts: CutThroughParts<S>;
  private readonly now: () => number;
  private nextIndex = 1;

  constructor(parts: CutThroughParts<S>) {
    this.parts = parts;
    const scheduler = parts.scheduler;
    this.now = () => scheduler.now();
  }

  /**
   * attach gives `p` its packet seam through `backend`: as a source (its packets listened to) and
   * as a target (a route); without the seam in a role, `p` stays on the frame path in that role.
   * A seam that did not change is kept (a route's sequence numbers run on).
   */
  attach(p: P<S>, backend: VideoBridgeBackend<S>): void {
    const from = backend.videoPacketPort?.(p.session, "source");
    const to = backend.videoPacketPort?.(p.session, "target");
    if (from !== p.cutSource?.port) {
      p.cutSource?.off?.();
      p.cutSource = undefined;
      if (from !== undefined) {
        const source = new CutThroughSource(from, this.nextIndex++);
        p.cutSource = source;
        source.off = from.onPacket((packet, datagram) => this.packet(p, source, packet, datagram));
      }
    }
    if (to !== p.cutRoute?.port) {
      p.cutRoute =
        to === undefined ? undefined : new CutThroughRoute(to, this.parts.keyframeGate, this.now);
    }
  }

  /** detach removes `p`'s packet seam (it left, or its backend changed). */
  detach(p: P<S>): void {
    p.cutSource?.off?.();
    p.cutSource = undefined;
    p.cutRoute = undefined;
  }

  /**
   * serves is true when `src` reaches `t` cut-through (else the frame path sends it): a source
   * whose packets never came (its frames handed to `forward` by hand) stays on the frame path.
   */
  serves(src: P<S>, t: P<S>): boolean {
    const s = src.cutSource;
    return (
      s !== undefined &&
      s.lastTs !== -1 &&
      t.cutRoute !== undefined &&
      t.session.subscribesVideo !== true &&
      t.session.videoCodec === s.port.codec &&
      !this.parts.frameLevel() &&
      !this.parts.decides(src.roomId)
    );
  }

  /**
   * prime starts target `t` (no source yet) on `want`: its cached keyframe packets at once (then,
   * when frames followed them, the next keyframe start is waited for, as the frame path's gate
   * does), and a live keyframe is asked for unless the replayed one was the newest frame.
   */
  prime(t: P<S>, want: P<S>, reason: KeyframeRequestReason): void {
    const route = t.cutRoute;
    const s = want.cutSource;
    if (route === undefined || s === undefined) return;
    const num = route.num(s);
    route.rewriter.select(num);
    if (s.cache.complete && this.parts.enabled()) {
      // decodable on: no frame ended after the keyframe, and none is coming in now (its first
      // packets, never sent to t, would leave a gap before the rest)
      const fresh = s.cache.deltasSinceKeyframe === 0 && s.lastTs === s.cache.timestamp;
      let sent = false;
      let outTs = 0;
      for (const c of s.cache.packets()) {
        const out = route.rewriter.rewrite(c.packet, c.datagram, num);
        if (out !== undefined && this.send(t, want, route, c.packet, out)) {
          sent = true;
          outTs = readTimestamp(out);
        }
      }
      if (sent && route.rewriter.source === num) {
        this.parts.counters.cachedKeyframesSent++;
        this.switched(t, want, true, fresh);
        const frame = want.cache.keyframe;
        if (frame !== undefined && frame.rtpTimestamp === s.cache.timestamp)
          this.parts.forwarded(t, want, frame, (outTs * 1000) / route.port.clockRate, true);
        if (fresh) return;
        route.regate(s);
      }
    }
    if (!this.parts.isLive(t) || !this.parts.isLive(want)) return;
    this.parts.requester.request(want, reason);
    this.parts.requester.armRetry();
  }

  /**
   * frameBeside takes a frame of `src` for `t`, whose packets reach it cut-through: true when it
   * is handled here — its packets went (it is reported on `forwarded$`), or the route waits for a
   * keyframe start of `src` (it is held back with them) — false for a frame whose packets never
   * came while `src` flows to `t` (one given to `forward` by hand): the frame path sends that one.
   */
  frameBeside(src: P<S>, t: P<S>, frame: VideoFrame): boolean {
    const s = src.cutSource;
    const route = t.cutRoute;
    if (s === undefined || route === undefined) return true;
    const outTs = route.forwardedAs(s.index, frame.rtpTimestamp);
    if (outTs !== undefined) {
      this.parts.forwarded(t, src, frame, (outTs * 1000) / route.port.clockRate, false);
      return true;
    }
    const r = route.rewriter;
    const flowing =
      t.current === src &&
      t.gate.open &&
      !route.broken &&
      r.source === route.num(s) &&
      r.pendingSource === undefined;
    return !flowing;
  }

  /** packet takes one packet of source `p` (listened to through its seam). */
  private packet(p: P<S>, s: CutThroughSource, packet: RtpPacket, datagram: Uint8Array): void {
    if (!this.parts.isLive(p)) return;
    const first = packet.timestamp !== s.lastTs;
    if (first) {
      s.lastTs = packet.timestamp;
      p.lastFrameAt = this.now();
      p.codec = s.port.codec;
      s.fast = !this.parts.decides(p.roomId);
    }
    if (s.cache.ingest(packet, datagram)) p.keyframes.lastKeyframeAt = this.now();
    const room = this.parts.room(p.roomId);
    if (room === undefined) return;
    const on = s.fast && this.parts.enabled() && !this.parts.frameLevel();
    // the first target's packet is the received datagram rewritten in place (the session has
    // parsed its header already and reads only its payload afterwards, which the rewrite leaves
    // as it is); the others get copies, made from it (every header byte but the first rewritten)
    let inPlace = true;
    for (const t of room.members) {
      const route = t.cutRoute;
      if (t === p || route === undefined || !this.parts.isLive(t)) continue;
      if (t.session.subscribesVideo === true || t.session.videoCodec !== s.port.codec) continue;
      const r = route.rewriter;
      let num = route.num(s);
      const current = t.current === p;
      if (!on) {
        // the frame path serves t meanwhile (or nothing, when paused): a break in its packets
        if (current) route.broken = true;
        continue;
      }
      if (current && route.broken) {
        route.regate(s);
        num = route.num(s);
      }
      if (
        first &&
        this.parts.select(t) === p &&
        (r.source !== num || r.pendingSource !== undefined)
      )
        r.select(num);
      if (r.source !== num && r.pendingSource !== num) continue;
      if (!this.parts.isLive(p)) return;
      const out = r.rewrite(packet, datagram, num, inPlace);
      if (out !== undefined) inPlace = false;
      if (out === undefined) {
        if (first && r.pendingSource === num) {
          this.parts.requester.request(p, current ? "gate" : "switch");
          this.parts.requester.armRetry();
        }
        continue;
      }
      if (!this.send(t, p, route, packet, out)) continue;
      if (t.current !== p || !t.gate.open) this.switched(t, p, false, true);
    }
  }

  /**
   * send forwards one rewritten datagram (`out`, of `packet`) to `t`; false when that failed (a
   * throw breaks the route). A frame's first packet out is noted (for `forwarded$`), and counted
   * as a keyframe when it starts one.
   */
  private send(
    t: P<S>,
    src: P<S>,
    route: CutThroughRoute,
    packet: RtpPacket,
    out: Uint8Array,
  ): boolean {
    let ok: boolean;
    try {
      ok = route.port.forwardPacket(out);
    } catch (error) {
      route.broken = true;
      this.parts.reporter.targetFailed(t.session, src.session, t.roomId, error);
      return false;
    }
    if (!ok) return false;
    const c = this.parts.counters;
    route.packets++;
    c.packetsCutThrough++;
    if (packet.marker) c.framesSent++;
    const outTs = readTimestamp(out);
    if (route.lastOutTs < 0 || ((outTs - route.lastOutTs) | 0) > 0) {
      route.lastOutTs = outTs;
      const s = src.cutSource;
      if (s !== undefined) {
        route.record(s.index, packet.timestamp, outTs);
        if (s.isStart(packet.payload)) c.keyframesSent++;
      }
    }
    return true;
  }

  /**
   * switched records that `t` receives `src` now, from a keyframe (`cached`: a replayed one,
   * `decodable` when no frame followed it).
   */
  private switched(t: P<S>, src: P<S>, cached: boolean, decodable: boolean): void {
    const c = this.parts.counters;
    t.gate.keyframeSent(decodable);
    receiveFrom(t, src, cached, c, this.parts.reporter);
  }
}

/** readTimestamp is the RTP timestamp of a datagram (RFC 3550 §5.1). */
function readTimestamp(d: Uint8Array): number {
  return ((d[4]! << 24) | (d[5]! << 16) | (d[6]! << 8) | d[7]!) >>> 0;
}
