import type { ClusterConfig, NodeConfig } from "./cluster-config.js";
import type { NodeStatus } from "./node-metrics.js";

/** NodeRow is one node of the live table: its status, or why it has none (not answering). */
export type NodeRow =
  | { readonly node: string; readonly status: NodeStatus }
  | { readonly node: string; readonly status: undefined; readonly error: string };

/** fetchNodeRow asks a node's `/status` (bounded by timeoutMs); a node that does not answer is a row with its error. */
export async function fetchNodeRow(node: NodeConfig, timeoutMs = 1000): Promise<NodeRow> {
  if (node.metricsPort === undefined)
    return { node: node.name, status: undefined, error: "no metricsPort" };
  try {
    const res = await fetch(`http://${node.host}:${node.metricsPort}/status`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) return { node: node.name, status: undefined, error: `HTTP ${res.status}` };
    return { node: node.name, status: (await res.json()) as NodeStatus };
  } catch (e) {
    const error = e as Error & { cause?: { code?: string } };
    return { node: node.name, status: undefined, error: error.cause?.code ?? error.name };
  }
}

/** fetchClusterRows asks every node of the config at once. */
export function fetchClusterRows(config: ClusterConfig, timeoutMs = 1000): Promise<NodeRow[]> {
  return Promise.all(config.nodes.map((n) => fetchNodeRow(n, timeoutMs)));
}

const MAX_ROOMS_SHOWN = 6;

/**
 * renderStatusTable is the cluster command's live table: one line per node (state, rooms,
 * calls, sessions, RTP port pairs, the first rooms by name) and a total line.
 */
export function renderStatusTable(rows: readonly NodeRow[]): string {
  const head = ["node", "state", "rooms", "calls", "sessions", "ports", "rooms meeting here"];
  const body = rows.map((row): string[] => {
    const s = row.status;
    if (s === undefined) return [row.node, `down (${row.error})`, "-", "-", "-", "-", ""];
    const shown = s.rooms.slice(0, MAX_ROOMS_SHOWN).join(" ");
    const more = s.rooms.length > MAX_ROOMS_SHOWN ? ` +${s.rooms.length - MAX_ROOMS_SHOWN}` : "";
    return [
      row.node,
      s.state,
      String(s.rooms.length),
      String(s.calls),
      String(s.sessions),
      String(s.portsInUse),
      shown + more,
    ];
  });
  const sum = (pick: (s: NodeStatus) => number) =>
    String(rows.reduce((n, r) => n + (r.status === undefined ? 0 : pick(r.status)), 0));
  const up = rows.filter((r) => r.status?.state === "up").length;
  body.push([
    "total",
    `${up}/${rows.length} up`,
    sum((s) => s.rooms.length),
    sum((s) => s.calls),
    sum((s) => s.sessions),
    sum((s) => s.portsInUse),
    "",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(head), ...body.map(line)].join("\n");
}
