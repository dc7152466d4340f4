// Cluster benchmark: SIPp A/V calls, two callers per room, at a fixed rate — straight to one node,
// and through Kamailio into three nodes — on one cluster started here (redis-server, kamailio,
// 3 node processes on 127.0.0.12–14, so it does not collide with the tests' 127.0.0.2–4).
// Measures, per mode: calls completed and failed (SIPp's counters), the call setup time (INVITE
// sent → 200 received, per Call-ID, from a tshark capture of the caller's SIP port: µs
// timestamps, not SIPp's whole-millisecond RTD), p50/p99, Kamailio's own part of it (the same
// capture sees the proxy's port: INVITE in → out plus 200 in → out), and the peak calls and rooms per node
// (each node's /status, polled every 250 ms). Each bridged call carries two streams (H.264
// video from SIPp's pcap and PCMU audio) that the node forwards to the room's other caller.
// Knobs: BENCH_CLUSTER_RATE (calls/s, default 20), BENCH_CLUSTER_CALLS (default 200),
// BENCH_CLUSTER_HOLD_MS (default 4000), BENCH_CLUSTER_RUNS (per mode, default 3).
// Run: cd apps/cluster && pnpm bench  (needs kamailio, redis-server, sipp, tshark; root for SIPp's pcap play)
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  envPrefix,
  headRevision,
  packageDir,
  passFail,
  writeResults,
} from "@framewire/test-support/bench-results";
import { repoRoot } from "@framewire/test-support/fixtures";
import { freeUdpPorts, sippCounter, startChild } from "@framewire/test-support/peers";
import { runCluster } from "../src/cluster.js";
import { clusterConfig, validateClusterConfig } from "../src/cluster-config.js";
import { fetchClusterRows } from "../src/status-table.js";
import { writeRoomScenario } from "../test/cluster-harness.js";

const RATE = Number(process.env.BENCH_CLUSTER_RATE ?? 20);
const CALLS = Number(process.env.BENCH_CLUSTER_CALLS ?? 200);
const HOLD_MS = Number(process.env.BENCH_CLUSTER_HOLD_MS ?? 4000);
const RUNS = Number(process.env.BENCH_CLUSTER_RUNS ?? 3);
if (CALLS % 2 !== 0) throw new Error("BENCH_CLUSTER_CALLS must be even (two callers per room)");

const dir = mkdtempSync(join(tmpdir(), "framewire-cluster-bench-"));
const base = clusterConfig({
  nodes: 3,
  proxyPort: await freeUdpPorts(1),
  redisPort: 16_390 + (process.pid % 1000),
});
const config = validateClusterConfig({
  ...base,
  nodes: base.nodes.map((n, i) => ({ ...n, host: `127.0.0.${12 + i}` })),
});

// the A/V scenario of the tests, with the room taken from the injection file's first field
const scenario = await writeRoomScenario(dir);

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}
const median = (xs: readonly number[]) =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );

/**
 * SipTimes are per-call figures from a capture: `setupMs` INVITE sent → 200 received at the
 * caller; `proxyMs` the time Kamailio held the INVITE and the 200 (caller's INVITE in → INVITE out
 * to the node, plus the node's 200 in → 200 out to the caller), empty when the caller dialed a
 * node.
 */
interface SipTimes {
  readonly setupMs: number[];
  readonly proxyMs: number[];
}

