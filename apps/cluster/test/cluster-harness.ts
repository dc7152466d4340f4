// The cluster tests' harness: a cluster on free loopback ports, SIPp A/V callers dialing rooms
// through Kamailio (tools/peers/sipp-av-call.xml), one tshark capture of what reaches them.
import { createServer } from "node:net";
import { join } from "node:path";
import { repoRoot } from "@framewire/test-support/fixtures";
import {
  type Child,
  freeUdpPorts,
  killAtCleanup,
  onCleanup,
  peersDir,
  startChild,
} from "@framewire/test-support/peers";
import { type RunningCluster, runCluster } from "../src/cluster.js";
import { clusterConfig } from "../src/cluster-config.js";

/** PEERS are the programs the cluster tests need. */
export const PEERS = ["kamailio", "redis-server", "sipp", "tshark"] as const;

/** CALLER_SIP_BASE, CALLER_MEDIA_BASE: caller i uses SIP port base+i, media base+4i (video +2). */
export const CALLER_SIP_BASE = 35_100;
export const CALLER_MEDIA_BASE = 36_000;

function freeTcpPort(): Promise<number> {
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

/** startTestCluster starts `nodes` nodes behind Kamailio on free ports; stopped at cleanup. */
export async function startTestCluster(nodes: number): Promise<RunningCluster> {
  const proxyPort = await freeUdpPorts(1);
  const redisPort = await freeTcpPort();
  const config = clusterConfig({ nodes, proxyPort, redisPort });
  const cluster = await runCluster(config, { startTimeoutMs: 30_000 });
  onCleanup(() => cluster.stop());
  return cluster;
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
  cluster: RunningCluster,
  index: number,
  room: string,
  holdSec: number,
): Caller {
  const sipPort = CALLER_SIP_BASE + index;
  const mediaPort = CALLER_MEDIA_BASE + 4 * index;
  const { host, port } = cluster.config.proxy;
  const child = killAtCleanup(
    startChild(
      "sipp",
      [
        ...[`${host}:${port}`, "-sf", join(peersDir(), "sipp-av-call.xml"), "-s", room],
        ...["-i", "127.0.0.1", "-p", String(sipPort), "-mi", "127.0.0.1", "-mp", String(mediaPort)],
        ...["-t", "u1", "-m", "1", "-l", "1", "-d", String(holdSec * 1000)],
        ...["-recv_timeout", "15000", "-timeout", `${holdSec + 30}s`, "-timeout_error", "-nostdin"],
      ],
      { cwd: repoRoot(), timeoutMs: (holdSec + 45) * 1000 },
    ),
  );
  return { index, room, mediaPort, videoPort: mediaPort + 2, child };
}

/** callersCaptureFilter is the BPF filter of every caller port (RTP to 127.0.0.1). */
export function callersCaptureFilter(count: number): string {
  const last = CALLER_MEDIA_BASE + 4 * count;
  return `udp and dst host 127.0.0.1 and dst portrange ${CALLER_MEDIA_BASE}-${last}`;
}
