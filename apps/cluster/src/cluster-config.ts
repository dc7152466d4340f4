import { readFile } from "node:fs/promises";
import { ClusterError } from "./errors.js";

/** NodeConfig is one Framewire node: its name in the registry, its SIP address, its RTP range. */
export interface NodeConfig {
  /** name identifies the node in Redis (`node:<name>`, the value of `room:<room>`). */
  readonly name: string;
  /** host is the node's own loopback address (SIP and RTP bind there, SDP names it). */
  readonly host: string;
  readonly sipPort: number;
  readonly rtpPortStart: number;
  readonly rtpPortEnd: number;
  /**
   * metricsPort is where the node serves `GET /metrics` (Prometheus text, every sample labelled
   * `node="<name>"`) and `GET /status` (JSON) on its host; absent: no HTTP server.
   */
  readonly metricsPort?: number;
}

/** ClusterConfig is the one config file of the cluster; kamailio.cfg is generated from it. */
export interface ClusterConfig {
  /** proxy is Kamailio, the SIP front door callers dial. */
  readonly proxy: {
    readonly host: string;
    readonly port: number;
    /** recordRoute keeps the proxy in the dialog path (callers behind NAT); default false. */
    readonly recordRoute: boolean;
    /** children is the number of Kamailio UDP worker processes. */
    readonly children: number;
  };
  /** redis is the room registry (a loopback redis-server without persistence). */
  readonly redis: { readonly host: string; readonly port: number };
  /** heartbeat: nodes refresh `node:<name>` every intervalMs with a TTL of ttlMs. */
  readonly heartbeat: { readonly intervalMs: number; readonly ttlMs: number };
  /** pingIntervalSec is Kamailio's OPTIONS ping period to every node (dispatcher). */
  readonly pingIntervalSec: number;
  /**
   * drainTimeoutMs is how long a node sent SIGTERM lets its calls go on before it ends them with
   * BYE (the node's `--drain-timeout-ms`; default 60 000).
   */
  readonly drainTimeoutMs?: number;
  readonly nodes: readonly NodeConfig[];
}

/** DEFAULT_CLUSTER are the defaults of {@link clusterConfig}. */
export const DEFAULT_CLUSTER = {
  proxyHost: "127.0.0.1",
  proxyPort: 5060,
  redisPort: 6390,
  nodeSipPort: 5070,
  /** each node's /metrics and /status, on its own host. */
  nodeMetricsPort: 9100,
  /** each node's RTP range: 20000 + 2000 · index (1000 pairs: 500 audio+video calls). */
  rtpBase: 20_000,
  rtpSpan: 2000,
  heartbeatIntervalMs: 1000,
  heartbeatTtlMs: 3000,
  pingIntervalSec: 2,
  /**
   * one UDP worker: several relay a node's 180 and 200 in parallel and may reorder them; a UAC
   * ignores a late 1xx (RFC 3261 §13.2.2.4) but SIPp aborts the call on it. Raise
   * `proxy.children` for more signalling throughput when the callers are real phones.
   */
  children: 1,
} as const;

/** ClusterShape is what {@link clusterConfig} varies: the number of nodes and the ports. */
export interface ClusterShape {
  readonly nodes: number;
  readonly proxyPort?: number;
  readonly redisPort?: number;
  readonly recordRoute?: boolean;
}

/**
 * clusterConfig is the config of `nodes` nodes on this machine: node i (1-based) is `n<i>` on
 * 127.0.0.<i+1>:5070 with RTP ports 20000 + 2000·(i−1) onwards.
 */
export function clusterConfig(shape: ClusterShape): ClusterConfig {
  const d = DEFAULT_CLUSTER;
  const nodes: NodeConfig[] = [];
  for (let i = 1; i <= shape.nodes; i++) {
    const rtpPortStart = d.rtpBase + d.rtpSpan * (i - 1);
    nodes.push({
      name: `n${i}`,
      host: `127.0.0.${i + 1}`,
      sipPort: d.nodeSipPort,
      rtpPortStart,
      rtpPortEnd: rtpPortStart + d.rtpSpan - 2,
      metricsPort: d.nodeMetricsPort,
    });
  }
  return validateClusterConfig({
    proxy: {
      host: d.proxyHost,
      port: shape.proxyPort ?? d.proxyPort,
      recordRoute: shape.recordRoute ?? false,
      children: d.children,
    },
    redis: { host: "127.0.0.1", port: shape.redisPort ?? d.redisPort },
    heartbeat: { intervalMs: d.heartbeatIntervalMs, ttlMs: d.heartbeatTtlMs },
    pingIntervalSec: d.pingIntervalSec,
    nodes,
  });
}

