import type { NodeView } from "./node-metrics.js";

/** fakeNodeView is a NodeView for tests: rooms (name → sessions) as given, fixed counters. */
export function fakeNodeView(
  rooms: Record<string, number>,
): NodeView & { state: "up" | "draining" } {
  return {
    state: "up",
    rooms: () => Object.keys(rooms).filter((r) => (rooms[r] ?? 0) > 0),
    kit: { getSessions: (room) => Array.from({ length: rooms[room] ?? 0 }) },
    backend: {
      portsInUse: 4,
      userAgentStats: {
        activeCalls: 3,
        rejectedRequests: 7,
        transport: { malformed: 1, badRequests: 2, oversize: 0 },
      },
    },
    registry: {
      stats: { heartbeats: 12, heartbeatFailures: 0, claims: 2, claimsLost: 1, releases: 0 },
    },
  };
}
