import {
  Connector,
  type ConnectorTokens,
  type JoinRoomOptions,
  type ServerParticipant,
} from "@framewire/connector";
import type { InviteVerdict } from "@framewire/sip-signaling";
import { SipVideoBackend } from "@framewire/sip-signaling";
import { AudioVideoChannel, RoomKit } from "@framewire/video-bridge";
import { type NodeConfig, nodeUri } from "./cluster-config.js";
import { type Health, healthSocketFactory } from "./options-health.js";
import { NodeRegistry } from "./registry.js";

/** ClusterNodeOptions: the node's config, the registry's address and heartbeat. */
export interface ClusterNodeOptions {
  readonly node: NodeConfig;
  readonly redisHost: string;
  readonly redisPort: number;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTtlMs: number;
  /** maxParticipants per room (default 10). */
  readonly maxParticipants?: number;
  /**
   * drainTimeoutMs bounds {@link ClusterNode.drainAndStop}: calls still up after it are ended
   * with BYE (default {@link DEFAULT_DRAIN_TIMEOUT_MS}).
   */
  readonly drainTimeoutMs?: number;
  /** botTokens: when set, a bot's join (`joinBot`, `connector`) needs a valid access token. */
  readonly botTokens?: ConnectorTokens;
  /** log receives one line per event (joins, leaves, claims, registry trouble). */
  readonly log?: (line: string) => void;
}

/** DEFAULT_DRAIN_TIMEOUT_MS: how long a drain lets calls go on before it ends them (60 s). */
export const DEFAULT_DRAIN_TIMEOUT_MS = 60_000;

/** DrainOutcome is how a drain ended: its last call left ("empty"), at the limit, or stopped. */
export interface DrainOutcome {
  readonly ended: "empty" | "limit" | "stopped";
  /** ms from the start of the drain to its end (before the stop). */
  readonly ms: number;
  /** calls still up when the drain ended (ended with BYE by the stop). */
  readonly calls: number;
}

/** NodeEvent is one line of what a node did, printed as JSON by the node process. */
export type NodeEvent =
  | { readonly event: "joined"; readonly room: string; readonly session: string }
  | {
      readonly event: "left";
      readonly room: string;
      readonly session: string;
      /** calls and RTP port pairs still held by the node after this session left. */
      readonly calls: number;
      readonly ports: number;
    }
  | { readonly event: "misrouted"; readonly room: string; readonly owner: string | undefined }
  /** a new room refused while draining (503); `released` when Kamailio had pinned it here. */
  | { readonly event: "refused-draining"; readonly room: string; readonly released: boolean }
  | { readonly event: "released"; readonly room: string }
  | { readonly event: "draining"; readonly calls: number; readonly rooms: number }
  /** the first OPTIONS ping answered 503 since the drain began (Kamailio sets the node inactive). */
  | { readonly event: "draining-announced"; readonly afterMs: number }
  | ({ readonly event: "drained" } & DrainOutcome)
  | { readonly event: "registry-error"; readonly message: string };

/**
 * RoomPlacement says where a room meets: `here` (this node holds it, claimed now if it was new),
 * or on another node (`node` and its SIP `uri` from the registry), or nowhere yet because this
 * node drains or stops and the room does not meet here, or because the registry does not hold
 * this node's heartbeat (`unregistered`: it expired; a room is never claimed for such a node).
 */
export type RoomPlacement =
  | { readonly here: true }
  | {
      readonly here: false;
      readonly reason: "elsewhere";
      readonly node: string;
      readonly uri: string | undefined;
    }
  | { readonly here: false; readonly reason: "draining" | "stopping" | "unregistered" };

/**
 * BotPlacement is what {@link ClusterNode.joinBot} did: joined the room here, or joined nothing
 * because the room meets elsewhere (run the bot on `node`) or this node takes no new rooms.
 */
export type BotPlacement =
  | { readonly here: true; readonly participant: ServerParticipant }
  | Exclude<RoomPlacement, { readonly here: true }>;

