import type { Subscription } from "rxjs";
import type { AudioPublication } from "../core/audio-publication.js";
import type { ServerParticipant } from "../core/server-participant.js";
import type { StreamEndReason } from "../core/stream-end-reason.js";
import type { VideoPublication } from "../core/video-publication.js";
import { ConnectorError } from "../errors.js";
import { bindEncodedVideoSource, EncodedVideoSource } from "./encoded-video-source.js";
import {
  type DisconnectReason,
  type ParticipantKind,
  TrackKind,
  TrackSource,
  VideoCodec,
} from "./enums.js";
import { type LocalTrack, localAudioSource, localVideoSource, type Track } from "./track.js";
import {
  LocalTrackPublication,
  type RemoteTrackPublication,
  type TrackPublication,
} from "./track-publication.js";
import { TrackPublishOptions } from "./track-publish-options.js";
import { bindVideoSource } from "./video-source.js";

/** ParticipantInit is what a participant is made of (internal: the room makes them). */
export interface ParticipantInit {
  readonly sid: string;
  readonly identity: string;
  readonly name: string;
  readonly metadata: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly kind: ParticipantKind;
}

/** Participant is LiveKit's participant: identity, sid, name, metadata and its track publications. */
export abstract class Participant {
  trackPublications: Map<string, TrackPublication> = new Map();
  readonly #init: ParticipantInit;
  #disconnectReason: DisconnectReason | undefined;

  constructor(init: ParticipantInit) {
    this.#init = init;
  }

  get sid(): string | undefined {
    return this.#init.sid;
  }

  get name(): string | undefined {
    return this.#init.name;
  }

  get identity(): string {
    return this.#init.identity;
  }

  /** metadata is the token's metadata (empty for SIP/RTP callers). */
  get metadata(): string {
    return this.#init.metadata;
  }

  get attributes(): Record<string, string> {
    return { ...this.#init.attributes };
  }

  get kind(): ParticipantKind {
    return this.#init.kind;
  }

  get disconnectReason(): DisconnectReason | undefined {
    return this.#disconnectReason;
  }

  /** setDisconnectReason records why the participant left (the room calls it). */
  protected setDisconnectReason(reason: DisconnectReason): void {
    this.#disconnectReason = reason;
  }
}

/** RemoteParticipantLink ties a remote participant to its member of the core (internal). */
export interface RemoteParticipantLink {
  readonly core: ServerParticipant;
  readonly sessionId: string;
  /** changed is called after each change of the participant's publications, and when it is gone. */
  readonly watchers: Set<() => void>;
  /** gone is why the participant can publish nothing more (it left, the room disconnected). */
  gone: StreamEndReason | undefined;
}

const remoteLinks = new WeakMap<RemoteParticipant, RemoteParticipantLink>();

/** RemoteParticipant is another member of the room: a SIP/RTP caller or a server-side participant. */
export class RemoteParticipant extends Participant {
  declare trackPublications: Map<string, RemoteTrackPublication>;

  /** @internal the room makes remote participants. */
  constructor(init: ParticipantInit, link: RemoteParticipantLink) {
    super(init);
    remoteLinks.set(this, link);
  }

  /** @internal the room records the reason when the participant leaves. */
  left(reason: DisconnectReason): void {
    this.setDisconnectReason(reason);
  }
}

/** remoteParticipantLink is a remote participant's link to the core. */
export function remoteParticipantLink(p: RemoteParticipant): RemoteParticipantLink | undefined {
  return remoteLinks.get(p);
}

/** LocalParticipantLink is what the local participant publishes through (internal). */
export interface LocalParticipantLink {
  readonly core: ServerParticipant;
  readonly videoCodec: VideoCodec;
  /** whenSubscriber resolves once another member is in the room. */
  readonly whenSubscriber: () => Promise<void>;
  readonly published: (publication: LocalTrackPublication) => void;
  readonly unpublished: (publication: LocalTrackPublication) => void;
}

interface Published {
  readonly publication: LocalTrackPublication;
  readonly core: VideoPublication | AudioPublication;
  readonly feed: Subscription | undefined;
}

/**
 * LocalParticipant is the program in the room: it publishes a `LocalVideoTrack` (a VideoSource,
 * encoded in the room's codec) and a `LocalAudioTrack` (an AudioSource, paced on its own clock),
 * one of each at a time.
 */
export class LocalParticipant extends Participant {
  declare trackPublications: Map<string, LocalTrackPublication>;
  readonly #link: LocalParticipantLink;
  readonly #published = new Map<string, Published>();

  /** @internal the room makes the local participant. */
  constructor(init: ParticipantInit, link: LocalParticipantLink) {
    super(init);
    this.#link = link;
  }

