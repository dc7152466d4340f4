import type { VideoCodec } from "@framewire/rtp-video";
import type { RoomKit } from "@framewire/video-bridge";
import { asyncScheduler, type SchedulerLike } from "rxjs";
import type { VerifiedAccess } from "../access-grants.js";
import { ConnectorError } from "../errors.js";
import { verifyAccessToken } from "../verify-access-token.js";
import { ConnectorBackend } from "./connector-backend.js";
import { ParticipantSession } from "./participant-session.js";
import { ServerParticipant } from "./server-participant.js";

/** ConnectorTokens make every join present an access token (`createAccessToken`). */
export interface ConnectorTokens {
  /** secret the tokens are signed with (HS256; at least 32 bytes). */
  readonly secret: string | Uint8Array;
  /** applicationId the tokens must be issued for (LiveKit's API key, Vonage's application id). */
  readonly applicationId?: string;
  /** clockToleranceMs for expiry and not-before; default 0. */
  readonly clockToleranceMs?: number;
  /** clock for expiry checks; default `Date`. */
  readonly clock?: { now(): number };
}

/** ConnectorOptions attach a Connector to a RoomKit channel. */
export interface ConnectorOptions {
  /** channelId of the kit's channel whose bridges the participants join (its rooms). */
  readonly channelId: string;
  /** tokens: when set, a join needs a valid token for its room. */
  readonly tokens?: ConnectorTokens;
  /** scheduler for streams and publications (virtual time in tests); default asyncScheduler. */
  readonly scheduler?: SchedulerLike;
}

/** JoinRoomOptions say who joins which room. */
export interface JoinRoomOptions {
  /** roomId: the room (LiveKit's room name, Vonage's session id). */
  readonly roomId: string;
  /** token: required when the connector has `tokens`; its identity is the participant's. */
  readonly token?: string;
  /** identity of the participant when the connector needs no tokens. */
  readonly identity?: string;
  /** metadata the other members see. */
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** videoCodec the participant publishes in; default "h264" (what SIP phones decode). */
  readonly videoCodec?: Extract<VideoCodec, "h264" | "vp8">;
}

/**
 * Connector is the server side of server-side participants: attached to one channel of a
 * `RoomKit`, it admits participants into that channel's rooms (checking their tokens when it has
 * `tokens`) through its in-process backend, like any other session: the bridges forward their
 * video and audio, hooks see them, and `kit.leave` or `kit.close` ends them. A participant whose
 * identity is already in the room replaces the earlier one (as LiveKit does).
 */
export class Connector {
  readonly kit: RoomKit;
  readonly channelId: string;
  readonly backend = new ConnectorBackend();
  readonly #options: ConnectorOptions;
  readonly #scheduler: SchedulerLike;
  readonly #participants = new Map<string, ServerParticipant>();
  #serial = 0;

  constructor(kit: RoomKit, options: ConnectorOptions) {
    if (typeof options.channelId !== "string" || options.channelId === "")
      throw new ConnectorError("BAD_OPTION", "channelId must be a non-empty string");
    this.kit = kit;
    this.channelId = options.channelId;
    this.#options = options;
    this.#scheduler = options.scheduler ?? asyncScheduler;
  }

  /** scheduler is the clock of the connector's streams and publications. */
  get scheduler(): SchedulerLike {
    return this.#scheduler;
  }

  /** requiresTokens is true when joins must present a token. */
  get requiresTokens(): boolean {
    return this.#options.tokens !== undefined;
  }

  /** participants lists the connector's participants that are in a room. */
  participants(): ServerParticipant[] {
    return [...this.#participants.values()];
  }

  /**
   * join admits a participant into `roomId`. With tokens: TOKEN_INVALID, TOKEN_EXPIRED,
   * TOKEN_WRONG_ROOM, TOKEN_WRONG_APPLICATION or PERMISSION_DENIED, and nothing is left behind;
   * without: `identity` is required (BAD_OPTION). A full room throws the bridge's ROOM_FULL.
   */
  async join(options: JoinRoomOptions): Promise<ServerParticipant> {
    if (typeof options.roomId !== "string" || options.roomId === "")
      throw new ConnectorError("BAD_OPTION", "roomId must be a non-empty string");
    let access: VerifiedAccess | undefined;
    let identity: string;
    const tokens = this.#options.tokens;
    if (tokens !== undefined) {
      access = await verifyAccessToken(options.token, {
        secret: tokens.secret,
        roomId: options.roomId,
        ...(tokens.applicationId === undefined ? {} : { applicationId: tokens.applicationId }),
        ...(tokens.clock === undefined ? {} : { clock: tokens.clock }),
        ...(tokens.clockToleranceMs === undefined
          ? {}
          : { clockToleranceMs: tokens.clockToleranceMs }),
      });
      identity = access.identity;
    } else {
      if (typeof options.identity !== "string" || options.identity === "")
        throw new ConnectorError("BAD_OPTION", "identity must be a non-empty string (no tokens)");
      identity = options.identity;
    }
    const videoCodec = options.videoCodec ?? "h264";
    if (videoCodec !== "h264" && videoCodec !== "vp8")
      throw new ConnectorError(
        "BAD_OPTION",
        `videoCodec must be h264 or vp8, got ${String(videoCodec)}`,
      );
    for (const p of this.#participants.values())
      if (p.roomId === options.roomId && p.identity === identity) await p.leave();
    const session = new ParticipantSession({
      id: `${identity}@connector#${++this.#serial}`,
      roomId: options.roomId,
      identity,
      channelId: this.channelId,
      videoCodec,
      metadata: {
        ...(options.metadata ?? {}),
        ...(access?.name === undefined ? {} : { name: access.name }),
        ...(access?.metadata === undefined ? {} : { tokenMetadata: access.metadata }),
      },
    });
    let participant: ServerParticipant | undefined;
    this.backend.attach(session, {
      keyframeRequested: () => participant?.keyframeRequested(),
      ended: () => {
        this.#participants.delete(session.id);
        participant?.ended();
      },
    });
    try {
      await this.kit.join(options.roomId, this.channelId, { session, backend: this.backend });
    } catch (e) {
      this.backend.end(session);
      session.ended();
      throw e;
    }
    participant = new ServerParticipant({
      kit: this.kit,
      channelId: this.channelId,
      session,
      backend: this.backend,
      scheduler: this.#scheduler,
      access,
    });
    this.#participants.set(session.id, participant);
    return participant;
  }

  /** close makes every participant leave. */
  async close(): Promise<void> {
    await Promise.all([...this.#participants.values()].map((p) => p.leave()));
  }
}