/** GRACE_MS: a claimed room without sessions is kept this long for calls still being set up. */
const GRACE_MS = 5000;

/**
 * ClusterNode is one Framewire node of the cluster: a SIP audio+video bridge (SipVideoBackend,
 * RoomKit, one AudioVideoChannel: every INVITE to sip:<room>@… joins room <room>, as in the demo)
 * that registers in Redis, claims the rooms its calls join (a call for a room that meets on
 * another node is refused 503, so a room never splits), releases them once empty, and answers
 * Kamailio's OPTIONS 200 while up, 503 while draining.
 */
export class ClusterNode {
  readonly backend: SipVideoBackend;
  readonly kit = new RoomKit();
  readonly registry: NodeRegistry;
  private health: Health = "up";
  /** rooms this node claimed, with the time of the last call admitted to each. */
  private readonly claimed = new Map<string, number>();
  private sweeper: NodeJS.Timeout | undefined;
  private botConnector: Connector | undefined;
  private readonly log: (event: NodeEvent) => void;
  /** when the drain began (undefined while up), and whether a ping was answered 503 since. */
  private drainingSince: number | undefined;
  private announced = false;
  /** the last admitted INVITE (its session may not be registered yet). */
  private lastAdmitAt = 0;
  private stopping: Promise<void> | undefined;
  private wakeDrain: (() => void) | undefined;

  constructor(private readonly options: ClusterNodeOptions) {
    const { node } = options;
    const errorLoggedAt = new Map<string, number>();
    this.log = (event) => {
      if (event.event === "registry-error") {
        // ioredis reports every reconnection attempt: one line per message and 10 s
        const now = Date.now();
        if (now - (errorLoggedAt.get(event.message) ?? 0) < 10_000) return;
        if (errorLoggedAt.size > 100) errorLoggedAt.clear();
        errorLoggedAt.set(event.message, now);
      }
      options.log?.(JSON.stringify({ node: node.name, ...event }));
    };
    this.registry = new NodeRegistry({
      redisHost: options.redisHost,
      redisPort: options.redisPort,
      node: node.name,
      uri: nodeUri(node),
      intervalMs: options.heartbeatIntervalMs,
      ttlMs: options.heartbeatTtlMs,
      onError: (e) => this.log({ event: "registry-error", message: e.message }),
    });
    this.backend = new SipVideoBackend({
      localSipAddr: [node.host, node.sipPort],
      localRtpIp: node.host,
      rtpPortStart: node.rtpPortStart,
      rtpPortEnd: node.rtpPortEnd,
      supportedVideoCodecs: ["H264", "VP8", "VP9"],
      maxCalls: 500,
      inviteFilter: (invite) => this.admit(invite.roomId),
      userAgent: {
        socketFactory: healthSocketFactory(
          () => this.health,
          undefined,
          () => this.onDrainingAnswer(),
        ),
      },
    });
    this.kit.registerChannel(
      new AudioVideoChannel("av", {
        backend: this.backend,
        bridge: { forwardingStrategy: "forward" },
        videoBridge: {
          maxParticipants: options.maxParticipants ?? 10,
          forwardingStrategy: "forward",
        },
      }),
    );
    this.kit.events$.subscribe((event) => {
      if (event.type === "session-started") {
        this.log({ event: "joined", room: event.roomId, session: event.session.id });
        return;
      }
      this.log({
        event: "left",
        room: event.roomId,
        session: event.session.id,
        calls: this.backend.sessionCount,
        ports: this.backend.portsInUse,
      });
      this.releaseIfEmpty(event.roomId, false);
      this.wakeDrain?.();
    });
    this.backend.onCall(async (session) => {
      await this.kit.join(session.roomId, "av", { session });
      this.backend.requestKeyframe(session);
    });
  }

  /**
   * connector is the node's in-process `Connector` on its "av" channel: server-side participants
   * (bots, recorders; the LiveKit- and Vonage-style facades take it) join this node's rooms
   * through it. A bot must run on the node that holds its room: ask {@link placeRoom} first, or
   * use {@link joinBot}, which does both.
   */
  get connector(): Connector {
    this.botConnector ??= new Connector(this.kit, {
      channelId: "av",
      ...(this.options.botTokens === undefined ? {} : { tokens: this.options.botTokens }),
    });
    return this.botConnector;
  }

