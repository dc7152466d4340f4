import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ClusterConfig } from "./cluster-config.js";
import { ClusterError } from "./errors.js";
import { renderDispatcherList, renderKamailioCfg } from "./kamailio-cfg.js";
import { ManagedProcess } from "./managed-process.js";
import { renderScrapeConfig } from "./scrape-config.js";
import { sipPing } from "./sip-ping.js";
import { fetchClusterRows, type NodeRow } from "./status-table.js";

/** KAMAILIO_MODULES is where Debian 12's kamailio package keeps its modules. */
export const KAMAILIO_MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules";

/** RunClusterOptions: where to keep the run's files, and where output lines go. */
export interface RunClusterOptions {
  /** dir for the generated files and Redis (default a new temp dir, removed at stop). */
  readonly dir?: string;
  /** onLine receives every process's output lines with its name. */
  readonly onLine?: (name: string, line: string) => void;
  /** startTimeoutMs bounds each process's start (default 20 000). */
  readonly startTimeoutMs?: number;
}

/** RunningCluster is a started cluster: its processes, files, and how to stop it. */
export interface RunningCluster {
  readonly config: ClusterConfig;
  readonly dir: string;
  readonly redis: ManagedProcess;
  readonly kamailio: ManagedProcess;
  readonly nodes: ReadonlyMap<string, ManagedProcess>;
  /** scrapeConfig is the path of the generated prometheus.yml (every node's /metrics). */
  readonly scrapeConfig: string;
  /** sipUri of a room, as callers dial it. */
  roomUri(room: string): string;
  /** status asks every node's `/status` now (a node that does not answer is a row with its error). */
  status(): Promise<NodeRow[]>;
  /**
   * stop ends the nodes at once (SIGINT: each hangs up its calls with BYE, releases its rooms and
   * deletes its heartbeat; killed if still up 8 s later), then Kamailio, then Redis; safe twice.
   */
  stop(): Promise<void>;
}

const appDir = fileURLToPath(new URL("..", import.meta.url));

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/**
 * runCluster starts, on this machine, redis-server (loopback, no persistence, its own dir),
 * kamailio with the kamailio.cfg and dispatcher.list generated from `config` (and a prometheus.yml
 * scraping every node), and one node
 * process per `config.nodes` entry (`src/node-main.ts`); resolves once Kamailio answers
 * OPTIONS and every node has registered and answers its pings. A process that fails to start
 * stops the others and throws PROCESS_FAILED.
 */
export async function runCluster(
  config: ClusterConfig,
  options: RunClusterOptions = {},
): Promise<RunningCluster> {
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), "framewire-cluster-")));
  await mkdir(dir, { recursive: true });
  const timeoutMs = options.startTimeoutMs ?? 20_000;
  const configFile = join(dir, "cluster.json");
  const paths = {
    dispatcherList: join(dir, "dispatcher.list"),
    ctlSocket: join(dir, "kamailio-ctl.sock"),
    modulesDir: KAMAILIO_MODULES,
  };
  await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`);
  await writeFile(paths.dispatcherList, renderDispatcherList(config));
  const cfgFile = join(dir, "kamailio.cfg");
  await writeFile(cfgFile, renderKamailioCfg(config, paths));
  const scrapeConfig = join(dir, "prometheus.yml");
  await writeFile(scrapeConfig, renderScrapeConfig(config));
  const started: ManagedProcess[] = [];
  const onLine = options.onLine;
  const start = (name: string, command: string, args: readonly string[], cwd?: string) => {
    const p = new ManagedProcess({
      name,
      command,
      args,
      ...(cwd === undefined ? {} : { cwd }),
      ...(onLine === undefined ? {} : { onLine }),
    });
    started.push(p);
    return p;
  };
  let stopping: Promise<void> | undefined;
  const nodes = new Map<string, ManagedProcess>();
  const stopAll = (): Promise<void> => {
    stopping ??= (async () => {
      // SIGINT: a node stops at once (BYE to its calls, rooms released, heartbeat deleted);
      // SIGTERM would drain it for up to drainTimeoutMs
      await Promise.all([...nodes.values()].map((n) => n.stop(8000, "SIGINT")));
      for (const p of started.slice().reverse()) await p.stop(3000);
      if (ownDir) await rm(dir, { recursive: true, force: true });
    })();
    return stopping;
  };
  try {
    const redisDir = join(dir, "redis");
    await mkdir(redisDir, { recursive: true });
    const redis = start("redis", "redis-server", [
      ...["--bind", config.redis.host, "--port", String(config.redis.port)],
      ...["--save", "", "--appendonly", "no", "--dir", redisDir, "--daemonize", "no"],
      ...["--protected-mode", "yes", "--loglevel", "notice"],
    ]);
    await redis.waitForLine(/Ready to accept connections/, timeoutMs);

    const kamailio = start("kamailio", "kamailio", [
      ...["-f", cfgFile, "-DD", "-E", "-P", join(dir, "kamailio.pid"), "-Y", dir, "-w", dir],
    ]);
    const proxyUp = await until(
      async () => kamailio.running && (await sipPing(config.proxy.host, config.proxy.port)) === 200,
      timeoutMs,
    );
    if (!proxyUp)
      throw new ClusterError(
        "PROCESS_FAILED",
        `kamailio did not answer OPTIONS on ${config.proxy.host}:${config.proxy.port}:\n${kamailio.output()}`,
      );

    const nodeMain = join(appDir, "src", "node-main.ts");
    if (!existsSync(nodeMain)) throw new ClusterError("PROCESS_FAILED", `no ${nodeMain}`);
    for (const node of config.nodes) {
      const p = start(
        node.name,
        process.execPath,
        [
          ...["--import", "tsx", "--conditions=@framewire/source", nodeMain],
          ...["--config", configFile, "--node", node.name],
          ...(config.drainTimeoutMs === undefined
            ? []
            : ["--drain-timeout-ms", String(config.drainTimeoutMs)]),
        ],
        appDir,
      );
      nodes.set(node.name, p);
    }
    await Promise.all([...nodes.values()].map((p) => p.waitForLine(/"event":"ready"/, timeoutMs)));
    return {
      config,
      dir,
      redis,
      kamailio,
      nodes,
      scrapeConfig,
      roomUri: (room) => `sip:${room}@${config.proxy.host}:${config.proxy.port}`,
      status: () => fetchClusterRows(config),
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
