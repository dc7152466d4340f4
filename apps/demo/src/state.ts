import type { DemoBridge, KeyframeEvent } from "./bridge.js";
import type { CallerStats } from "./caller.js";
import type { Thumbnails } from "./thumbnails.js";

/** ParticipantView is one participant as the terminal, the dashboard and /metrics show it. */
export interface ParticipantView {
  readonly id: string;
  readonly roomId: string;
  readonly caller: string;
  readonly codec: string;
  readonly width: number;
  readonly height: number;
  /** fps and kbit/s received from the participant over the last second. */
  readonly fps: number;
  readonly kbps: number;
  readonly framesIn: number;
  readonly keyframes: number;
  readonly packetsIn: number;
  readonly lost: number;
  /** frames of this participant sent to others (one per target). */
  readonly forwarded: number;
  /** frames sent to this participant. */
  readonly delivered: number;
  /** frames dropped: incomplete frames at the receiver plus frames the bridge did not forward. */
  readonly dropped: number;
  readonly keyframeRequestsSent: number;
  readonly audioPacketsIn: number;
  /**
   * security counters of the participant's RTP sessions (video + audio, RTP + RTCP): datagrams
   * from another address than the accepted source (forged, a flood, a source on probation),
   * dropped and never counted in `lost`; moves of the accepted source; datagrams that did not parse.
   */
  readonly foreignPackets: number;
  /**
   * H.264 NAL units over the MTU sent to this participant as FU-A although it negotiated
   * packetization-mode 0 (Linphone's default offer decodes them), and ones dropped instead.
   */
  readonly nalUnitsOutsideMode: number;
  readonly nalUnitsDropped: number;
  readonly sourceChanges: number;
  readonly malformedPackets: number;
  /** msSinceKeyframe is undefined before the first keyframe. */
  readonly msSinceKeyframe: number | undefined;
  readonly joinedAt: number;
  readonly thumbnails: number;
}

/** RoomView is one room and who is in it. */
export interface RoomView {
  readonly id: string;
  readonly participants: readonly ParticipantView[];
}

/** Sample is one point of a participant's chart. */
export interface Sample {
  readonly t: number;
  readonly fps: number;
  readonly kbps: number;
  readonly framesIn: number;
}

/** DemoSnapshot is the whole demo at one instant. */
export interface DemoSnapshot {
  readonly now: number;
  readonly startedAt: number;
  readonly durationSec: number | undefined;
  readonly sipUri: string | undefined;
  readonly rooms: readonly RoomView[];
  readonly callers: readonly CallerStats[];
  readonly keyframes: readonly KeyframeEvent[];
  readonly history: Readonly<Record<string, readonly Sample[]>>;
  readonly bridge: BridgeView;
}

/** BridgeView are the bridge's totals. */
export interface BridgeView {
  readonly framesIn: number;
  readonly framesSent: number;
  readonly keyframesSent: number;
  readonly cachedKeyframesSent: number;
  readonly switches: number;
  readonly keyframeRequests: number;
  /** codecMismatch counts (frame, target) pairs not sent: the target decodes another codec. */
  readonly codecMismatch: number;
  readonly joinErrors: number;
  readonly portsInUse: number;
  /** audio: packets relayed unchanged, transcoded, and mixed frames sent, by the AudioBridge. */
  readonly audio: {
    readonly forwarded: number;
    readonly transcoded: number;
    readonly mixed: number;
  };
  /** authChallenges: 401s the bridge sent (with --auth). */
  readonly authChallenges: number;
  /** sip: the SIP layer's security counters since the start. */
  readonly sip: SipSecurityView;
}

/** SipSecurityView counts SIP input the demo refused, since the start. */
export interface SipSecurityView {
  /** malformed: datagrams that are not SIP (dropped); badRequests: answered 400. */
  readonly malformed: number;
  readonly badRequests: number;
  /** oversize: datagrams over the size cap (dropped). */
  readonly oversize: number;
  /** rejectedRequests: answered 404/405/501/503 before reaching a call. */
  readonly rejectedRequests: number;
  /** authFailures: 403s sent. */
  readonly authFailures: number;
}

const HISTORY = 120;

/** DemoState builds snapshots and keeps a short per-participant history for the charts. */
export class DemoState {
  readonly startedAt: number;
  private readonly history = new Map<string, Sample[]>();

  constructor(
    private readonly sources: {
      readonly bridge: DemoBridge | undefined;
      readonly callers: () => readonly CallerStats[];
      readonly thumbnails: Thumbnails | undefined;
      readonly sipUri: string | undefined;
      readonly durationSec: number | undefined;
    },
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = now();
  }

