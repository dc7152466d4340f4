import { Gauge, Registry } from "prom-client";
import type { Health } from "./options-health.js";
import type { RegistryStats } from "./registry.js";

/**
 * NodeView is what a node's `/metrics` and `/status` read at each request: a `ClusterNode` is
 * one (its state, rooms, SIP backend and registry), so nothing is counted twice.
 */
export interface NodeView {
  readonly state: Health;
  rooms(): string[];
  readonly kit: { getSessions(roomId: string): readonly unknown[] };
  readonly backend: {
    readonly portsInUse: number;
    readonly userAgentStats: {
      readonly activeCalls: number;
      readonly rejectedRequests: number;
      readonly transport: {
        readonly malformed: number;
        readonly badRequests: number;
        readonly oversize: number;
      };
    };
  };
  readonly registry: { readonly stats: RegistryStats };
}

/** NodeStatus is one node's row of the cluster's live table (`GET /status`). */
export interface NodeStatus {
  readonly node: string;
  readonly state: Health;
  /** rooms meeting on the node (with at least one session), sorted. */
  readonly rooms: readonly string[];
  /** calls is the number of SIP calls not yet terminated. */
  readonly calls: number;
  /** sessions is the number of room sessions (one per call admitted to a room). */
  readonly sessions: number;
  readonly portsInUse: number;
}

/** nodeStatus reads a node's row now. */
export function nodeStatus(name: string, node: NodeView): NodeStatus {
  const rooms = node.rooms().sort();
  let sessions = 0;
  for (const room of rooms) sessions += node.kit.getSessions(room).length;
  return {
    node: name,
    state: node.state,
    rooms,
    calls: node.backend.userAgentStats.activeCalls,
    sessions,
    portsInUse: node.backend.portsInUse,
  };
}

/**
 * nodeMetrics is a Prometheus registry of one node whose every sample carries `node="<name>"`
 * (prom-client default label), so one scrape config can name all nodes and a dashboard can sum
 * or split them. Values are read from the node at each scrape.
 */
export function nodeMetrics(name: string, node: NodeView): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ node: name });
  const gauge = (metric: string, help: string, value: () => number): void => {
    new Gauge({
      name: metric,
      help,
      registers: [registry],
      collect() {
        this.set(value());
      },
    });
  };
  gauge("framewire_node_up", "1 while the node takes new rooms, 0 while it drains", () =>
    node.state === "up" ? 1 : 0,
  );
  gauge("framewire_node_rooms", "Rooms meeting on this node", () => node.rooms().length);
  gauge(
    "framewire_node_calls",
    "SIP calls on this node not yet terminated",
    () => node.backend.userAgentStats.activeCalls,
  );
  new Gauge({
    name: "framewire_room_participants",
    help: "Participants in each room on this node",
    labelNames: ["room"],
    registers: [registry],
    collect() {
      this.reset();
      for (const room of node.rooms()) this.set({ room }, node.kit.getSessions(room).length);
    },
  });
  gauge(
    "framewire_rtp_ports_in_use",
    "RTP port pairs held by calls",
    () => node.backend.portsInUse,
  );
  const ua = () => node.backend.userAgentStats;
  gauge(
    "framewire_sip_malformed_datagrams",
    "Datagrams on the SIP port that were not SIP, dropped",
    () => ua().transport.malformed,
  );
  gauge(
    "framewire_sip_bad_requests",
    "SIP requests answered 400",
    () => ua().transport.badRequests,
  );
  gauge(
    "framewire_sip_oversize_datagrams",
    "Datagrams on the SIP port over the size cap, dropped",
    () => ua().transport.oversize,
  );
  gauge(
    "framewire_sip_rejected_requests",
    "SIP requests answered 404/405/501/503 before reaching a call",
    () => ua().rejectedRequests,
  );
  const reg = () => node.registry.stats;
  gauge(
    "framewire_registry_heartbeats",
    "Heartbeats written to the registry",
    () => reg().heartbeats,
  );
  gauge(
    "framewire_registry_heartbeat_failures",
    "Heartbeats the registry did not take (Redis unreachable)",
    () => reg().heartbeatFailures,
  );
  gauge("framewire_registry_claims", "Rooms this node claimed in the registry", () => reg().claims);
  gauge(
    "framewire_registry_claims_lost",
    "Claims answered with another node (the call was refused 503: the room meets there)",
    () => reg().claimsLost,
  );
  gauge(
    "framewire_registry_releases",
    "Rooms this node released in the registry",
    () => reg().releases,
  );
  return registry;
}
