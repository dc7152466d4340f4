import type { ServerParticipant } from "../core/server-participant.js";
import { ConnectorError } from "../errors.js";
import { AudioSource } from "./audio-source.js";
import { EncodedVideoSource } from "./encoded-video-source.js";
import { StreamState, TrackKind } from "./enums.js";
import { VideoSource } from "./video-source.js";

/** RemoteTrackLink is what a remote track's streams open their core stream on (internal). */
export interface RemoteTrackLink {
  readonly core: ServerParticipant;
  /** sessionId of the member whose track it is. */
  readonly sessionId: string;
  /** streams opened on the track: closed (`unsubscribed`) when the track is unsubscribed. */
  readonly streams: Set<{ close(): Promise<void> }>;
  /** subscribed is false once the track is unsubscribed. */
  subscribed: boolean;
}

/** TrackInit is what a track is made of (internal: tracks are made by the room or the create calls). */
export interface TrackInit {
  readonly sid: string;
  readonly name: string;
  readonly kind: TrackKind;
}

let serial = 0;
/** nextTrackSid is a new `TR_` sid, unique in the process. */
export function nextTrackSid(): string {
  serial++;
  return `TR_${serial.toString(36).padStart(6, "0")}`;
}

const remoteLinks = new WeakMap<Track, RemoteTrackLink>();
const videoSources = new WeakMap<Track, VideoSource | EncodedVideoSource>();
const audioSources = new WeakMap<Track, AudioSource>();

/** Track is LiveKit's track: a sid, a name, a kind. */
export abstract class Track {
  readonly #init: TrackInit;

  constructor(init: TrackInit) {
    this.#init = init;
  }

  get sid(): string | undefined {
    return this.#init.sid;
  }

  get name(): string | undefined {
    return this.#init.name;
  }

  get kind(): TrackKind | undefined {
    return this.#init.kind;
  }

  /** muted is always false: Framewire has no track mute. */
  get muted(): boolean | undefined {
    return false;
  }

  get stream_state(): StreamState | undefined {
    return StreamState.STATE_ACTIVE;
  }

  /** close releases the track (a remote track: its streams end as `unsubscribed`). */
  async close(): Promise<void> {
    const link = remoteLinks.get(this);
    if (link !== undefined) await Promise.all([...link.streams].map((s) => s.close()));
  }
}

/** LocalAudioTrack is an AudioSource as a track to publish (`createAudioTrack`). */
export class LocalAudioTrack extends Track {
  /** createAudioTrack makes a track of `source` named `name`. */
  static createAudioTrack(name: string, source: AudioSource): LocalAudioTrack {
    if (!(source instanceof AudioSource))
      throw new ConnectorError("BAD_OPTION", "createAudioTrack takes an AudioSource");
    const track = new LocalAudioTrack({ sid: nextTrackSid(), name, kind: TrackKind.KIND_AUDIO });
    audioSources.set(track, source);
    return track;
  }

  /** close closes the source too unless `closeSource` is false. */
  override async close(closeSource = true): Promise<void> {
    if (closeSource) await audioSources.get(this)?.close();
  }
}

/** LocalVideoTrack is a VideoSource (or our EncodedVideoSource) as a track to publish (`createVideoTrack`). */
export class LocalVideoTrack extends Track {
  /** createVideoTrack makes a track of `source` named `name`. */
  static createVideoTrack(name: string, source: VideoSource | EncodedVideoSource): LocalVideoTrack {
    if (!(source instanceof VideoSource) && !(source instanceof EncodedVideoSource))
      throw new ConnectorError(
        "BAD_OPTION",
        "createVideoTrack takes a VideoSource or an EncodedVideoSource",
      );
    const track = new LocalVideoTrack({ sid: nextTrackSid(), name, kind: TrackKind.KIND_VIDEO });
    videoSources.set(track, source);
    return track;
  }

  /** close closes the source too unless `closeSource` is false. */
  override async close(closeSource = true): Promise<void> {
    if (closeSource) await videoSources.get(this)?.close();
  }
}

/** RemoteVideoTrack is a subscribed member's video: open a `VideoStream` on it to get frames. */
export class RemoteVideoTrack extends Track {}

/** RemoteAudioTrack is a subscribed member's audio: open an `AudioStream` on it to get frames. */
export class RemoteAudioTrack extends Track {}

/** LocalTrack is a track the local participant publishes. */
export type LocalTrack = LocalVideoTrack | LocalAudioTrack;
/** RemoteTrack is a track of a remote participant. */
export type RemoteTrack = RemoteVideoTrack | RemoteAudioTrack;
/** AudioTrack is a local or remote audio track. */
export type AudioTrack = LocalAudioTrack | RemoteAudioTrack;
/** VideoTrack is a local or remote video track. */
export type VideoTrack = LocalVideoTrack | RemoteVideoTrack;

/** createRemoteTrack makes the track of a subscribed publication (the room calls it). */
export function createRemoteTrack(init: TrackInit, link: RemoteTrackLink): RemoteTrack {
  const track =
    init.kind === TrackKind.KIND_VIDEO ? new RemoteVideoTrack(init) : new RemoteAudioTrack(init);
  remoteLinks.set(track, link);
  return track;
}

/** remoteTrackLink is a remote track's link, or undefined for a local track. */
export function remoteTrackLink(track: Track): RemoteTrackLink | undefined {
  return remoteLinks.get(track);
}

/** localVideoSource is the source of a LocalVideoTrack. */
export function localVideoSource(track: Track): VideoSource | EncodedVideoSource | undefined {
  return videoSources.get(track);
}

/** localAudioSource is the source of a LocalAudioTrack. */
export function localAudioSource(track: Track): AudioSource | undefined {
  return audioSources.get(track);
}
