import type { BridgeHooks, BridgeVideoEvent, HookTrigger } from "@framewire/hooks";
import type {
  KeyframeRequest,
  RtpPacket,
  VideoChunk,
  VideoCodec,
  VideoFrame,
  VideoSession,
} from "@framewire/rtp-video";
import type { Observable } from "rxjs";
import type { BridgeDropReason, BridgeEvent, BridgeStats } from "./bridge-types.js";
import type { FrameFilter } from "./frame-filter.js";

/**
 * BridgeSession is what the bridge needs of a session: an id, the codec it receives, and the
 * PLI/FIR it sends about the video it receives. `VideoSession` of `@framewire/rtp-video` is one.
 */
export interface BridgeSession {
  readonly id: string;
  /**
   * videoCodec is the codec the session's endpoint decodes; frames of another codec are not sent
   * to it (no transcoding). Undefined for an audio-only session, which receives no video.
   */
  readonly videoCodec: VideoCodec | undefined;
  /** keyframeRequests$ emits each PLI/FIR the endpoint sends; relayed to its current source. */
  readonly keyframeRequests$?: Observable<KeyframeRequest>;
  /**
   * subscribesVideo: the session takes video only through `VideoBridge.subscribe`, one stream
   * per source it subscribes to (a server-side participant), never the one selected source that
   * an RTP endpoint receives. Default false.
   */
  readonly subscribesVideo?: boolean;
}

/**
 * VideoBridgeBackend is what the bridge drives per session: `RtpVideoBackend` is one. Each
 * session is sent to and asked for keyframes through the backend it was added with.
 */
export interface VideoBridgeBackend<S extends BridgeSession = VideoSession> {
  /** sendVideoSync sends one access unit to the session now. */
  sendVideoSync(session: S, chunk: VideoChunk): unknown;
  /** requestKeyframe asks the session's endpoint for a keyframe (PLI). */
  requestKeyframe(session: S): void;
  /**
   * videoPacketPort is the packet seam of the session's video, for cut-through forwarding
   * (`cutThrough`): its RTP stream as packets (`VideoRtpSession` is one), as a source (its
   * packets may go on as they came: e.g. not when the frame path would add out-of-band H.264
   * parameter sets) or as a target (it takes packets as any source of its codec sends them:
   * e.g. not an H.264 packetization-mode 0 peer). Undefined, or a backend without the method,
   * keeps the session on the frame path in that role.
   */
  videoPacketPort?(session: S, role: VideoPacketRole): VideoPacketPort | undefined;
}

/** VideoPacketRole is what a session's packet seam is asked for: its packets, or to take packets. */
export type VideoPacketRole = "source" | "target";

/**
 * VideoPacketPort is one session's video RTP stream as packets, what cut-through forwarding needs:
 * each received packet as it arrives (`onPacket`) and a way to send a rewritten one on the
 * session's own stream (`forwardPacket`, kept for NACKs, counted in sender reports).
 * `VideoRtpSession` of `@framewire/rtp-video` is one.
 */
export interface VideoPacketPort {
  /** codec of the stream. */
  readonly codec: VideoCodec;
  /** ssrc the session sends with. */
  readonly ssrc: number;
  /** payloadType the session sends with. */
  readonly payloadType: number;
  /** clockRate of the stream's RTP timestamps. */
  readonly clockRate: number;
  /**
   * onPacket calls `listener` with each accepted media packet; returns its removal. The bridge
   * rewrites the header of the datagram in place for the first target it forwards it to (the
   * session has parsed it already): a listener added after the bridge's sees the rewritten one.
   */
  onPacket(listener: (packet: RtpPacket, datagram: Uint8Array) => void): () => void;
  /** forwardPacket sends one datagram carrying this stream's SSRC and payload type (kept, not copied). */
  forwardPacket(datagram: Uint8Array): boolean;
}

/**
 * CutThroughStats are the counters of one target's cut-through route (`getCutThroughStats`):
 * what its `RtpRewriter` did with the packets of the sources it receives.
 */
export interface CutThroughStats {
  /** packets sent to the target cut-through (forwardPacket accepted them). */
  readonly packets: number;
  /** gated: packets of the selected source held back until a keyframe's first packet. */
  readonly gated: number;
  /** dropped: packets of a source switched away from, or older than its switch-in point. */
  readonly dropped: number;
  /** switches: times a source became the one forwarded (the first included). */
  readonly switches: number;
}

/**
 * VideoBridgeHooks is the hook seam of the video bridge: `BridgeHooks` of `@framewire/hooks` for
 * BEFORE_BRIDGE_VIDEO. `bridgeHooks(registry, HookTrigger.BEFORE_BRIDGE_VIDEO)` makes one; a
 * `HookRegistry` whose BEFORE_BRIDGE_VIDEO event is `BridgeVideoEvent<S, VideoFrame>` is one too.
 */
