import { decodeJwt } from "jose";
import type { Subscription } from "rxjs";
import { Connector } from "../core/connector.js";
import { loadMedia } from "../core/media-loader.js";
import type { ParticipantEvent } from "../core/participant-event.js";
import { ParticipantSession } from "../core/participant-session.js";
import type { TrackKind as CoreTrackKind, RemoteMember } from "../core/remote-member.js";
import type { ServerParticipant } from "../core/server-participant.js";
import { ConnectorError } from "../errors.js";
import {
  ConnectionState,
  DisconnectReason,
  ParticipantKind,
  TrackKind,
  TrackSource,
  VideoCodec,
} from "./enums.js";
import {
  LocalParticipant,
  type ParticipantInit,
  RemoteParticipant,
  type RemoteParticipantLink,
  remoteParticipantLink,
} from "./participant.js";
import { type RoomCallbacks, RoomEvent } from "./room-event.js";
import { createRemoteTrack, nextTrackSid, remoteTrackLink } from "./track.js";
import { RemoteTrackPublication } from "./track-publication.js";
import { safeEmit, typedEmitter } from "./typed-emitter.js";

/**
 * RoomServer is what `room.connect` takes where LiveKit takes the server's URL: the in-process
 * `Connector` of the kit whose room to join, or an object holding it (`{ connector }`).
 */
export type RoomServer = Connector | { readonly connector: Connector };

/**
 * RoomOptions are LiveKit's connect options: `autoSubscribe` (default true) subscribes to every
 * track as it is published; `dynacast` changes nothing (one layer per source). Ours:
 * `videoCodec` the local participant publishes in (H264, the default, or VP8). Encryption is
 * refused (BAD_OPTION): Framewire rooms carry media in the clear inside the process.
 */
export interface RoomOptions {
  autoSubscribe?: boolean;
  dynacast?: boolean;
  videoCodec?: VideoCodec;
  /**
   * rawMedia: false skips loading `@framewire/media` at connect, for a recorder or relay that
   * only uses `EncodedVideoStream` / `EncodedVideoSource` (a raw `VideoStream` or `VideoSource`
   * still loads it when used; `VideoFrame.convert` then needs `await loadMedia()`). Default true.
   */
  rawMedia?: boolean;
  e2ee?: never;
  encryption?: never;
  /** rtcConfig and dataStream are accepted and unused (there is no WebRTC transport). */
  rtcConfig?: unknown;
  dataStream?: unknown;
}

interface Pubs {
  video?: RemoteTrackPublication;
  audio?: RemoteTrackPublication;
}

let coreOf: (room: Room) => ServerParticipant | undefined;

/** roomCore is a connected room's participant core (internal). */
export function roomCore(room: Room): ServerParticipant {
  const core = coreOf(room);
  if (core === undefined) throw new ConnectorError("INVALID_STATE", "the room is not connected");
  return core;
}

const RoomBase = typedEmitter<RoomCallbacks>();

function participantInit(member: RemoteMember): ParticipantInit {
  const md = member.metadata;
  const attributes: Record<string, string> = {};
  for (const [k, v] of Object.entries(md))
    if (typeof v === "string" && k !== "name" && k !== "tokenMetadata") attributes[k] = v;
  return {
    sid: `PA_${member.sessionId}`,
    identity: member.identity,
    name: typeof md.name === "string" ? md.name : "",
    metadata: typeof md.tokenMetadata === "string" ? md.tokenMetadata : "",
    attributes,
    kind:
      member.session instanceof ParticipantSession ? ParticipantKind.STANDARD : ParticipantKind.SIP,
  };
}

/**
 * Room is LiveKit's `Room` over a Framewire participant core: `new Room()`, listeners by
 * `RoomEvent`, then `connect(server, token, options)` with the in-process `Connector` where
 * LiveKit takes a URL. Connecting checks the token (its `video.room` names the room), loads
 * `@framewire/media` (frames are raw), and emits `connectionStateChanged` and `connected`;
 * members already in the room are in `remoteParticipants` with their publications, and (with
 * `autoSubscribe`) their tracks are subscribed on the next turn, each with `trackSubscribed`, so
 * listeners added right after `connect` resolves still see them. Then members joining or leaving,
 * tracks published or unpublished and SIP callers' DTMF are emitted as LiveKit does; a throwing
 * listener never stops the others. The room ends with `disconnected` (`CLIENT_INITIATED` after
 * `disconnect()`, `ROOM_DELETED` when the kit closed, `PARTICIPANT_REMOVED` when the server side
 * ended the session), and every stream opened on it ends.
 */
