import type { MediaSession, VideoFrame } from "@framewire/rtp-video";
import { type SipCallMetadata, SipVideoBackend } from "@framewire/sip-signaling";
import { AudioVideoChannel, RoomKit } from "@framewire/video-bridge";

/** MAX_EVENTS bounds the keyframe events kept for the dashboard. */
const MAX_EVENTS = 200;
/** MAX_LEFT bounds the participants kept after they left. */
const MAX_LEFT = 50;

/** BridgeOptions configures the demo's SIP bridge. */
export interface BridgeOptions {
  readonly host: string;
  readonly port: number;
  readonly rtpPortStart: number;
  /** audio: "forward" relays packets (two parties), "mix" mixes minus each one (default forward). */
  readonly audio?: "forward" | "mix";
  /** auth: every INVITE must carry Digest credentials for this user (realm "framewire-demo"). */
  readonly auth?: { readonly username: string; readonly password: string };
  /** now is the clock for "time since the last keyframe" (default Date.now). */
  readonly now?: () => number;
  /** maxParticipants per room (default 10); a caller beyond it is answered 486 Room Full. */
  readonly maxParticipants?: number;
}

/** Participant is one call in a room, with what the bridge saw of it. */
export interface Participant {
  readonly id: string;
  readonly roomId: string;
  readonly caller: string;
  readonly videoCodec: string | undefined;
  readonly joinedAt: number;
  leftAt: number | undefined;
  /** frames this participant sent that the bridge forwarded to others (one per target). */
  forwarded: number;
  /** frames the bridge sent to this participant. */
  delivered: number;
  /** frames of this participant the bridge dropped (filter, hook, broken chain). */
  dropped: number;
  lastKeyframeAt: number | undefined;
  width: number;
  height: number;
  audioPacketsIn: number;
}

/** KeyframeEvent is one keyframe received from a participant. */
export interface KeyframeEvent {
  readonly at: number;
  readonly participantId: string;
  readonly bytes: number;
  readonly width: number;
  readonly height: number;
}

/**
 * DemoBridge is the seed's sip_video_bridge: every INVITE to sip:<room>@host joins the room
 * named by its Request-URI user through one AudioVideoChannel (audio and video bridged).
 */
export class DemoBridge {
  readonly backend: SipVideoBackend;
  readonly kit = new RoomKit();
  readonly participants = new Map<string, Participant>();
  readonly keyframes: KeyframeEvent[] = [];
  /** joinErrors counts calls that could not join (room full, …); they are hung up. */
  joinErrors = 0;
  private readonly now: () => number;
  private readonly frameListeners = new Set<(p: Participant, frame: VideoFrame) => void>();

  constructor(options: BridgeOptions) {
    this.now = options.now ?? Date.now;
    this.backend = new SipVideoBackend({
      localSipAddr: [options.host, options.port],
      localRtpIp: options.host,
      rtpPortStart: options.rtpPortStart,
      rtpPortEnd: Math.min(65_534, options.rtpPortStart + 2000), // 500 calls of audio + video
      supportedVideoCodecs: ["H264", "VP8", "VP9"],
      ...(options.auth === undefined
        ? {}
        : {
            auth: {
              realm: "framewire-demo",
              lookup: (user: string) =>
                user === options.auth?.username ? options.auth.password : undefined,
            },
          }),
    });
    this.kit.registerChannel(
      new AudioVideoChannel("av", {
        backend: this.backend,
        bridge: { forwardingStrategy: options.audio ?? "forward" },
        videoBridge: {
          maxParticipants: options.maxParticipants ?? 10,
          forwardingStrategy: "forward",
        },
      }),
    );
    this.kit.events$.subscribe((event) => {
      if (event.type !== "session-ended") return;
      const p = this.participants.get(event.session.id);
      if (p !== undefined) p.leftAt = this.now();
      this.forgetOldLeavers();
    });
    const video = this.kit.videoBridge("av");
    video?.forwarded$.subscribe(({ source, target }) => {
      const from = this.participants.get(source.id);
      if (from !== undefined) from.forwarded++;
      const to = this.participants.get(target.id);
      if (to !== undefined) to.delivered++;
    });
    video?.events$.subscribe((event) => {
      if (event.type !== "frame-dropped") return;
      const p = this.participants.get(event.source.id);
      if (p !== undefined) p.dropped++;
    });
    this.backend.onVideoReceived((session, frame) => this.onVideo(session, frame));
    this.backend.onAudioReceived((session) => {
      const p = this.participants.get(session.id);
      if (p !== undefined) p.audioPacketsIn++;
    });
    this.backend.onCall(async (session) => {
      const meta = session.metadata as SipCallMetadata;
      this.participants.set(session.id, {
        id: session.id,
        roomId: session.roomId,
        caller: meta.caller,
        // shown as phones name it in SDP (H264, VP8); the API's codec names are lowercase
        videoCodec: meta.hasVideo ? meta.videoCodec?.toUpperCase() : undefined,
        joinedAt: this.now(),
        leftAt: undefined,
        forwarded: 0,
        delivered: 0,
        dropped: 0,
        lastKeyframeAt: undefined,
        width: 0,
        height: 0,
        audioPacketsIn: 0,
      });
      try {
        await this.kit.join(session.roomId, "av", { session });
        // the first picture sooner than the caller's next periodic keyframe
        if (meta.hasVideo) this.backend.requestKeyframe(session);
      } catch (e) {
        this.joinErrors++;
        this.participants.delete(session.id);
        this.backend.disconnect(session);
        // the backend answers the INVITE with the error's status (a full room: 486 Room Full)
        throw e;
      }
    });
  }

  /** start binds the SIP socket; resolves with the bound port. */
  async start(): Promise<number> {
    const address = await this.backend.start();
    return address.port;
  }

  /** stop sends BYE to every call and closes every socket. */
  async stop(): Promise<void> {
    this.kit.close();
    await this.backend.stop();
  }

  /** onFrame calls `cb` for each frame a participant sends (for thumbnails). */
  onFrame(cb: (p: Participant, frame: VideoFrame) => void): void {
    this.frameListeners.add(cb);
  }

  /** active lists the participants still in a room. */
  active(): Participant[] {
    return [...this.participants.values()].filter((p) => p.leftAt === undefined);
  }

  session(id: string): MediaSession | undefined {
    return this.backend.getVideoSession(id);
  }

  private onVideo(session: MediaSession, frame: VideoFrame): void {
    const p = this.participants.get(session.id);
    if (p === undefined) return;
    if (frame.width > 0) {
      p.width = frame.width;
      p.height = frame.height;
    }
    if (frame.keyframe) {
      p.lastKeyframeAt = this.now();
      this.keyframes.push({
        at: p.lastKeyframeAt,
        participantId: p.id,
        bytes: frame.data.length,
        width: frame.width,
        height: frame.height,
      });
      if (this.keyframes.length > MAX_EVENTS)
        this.keyframes.splice(0, this.keyframes.length - MAX_EVENTS);
    }
    for (const cb of this.frameListeners) {
      try {
        cb(p, frame);
      } catch {
        // a listener's failure must not stop the others or the bridge
      }
    }
  }

  private forgetOldLeavers(): void {
    const left = [...this.participants.values()].filter((p) => p.leftAt !== undefined);
    for (const p of left.slice(0, Math.max(0, left.length - MAX_LEFT)))
      this.participants.delete(p.id);
  }
}