  /**
   * publishTrack publishes `track`. PERMISSION_DENIED without the token's `canPublish`;
   * INVALID_STATE when the track is published already, a track of its kind is, or its source is
   * closed; SESSION_CLOSED once the room is disconnected; BAD_OPTION for a `videoCodec` that is
   * not the room's.
   */
  async publishTrack(
    track: LocalTrack,
    options: TrackPublishOptions = new TrackPublishOptions(),
  ): Promise<LocalTrackPublication> {
    const sid = track.sid ?? "";
    if (this.#published.has(sid))
      throw new ConnectorError("INVALID_STATE", `track ${sid} is published already`);
    const core = this.#link.core;
    const video = localVideoSource(track);
    const audio = localAudioSource(track);
    let published: Published;
    if (video !== undefined) {
      if (video.closed) throw new ConnectorError("INVALID_STATE", "the VideoSource is closed");
      if (options.videoCodec !== undefined && options.videoCodec !== this.#link.videoCodec)
        throw new ConnectorError(
          "BAD_OPTION",
          `videoCodec ${VideoCodec[options.videoCodec] ?? options.videoCodec}: this room publishes ${VideoCodec[this.#link.videoCodec]} (RoomOptions.videoCodec)`,
        );
      const enc = options.videoEncoding;
      const encoded = video instanceof EncodedVideoSource;
      const pub = await core.publishVideo({
        width: video.width,
        height: video.height,
        ...(encoded ? { encoded: true } : {}),
        ...(enc?.maxFramerate === undefined ? {} : { fps: enc.maxFramerate }),
        ...(enc?.maxBitrate === undefined ? {} : { bitrate: Number(enc.maxBitrate) }),
      });
      const publication = new LocalTrackPublication(
        {
          sid,
          name: track.name ?? "",
          kind: TrackKind.KIND_VIDEO,
          source:
            options.source ??
            (!encoded && video.isScreencast
              ? TrackSource.SOURCE_SCREENSHARE
              : TrackSource.SOURCE_CAMERA),
          mimeType: this.#link.videoCodec === VideoCodec.VP8 ? "video/VP8" : "video/H264",
          width: video.width,
          height: video.height,
        },
        this.#link.whenSubscriber(),
      );
      if (encoded) bindEncodedVideoSource(video, pub);
      else bindVideoSource(video, pub);
      published = { publication, core: pub, feed: undefined };
    } else if (audio !== undefined) {
      if (audio.closed) throw new ConnectorError("INVALID_STATE", "the AudioSource is closed");
      const pub = core.publishAudio({ sampleRate: audio.sampleRate, channels: audio.numChannels });
      const feed = audio.periods$.subscribe((p) => {
        if (!pub.closed) pub.send(p.samples);
      });
      const publication = new LocalTrackPublication(
        {
          sid,
          name: track.name ?? "",
          kind: TrackKind.KIND_AUDIO,
          source: options.source ?? TrackSource.SOURCE_MICROPHONE,
          mimeType: "audio/L16",
        },
        this.#link.whenSubscriber(),
      );
      published = { publication, core: pub, feed };
    } else
      throw new ConnectorError(
        "BAD_OPTION",
        "publishTrack takes a LocalVideoTrack or LocalAudioTrack",
      );
    published.publication.track = track;
    this.#published.set(sid, published);
    this.trackPublications.set(sid, published.publication);
    this.#link.published(published.publication);
    return published.publication;
  }

  /**
   * unpublishTrack stops publishing the track `trackSid` (the members see it unpublished);
   * `stopOnUnpublish` also closes its source. SESSION_NOT_FOUND for a sid not published.
   */
  async unpublishTrack(trackSid: string, stopOnUnpublish = false): Promise<void> {
    const p = this.#published.get(trackSid);
    if (p === undefined)
      throw new ConnectorError("SESSION_NOT_FOUND", `no published track ${trackSid}`);
    await this.#release(p);
    if (stopOnUnpublish) await p.publication.track?.close(true);
    this.#link.unpublished(p.publication);
    p.publication.track = undefined;
  }

  /** @internal the room releases every publication when it disconnects (no events). */
  async released(): Promise<void> {
    await Promise.all([...this.#published.values()].map((p) => this.#release(p)));
  }

  async #release(p: Published): Promise<void> {
    const sid = p.publication.sid ?? "";
    this.#published.delete(sid);
    this.trackPublications.delete(sid);
    p.feed?.unsubscribe();
    const track: Track | undefined = p.publication.track;
    const video = track === undefined ? undefined : localVideoSource(track);
    if (video instanceof EncodedVideoSource) bindEncodedVideoSource(video, undefined);
    else if (video !== undefined) bindVideoSource(video, undefined);
    await p.core.close();
  }
}
