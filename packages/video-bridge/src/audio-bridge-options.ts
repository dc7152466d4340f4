import type { MediaSession } from "@framewire/rtp-video";
import type { AudioBridgeHooks, AudioBridgeSession } from "./audio-bridge-types.js";
import type { AudioCodecPlug } from "./audio-codec.js";
import type { AudioLevelOptions } from "./audio-levels.js";
import {
  integerAtLeast,
  type ResolvedBridgeOptions,
  resolveBridgeOptions,
} from "./bridge-options.js";
import type { BridgeConfig, BridgeWiring } from "./bridge-types.js";
import { VideoBridgeError } from "./errors.js";
import type { AudioMixerOptions, MixSaturation } from "./mixer.js";

/**
 * AudioForwardingStrategy is how the audio bridge forwards: "forward" relays each packet
 * (transcoding where formats differ), "mix" mixes N parties (mix-minus).
 */
export type AudioForwardingStrategy = "forward" | "mix";

/** AudioBridgeMixOptions tune the "mix" strategy. */
export interface AudioBridgeMixOptions {
  /** jitterMs each participant buffers before it is heard; default 40. */
  readonly jitterMs?: number;
  /** maxBufferMs bounds each participant's buffer (oldest dropped); default 200. */
  readonly maxBufferMs?: number;
  /** saturation of the mix; default "clip". */
  readonly saturation?: MixSaturation;
  /** sendSilence: keep sending (encoded silence) when nobody else speaks; default true. */
  readonly sendSilence?: boolean;
}

/**
 * AudioBridgeConfig configures an AudioBridge (roomkit's AudioBridgeConfig, with Framewire's
 * knobs); `enabled`, `maxParticipants` and `maxQueuedFrames` are those of `BridgeConfig`, the
 * same for both bridges. Every field is optional.
 */
export interface AudioBridgeConfig extends BridgeConfig {
  /** forwardingStrategy: "forward" (default) or "mix", else UNSUPPORTED. */
  readonly forwardingStrategy?: AudioForwardingStrategy;
  /** levels: measure levels and pick active speakers (options), or not (false); default on. */
  readonly levels?: boolean | AudioLevelOptions;
  /** mix tunes the "mix" strategy. */
  readonly mix?: AudioBridgeMixOptions;
  /** codecs adds codecs the bridge cannot decode by itself (Opus). */
  readonly codecs?: { readonly opus?: AudioCodecPlug };
  /** maxPayloadBytes: larger PCM payloads (L16 at 48 kHz) are sent as several packets: an integer >= 1; default 1200. */
  readonly maxPayloadBytes?: number;
}

/** AudioBridgeOptions are the config plus the bridge's clock, hooks and randomness; all optional. */
export interface AudioBridgeOptions<S extends AudioBridgeSession = MediaSession>
  extends AudioBridgeConfig,
    BridgeWiring<AudioBridgeHooks<S>> {
  /** random for initial RTP timestamps; default Math.random. */
  readonly random?: () => number;
}

/** AUDIO_FRAME_MS is the audio bridge's frame: the room clock's tick and the level monitor's step. */
export const AUDIO_FRAME_MS = 20;

/** AUDIO_MAX_QUEUED_FRAMES is the default `maxQueuedFrames` of the audio bridge: 1 s of 20 ms frames. */
const AUDIO_MAX_QUEUED_FRAMES = 50;

/** ResolvedAudioBridgeOptions are an AudioBridge's options, checked, with every default applied. */
export interface ResolvedAudioBridgeOptions<S> extends ResolvedBridgeOptions<AudioBridgeHooks<S>> {
  readonly forwardingStrategy: AudioForwardingStrategy;
  /** levels: the level monitor's options, or false when levels are not measured. */
  readonly levels: AudioLevelOptions | false;
  /** mixer: the options each room's mixers get besides their rate (the mixer applies its defaults). */
  readonly mixer: Omit<AudioMixerOptions, "sampleRate">;
  readonly sendSilence: boolean;
  readonly opus: AudioCodecPlug | undefined;
  readonly maxPayloadBytes: number;
  readonly random: () => number;
}

/**
 * resolveAudioBridgeOptions is where the audio bridge's defaults live: it checks every option
 * (BAD_OPTION when out of range, UNSUPPORTED for a strategy other than "forward" or "mix") and
 * fills in the defaults.
 */
export function resolveAudioBridgeOptions<S extends AudioBridgeSession>(
  options: AudioBridgeOptions<S>,
): ResolvedAudioBridgeOptions<S> {
  const strategy: string = options.forwardingStrategy ?? "forward";
  if (strategy !== "forward" && strategy !== "mix") {
    throw new VideoBridgeError(
      "UNSUPPORTED",
      `forwardingStrategy "${strategy}" is not supported: "forward" or "mix"`,
    );
  }
  const { sendSilence = true, ...mixer } = options.mix ?? {};
  const levels = options.levels ?? true;
  return {
    ...resolveBridgeOptions(options, AUDIO_MAX_QUEUED_FRAMES),
    forwardingStrategy: strategy,
    levels:
      levels === false
        ? false
        : typeof levels === "object"
          ? { ...levels, frameMs: AUDIO_FRAME_MS }
          : {},
    mixer: { ...mixer, frameMs: AUDIO_FRAME_MS },
    sendSilence,
    opus: options.codecs?.opus,
    maxPayloadBytes: integerAtLeast(options.maxPayloadBytes ?? 1200, 1, "maxPayloadBytes"),
    random: options.random ?? Math.random,
  };
}
