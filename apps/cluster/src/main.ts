#!/usr/bin/env node
// Framewire cluster on one machine: redis-server, kamailio and N nodes, stopped in order on
// Ctrl-C / SIGTERM. `pnpm --filter @framewire/cluster start -- --nodes 3`.
import { parseArgs } from "node:util";
import { runCluster } from "./cluster.js";
import { type ClusterConfig, clusterConfig, readClusterConfig } from "./cluster-config.js";
import { renderStatusTable } from "./status-table.js";

const USAGE = `usage: start [--nodes N] [--port 5060] [--redis-port 6390] [--record-route]
             [--config cluster.json] [--dir DIR] [--quiet] [--status-every S]
  --nodes N        nodes n1…nN on 127.0.0.2…, SIP port 5070 each (default 3)
  --port P         Kamailio's SIP port on 127.0.0.1 (default 5060)
  --redis-port P   the registry's port on 127.0.0.1 (default 6390)
  --record-route   keep Kamailio in the dialog path (callers behind NAT)
  --config FILE    the whole cluster from a JSON file (see README.md); overrides the above
  --dir DIR        keep the generated kamailio.cfg, dispatcher.list, cluster.json there
  --quiet          do not print the processes' output
  --status-every S print the table of nodes, rooms and calls every S seconds when it
                   changed (default 5; 0: never)`;

let values: ReturnType<typeof parse>;
function parse() {
  // `pnpm … start -- --nodes 3` hands the "--" on: drop it
  const argv = process.argv.slice(2);
  return parseArgs({
    args: argv[0] === "--" ? argv.slice(1) : argv,
    options: {
      nodes: { type: "string" },
      port: { type: "string" },
      "redis-port": { type: "string" },
      "record-route": { type: "boolean" },
      config: { type: "string" },
      dir: { type: "string" },
      quiet: { type: "boolean" },
      "status-every": { type: "string" },
      help: { type: "boolean" },
    },
  }).values;
}
let config: ClusterConfig;
let statusEverySec = 5;
try {
  values = parse();
  statusEverySec = Number(values["status-every"] ?? 5);
  if (!Number.isFinite(statusEverySec) || statusEverySec < 0)
    throw new Error(
      `--status-every must be a number of seconds ≥ 0, got ${values["status-every"]}`,
    );
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  config =
    values.config === undefined
      ? clusterConfig({
          nodes: Number(values.nodes ?? 3),
          ...(values.port === undefined ? {} : { proxyPort: Number(values.port) }),
          ...(values["redis-port"] === undefined
            ? {}
            : { redisPort: Number(values["redis-port"]) }),
          recordRoute: values["record-route"] ?? false,
        })
      : await readClusterConfig(values.config);
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n\n${USAGE}\n`);
  process.exit(2);
}

const quiet = values.quiet ?? false;
const cluster = await runCluster(config, {
  ...(values.dir === undefined ? {} : { dir: values.dir }),
  onLine: (name, line) => {
    if (!quiet) process.stdout.write(`[${name}] ${line}\n`);
  },
}).catch((e: Error) => {
  process.stderr.write(`cluster failed to start: ${e.message}\n`);
  process.exit(1);
});
process.stdout.write(
  `Framewire cluster up: dial ${cluster.roomUri("<room>")} · registry redis://${config.redis.host}:${config.redis.port} · nodes ${config.nodes.map((n) => `${n.name}=${n.host}:${n.sipPort}`).join(" ")} · files ${cluster.dir} · Prometheus scrape config ${cluster.scrapeConfig} · Ctrl-C to stop\n`,
);
let stopping = false;
// the live table: nodes, rooms and calls per node, printed when it changed
let lastTable = "";
const statusTimer =
  statusEverySec > 0
    ? setInterval(() => {
        void cluster.status().then((rows) => {
          const table = renderStatusTable(rows);
          if (table === lastTable || stopping) return;
          lastTable = table;
          process.stdout.write(`${new Date().toISOString()}\n${table}\n`);
        });
      }, statusEverySec * 1000)
    : undefined;
const onSignal = (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  if (statusTimer !== undefined) clearInterval(statusTimer);
  process.stdout.write(`${signal}: stopping the nodes, then kamailio, then redis…\n`);
  cluster.stop().then(
    () => {
      process.stdout.write("cluster stopped\n");
      process.exit(0);
    },
    (e: Error) => {
      process.stderr.write(`stop failed: ${e.message}\n`);
      process.exit(1);
    },
  );
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);
// a node that dies on its own is reported (its rooms move once its heartbeat expires)
for (const [name, p] of cluster.nodes)
  void p.exited.then(({ code, signal }) => {
    if (!stopping) process.stdout.write(`node ${name} exited (${code ?? signal})\n`);
  });
