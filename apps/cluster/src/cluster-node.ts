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
  /** log receives one line per event (joins, leaves, claims, registry trouble). */
  readonly log?: (line: string) => void;
}

/** NodeEvent is one line of what a node did, printed as JSON by the node process. */
export type NodeEvent =
  | { readonly event: "joined" | "left"; readonly room: string; readonly session: string }
  | { readonly event: "misrouted"; readonly room: string; readonly owner: string | undefined }
  | { readonly event: "released"; readonly room: string }
  | { readonly event: "registry-error"; readonly message: string };

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
  private readonly log: (event: NodeEvent) => void;

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
      userAgent: { socketFactory: healthSocketFactory(() => this.health) },
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
      const type = event.type === "session-started" ? "joined" : "left";
      this.log({ event: type, room: event.roomId, session: event.session.id });
      if (event.type === "session-ended") this.releaseIfEmpty(event.roomId, false);
    });
    this.backend.onCall(async (session) => {
      await this.kit.join(session.roomId, "av", { session });
      this.backend.requestKeyframe(session);
    });
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

  /** drain answers OPTIONS 503 (Kamailio stops placing new rooms here); rooms that meet stay. */
  drain(): void {
    this.health = "draining";
  }

  /** stop hangs up every call, releases the rooms, deletes the heartbeat, closes the sockets. */
  async stop(): Promise<void> {
    this.health = "draining";
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    this.kit.close();
    await this.backend.stop();
    await Promise.allSettled([...this.claimed.keys()].map((room) => this.registry.release(room)));
    this.claimed.clear();
    await this.registry.close();
  }

  /** admit decides an incoming INVITE: the room must meet here (claimed by Kamailio or by us). */
  private async admit(room: string): Promise<InviteVerdict> {
    const meets = this.kit.getSessions(room).length > 0;
    if (this.health === "draining" && !meets) return { accept: false, statusCode: 503 };
    let owner: string | undefined;
    try {
      owner = await this.registry.claim(room);
    } catch (e) {
      // no registry: serve the call (the proxy's hash placed it), say so
      this.log({ event: "registry-error", message: (e as Error).message });
      owner = this.options.node.name;
    }
    if (owner !== this.options.node.name) {
      this.log({ event: "misrouted", room, owner });
      return { accept: false, statusCode: 503 };
    }
    this.claimed.set(room, Date.now());
    return { accept: true };
  }

  private releaseIfEmpty(room: string, sweeping: boolean): void {
    const admittedAt = this.claimed.get(room);
    if (admittedAt === undefined || this.kit.getSessions(room).length > 0) return;
    if (sweeping && Date.now() - admittedAt < GRACE_MS) return;
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