export type VideoBridgeHooks<S> = BridgeHooks<
  typeof HookTrigger.BEFORE_BRIDGE_VIDEO,
  BridgeVideoEvent<S, VideoFrame>
>;

/** VideoFrameFilter sees each frame of a source before anything else; null drops it (fail-closed). */
export type VideoFrameFilter<S> = FrameFilter<S, VideoFrame>;

/** VideoFrameProcessor transforms a frame for one target just before it is sent. */
export type VideoFrameProcessor<S> = (target: S, frame: VideoFrame) => VideoFrame;

/** ForwardedVideoFrame is one frame sent to one target. */
export interface ForwardedVideoFrame<S> {
  readonly source: S;
  readonly target: S;
  readonly roomId: string;
  /** frame as sent (after the processor), with the source's timing. */
  readonly frame: VideoFrame;
  /** timestampMs is the target's output timestamp passed to sendVideoSync. */
  readonly timestampMs: number;
  /** cached is true for a replayed cached keyframe. */
  readonly cached: boolean;
}

/** KeyframeRequestReason says why the bridge asked a source for a keyframe. */
export type KeyframeRequestReason =
  | "join"
  | "switch"
  | "gate"
  | "pli"
  | "retry"
  | "recover"
  | "resume";

/** VideoDropReason says why a source frame was not forwarded at all. */
export type VideoDropReason = BridgeDropReason | "broken-chain";

/**
 * VideoBridgeEvent is what the video bridge's `events$` emits: the events of both bridges
 * (`BridgeEvent`), and its own: switches, keyframe requests and ended keyframe waits.
 */
export type VideoBridgeEvent<S> = BridgeEvent<S, VideoDropReason> | VideoBridgeOwnEvent<S>;

/** VideoBridgeOwnEvent is an event only the video bridge emits. */
export type VideoBridgeOwnEvent<S> =
  | {
      readonly type: "source-switched";
      readonly target: S;
      readonly from: S | null;
      readonly to: S;
      readonly roomId: string;
      readonly cached: boolean;
    }
  | {
      readonly type: "keyframe-requested";
      readonly source: S;
      readonly roomId: string;
      readonly reason: KeyframeRequestReason;
    }
  | {
      /** keyframe-wait-ended: `target` waited `keyframeWaitMs` for a keyframe of `source`; its deltas now pass. */
      readonly type: "keyframe-wait-ended";
      readonly target: S;
      readonly source: S;
      readonly roomId: string;
      /** waitedMs is the time from the first delta held back to the one that passed. */
      readonly waitedMs: number;
    };

/**
 * VideoBridgeStats are the video bridge's counters since it was created: those of both bridges
 * (`BridgeStats`) and the video ones.
 */
export interface VideoBridgeStats extends BridgeStats {
  /** framesRouted counts source frames that passed filter, hooks and gates of the source. */
  readonly framesRouted: number;
  /** keyframesSent counts keyframes sent to targets, cached ones included. */
  readonly keyframesSent: number;
  /** cachedKeyframesSent counts cached keyframes replayed to a joining or orphaned target. */
  readonly cachedKeyframesSent: number;
  /** droppedBrokenChain counts deltas dropped after a dropped frame, until the next keyframe. */
  readonly droppedBrokenChain: number;
  /** droppedGated counts (frame, target) pairs held back until a keyframe of the source. */
  readonly droppedGated: number;
  /**
   * deltasPassedAfterWait counts deltas sent to a target that had no keyframe of their source,
   * because `keyframeWaitMs` ran out (or is 0): from the delta that ended the wait up to the next
   * keyframe of that source.
   */
  readonly deltasPassedAfterWait: number;
  /** codecMismatch counts (frame, target) pairs not sent because the target decodes another codec. */
  readonly codecMismatch: number;
  /** switches counts changes of the source a target receives. */
  readonly switches: number;
  /** keyframeRequests counts keyframe requests sent to sources. */
  readonly keyframeRequests: number;
  /** keyframeRequestsSuppressed counts requests the per-source rate limit held back. */
  readonly keyframeRequestsSuppressed: number;
  /** keyframeRequestErrors counts requestKeyframe calls that threw. */
  readonly keyframeRequestErrors: number;
  /** pliReceived counts PLI/FIR received from targets. */
  readonly pliReceived: number;
  /** pliRelayed counts PLI/FIR that led to a request to the target's source. */
  readonly pliRelayed: number;
  /** packetsCutThrough counts packets sent to targets cut-through, one per target (`cutThrough`). */
  readonly packetsCutThrough: number;
}