  /**
   * placeRoom says where `room` meets, claiming it for this node when it is new (from then on
   * Kamailio sends the room's callers here, as for a room a call opened). A room that meets on
   * another node answers that node; while draining or stopping a room that does not meet here is
   * not claimed. A registry that cannot be reached places the room here (as a call would be).
   */
  async placeRoom(room: string): Promise<RoomPlacement> {
    if (this.stopping !== undefined) return { here: false, reason: "stopping" };
    const meets = this.claimed.has(room) || this.kit.getSessions(room).length > 0;
    if (this.health === "draining" && !meets) return { here: false, reason: "draining" };
    const claim = await this.claimHere(room);
    if (claim === "here") return { here: true };
    if (claim === "stopping") return { here: false, reason: "stopping" };
    if (claim.owner === undefined) return { here: false, reason: "unregistered" };
    return {
      here: false,
      reason: "elsewhere",
      node: claim.owner,
      uri: await this.nodeUriOf(claim.owner),
    };
  }

  /**
   * claimHere claims `room` for this node in the registry (both a call's INVITE and a bot come
   * through here): "here" once claimed (an unreachable registry counts as here: the proxy's hash
   * placed the room), the owner when it meets elsewhere (undefined: this node's heartbeat is not
   * in the registry), "stopping" when the node began to stop meanwhile (the claim undone).
   */
  private async claimHere(
    room: string,
  ): Promise<"here" | "stopping" | { readonly owner: string | undefined }> {
    let owner: string | undefined;
    try {
      owner = await this.registry.claim(room);
    } catch (e) {
      this.log({ event: "registry-error", message: (e as Error).message });
      owner = this.options.node.name;
    }
    if (owner !== this.options.node.name) return { owner };
    if (this.stopping !== undefined) {
      // stopped while claiming: the stop's release may have run already
      await this.registry.release(room).catch(() => false);
      return "stopping";
    }
    this.claimed.set(room, Date.now());
    return "here";
  }

  /**
   * joinBot places the bot's room ({@link placeRoom}) and, when it meets here, joins the bot
   * through {@link connector}; otherwise it joins nothing and answers where the room meets. A
   * join that fails (a bad token) leaves the room claimed only while others are in it.
   */
  async joinBot(options: JoinRoomOptions): Promise<BotPlacement> {
    const placement = await this.placeRoom(options.roomId);
    if (!placement.here) return placement;
    try {
      return { here: true, participant: await this.connector.join(options) };
    } catch (e) {
      this.releaseIfEmpty(options.roomId, true, true);
      throw e;
    }
  }

  private async nodeUriOf(node: string): Promise<string | undefined> {
    try {
      return await this.registry.nodeUri(node);
    } catch {
      return undefined;
    }
  }

  /** state is "up" or "draining" (what OPTIONS pings are answered). */
  get state(): Health {
    return this.health;
  }

  /** rooms lists the rooms with sessions on this node. */
  rooms(): string[] {
    return [...this.claimed.keys()].filter((room) => this.kit.getSessions(room).length > 0);
  }

  /** start binds SIP, registers the heartbeat and sweeps empty rooms every heartbeat interval. */
  async start(): Promise<void> {
    await this.registry.start();
    await this.backend.start();
    this.sweeper = setInterval(() => {
      for (const room of [...this.claimed.keys()]) this.releaseIfEmpty(room, true);
    }, this.options.heartbeatIntervalMs);
  }

  /** calls is the number of calls on this node, answered or being answered. */
  get calls(): number {
    return this.backend.sessionCount;
  }

