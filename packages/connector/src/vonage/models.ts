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
  /** format of the frames `onRenderFrame` gets (ours: the seed names no setting); default YUV420P. */
  readonly format?: VonageVideoFormat;
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

/** Session is the session a client is connected to (Vonage `Session`): its id names the room. */
export interface Session {
  readonly id: string;
}

/** Connection is one participant's connection to a session (Vonage `Connection`). */
export interface Connection {
  /** id is unique in the session (the participant's session id in the room). */
  readonly id: string;
  /** creationTime is when the client first saw the connection (on its scheduler's clock). */
  readonly creationTime: Date;
  /** data is the connection data from the token (`metadata`), else the member's metadata as JSON, else "". */
  readonly data: string;
}

/** Stream is a participant's published media (Vonage `Stream`): audio, video or both. */
export interface Stream {
  /** id is unique in the session and the same for every participant (one stream per connection at a time). */
  readonly id: string;
  readonly connection: Connection;
}

/** Publisher is the client's own published stream (Vonage `Publisher`). */
export interface Publisher {
  readonly stream: Stream;
}

/** Subscriber is the client's subscription to another participant's stream (Vonage `Subscriber`). */
export interface Subscriber {
  readonly stream: Stream;
}

/** AudioBufferStats: the audio given to `addAudio` and not yet sent. */
export interface AudioBufferStats {
  /** durationMs is the queued audio, in ms (Vonage `duration`, a timedelta). */
  readonly durationMs: number;
}

/** VideoBufferStats: the frames given to `addVideo` and not yet sent. */
export interface VideoBufferStats {
  /** durationMs is the queued frames at the publisher's fps, in ms (Vonage `duration`). */
  readonly durationMs: number;
}

/** MediaBufferStats are the publisher's buffers (Vonage `MediaBufferStats`); a kind not published is absent. */
export interface MediaBufferStats {
  readonly audio?: AudioBufferStats;
  readonly video?: VideoBufferStats;
}