export class Room extends RoomBase {
  remoteParticipants: Map<string, RemoteParticipant> = new Map();
  localParticipant?: LocalParticipant | undefined;
  #core: ServerParticipant | undefined;
  #state: "disconnected" | "connecting" | "connected" = "disconnected";
  #connectionState = ConnectionState.CONN_DISCONNECTED;
  #name: string | undefined;
  #creationTime = new Date(0);
  #autoSubscribe = true;
  #selfLeave = false;
  #subscription: Subscription | undefined;
  readonly #bySession = new Map<string, RemoteParticipant>();
  readonly #pubs = new Map<string, Pubs>();
  #waitingSubscriber: (() => void)[] = [];

  static {
    coreOf = (room) => (room.#state === "connected" ? room.#core : undefined);
  }

  get connectionState(): ConnectionState {
    return this.#connectionState;
  }

  /** name is the room's id (the token's `video.room`), once connected. */
  get name(): string | undefined {
    return this.#name;
  }

  get metadata(): string | undefined {
    return this.#name === undefined ? undefined : "";
  }

  get isConnected(): boolean {
    return this.#state === "connected";
  }

  get numParticipants(): number {
    return this.isConnected ? this.remoteParticipants.size + 1 : 0;
  }

  get numPublishers(): number {
    let n = this.localParticipant?.trackPublications.size ? 1 : 0;
    for (const p of this.remoteParticipants.values()) if (p.trackPublications.size > 0) n++;
    return n;
  }

  get creationTime(): Date {
    return this.#creationTime;
  }

  get isRecording(): boolean {
    return false;
  }

  /** getSid is the room's sid (`RM_` and its name), or "" when not connected. */
  async getSid(): Promise<string> {
    return this.#name === undefined || !this.isConnected ? "" : `RM_${this.#name}`;
  }

  /**
   * connect joins the room named by `token`'s `video.room` on `server` (see the class).
   * TOKEN_* and PERMISSION_DENIED from the connector's checks, MEDIA_UNAVAILABLE without
   * `@framewire/media`, INVALID_STATE when connected or connecting, BAD_OPTION for a bad server
   * or option; nothing is left behind on failure. A connector without tokens takes the identity
   * from the (unverified) token's `sub`.
   */
  async connect(server: RoomServer, token: string, opts: RoomOptions = {}): Promise<void> {
    if (this.#state !== "disconnected")
      throw new ConnectorError("INVALID_STATE", `the room is ${this.#state} already`);
    const connector =
      server instanceof Connector
        ? server
        : typeof server === "object" && server !== null && server.connector instanceof Connector
          ? server.connector
          : undefined;
    if (connector === undefined)
      throw new ConnectorError("BAD_OPTION", "connect takes a Connector (or { connector })");
    if (opts.e2ee !== undefined || opts.encryption !== undefined)
      throw new ConnectorError("BAD_OPTION", "end-to-end encryption is not supported");
    const videoCodec = opts.videoCodec ?? VideoCodec.H264;
    if (videoCodec !== VideoCodec.H264 && videoCodec !== VideoCodec.VP8)
      throw new ConnectorError(
        "BAD_OPTION",
        "videoCodec must be VideoCodec.H264 or VideoCodec.VP8",
      );
    const { roomId, identity } = unverifiedClaims(token);
    this.#state = "connecting";
    let core: ServerParticipant;
    try {
      if (opts.rawMedia !== false) await loadMedia();
      core = await connector.join({
        roomId,
        videoCodec: videoCodec === VideoCodec.VP8 ? "vp8" : "h264",
        ...(connector.requiresTokens ? { token } : { identity }),
      });
    } catch (e) {
      this.#state = "disconnected";
      throw e;
    }
    this.#core = core;
    this.#name = roomId;
    this.#creationTime = new Date();
    this.#autoSubscribe = opts.autoSubscribe ?? true;
    this.#selfLeave = false;
    this.remoteParticipants = new Map();
    this.localParticipant = new LocalParticipant(
      {
        sid: `PA_${core.session.id}`,
        identity: core.identity,
        name: core.access?.name ?? "",
        metadata: core.access?.metadata ?? "",
        attributes: {},
        kind: ParticipantKind.STANDARD,
      },
      {
        core,
        videoCodec,
        whenSubscriber: () =>
          this.remoteParticipants.size > 0
            ? Promise.resolve()
            : new Promise<void>((r) => this.#waitingSubscriber.push(r)),
        published: (pub) =>
          this.isConnected &&
          this.#emit(RoomEvent.LocalTrackPublished, pub, this.localParticipant!),
        unpublished: (pub) =>
          this.isConnected &&
          this.#emit(RoomEvent.LocalTrackUnpublished, pub, this.localParticipant!),
      },
    );
    this.#subscription = core.events$.subscribe((e) => this.#onEvent(e));
    if (!core.connected) {
      // ended between join and here (the kit closed): nothing to connect to
      this.#subscription.unsubscribe();
      this.#state = "disconnected";
      this.#core = undefined;
      this.localParticipant = undefined;
      throw new ConnectorError("SESSION_CLOSED", `the room ${roomId} closed while connecting`);
    }
    for (const m of core.members()) {
      const p = this.#addParticipant(m);
      for (const kind of ["video", "audio"] as const)
        if (m.tracks[kind]) this.#addPublication(p, m, kind);
    }
    this.#state = "connected";
    this.#setConnectionState(ConnectionState.CONN_CONNECTED);
    this.#emit(RoomEvent.Connected);
    if (this.#autoSubscribe)
      setImmediate(() => {
        if (this.#core !== core || !this.isConnected) return;
        for (const [sessionId, pubs] of this.#pubs) {
          const p = this.#bySession.get(sessionId);
          if (p === undefined) continue;
          for (const pub of [pubs.video, pubs.audio])
            if (pub !== undefined) this.#subscribe(p, pub);
        }
      });
  }

  /** disconnect leaves the room (`disconnected` with CLIENT_INITIATED), then removes every listener, as LiveKit does. */
  async disconnect(): Promise<void> {
    const core = this.#core;
    if (!this.isConnected || core === undefined) return;
    this.#selfLeave = true;
    await core.leave();
    await this.localParticipant?.released();
    this.removeAllListeners();
  }

  #emit<E extends keyof RoomCallbacks>(event: E, ...args: Parameters<RoomCallbacks[E]>): void {
    safeEmit<RoomCallbacks, E>(this, event, ...args);
  }

  #setConnectionState(state: ConnectionState): void {
    if (this.#connectionState === state) return;
    this.#connectionState = state;
    this.#emit(RoomEvent.ConnectionStateChanged, state);
  }

  #onEvent(e: ParticipantEvent): void {
    switch (e.type) {
      case "participant-joined": {
        const p = this.#addParticipant(e.member);
        this.#emit(RoomEvent.ParticipantConnected, p);
        for (const w of this.#waitingSubscriber.splice(0)) w();
        return;
      }
      case "track-published": {
        const p = this.#bySession.get(e.member.sessionId);
        if (p === undefined) return;
        const pub = this.#addPublication(p, e.member, e.kind);
        this.#emit(RoomEvent.TrackPublished, pub, p);
        this.#notify(p);
        if (this.#autoSubscribe) this.#subscribe(p, pub);
        return;
      }
      case "track-unpublished": {
        const p = this.#bySession.get(e.member.sessionId);
        if (p !== undefined) this.#removePublication(p, e.kind);
        return;
      }
      case "participant-left": {
        const p = this.#bySession.get(e.member.sessionId);
        if (p === undefined) return;
        this.#removePublication(p, "video");
        this.#removePublication(p, "audio");
        const link = remoteParticipantLink(p);
        if (link !== undefined) link.gone = "participantLeft";
        this.#notify(p);
        this.#bySession.delete(e.member.sessionId);
        this.#pubs.delete(e.member.sessionId);
        if (this.remoteParticipants.get(p.identity) === p)
          this.remoteParticipants.delete(p.identity);
        p.left(DisconnectReason.CLIENT_INITIATED);
        this.#emit(RoomEvent.ParticipantDisconnected, p);
        return;
      }
      case "dtmf": {
        const p = this.#bySession.get(e.member.sessionId);
        if (p !== undefined) this.#emit(RoomEvent.DtmfReceived, e.code, e.digit, p);
        return;
      }
      case "disconnected":
        this.#teardown(e.reason);
        return;
    }
  }

  #addParticipant(member: RemoteMember): RemoteParticipant {
    const link: RemoteParticipantLink = {
      core: this.#core!,
      sessionId: member.sessionId,
      watchers: new Set(),
      gone: undefined,
    };
    const p = new RemoteParticipant(participantInit(member), link);
    this.#bySession.set(member.sessionId, p);
    this.#pubs.set(member.sessionId, {});
    this.remoteParticipants.set(p.identity, p);
    return p;
  }

  #addPublication(
    p: RemoteParticipant,
    member: RemoteMember,
    kind: CoreTrackKind,
  ): RemoteTrackPublication {
    const pubs = this.#pubs.get(member.sessionId)!;
    const sid = nextTrackSid();
    const video = kind === "video";
    const codec = member.session.videoCodec;
    const pub = new RemoteTrackPublication(
      {
        sid,
        name: kind,
        kind: video ? TrackKind.KIND_VIDEO : TrackKind.KIND_AUDIO,
        source: video ? TrackSource.SOURCE_CAMERA : TrackSource.SOURCE_MICROPHONE,
        mimeType: video
          ? `video/${codec === undefined ? "H264" : codec.toUpperCase()}`
          : `audio/${member.session.audio.sendFormat.codec.toUpperCase()}`,
      },
      (publication, subscribed) => {
        const owner = this.#bySession.get(member.sessionId);
        if (owner === undefined || !this.isConnected)
          throw new ConnectorError("INVALID_STATE", "the track's participant is not in the room");
        if (subscribed) this.#subscribe(owner, publication);
        else this.#unsubscribe(owner, publication);
      },
    );
    pubs[kind] = pub;
    p.trackPublications.set(sid, pub);
    return pub;
  }

  #removePublication(p: RemoteParticipant, kind: CoreTrackKind): void {
    const link = remoteParticipantLink(p);
    const pubs = link === undefined ? undefined : this.#pubs.get(link.sessionId);
    const pub = pubs?.[kind];
    if (pubs === undefined || pub === undefined) return;
    this.#unsubscribe(p, pub);
    delete pubs[kind];
    p.trackPublications.delete(pub.sid ?? "");
    this.#emit(RoomEvent.TrackUnpublished, pub, p);
    this.#notify(p);
  }

  #subscribe(p: RemoteParticipant, pub: RemoteTrackPublication): void {
    const core = this.#core;
    const link = remoteParticipantLink(p);
    if (pub.subscribed || core === undefined || link === undefined || !this.isConnected) return;
    if (core.access !== undefined && !core.access.grants.canSubscribe) {
      this.#emit(
        RoomEvent.TrackSubscriptionFailed,
        pub.sid ?? "",
        p,
        "the token does not grant canSubscribe",
      );
      return;
    }
    const track = createRemoteTrack(
      { sid: pub.sid ?? "", name: pub.name ?? "", kind: pub.kind ?? TrackKind.KIND_UNKNOWN },
      { core, sessionId: link.sessionId, streams: new Set(), subscribed: true },
    );
    pub.track = track;
    pub.subscribed = true;
    this.#emit(RoomEvent.TrackSubscribed, track, pub, p);
  }

