// The Vonage Video Connector's data structures, camelCase (seed 004). Checked by ./settings.ts.

/** VideoResolution is a width and height in pixels (Vonage `VideoResolution`). */
export interface VideoResolution {
  readonly width: number;
  readonly height: number;
}

/** VonageVideoFormat names a frame's layout the Vonage way: `RGB24` is B,G,R in memory, `ARGB32` is B,G,R,A. */
export type VonageVideoFormat = "YUV420P" | "RGB24" | "ARGB32";

/** SessionAudioSettings is an audio format: rate and channels (Vonage `SessionAudioSettings`). */
export interface SessionAudioSettings {
  readonly sampleRate: number;
  readonly numberOfChannels: number;
}

/** SessionVideoPublisherSettings is the format of the frames given to `addVideo`. */
export interface SessionVideoPublisherSettings {
  readonly resolution: VideoResolution;
  readonly fps: number;
  readonly format: VonageVideoFormat;
}

/** SessionAVSettings: the publisher's audio and video formats and the subscribers' mix format. */
export interface SessionAVSettings {
  readonly audioPublisher?: SessionAudioSettings;
  readonly audioSubscribersMix?: SessionAudioSettings;
  readonly videoPublisher?: SessionVideoPublisherSettings;
}

/** LoggingSettings set the log level (Vonage `LoggingSettings`). */
export interface LoggingSettings {
  readonly level: "ERROR" | "WARN" | "INFO" | "DEBUG" | "TRACE";
}

/** SessionSettings configure a connection (Vonage `SessionSettings`). */
export interface SessionSettings {
  /** enableMigration is accepted for compatibility; one in-process room never migrates. */
  readonly enableMigration?: boolean;
  readonly av?: SessionAVSettings;
  readonly logging?: LoggingSettings;
}

/** PublisherAudioSettings (Vonage): stereo and Opus DTX. */
export interface PublisherAudioSettings {
  readonly enableStereoMode?: boolean;
  readonly enableOpusDtx?: boolean;
}

/** PublisherSettings configure the published stream: a name, and audio, video or both. */
export interface PublisherSettings {
  readonly name: string;
  readonly hasAudio?: boolean;
  readonly hasVideo?: boolean;
  readonly audioSettings?: PublisherAudioSettings;
}

/** SubscriberVideoSettings: the preferred resolution and frame rate of a subscription. */
export interface SubscriberVideoSettings {
  readonly preferredResolution?: VideoResolution;
  readonly preferredFramerate?: number;
}

/** SubscriberSettings say what to receive of a stream: audio, video or both. */
export interface SubscriberSettings {
  readonly subscribeToAudio?: boolean;
  readonly subscribeToVideo?: boolean;
  readonly videoSettings?: SubscriberVideoSettings;
}

/** AudioData is 16-bit PCM, interleaved (Vonage `AudioData`). */
export interface AudioData {
  readonly sampleBuffer: Int16Array;
  readonly sampleRate: number;
  readonly numberOfChannels: number;
  readonly numberOfFrames: number;
}

/** VideoFrame is one raw frame (Vonage `VideoFrame`): 8-bit data in `format`, at `resolution`. */
export interface VideoFrame {
  readonly frameBuffer: Uint8Array;
  readonly resolution: VideoResolution;
  readonly format: VonageVideoFormat;
}
