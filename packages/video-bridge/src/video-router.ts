import type { VideoFrame } from "@framewire/rtp-video";
import type { SchedulerLike } from "rxjs";
import type { CutThrough } from "./cut-through.js";
import type { KeyframeRequester } from "./keyframe-requester.js";
import { selectSource } from "./speaker-selector.js";
import type {
  BridgeSession,
  KeyframeRequestReason,
  VideoBridgeStats,
} from "./video-bridge-types.js";
import type { VideoParticipant, VideoRoom } from "./video-participant.js";
import type { VideoSubscription } from "./video-subscription.js";
import type { VideoTargetSender } from "./video-target-sender.js";

type P<S extends BridgeSession> = VideoParticipant<S>;

/** VideoRouterCounters are the counters of `VideoBridgeStats` the router keeps. */
export type VideoRouterCounters = {
  -readonly [K in keyof Pick<
    VideoBridgeStats,
    | "framesRouted"
    | "codecMismatch"
    | "droppedGated"
    | "pliReceived"
    | "pliRelayed"
    | "framesSent"
    | "keyframesSent"
    | "cachedKeyframesSent"
  >]: number;
};

/** VideoRouterParts are what the router works with: the bridge's clock, rooms, sender and requests. */
export interface VideoRouterParts<S extends BridgeSession> {
  readonly scheduler: SchedulerLike;
  /** activeSourceTimeoutMs: a source that sent nothing for this long is not selected. */
  readonly activeSourceTimeoutMs: number;
  readonly sender: VideoTargetSender<S>;
  readonly requester: KeyframeRequester<P<S>>;
  readonly counters: VideoRouterCounters;
  /** cutThrough is the packet path (option `cutThrough`), or undefined. */
  readonly cutThrough?: CutThrough<S> | undefined;
  /** room is the bridge's room `id`, or undefined. */
  room(id: string): VideoRoom<S> | undefined;
  /** isLive is true while `p` is bridged (and the bridge open). */
  isLive(p: P<S>): boolean;
}

/**
 * VideoRouter decides what each target of a room receives. Its source is the pinned one, else the
 * most recent speaker other than the target, else the source it already receives, else the first
 * member that sends — among sources that sent within `activeSourceTimeoutMs` in a codec the
 * target decodes (`selectSource`). A target gets a source's deltas only after a keyframe of that
 * source (its `KeyframeGate`); a switch happens at a keyframe of the new source, which is
 * requested when the switch is decided. A target with no source is primed with the cached
 * keyframe of the one it should receive. Its PLI/FIR goes to the source it receives; requests are
 * retried while a target waits (`retry`).
 */
export class VideoRouter<S extends BridgeSession> {
  private readonly parts: VideoRouterParts<S>;
  private readonly scheduler: SchedulerLike;
  private readonly sender: VideoTargetSender<S>;
  private readonly requester: KeyframeRequester<P<S>>;
  private readonly counters: VideoRouterCounters;

  constructor(parts: VideoRouterParts<S>) {
    this.parts = parts;
    this.scheduler = parts.scheduler;
    this.sender = parts.sender;
    this.requester = parts.requester;
    this.counters = parts.counters;
  }

  /** deliver hands one frame of `p`, past its filter, hooks and decode chain, to its room's targets. */
  deliver(p: P<S>, frame: VideoFrame): void {
    const now = this.scheduler.now();
    const f = p.cache.ingest(frame);
    p.lastFrameAt = now;
    if (f.keyframe) p.keyframes.lastKeyframeAt = now;
    p.codec = f.codec;
    this.counters.framesRouted++;
    const room = this.parts.room(p.roomId);
    if (room === undefined) return;
    for (const t of room.members) {
      if (!this.parts.isLive(p)) return;
      if (t === p || !this.parts.isLive(t)) continue;
      this.route(p, t, f);
    }
    for (const sub of p.subscribers) {
      if (!this.parts.isLive(p)) return;
      this.feed(sub, f);
    }
  }

  /**
   * primeSubscription starts a new subscription: the source's cached keyframe at once when no
   * delta followed it (the gate opens), else a live keyframe is asked for.
   */
  primeSubscription(sub: VideoSubscription<S>): void {
    const cached = sub.source.cache.keyframe;
    if (cached !== undefined && sub.source.cache.deltasSinceKeyframe === 0) {
      this.counters.cachedKeyframesSent++;
      this.feed(sub, cached);
      if (sub.open) return;
    }
    this.reopen(sub, "join");
  }

  /** reopen closes a subscription's gate and asks its source for a keyframe (`reason`). */
  reopen(sub: VideoSubscription<S>, reason: KeyframeRequestReason): void {
    if (sub.ended) return;
    sub.open = false;
    this.requester.request(sub.source, reason);
    this.requester.armRetry();
  }