  #unsubscribe(p: RemoteParticipant, pub: RemoteTrackPublication): void {
    const track = pub.track;
    if (!pub.subscribed || track === undefined) return;
    const link = remoteTrackLink(track);
    if (link !== undefined) {
      link.subscribed = false;
      void Promise.all([...link.streams].map((s) => s.close()));
    }
    pub.track = undefined;
    pub.subscribed = false;
    this.#emit(RoomEvent.TrackUnsubscribed, track, pub, p);
  }

  #notify(p: RemoteParticipant): void {
    const link = remoteParticipantLink(p);
    if (link !== undefined) for (const w of [...link.watchers]) w();
  }

  #teardown(reason: "closed" | "roomClosed"): void {
    if (this.#state !== "connected") return;
    this.#state = "disconnected";
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
    for (const p of this.#bySession.values()) {
      const link = remoteParticipantLink(p);
      if (link !== undefined) link.gone = reason;
      for (const pub of p.trackPublications.values()) {
        const t = pub.track === undefined ? undefined : remoteTrackLink(pub.track);
        if (t !== undefined) t.subscribed = false;
      }
      this.#notify(p);
    }
    this.#bySession.clear();
    this.#pubs.clear();
    this.#waitingSubscriber = [];
    void this.localParticipant?.released();
    this.remoteParticipants = new Map();
    this.#setConnectionState(ConnectionState.CONN_DISCONNECTED);
    this.#emit(
      RoomEvent.Disconnected,
      this.#selfLeave
        ? DisconnectReason.CLIENT_INITIATED
        : reason === "roomClosed"
          ? DisconnectReason.ROOM_DELETED
          : DisconnectReason.PARTICIPANT_REMOVED,
    );
  }
}

/** unverifiedClaims reads the room and identity of a token before the connector verifies it. */
function unverifiedClaims(token: string): { roomId: string; identity: string } {
  let claims: Record<string, unknown>;
  try {
    claims = decodeJwt(token);
  } catch (cause) {
    throw new ConnectorError("TOKEN_INVALID", "the token is not a JWT", { cause });
  }
  const video = claims.video;
  const roomId =
    typeof video === "object" && video !== null
      ? (video as Record<string, unknown>).room
      : undefined;
  if (typeof roomId !== "string" || roomId === "")
    throw new ConnectorError("TOKEN_INVALID", "the token names no room (video.room)");
  const identity = typeof claims.sub === "string" ? claims.sub : "";
  return { roomId, identity };
}