/** sipTimes reads INVITE → 200 (INVITE) per Call-ID from the capture, at the caller and at the proxy. */
function sipTimes(pcap: string, callerPort: number, proxyPort: number): SipTimes {
  const out = spawnSync(
    "tshark",
    [
      ...["-r", pcap, "-Y", "sip", "-T", "fields", "-E", "separator=\t"],
      ...["-e", "frame.time_epoch", "-e", "udp.srcport", "-e", "udp.dstport"],
      ...[
        "-e",
        "sip.Call-ID",
        "-e",
        "sip.Method",
        "-e",
        "sip.Status-Code",
        "-e",
        "sip.CSeq.method",
      ],
    ],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  // per Call-ID: the first of each leg's INVITE and 200 (retransmissions ignored)
  const legs = new Map<string, Map<string, number>>();
  const first = (callId: string, leg: string, at: number) => {
    const m = legs.get(callId) ?? new Map<string, number>();
    legs.set(callId, m);
    if (!m.has(leg)) m.set(leg, at);
  };
  for (const line of out.stdout.split("\n")) {
    const [t, src, dst, callId, method, status, cseqMethod] = line.split("\t");
    if (t === undefined || callId === undefined || callId === "") continue;
    const at = Number(t) * 1000;
    const from = Number(src);
    const to = Number(dst);
    if (method === "INVITE") {
      if (from === callerPort) first(callId, "invite-sent", at);
      else if (from === proxyPort) first(callId, "invite-relayed", at);
    } else if (status === "200" && cseqMethod === "INVITE") {
      if (to === callerPort) first(callId, "ok-received", at);
      else if (to === proxyPort) first(callId, "ok-at-proxy", at);
    }
  }
  const setupMs: number[] = [];
  const proxyMs: number[] = [];
  for (const m of legs.values()) {
    const sent = m.get("invite-sent");
    const received = m.get("ok-received");
    if (sent === undefined || received === undefined) continue;
    setupMs.push(received - sent);
    const relayed = m.get("invite-relayed");
    const atProxy = m.get("ok-at-proxy");
    if (relayed !== undefined && atProxy !== undefined)
      proxyMs.push(relayed - sent + (received - atProxy));
  }
  return {
    setupMs: setupMs.sort((a, b) => a - b),
    proxyMs: proxyMs.sort((a, b) => a - b),
  };
}

interface RunResult {
  readonly ok: number;
  readonly failed: number;
  readonly setupMs: readonly number[];
  readonly proxyMs: readonly number[];
  /** peak calls and rooms per node seen in /status */
  readonly peakCalls: Record<string, number>;
  readonly peakRooms: Record<string, number>;
}

async function runLoad(mode: "direct" | "proxy", run: number): Promise<RunResult> {
  const first = config.nodes[0]!;
  const target =
    mode === "direct"
      ? `${first.host}:${first.sipPort}`
      : `${config.proxy.host}:${config.proxy.port}`;
  const rooms = ["SEQUENTIAL"];
  for (let i = 0; i < CALLS / 2; i++) rooms.push(`${mode}${run}r${i}`, `${mode}${run}r${i}`);
  const inf = join(dir, `rooms-${mode}-${run}.csv`);
  writeFileSync(inf, `${rooms.join("\n")}\n`);
  const sipPort = await freeUdpPorts(1);
  const mediaPort = await freeUdpPorts(4);
  const pcap = join(dir, `sip-${mode}-${run}.pcap`);
  const capture = startChild(
    "tshark",
    [
      "-i",
      "lo",
      "-F",
      "pcap",
      "-w",
      pcap,
      "-f",
      `udp port ${sipPort} or udp port ${config.proxy.port}`,
    ],
    { timeoutMs: 300_000 },
  );
  const deadline = Date.now() + 10_000;
  while (!capture.output().stderr.includes("Capturing on") && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
  const peakCalls: Record<string, number> = {};
  const peakRooms: Record<string, number> = {};
  const poll = setInterval(() => {
    void fetchClusterRows(config, 1000).then((rows) => {
      for (const r of rows) {
        if (r.status === undefined) continue;
        peakCalls[r.node] = Math.max(peakCalls[r.node] ?? 0, r.status.calls);
        peakRooms[r.node] = Math.max(peakRooms[r.node] ?? 0, r.status.rooms.length);
      }
    });
  }, 250);
  const screenFile = join(dir, `screen-${mode}-${run}.log`);
  const timeoutSec = Math.ceil(CALLS / RATE + HOLD_MS / 1000 + 60);
  const sipp = startChild(
    "sipp",
    [
      ...[target, "-sf", scenario, "-inf", inf],
      ...["-i", "127.0.0.1", "-p", String(sipPort), "-mi", "127.0.0.1", "-mp", String(mediaPort)],
      ...["-t", "u1", "-r", String(RATE), "-m", String(CALLS), "-l", String(RATE * 8)],
      ...["-d", String(HOLD_MS), "-recv_timeout", "15000", "-timeout", `${timeoutSec}s`],
      ...["-timeout_error", "-nostdin", "-trace_screen", "-screen_file", screenFile],
    ],
    { cwd: repoRoot(), timeoutMs: (timeoutSec + 15) * 1000 },
  );
  await sipp.done;
  clearInterval(poll);
  // let the last 200s reach the capture
  await new Promise((r) => setTimeout(r, 500));
  capture.kill("SIGINT"); // tshark writes what it buffered and exits
  await capture.done;
  const screen = readFileSync(screenFile, "utf8");
  return {
    ok: sippCounter(screen, "Successful call") ?? Number.NaN,
    failed: sippCounter(screen, "Failed call") ?? Number.NaN,
    ...sipTimes(pcap, sipPort, config.proxy.port),
    peakCalls,
    peakRooms,
  };
}

const cluster = await runCluster(config, { dir: join(dir, "cluster") });
const results: Record<"direct" | "proxy", RunResult[]> = { direct: [], proxy: [] };
try {
  for (let run = 0; run < RUNS; run++) {
    for (const mode of ["direct", "proxy"] as const) {
      const r = await runLoad(mode, run);
      results[mode].push(r);
      console.log(
        `${mode} run ${run + 1}: ${r.ok} ok, ${r.failed} failed, setup p50 ${quantile(r.setupMs, 0.5).toFixed(2)} ms ` +
          `p99 ${quantile(r.setupMs, 0.99).toFixed(2)} ms (${r.setupMs.length} measured)` +
          (r.proxyMs.length > 0
            ? `, in Kamailio p50 ${quantile(r.proxyMs, 0.5).toFixed(3)} ms p99 ${quantile(r.proxyMs, 0.99).toFixed(3)} ms`
            : "") +
          `, peak calls per node ${JSON.stringify(r.peakCalls)}, rooms ${JSON.stringify(r.peakRooms)}`,
      );
      // the rooms of this run empty before the next one
      await new Promise((r) => setTimeout(r, 3000));
    }
  }
} finally {
  await cluster.stop();
}

const summary = (mode: "direct" | "proxy") => {
  const runs = results[mode];
  const p50 = median(runs.map((r) => quantile(r.setupMs, 0.5)));
  const p99 = median(runs.map((r) => quantile(r.setupMs, 0.99)));
  const inProxy50 = median(runs.map((r) => quantile(r.proxyMs, 0.5)));
  const inProxy99 = median(runs.map((r) => quantile(r.proxyMs, 0.99)));
  const failed = runs.reduce((n, r) => n + r.failed, 0);
  const ok = runs.reduce((n, r) => n + r.ok, 0);
  const peak = median(runs.map((r) => Math.max(0, ...Object.values(r.peakCalls))));
  const nodesUsed = median(runs.map((r) => Object.values(r.peakCalls).filter((n) => n > 0).length));
  return { p50, p99, inProxy50, inProxy99, failed, ok, peak, nodesUsed };
};
const direct = summary("direct");
const proxy = summary("proxy");
console.log(
  `setup p50: direct ${direct.p50.toFixed(2)} ms, via Kamailio ${proxy.p50.toFixed(2)} ms ` +
    `(of which in Kamailio p50 ${proxy.inProxy50.toFixed(3)} ms, p99 ${proxy.inProxy99.toFixed(3)} ms); ` +
    `p99: ${direct.p99.toFixed(2)} / ${proxy.p99.toFixed(2)} ms; failed ${direct.failed} / ${proxy.failed}; ` +
    `peak calls on the busiest node ${direct.peak} / ${proxy.peak}`,
);
const command = `cd apps/cluster && ${envPrefix()}pnpm bench`;
const load = `${CALLS} A/V calls at ${RATE}/s, 2 per room, held ${HOLD_MS / 1000} s, medians of ${RUNS} runs`;
writeResults(packageDir(import.meta.dirname), {
  bench: "setup-latency",
  order: 70,
  packageName: "@framewire/cluster",
  revision: headRevision(packageDir(import.meta.dirname)),
  notes: [],
  rows: [
    {
      what: `Cluster call setup (INVITE → 200), through Kamailio into 3 nodes, ${load}`,
      ours: {
        value: proxy.p50,
        unit: "ms",
        note: `p99 ${proxy.p99.toFixed(2)} ms; Kamailio's own part (INVITE and 200 held) p50 ${proxy.inProxy50.toFixed(2)} ms, p99 ${proxy.inProxy99.toFixed(2)} ms; ${proxy.ok} ok, ${proxy.failed} failed; busiest node ${proxy.peak} calls (${2 * proxy.peak} streams) at once, ${proxy.nodesUsed} nodes used`,
      },
      anchor: {
        name: "straight to one node",
        value: direct.p50,
        unit: "ms",
        note: `p99 ${direct.p99.toFixed(2)} ms; ${direct.ok} ok, ${direct.failed} failed; ${direct.peak} calls (${2 * direct.peak} streams) at once on it`,
      },
      ratio: proxy.p50 / direct.p50,
      target: `0 failed at 20 calls/s through Kamailio into 3 nodes (issue 16)`,
      verdict: passFail(proxy.failed === 0 && proxy.ok === CALLS * RUNS && RATE >= 20),
      command,
    },
  ],
});