  /**
   * prime gives a target with no source its first picture at once: the cached keyframe of `want`
   * (gate open only if no delta followed it), then asks `want` for a live keyframe if needed.
   */
  prime(t: P<S>, want: P<S>, reason: KeyframeRequestReason): void {
    const cut = this.parts.cutThrough;
    if (cut?.serves(want, t) === true) {
      cut.prime(t, want, reason);
      return;
    }
    const cached = want.cache.keyframe;
    if (cached !== undefined && cached.codec === t.session.videoCodec) {
      const fresh = want.cache.deltasSinceKeyframe === 0;
      if (this.sender.send(t, want, cached, true) && fresh) return;
    }
    if (!this.parts.isLive(t) || !this.parts.isLive(want)) return;
    this.requester.request(want, reason);
    this.requester.armRetry();
  }

  /** reevaluate applies a change of speakers, pins, members or pause to the targets of a room. */
  reevaluate(room: VideoRoom<S>, reason: KeyframeRequestReason, only?: P<S>): void {
    for (const t of room.members) {
      if (only !== undefined && t !== only) continue;
      if (!this.parts.isLive(t)) continue;
      const want = this.select(t);
      if (want === undefined) continue;
      if (t.current === undefined) this.prime(t, want, reason);
      else if (want !== t.current || !t.gate.open) {
        this.requester.request(want, reason);
        this.requester.armRetry();
      }
    }
  }

  /** select is the source `t` should receive now, or undefined. */
  select(t: P<S>): P<S> | undefined {
    if (t.session.subscribesVideo === true) return undefined;
    const room = this.parts.room(t.roomId);
    if (room === undefined) return undefined;
    const now = this.scheduler.now();
    const timeoutMs = this.parts.activeSourceTimeoutMs;
    return selectSource({
      target: t,
      members: room.members,
      speakers: room.speakers.speakers,
      pinnedId: t.pinnedId,
      current: t.current,
      eligible: (s) =>
        this.parts.isLive(s) &&
        s.roomId === t.roomId &&
        s.codec !== undefined &&
        s.codec === t.session.videoCodec &&
        now - s.lastFrameAt <= timeoutMs,
    });
  }

  /** keyframeRequested relays a PLI/FIR of target `t` to the source it receives (or should). */
  keyframeRequested(t: P<S>): void {
    if (!this.parts.isLive(t)) return;
    this.counters.pliReceived++;
    const src = t.current ?? this.select(t);
    if (src !== undefined && this.requester.request(src, "pli")) this.counters.pliRelayed++;
  }

  /** retry asks again for every keyframe a target of `rooms` still waits for; true while any waits. */
  retry(rooms: Iterable<VideoRoom<S>>): boolean {
    let waiting = false;
    for (const room of [...rooms]) {
      for (const t of room.members) {
        if (!this.parts.isLive(t)) continue;
        if (t.subscribers.some((sub) => !sub.open && this.parts.isLive(sub.target))) {
          waiting = true;
          this.requester.request(t, "retry");
        }
        const want = this.select(t);
        if (want === undefined || (want === t.current && t.gate.open)) continue;
        waiting = true;
        this.requester.request(want, "retry");
      }
    }
    return waiting;
  }

  /** feed gives one frame of a subscription's source to its sink, past the subscription's gate. */
  private feed(sub: VideoSubscription<S>, frame: VideoFrame): void {
    if (sub.ended || !this.parts.isLive(sub.target)) return;
    if (frame.keyframe) sub.open = true;
    if (!sub.open) {
      this.counters.droppedGated++;
      this.requester.request(sub.source, "gate");
      this.requester.armRetry();
      return;
    }
    this.counters.framesSent++;
    if (frame.keyframe) this.counters.keyframesSent++;
    sub.sink.next(frame);
  }

  private route(src: P<S>, t: P<S>, frame: VideoFrame): void {
    // a re-entrant prime may already have sent this very frame (as the cached keyframe)
    if (t.lastSent === frame) return;
    if (t.session.videoCodec !== frame.codec) {
      this.counters.codecMismatch++;
      return;
    }
    // its packets reach the target cut-through, as they arrived
    const cut = this.parts.cutThrough;
    if (cut?.serves(src, t) === true && cut.frameBeside(src, t, frame)) return;
    const current = t.current === src;
    if (!current && this.select(t) !== src) return;
    if (frame.keyframe || (current && t.gate.open)) {
      this.sender.send(t, src, frame, false);
      return;
    }
    if (t.gate.waitRanOut(src)) {
      this.sender.passAfterWait(t, src, frame);
      return;
    }
    this.counters.droppedGated++;
    if (current) {
      // held back until a keyframe of its source, unless a switch away from it is under way
      const want = this.select(t);
      if (want !== undefined && want !== src) return;
      this.requester.request(src, "gate");
    } else this.requester.request(src, "switch");
    this.requester.armRetry();
  }
}