  /** participants lists the participants in rooms now. */
  participants(): ParticipantView[] {
    const bridge = this.sources.bridge;
    if (bridge === undefined) return [];
    const now = this.now();
    const out: ParticipantView[] = [];
    for (const p of bridge.active()) {
      const session = bridge.session(p.id);
      const v = session === undefined ? undefined : bridge.backend.videoStats(session);
      const a = session === undefined ? undefined : bridge.backend.audioStats(session);
      out.push({
        id: p.id,
        roomId: p.roomId,
        caller: p.caller,
        codec: p.videoCodec ?? "audio only",
        width: p.width,
        height: p.height,
        fps: v?.fps ?? 0,
        kbps: Math.round((v?.bitrate ?? 0) / 1000),
        framesIn: v?.frames ?? 0,
        keyframes: v?.keyframes ?? 0,
        packetsIn: v?.packets ?? 0,
        lost: v?.lost ?? 0,
        forwarded: p.forwarded,
        delivered: p.delivered,
        dropped: (v?.framesDropped ?? 0) + p.dropped,
        keyframeRequestsSent: v?.keyframeRequestsSent ?? 0,
        audioPacketsIn: p.audioPacketsIn,
        foreignPackets: (v?.foreignSource ?? 0) + (a?.foreignSource ?? 0),
        nalUnitsOutsideMode: v?.sent.nalUnitsOutsideMode ?? 0,
        nalUnitsDropped: v?.sent.nalUnitsDropped ?? 0,
        sourceChanges: (v?.sourceChanges ?? 0) + (a?.sourceChanges ?? 0),
        malformedPackets: (v?.malformed ?? 0) + (a?.malformed ?? 0),
        msSinceKeyframe: p.lastKeyframeAt === undefined ? undefined : now - p.lastKeyframeAt,
        joinedAt: p.joinedAt,
        thumbnails: this.sources.thumbnails?.get(p.id)?.count ?? 0,
      });
    }
    return out;
  }

  /** sample appends one chart point per participant (call it once a second). */
  sample(): void {
    const t = this.now();
    const seen = new Set<string>();
    for (const p of this.participants()) {
      seen.add(p.id);
      let h = this.history.get(p.id);
      if (h === undefined) {
        h = [];
        this.history.set(p.id, h);
      }
      h.push({ t, fps: p.fps, kbps: p.kbps, framesIn: p.framesIn });
      if (h.length > HISTORY) h.splice(0, h.length - HISTORY);
    }
    for (const id of this.history.keys()) if (!seen.has(id)) this.history.delete(id);
  }

  snapshot(): DemoSnapshot {
    const participants = this.participants();
    const rooms = new Map<string, ParticipantView[]>();
    for (const p of participants) {
      const list = rooms.get(p.roomId) ?? [];
      list.push(p);
      rooms.set(p.roomId, list);
    }
    const bridge = this.sources.bridge;
    return {
      now: this.now(),
      startedAt: this.startedAt,
      durationSec: this.sources.durationSec,
      sipUri: this.sources.sipUri,
      rooms: [...rooms].map(([id, list]) => ({ id, participants: list })),
      callers: this.sources.callers(),
      keyframes: bridge?.keyframes.slice(-30) ?? [],
      history: Object.fromEntries(this.history),
      bridge: this.bridgeView(),
    };
  }

  bridgeView(): BridgeView {
    const bridge = this.sources.bridge;
    const stats = bridge?.kit.videoBridge("av")?.stats();
    const audio = bridge?.kit.audioBridge("av")?.stats();
    const ua = bridge?.backend.userAgentStats;
    return {
      framesIn: stats?.framesIn ?? 0,
      framesSent: stats?.framesSent ?? 0,
      keyframesSent: stats?.keyframesSent ?? 0,
      cachedKeyframesSent: stats?.cachedKeyframesSent ?? 0,
      switches: stats?.switches ?? 0,
      keyframeRequests: stats?.keyframeRequests ?? 0,
      codecMismatch: stats?.codecMismatch ?? 0,
      joinErrors: bridge?.joinErrors ?? 0,
      portsInUse: bridge?.backend.portsInUse ?? 0,
      audio: {
        forwarded: audio?.forwarded ?? 0,
        transcoded: audio?.transcoded ?? 0,
        mixed: audio?.mixed ?? 0,
      },
      authChallenges: ua?.authChallenges ?? 0,
      sip: {
        malformed: ua?.transport.malformed ?? 0,
        badRequests: ua?.transport.badRequests ?? 0,
        oversize: ua?.transport.oversize ?? 0,
        rejectedRequests: ua?.rejectedRequests ?? 0,
        authFailures: ua?.authFailures ?? 0,
      },
    };
  }
}
