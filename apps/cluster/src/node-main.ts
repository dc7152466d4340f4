#!/usr/bin/env node
// One Framewire node of the cluster: `node-main.ts --config <cluster.json> --node <name>`.
// Prints one JSON line per event ({"node":"n1","event":"ready"}, joins, leaves, releases);
// SIGUSR2 drains; SIGTERM/SIGINT: answers OPTIONS 503, hangs up every call, releases its rooms, deletes its
// heartbeat, exits 0.
import { parseArgs } from "node:util";
import { readClusterConfig } from "./cluster-config.js";
import { ClusterNode } from "./cluster-node.js";

const { values } = parseArgs({
  options: { config: { type: "string" }, node: { type: "string" } },
});
if (values.config === undefined || values.node === undefined) {
  process.stderr.write("usage: node-main.ts --config <cluster.json> --node <name>\n");
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
  log: (line) => process.stdout.write(`${line}\n`),
});
let stopping = false;
const stop = (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`${JSON.stringify({ node: nodeConfig.name, event: "stopping", signal })}\n`);
  node
    .stop()
    .then(() => process.exit(0))
    .catch((e: Error) => {
      process.stderr.write(`stop failed: ${e.stack ?? e.message}\n`);
      process.exit(1);
    });
  setTimeout(() => process.exit(1), 6000).unref();
};
process.on("SIGTERM", stop);
// SIGUSR2: drain (OPTIONS answered 503, so Kamailio places no new room here; rooms that meet
// here keep their calls and take new callers)
process.on("SIGUSR2", () => {
  node.drain();
  process.stdout.write(`${JSON.stringify({ node: nodeConfig.name, event: "draining" })}\n`);
});
process.on("SIGINT", stop);
await node.start();
process.stdout.write(
  `${JSON.stringify({ node: nodeConfig.name, event: "ready", sip: `${nodeConfig.host}:${nodeConfig.sipPort}` })}\n`,
);
