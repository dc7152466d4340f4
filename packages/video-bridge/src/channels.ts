import type { AudioFrame, VideoFrame } from "@framewire/rtp-video";
import { BehaviorSubject, type Observable } from "rxjs";
import type { AudioBridgeConfig } from "./audio-bridge-options.js";
import type { RoomSession } from "./room-session.js";
import type { VideoBridgeConfig } from "./video-bridge-options.js";
import type { VideoFrameFilter, VideoPacketPort, VideoPacketRole } from "./video-bridge-types.js";

/**
 * ChannelBackend is what a channel needs of a media backend: RtpVideoBackend and SipVideoBackend
 * (both MediaBackends) fit: its events are Observables, as `MediaBackend`'s. `connect` is used by
 * `kit.join` with a participant id (pull model).
 */
export interface ChannelBackend {
  /** videoReceived$ emits every inbound video frame with its session (`MediaBackend`'s). */
  readonly videoReceived$: Observable<{ session: RoomSession; frame: VideoFrame }>;
  /** audioReceived$ emits every inbound audio payload with its session. */
  readonly audioReceived$: Observable<{ session: RoomSession; frame: AudioFrame }>;
  /** disconnected$ emits each session once, when it ends. */
  readonly disconnected$: Observable<RoomSession>;
  sendVideoSync(
    session: RoomSession,
    chunk: { data: Uint8Array; keyframe?: boolean; timestampMs?: number },
  ): number;
  sendAudio(
    session: RoomSession,
    audio: { data: Uint8Array; samples?: number; payloadType?: number; marker?: boolean },
  ): boolean;
  requestKeyframe(session: RoomSession): void;
  /** videoPacketPort is the session's video as packets, for the bridge's `cutThrough` (optional). */
  videoPacketPort?(session: RoomSession, role: VideoPacketRole): VideoPacketPort | undefined;
  disconnect(session: RoomSession | string): void;
  connect?(
    roomId: string,
    participantId: string,
    channelId?: string,
    metadata?: Record<string, unknown>,
  ): Promise<RoomSession>;
}

/** VideoChannelOptions are roomkit's VideoChannel parameters. */
export interface VideoChannelOptions {
  readonly backend: ChannelBackend;
  /** bridge enables session-to-session video forwarding (true, or a VideoBridgeConfig). */
  readonly bridge?: boolean | VideoBridgeConfig;
}

/** AudioVideoChannelOptions are roomkit's AudioVideoChannel parameters. */
export interface AudioVideoChannelOptions {
  readonly backend: ChannelBackend;
  /** bridge enables audio bridging (true, or an AudioBridgeConfig: "forward" or "mix"). */
  readonly bridge?: boolean | AudioBridgeConfig;
  /** videoBridge enables video bridging (true, or a VideoBridgeConfig). */
  readonly videoBridge?: boolean | VideoBridgeConfig;
}

/**
 * VideoChannel is roomkit's VideoChannel: a backend whose sessions, once joined to a room through
 * a RoomKit, have their video bridged to the room's other sessions. The RoomKit it is registered
 * with creates the bridges (sharing its hooks and scheduler).
 */
export class VideoChannel {
  /** id names the channel in `kit.join(roomId, channelId, ...)`. */
  readonly id: string;
  readonly backend: ChannelBackend;
  /** videoConfig is the video bridge configuration, or undefined when video is not bridged. */
  readonly videoConfig: VideoBridgeConfig | undefined;
  /** audioConfig is the audio bridge configuration, or undefined when audio is not bridged. */
  readonly audioConfig: AudioBridgeConfig | undefined;
  /** bridgeFilter$ emits the filter installed with setBridgeFilter, the current one first. */
  readonly bridgeFilter$: Observable<VideoFrameFilter<RoomSession> | null>;
  private readonly filter = new BehaviorSubject<VideoFrameFilter<RoomSession> | null>(null);

  constructor(id: string, options: VideoChannelOptions) {
    this.id = id;
    this.backend = options.backend;
    this.videoConfig = configOf(options.bridge);
    this.audioConfig = undefined;
    this.bridgeFilter$ = this.filter.asObservable();
  }

  /**
   * setBridgeFilter installs a synchronous filter run on each frame before it is forwarded:
   * return the frame (or a modified one) to forward it, null to drop it; null removes the filter.
   */
  setBridgeFilter(filter: VideoFrameFilter<RoomSession> | null): void {
    this.filter.next(filter);
  }

  /** bridgeFilter is the filter installed with setBridgeFilter. */
  get bridgeFilter(): VideoFrameFilter<RoomSession> | null {
    return this.filter.value;
  }
}

/** AudioVideoChannel is roomkit's AudioVideoChannel: audio and video bridging over one backend. */
export class AudioVideoChannel extends VideoChannel {
  override readonly videoConfig: VideoBridgeConfig | undefined;
  override readonly audioConfig: AudioBridgeConfig | undefined;

  constructor(id: string, options: AudioVideoChannelOptions) {
    super(id, { backend: options.backend });
    this.videoConfig = configOf(options.videoBridge);
    this.audioConfig = configOf(options.bridge);
  }
}

function configOf<C extends object>(value: boolean | C | undefined): C | undefined {
  if (value === undefined || value === false) return undefined;
  return value === true ? ({} as C) : value;
}
