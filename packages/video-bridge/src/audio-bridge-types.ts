import type { BridgeAudioEvent, BridgeHooks, HookTrigger } from "@framewire/hooks";
import type { AudioCodec, AudioFrame, MediaSession, OutgoingAudio } from "@framewire/rtp-video";
import type { BridgeDropReason, BridgeEvent } from "./bridge-types.js";
import type { FrameFilter } from "./frame-filter.js";
import type { AudioSampleRate } from "./resample.js";

/**
 * AudioBridgeCodec is a codec a bridged session sends and receives: rtp-video's `AudioCodec`
 * without "telephone-event" (events are relayed, never a session's format); "opus" needs a plug
 * to be decoded.
 */
export type AudioBridgeCodec = Exclude<AudioCodec, "telephone-event">;

/** AudioBridgeFormat is what a session sends and wants to receive. */
export interface AudioBridgeFormat {
  readonly codec: AudioBridgeCodec;
  /** sampleRate is also the RTP clock rate: 8000 for G.711, 48000 for Opus (RFC 3551, RFC 7587). */
  readonly sampleRate: AudioSampleRate;
  /** payloadType to send audio to this session with. */
  readonly payloadType: number;
  /** telephoneEventPayloadType to send RFC 4733 events with; default the sender's. */
  readonly telephoneEventPayloadType?: number;
}

/** AudioBridgeSession is what the bridge needs of a session: its id. */
export interface AudioBridgeSession {
  readonly id: string;
  /**
   * subscribesAudio: the session takes audio per source from `sourceAudio$` (a server-side
   * participant) — the bridge sends it nothing (no forward, transcode, mix or event), and still
   * takes its audio as a source.
   */
  readonly subscribesAudio?: boolean;
}

/** AudioBridgeBackend sends audio to a session (RtpVideoBackend is one). */
export interface AudioBridgeBackend<S extends AudioBridgeSession = MediaSession> {
  sendAudio(session: S, audio: OutgoingAudio): boolean;
}

/**
 * AudioBridgeHooks is the hook seam of the audio bridge: `BridgeHooks` of `@framewire/hooks` for
 * BEFORE_BRIDGE_AUDIO. `bridgeHooks(registry, HookTrigger.BEFORE_BRIDGE_AUDIO)` makes one; a
 * `HookRegistry` whose BEFORE_BRIDGE_AUDIO event is `BridgeAudioEvent<S, AudioFrame>` is one too.
 */
export type AudioBridgeHooks<S> = BridgeHooks<
  typeof HookTrigger.BEFORE_BRIDGE_AUDIO,
  BridgeAudioEvent<S, AudioFrame>
>;

/** AudioFrameFilter sees each frame of a source before anything else; null drops it (fail-closed). */
export type AudioFrameFilter<S> = FrameFilter<S, AudioFrame>;

/** AudioDropReason says why a source frame was forwarded to nobody. */
export type AudioDropReason = BridgeDropReason;

/**
 * AudioBridgeEvent is what the audio bridge's `events$` emits: the events of both bridges
 * (`BridgeEvent`); a target failure of the "mix" strategy names no source (null).
 */
export type AudioBridgeEvent<S> = BridgeEvent<S, AudioDropReason, S | null>;

/** SourceAudio is one frame a bridged session sent, with its PCM (`AudioBridge.sourceAudio$`). */
export interface SourceAudio<S> {
  readonly source: S;
  readonly roomId: string;
  /** frame as it passed the filter and hooks (an RFC 4733 event for telephone-event). */
  readonly frame: AudioFrame;
  /** pcm is the frame decoded, mono 16-bit at `sampleRate`; undefined for an RFC 4733 event. */
  readonly pcm: Int16Array | undefined;
  /** sampleRate of `pcm` (the codec's: 8000 for G.711, 48000 for Opus, the format's for L16). */
  readonly sampleRate: number;
}
