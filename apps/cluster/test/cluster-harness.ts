// The cluster tests' harness: a cluster on free loopback ports, SIPp A/V callers dialing rooms
// through Kamailio (tools/peers/sipp-av-call.xml), one tshark capture of what reaches them.
import { readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { repoRoot } from "@framewire/test-support/fixtures";
import {
  type Child,
  freeUdpPorts,
  killAtCleanup,
  onCleanup,
  peersDir,
  startChild,
  tempDir,
} from "@framewire/test-support/peers";
import { type RunningCluster, runCluster } from "../src/cluster.js";
import { clusterConfig, validateClusterConfig } from "../src/cluster-config.js";
import { ManagedProcess } from "../src/managed-process.js";

const appDir = fileURLToPath(new URL("..", import.meta.url));

/** PEERS are the programs the cluster tests need. */
export const PEERS = ["kamailio", "redis-server", "sipp", "tshark"] as const;

/**
 * CallerPorts are the loopback ports of a test's SIPp callers, picked by `freeUdpPorts` below the
 * kernel's ephemeral range (a port-0 bind elsewhere on the machine cannot take one): caller i
 * uses SIP port `sip + i`, media `media + 4i` (audio; video +2), for i below `count`.
 */
export interface CallerPorts {
  readonly sip: number;
  readonly media: number;
  readonly count: number;
}

/** TestCluster is a started cluster and its callers' ports. */
export interface TestCluster extends RunningCluster {
  readonly callerPorts: CallerPorts;
}

/** freeTcpPort is a loopback TCP port free now (for redis-server). */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** startRedis starts a loopback redis-server without persistence on a free port; stopped at cleanup. */
export async function startRedis(): Promise<number> {
  const port = await freeTcpPort();
  const dir = tempDir("framewire-registry-test-");
  const redis = new ManagedProcess({
    name: "redis",
    command: "redis-server",
    args: [
      ...["--bind", "127.0.0.1", "--port", String(port)],
      ...["--save", "", "--appendonly", "no", "--dir", dir],
    ],
  });
  onCleanup(() => redis.stop(3000));
  await redis.waitForLine(/Ready to accept connections/, 10_000);
  return port;
}

/** TestClusterOptions: the nodes' drain limit, how many callers (default 64). */
export interface TestClusterOptions {
  readonly drainTimeoutMs?: number;
  readonly callers?: number;
}

/** startTestCluster starts `nodes` nodes behind Kamailio on free ports; stopped at cleanup. */
export async function startTestCluster(
  nodes: number,
  options: TestClusterOptions = {},
): Promise<TestCluster> {
  const proxyPort = await freeUdpPorts(1);
  const redisPort = await freeTcpPort();
  const count = options.callers ?? 64;
  const callerPorts = {
    sip: await freeUdpPorts(count),
    media: await freeUdpPorts(4 * count),
    count,
  };
  const config = validateClusterConfig({
    ...clusterConfig({ nodes, proxyPort, redisPort }),
    ...(options.drainTimeoutMs === undefined ? {} : { drainTimeoutMs: options.drainTimeoutMs }),
  });
  const cluster = await runCluster(config, { startTimeoutMs: 30_000 });
  onCleanup(() => cluster.stop());
  return Object.assign(cluster, { callerPorts });
}

/** Caller is one SIPp A/V call: its index, room and ports. */
export interface Caller {
  readonly index: number;
  readonly room: string;
  readonly mediaPort: number;
  readonly videoPort: number;
  readonly child: Child;
}

/**
 * startCaller runs one SIPp A/V call (sipp-av-call.xml: H.264 from fixtures/test-rtp.pcap, PCMU
 * tone) to sip:<room>@proxy, holding `holdSec` before BYE; killed at cleanup.
 */
export function startCaller(
  cluster: TestCluster,
  index: number,
  room: string,
  holdSec: number,
): Caller {
  return startCallerWith(cluster, index, room, holdSec, {});
}

/** callersCaptureFilter is the BPF filter of every caller media port (RTP to 127.0.0.1). */
export function callersCaptureFilter(cluster: TestCluster): string {
  const { media, count } = cluster.callerPorts;
  return `udp and dst host 127.0.0.1 and dst portrange ${media}-${media + 4 * count - 1}`;
}

/** CallerHost is what a caller needs of a cluster: its callers' ports and whom to dial by default. */
export interface CallerHost {
  readonly callerPorts: CallerPorts;
  readonly config: { readonly proxy: { readonly host: string; readonly port: number } };
}

/** CallerOptions: the scenario (default sipp-av-call.xml), whom to dial, SIPp flags to add. */
export interface CallerOptions {
  readonly scenario?: string;
  /** target "host:port" (default Kamailio's). */
  readonly target?: string;
  readonly extraArgs?: readonly string[];
}

/**
 * startCallerWith runs one SIPp A/V call like {@link startCaller}, with another scenario (e.g.
 * one of {@link writeHoldOrByeScenario}) and more flags; killed at cleanup.
 */
export function startCallerWith(
  cluster: CallerHost,
  index: number,
  room: string,
  holdSec: number,
  options: CallerOptions,
): Caller {
  if (index >= cluster.callerPorts.count)
    throw new Error(`caller ${index}: the cluster has ports for ${cluster.callerPorts.count}`);
  const sipPort = cluster.callerPorts.sip + index;
  const mediaPort = cluster.callerPorts.media + 4 * index;
  const { host, port } = cluster.config.proxy;
  const child = killAtCleanup(
    startChild(
      "sipp",
      [
        options.target ?? `${host}:${port}`,
        ...["-sf", options.scenario ?? join(peersDir(), "sipp-av-call.xml"), "-s", room],
        ...["-i", "127.0.0.1", "-p", String(sipPort), "-mi", "127.0.0.1", "-mp", String(mediaPort)],
        ...["-t", "u1", "-m", "1", "-l", "1", "-d", String(holdSec * 1000)],
        ...["-recv_timeout", "15000", "-timeout", `${holdSec + 30}s`, "-timeout_error", "-nostdin"],
        ...(options.extraArgs ?? []),
      ],
      { cwd: repoRoot(), timeoutMs: (holdSec + 45) * 1000 },
    ),
  );
  return { index, room, mediaPort, videoPort: mediaPort + 2, child };
}

/**
 * writeRoomScenario writes, in `dir`, sipp-av-call.xml's call with the room (the Request-URI
 * user) taken from the injection file's first field (`-inf rooms.csv`, `[field0]`), and the
 * fixtures named by absolute path so SIPp may run in any folder. Returns the file.
 */
export async function writeRoomScenario(dir: string): Promise<string> {
  const av = await readFile(join(peersDir(), "sipp-av-call.xml"), "latin1");
  const file = join(dir, "sipp-av-room.xml");
  const withRoom = av
    .replaceAll("[service]", "[field0]")
    .replaceAll('"fixtures/', `"${join(repoRoot(), "fixtures")}/`);
  await writeFile(file, withRoom, "latin1");
  return file;
}

/**
 * writeHoldOrByeScenario writes, in `dir`, sipp-av-call.xml's call (same INVITE, SDP and media)
 * that then waits up to `holdMs` for a BYE from the far end: answered 200 and logged
 * "remote-bye" (`-trace_logs -log_file F`); else it sends its own BYE, logged "local-bye".
 * Returns the file.
 */
export async function writeHoldOrByeScenario(dir: string, holdMs: number): Promise<string> {
  const av = await readFile(join(peersDir(), "sipp-av-call.xml"), "latin1");
  const start = av.indexOf("<!-- hold for the call duration");
  const end = av.indexOf("<Reference");
  if (start < 0 || end < 0) throw new Error("sipp-av-call.xml changed: no hold / Reference");
  const tail = `  <recv request="BYE" timeout="${holdMs}" ontimeout="local"/>
  <send>
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Content-Length: 0

    ]]>
  </send>
  <nop next="end">
    <action><log message="remote-bye"/></action>
  </nop>

  <label id="local"/>
  <nop>
    <action><log message="local-bye"/></action>
  </nop>
  <send retrans="500">
    <![CDATA[

      BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "sipp-av" <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag09[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200" crlf="true"/>
  <label id="end"/>

`;
  const file = join(dir, `sipp-av-hold-or-bye-${holdMs}.xml`);
  await writeFile(file, av.slice(0, start) + tail + av.slice(end), "latin1");
  return file;
}

/** byeLog reads which way a {@link writeHoldOrByeScenario} call ended ("remote-bye", …). */
export async function byeLog(file: string): Promise<"remote-bye" | "local-bye" | "none"> {
  const text = await readFile(file, "utf8").catch(() => "");
  if (text.includes("remote-bye")) return "remote-bye";
  if (text.includes("local-bye")) return "local-bye";
  return "none";
}

/**
 * startNode starts node `name` of `cluster` again, as its own process (`src/node-main.ts` with the
 * cluster's cluster.json and `extraArgs`), after the cluster's process for it exited; resolves
 * once it printed "ready". Stopped at cleanup (SIGINT: at once, SIGKILL after 8 s).
 */
export async function startNode(
  cluster: RunningCluster,
  name: string,
  extraArgs: readonly string[] = [],
): Promise<ManagedProcess> {
  const p = new ManagedProcess({
    name,
    command: process.execPath,
    args: [
      ...["--import", "tsx", "--conditions=@framewire/source", join(appDir, "src", "node-main.ts")],
      ...["--config", join(cluster.dir, "cluster.json"), "--node", name, ...extraArgs],
    ],
    cwd: appDir,
  });
  onCleanup(async () => {
    if (!p.running) return;
    p.signal("SIGINT");
    const timer = setTimeout(() => p.signal("SIGKILL"), 8000);
    await p.exited;
    clearTimeout(timer);
  });
  await p.waitForLine(/"event":"ready"/, 30_000);
  return p;
}

/**
 * dispatcherStates reads Kamailio's view of the nodes (`kamcmd dispatcher.list` on its ctl
 * socket): node URI → flags ("AP" active and probed, "IP" inactive, …).
 */
export async function dispatcherStates(cluster: RunningCluster): Promise<Map<string, string>> {
  const r = await startChild(
    "kamcmd",
    ["-s", `unix:${join(cluster.dir, "kamailio-ctl.sock")}`, "dispatcher.list"],
    { timeoutMs: 5000 },
  ).done;
  const out = new Map<string, string>();
  for (const m of r.stdout.matchAll(/URI:\s*(\S+)\s+FLAGS:\s*(\S+)/g)) out.set(m[1]!, m[2]!);
  return out;
}

/** waitForDispatcher waits (bounded) until Kamailio shows `uri` with flags matching `flags`. */
export async function waitForDispatcher(
  cluster: RunningCluster,
  uri: string,
  flags: RegExp,
  timeoutMs: number,
): Promise<number> {
  const startedAt = Date.now();
  while (Date.now() - startedAt < timeoutMs) {
    if (flags.test((await dispatcherStates(cluster)).get(uri) ?? "")) return Date.now() - startedAt;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`kamailio did not show ${uri} as ${flags} within ${timeoutMs} ms`);
}

/** nodeEvents are the JSON event lines a node process printed, in order. */
export function nodeEvents(p: ManagedProcess): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of p.output().split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // not one of ours
    }
  }
  return out;
}
