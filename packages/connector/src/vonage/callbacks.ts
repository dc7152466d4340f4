// The Vonage Video Connector's callbacks (seed 004), camelCase and without the `_cb` suffix.
import type { MediaErrorCode } from "@framewire/media/frames";
import type { ConnectorErrorCode } from "../errors.js";
import type {
  AudioData,
  Connection,
  MediaBufferStats,
  Publisher,
  Session,
  Stream,
  Subscriber,
  VideoFrame,
} from "./models.js";

/** VonageErrorCode is the `errorCode` an error callback gets: a ConnectorError's or a MediaError's code. */
export type VonageErrorCode = ConnectorErrorCode | MediaErrorCode;

/**
 * SessionCallbacks are `connect`'s callbacks (Vonage `on_*_cb` of `connect`). Each is optional;
 * one that throws is caught (counted in `callbackErrors`) and never breaks the media path.
 */
export interface SessionCallbacks {
  /** onError: the session failed (a failed `connect` also rejects), or the room closed under it. */
  readonly onError?: (
    session: Session,
    errorDescription: string,
    errorCode: VonageErrorCode,
    error: Error,
  ) => void;
  /** onConnected: the client is in the session. */
  readonly onConnected?: (session: Session) => void;
  /** onDisconnected: the client is out of the session (after `disconnect`, or the room closed). */
  readonly onDisconnected?: (session: Session) => void;
  /** onConnectionCreated: another participant is in the session (those already there, then each newcomer). */
  readonly onConnectionCreated?: (session: Session, connection: Connection) => void;
  /** onConnectionDropped: a participant left the session. */
  readonly onConnectionDropped?: (session: Session, connection: Connection) => void;
  /** onStreamReceived: a participant publishes a stream (audio, video or both). */
  readonly onStreamReceived?: (session: Session, stream: Stream) => void;
  /** onStreamDropped: a participant's stream is gone (unpublished, or the participant left). */
  readonly onStreamDropped?: (session: Session, stream: Stream) => void;
  /** onAudioData: the mixed audio of the subscribed streams, in `av.audioSubscribersMix` format, every 20 ms. */
  readonly onAudioData?: (session: Session, audioData: AudioData) => void;
  /** onReadyForAudio: `addAudio` may be called (right after a publisher with audio is created). */
  readonly onReadyForAudio?: (session: Session) => void;
  /** onMediaBufferDrained: the audio or video buffer ran empty (once per drain: not again until refilled). */
  readonly onMediaBufferDrained?: (stats: MediaBufferStats) => void;
}

/** PublisherCallbacks are `publish`'s callbacks (Vonage `on_*_cb` of `publish`). */
export interface PublisherCallbacks {
  /** onError: publishing failed (a failed `publish` also rejects), or frames failed to encode. */
  readonly onError?: (
    publisher: Publisher,
    errorDescription: string,
    errorCode: VonageErrorCode,
    error: Error,
  ) => void;
  /** onStreamCreated: the published stream is in the session. */
  readonly onStreamCreated?: (publisher: Publisher) => void;
  /** onStreamDestroyed: the published stream is gone (`unpublish`, `disconnect`, or the room closed). */
  readonly onStreamDestroyed?: (publisher: Publisher) => void;
}

/** SubscriberCallbacks are `subscribe`'s callbacks (Vonage `on_*_cb` of `subscribe`). */
export interface SubscriberCallbacks {
  /** onError: subscribing failed (a failed `subscribe` also rejects), or access units failed to decode. */
  readonly onError?: (
    subscriber: Subscriber,
    errorDescription: string,
    errorCode: VonageErrorCode,
    error: Error,
  ) => void;
  /** onConnected: the subscription is set up. */
  readonly onConnected?: (subscriber: Subscriber) => void;
  /** onDisconnected: the subscription ended (`unsubscribe`, the stream dropped, `disconnect`). */
  readonly onDisconnected?: (subscriber: Subscriber) => void;
  /** onRenderFrame: one decoded frame of the stream at the preferred resolution, in the subscriber's format. */
  readonly onRenderFrame?: (subscriber: Subscriber, videoFrame: VideoFrame) => void;
}