  /**
   * drain answers OPTIONS 503 (Kamailio stops placing new rooms here at its next ping) and
   * refuses new rooms; rooms that meet here keep their calls and still admit their callers (a
   * room never splits). The node keeps running (SIGUSR2); see {@link drainAndStop}.
   */
  drain(): void {
    if (this.drainingSince !== undefined) return;
    this.health = "draining";
    this.drainingSince = Date.now();
    this.log({ event: "draining", calls: this.calls, rooms: this.rooms().length });
  }

  /**
   * drainAndStop drains (see {@link drain}), lets the calls go on until the last one left or
   * `drainTimeoutMs` ran out, then stops (the calls left get BYE, the rooms are released, the
   * heartbeat deleted). A {@link stop} meanwhile ends the drain at once ("stopped").
   */
  async drainAndStop(): Promise<DrainOutcome> {
    this.drain();
    const since = this.drainingSince ?? Date.now();
    const limit = since + (this.options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS);
    let ended: DrainOutcome["ended"] = "limit";
    while (Date.now() < limit) {
      if (this.stopping !== undefined) {
        ended = "stopped";
        break;
      }
      // an INVITE admitted in the last second may not have its session yet
      if (this.calls === 0 && Date.now() - this.lastAdmitAt > 1000) {
        ended = "empty";
        break;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(250, Math.max(1, limit - Date.now())));
        this.wakeDrain = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeDrain = undefined;
    }
    const outcome: DrainOutcome = { ended, ms: Date.now() - since, calls: this.calls };
    this.log({ event: "drained", ...outcome });
    await this.stop();
    return outcome;
  }

  /** stop hangs up every call, releases the rooms, deletes the heartbeat, closes the sockets. */
  stop(): Promise<void> {
    this.stopping ??= this.stopNow();
    this.wakeDrain?.();
    return this.stopping;
  }

  private async stopNow(): Promise<void> {
    this.health = "draining";
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    const hadCalls = this.calls > 0;
    this.kit.close();
    this.backend.close();
    // the BYEs are out: give their 200s a moment before the socket closes
    if (hadCalls) await new Promise((resolve) => setTimeout(resolve, 300));
    await this.backend.stop();
    await Promise.allSettled([...this.claimed.keys()].map((room) => this.registry.release(room)));
    this.claimed.clear();
    await this.registry.close();
  }

  private onDrainingAnswer(): void {
    if (this.announced || this.drainingSince === undefined) return;
    this.announced = true;
    this.log({ event: "draining-announced", afterMs: Date.now() - this.drainingSince });
  }

  /** admit decides an incoming INVITE: the room must meet here (claimed by Kamailio or by us). */
  private async admit(room: string): Promise<InviteVerdict> {
    if (this.stopping !== undefined) return { accept: false, statusCode: 503 };
    // a room meets here while claimed by this node (its first call may still be joining)
    const meets = this.claimed.has(room) || this.kit.getSessions(room).length > 0;
    if (this.health === "draining" && !meets) {
      // Kamailio may have pinned the room here before its next ping saw the 503: unpin it, so
      // the caller's retry is placed on a live node
      const released = await this.registry.release(room).catch(() => false);
      this.log({ event: "refused-draining", room, released });
      return { accept: false, statusCode: 503 };
    }
    const claim = await this.claimHere(room);
    if (claim === "stopping") return { accept: false, statusCode: 503 };
    if (claim !== "here") {
      this.log({ event: "misrouted", room, owner: claim.owner });
      return { accept: false, statusCode: 503 };
    }
    this.lastAdmitAt = Date.now();
    return { accept: true };
  }

  private releaseIfEmpty(room: string, sweeping: boolean, now = false): void {
    const admittedAt = this.claimed.get(room);
    if (admittedAt === undefined || this.kit.getSessions(room).length > 0) return;
    if (!now && sweeping && Date.now() - admittedAt < GRACE_MS) return;
    if (!sweeping && Date.now() - admittedAt < 1000) return; // a call of it may still be joining
    this.claimed.delete(room);
    this.registry
      .release(room)
      .then((released) => {
        if (released) this.log({ event: "released", room });
      })
      .catch((e: Error) => this.log({ event: "registry-error", message: e.message }));
  }
}
