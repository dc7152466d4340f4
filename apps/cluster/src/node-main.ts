#!/usr/bin/env node
// One Framewire node of the cluster:
// `node-main.ts --config <cluster.json> --node <name> [--drain-timeout-ms N]`.
// Prints one JSON line per event ({"node":"n1","event":"ready"}, joins, leaves, releases, the
// drain). Signals:
// - SIGTERM: drain: OPTIONS answered 503 and no new rooms (rooms that meet here still admit
//   their callers); exits 0 once the last call left, or after --drain-timeout-ms (default 60 s)
//   ends the calls left with BYE; either way releases its rooms and deletes its heartbeat;
// - a second SIGTERM, or SIGINT: stop at once (BYE to every call, rooms released, heartbeat
//   deleted, exit 0);
// - SIGUSR2: drain without exiting.
import { parseArgs } from "node:util";
import { readClusterConfig } from "./cluster-config.js";
import { ClusterNode, DEFAULT_DRAIN_TIMEOUT_MS } from "./cluster-node.js";
import { serveNode } from "./node-http.js";

/** STOP_DEADLINE_MS: a stop that has not finished by then exits 1 (Redis or a socket hung). */
const STOP_DEADLINE_MS = 6000;

const USAGE = "usage: node-main.ts --config <cluster.json> --node <name> [--drain-timeout-ms N]\n";
const { values } = parseArgs({
  options: {
    config: { type: "string" },
    node: { type: "string" },
    "drain-timeout-ms": { type: "string" },
  },
});
if (values.config === undefined || values.node === undefined) {
  process.stderr.write(USAGE);
  process.exit(2);
}
const drainTimeoutMs = Number(values["drain-timeout-ms"] ?? DEFAULT_DRAIN_TIMEOUT_MS);
if (!Number.isInteger(drainTimeoutMs) || drainTimeoutMs < 0) {
  process.stderr.write(`--drain-timeout-ms must be an integer ≥ 0\n${USAGE}`);
  process.exit(2);
}
const config = await readClusterConfig(values.config);
const nodeConfig = config.nodes.find((n) => n.name === values.node);
if (nodeConfig === undefined) {
  process.stderr.write(`no node ${values.node} in ${values.config}\n`);
  process.exit(2);
}
const node = new ClusterNode({
  node: nodeConfig,
  redisHost: config.redis.host,
  redisPort: config.redis.port,
  heartbeatIntervalMs: config.heartbeat.intervalMs,
  heartbeatTtlMs: config.heartbeat.ttlMs,
  drainTimeoutMs,
  log: (line) => process.stdout.write(`${line}\n`),
});
const say = (fields: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ node: nodeConfig.name, ...fields })}\n`);
const exitAfter = (done: Promise<unknown>, deadlineMs: number) => {
  const timer = setTimeout(() => {
    process.stderr.write(`stop did not finish within ${deadlineMs} ms\n`);
    process.exit(1);
  }, deadlineMs);
  timer.unref();
  done.then(
    () => process.exit(0),
    (e: Error) => {
      process.stderr.write(`stop failed: ${e.stack ?? e.message}\n`);
      process.exit(1);
    },
  );
};
let mode: "running" | "draining" | "stopping" = "running";
const stopNow = (signal: NodeJS.Signals) => {
  if (mode === "stopping") return;
  mode = "stopping";
  say({ event: "stopping", signal });
  // the drain's own exit (if any) waits for this stop too
  exitAfter(node.stop(), STOP_DEADLINE_MS);
};
process.on("SIGTERM", (signal) => {
  if (mode !== "running") return stopNow(signal);
  mode = "draining";
  // the forced exit comes only after the drain's limit and a stop's deadline
  exitAfter(node.drainAndStop(), drainTimeoutMs + STOP_DEADLINE_MS);
});
process.on("SIGINT", stopNow);
process.on("SIGUSR2", () => node.drain());
await node.start();
// /metrics (Prometheus, labelled node="<name>") and /status (the cluster's live table)
const http =
  nodeConfig.metricsPort === undefined
    ? undefined
    : await serveNode(nodeConfig.name, node, nodeConfig.host, nodeConfig.metricsPort);
say({
  event: "ready",
  sip: `${nodeConfig.host}:${nodeConfig.sipPort}`,
  ...(http === undefined ? {} : { metrics: `${http.url}/metrics` }),
});