function bad(message: string): never {
  throw new ClusterError("BAD_OPTION", message);
}

function port(value: unknown, what: string): number {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 65_535)
    bad(`${what} must be a port 1–65535, got ${String(value)}`);
  return value as number;
}

/**
 * validateClusterConfig checks a config (read from JSON or built) and returns it: 1–200 nodes with
 * unique names ([a-z0-9-]) and unique SIP addresses, ports in range, a heartbeat shorter than its
 * TTL. Throws `BAD_OPTION` naming the first problem.
 */
export function validateClusterConfig(config: ClusterConfig): ClusterConfig {
  if (typeof config !== "object" || config === null) bad("the config must be an object");
  const { proxy, redis, heartbeat, nodes } = config;
  if (proxy === undefined || redis === undefined || heartbeat === undefined)
    bad("the config needs proxy, redis and heartbeat");
  port(proxy.port, "proxy.port");
  port(redis.port, "redis.port");
  if (!Number.isInteger(proxy.children) || proxy.children < 1 || proxy.children > 64)
    bad(`proxy.children must be 1–64, got ${String(proxy.children)}`);
  if (typeof proxy.recordRoute !== "boolean") bad("proxy.recordRoute must be true or false");
  if (!(heartbeat.intervalMs > 0 && heartbeat.ttlMs > heartbeat.intervalMs))
    bad("heartbeat.intervalMs must be > 0 and below heartbeat.ttlMs");
  if (!Number.isInteger(config.pingIntervalSec) || config.pingIntervalSec < 1)
    bad("pingIntervalSec must be an integer ≥ 1");
  if (
    config.drainTimeoutMs !== undefined &&
    !(Number.isInteger(config.drainTimeoutMs) && config.drainTimeoutMs >= 0)
  )
    bad(`drainTimeoutMs must be an integer ≥ 0, got ${String(config.drainTimeoutMs)}`);
  if (!Array.isArray(nodes) || nodes.length < 1 || nodes.length > 200)
    bad("nodes must list 1–200 nodes");
  const names = new Set<string>();
  const addresses = new Set<string>();
  for (const node of nodes) {
    if (typeof node.name !== "string" || !/^[a-z0-9-]{1,32}$/.test(node.name))
      bad(`node name ${JSON.stringify(node.name)} must be 1–32 of [a-z0-9-]`);
    if (names.has(node.name)) bad(`node name ${node.name} twice`);
    names.add(node.name);
    if (typeof node.host !== "string" || !/^\d+\.\d+\.\d+\.\d+$/.test(node.host))
      bad(`node ${node.name}: host must be an IPv4 address, got ${String(node.host)}`);
    port(node.sipPort, `node ${node.name} sipPort`);
    const address = `${node.host}:${node.sipPort}`;
    if (addresses.has(address)) bad(`SIP address ${address} twice`);
    addresses.add(address);
    port(node.rtpPortStart, `node ${node.name} rtpPortStart`);
    port(node.rtpPortEnd, `node ${node.name} rtpPortEnd`);
    if (node.rtpPortEnd <= node.rtpPortStart) bad(`node ${node.name}: empty RTP range`);
    if (node.metricsPort !== undefined) {
      port(node.metricsPort, `node ${node.name} metricsPort`);
      const metrics = `http://${node.host}:${node.metricsPort}`;
      if (addresses.has(metrics)) bad(`metrics address ${metrics} twice`);
      addresses.add(metrics);
    }
  }
  return config;
}

/** readClusterConfig reads and validates a JSON config file (the shape of ClusterConfig). */
export async function readClusterConfig(file: string): Promise<ClusterConfig> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, "utf8"));
  } catch (e) {
    throw new ClusterError("BAD_OPTION", `cannot read ${file}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  return validateClusterConfig(parsed as ClusterConfig);
}

/** nodeUri is the SIP URI of a node as the dispatcher list names it (`sip:host:port`). */
export function nodeUri(node: NodeConfig): string {
  return `sip:${node.host}:${node.sipPort}`;
}

/** metricsUrl is the node's `/metrics` address, or undefined when it serves none. */
export function metricsUrl(node: NodeConfig): string | undefined {
  return node.metricsPort === undefined
    ? undefined
    : `http://${node.host}:${node.metricsPort}/metrics`;
}
