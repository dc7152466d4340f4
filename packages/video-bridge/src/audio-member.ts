import type { AudioFrame } from "@framewire/rtp-video";
import type { Subscription } from "rxjs";
import type { AudioBridgeSession } from "./audio-bridge-types.js";
import type { AudioHookQueue } from "./audio-hook-queue.js";
import type { AudioTarget } from "./audio-target-sender.js";
import type { AudioTranscoder } from "./audio-transcoder.js";
import type { FrameHookVerdict } from "./frame-hooks.js";
import type { RoomMix } from "./room-mix.js";

/** EventMapping ties a source's RFC 4733 event (its timestamp) to the timestamp a target got. */
export interface EventMapping {
  sourceTs: number;
  targetTs: number;
}

/** AudioMember is the audio bridge's state of one bridged session, as a source and as a target. */
export interface AudioMember<S extends AudioBridgeSession> extends AudioTarget<S> {
  readonly id: string;
  /** codec decodes what the session sends, resamples it for the others, encodes what it gets. */
  readonly codec: AudioTranscoder;
  /** events maps each source's current telephone-event to this target's timestamp for it. */
  readonly events: Map<string, EventMapping>;
  /** talking: the mix sent it audio last tick (the next talkspurt starts with a marker). */
  talking: boolean;
  readonly hooks: AudioHookQueue<FrameHookVerdict<AudioFrame>>;
  removed: boolean;
  framesIn: number;
}

/** AudioRoom is one room of the audio bridge: its members in join order, its mix and clock. */
export interface AudioRoom<S extends AudioBridgeSession> {
  readonly id: string;
  readonly members: Map<string, AudioMember<S>>;
  readonly mix: RoomMix;
  /** clock is the room's 20 ms tick (mix and levels), while the room has members. */
  clock: Subscription | undefined;
}
