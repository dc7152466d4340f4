import { Redis } from "ioredis";
import { CLAIM_ROOM, nodeKey, RELEASE_ROOM, roomKey } from "./registry-scripts.js";

/** RegistryOptions: where Redis is, who this node is, how often it says it is alive. */
export interface RegistryOptions {
  readonly redisHost: string;
  readonly redisPort: number;
  /** node is this node's name (`node:<name>`, the value of its rooms' keys). */
  readonly node: string;
  /** uri is what the heartbeat holds (the node's SIP URI). */
  readonly uri: string;
  /** intervalMs between heartbeats (default 1000) and ttlMs of each (default 3000). */
  readonly intervalMs?: number;
  readonly ttlMs?: number;
  /** onError hears Redis failures (the node keeps serving its calls without the registry). */
  readonly onError?: (error: Error) => void;
}

/** RegistryStats counts what the registry did. */
export interface RegistryStats {
  readonly heartbeats: number;
  readonly heartbeatFailures: number;
  readonly claims: number;
  readonly claimsLost: number;
  readonly releases: number;
}

/**
 * NodeRegistry is a node's side of the Redis room registry: a heartbeat `node:<name>` (PX ttl,
 * refreshed every interval), rooms claimed with {@link CLAIM_ROOM} when a call arrives and
 * released with {@link RELEASE_ROOM} once they empty. `close()` deletes the heartbeat, so the
 * node's rooms can move at once; a node that dies leaves them until the TTL runs out.
 */
export class NodeRegistry {
  private readonly redis: Redis;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private counts = { heartbeats: 0, heartbeatFailures: 0, claims: 0, claimsLost: 0, releases: 0 };
  private readonly intervalMs: number;
  private readonly ttlMs: number;

  constructor(private readonly options: RegistryOptions) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.ttlMs = options.ttlMs ?? 3000;
    this.redis = new Redis({
      host: options.redisHost,
      port: options.redisPort,
      lazyConnect: true,
      // a command waits at most this long for a lost connection, then fails (no unbounded queue)
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      commandTimeout: 1000,
      retryStrategy: (times) => Math.min(times * 100, 1000),
    });
    this.redis.on("error", (e: Error) => options.onError?.(e));
  }

  /** stats are the registry's counters so far. */
  get stats(): RegistryStats {
    return { ...this.counts };
  }

  /** start connects, writes the first heartbeat and keeps refreshing it. */
  async start(): Promise<void> {
    await this.redis.connect();
    await this.beat();
    this.timer = setInterval(() => {
      this.beat().catch(() => undefined);
    }, this.intervalMs);
  }

  private async beat(): Promise<void> {
    try {
      await this.redis.set(nodeKey(this.options.node), this.options.uri, "PX", this.ttlMs);
      this.counts.heartbeats++;
    } catch (e) {
      this.counts.heartbeatFailures++;
      this.options.onError?.(e as Error);
      throw e;
    }
  }

  /**
   * claim asks which node `room` meets on, offering this node: this node's name when it owns the
   * room now (new, already ours, or taken over from a dead node), another node's name otherwise.
   */
  async claim(room: string): Promise<string | undefined> {
    const owner = (await this.redis.eval(CLAIM_ROOM, 1, roomKey(room), this.options.node)) as
      | string
      | null;
    if (owner === this.options.node) this.counts.claims++;
    else this.counts.claimsLost++;
    return owner ?? undefined;
  }

  /** release deletes `room` from the registry if this node still owns it. */
  async release(room: string): Promise<boolean> {
    const n = (await this.redis.eval(RELEASE_ROOM, 1, roomKey(room), this.options.node)) as number;
    if (n === 1) this.counts.releases++;
    return n === 1;
  }

  /** owner reads the node `room` meets on (undefined: nowhere). */
  async owner(room: string): Promise<string | undefined> {
    return (await this.redis.get(roomKey(room))) ?? undefined;
  }

  /** nodeUri reads a node's SIP URI from its heartbeat (undefined: the node is not alive). */
  async nodeUri(node: string): Promise<string | undefined> {
    return (await this.redis.get(nodeKey(node))) ?? undefined;
  }

  /** close stops the heartbeat, deletes it (the node's rooms may move) and disconnects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    try {
      if (this.redis.status === "ready") await this.redis.del(nodeKey(this.options.node));
    } catch {
      // Redis gone: the heartbeat expires by itself
    }
    this.redis.disconnect();
  }
}
