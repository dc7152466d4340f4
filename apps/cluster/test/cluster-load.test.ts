// 200 SIPp A/V calls at 20 calls/s through Kamailio into three nodes: none fails, the two callers
// of each room meet on one node, the rooms spread over all three, and afterwards every node holds
// no call and no RTP port and the registry is empty.
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  itWithPeers,
  killAtCleanup,
  report,
  runCleanups,
  startChild,
  tempDir,
} from "@framewire/test-support/peers";
import { Redis } from "ioredis";
import { afterEach, describe, expect } from "vitest";
import { nodeEvents, PEERS, startTestCluster, writeRoomScenario } from "./cluster-harness.js";

const CALLS = Number(process.env.CLUSTER_LOAD_CALLS ?? 200);
const RATE = Number(process.env.CLUSTER_LOAD_RATE ?? 20);
/** each call holds this long (ms) after its ACK, then sends BYE. */
const HOLD_MS = 2000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** percentile of sorted values (nearest rank). */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** lastStats reads the last row of a SIPp `-trace_stat` file (`;`-separated, header first). */
function lastStats(csv: string): Map<string, string> {
  const rows = csv.trim().split("\n");
  const head = rows[0]?.split(";") ?? [];
  const last = rows[rows.length - 1]?.split(";") ?? [];
  return new Map(head.map((h, i) => [h, last[i] ?? ""]));
}

afterEach(runCleanups);

describe("calls at a rate through Kamailio", () => {
  itWithPeers(PEERS)(
    `${CALLS} A/V calls at ${RATE} calls/s into 3 nodes: 0 failed, rooms on one node each, nothing left after`,
    async () => {
      const cluster = await startTestCluster(3, { callers: 1 });
      const dir = tempDir("framewire-cluster-load-");
      // sipp-av-call.xml with the room from the injection file: two calls per room, in a row;
      // SIPp runs in `dir` (it writes its rtt and error files there)
      const scenario = await writeRoomScenario(dir);
      const rooms = Array.from({ length: CALLS }, (_, i) => `ld-${Math.floor(i / 2)}`);
      const csv = join(dir, "rooms.csv");
      await writeFile(csv, `SEQUENTIAL\n${rooms.join("\n")}\n`);
      const { host, port } = cluster.config.proxy;
      const startedAt = Date.now();
      const sipp = killAtCleanup(
        startChild(
          "sipp",
          [
            ...[`${host}:${port}`, "-sf", scenario, "-inf", csv],
            ...["-i", "127.0.0.1", "-p", String(cluster.callerPorts.sip), "-mi", "127.0.0.1"],
            ...["-mp", String(cluster.callerPorts.media), "-t", "u1"],
            ...["-r", String(RATE), "-rp", "1000", "-m", String(CALLS), "-l", String(CALLS)],
            ...["-d", String(HOLD_MS), "-recv_timeout", "15000", "-timeout", "120s"],
            ...["-timeout_error", "-nostdin", "-trace_stat", "-stf", join(dir, "stat.csv")],
            ...["-fd", "1", "-trace_rtt", "-rtt_freq", "1", "-trace_err"],
          ],
          { cwd: dir, timeoutMs: 150_000 },
        ),
      );
      const end = await sipp.done;
      const seconds = (Date.now() - startedAt) / 1000;
      const stats = lastStats(await readFile(join(dir, "stat.csv"), "utf8").catch(() => ""));
      const rttFile = (await readdir(dir)).find((f) => f.endsWith("_rtt.csv"));
      const rtts =
        rttFile === undefined
          ? []
          : (await readFile(join(dir, rttFile), "utf8"))
              .trim()
              .split("\n")
              .slice(1)
              .map((row) => Number(row.split(";")[1]))
              .filter((ms) => Number.isFinite(ms))
              .sort((a, b) => a - b);
      const errFile = (await readdir(dir)).find((f) => f.endsWith("_errors.log"));
      const errors = errFile === undefined ? "" : await readFile(join(dir, errFile), "utf8");

      // where each room met (the nodes' "joined" lines) and what each node holds after
      const roomNodes = new Map<string, Set<string>>();
      const joins = new Map<string, number>();
      const held = new Map<string, { calls: number; ports: number }>();
      const redis = new Redis({ host: cluster.config.redis.host, port: cluster.config.redis.port });
      let left: string[] = [];
      for (let i = 0; i < 100; i++) {
        left = await redis.keys("room:*");
        let idle = true;
        for (const [name, p] of cluster.nodes) {
          const leaves = nodeEvents(p).filter((e) => e.event === "left");
          const last = leaves[leaves.length - 1];
          const calls = typeof last?.calls === "number" ? last.calls : -1;
          const ports = typeof last?.ports === "number" ? last.ports : -1;
          held.set(name, { calls, ports });
          if (calls !== 0 || ports !== 0) idle = false;
        }
        if (left.length === 0 && idle) break;
        await sleep(100);
      }
      redis.disconnect();
      for (const [name, p] of cluster.nodes) {
        for (const e of nodeEvents(p)) {
          if (e.event !== "joined" || typeof e.room !== "string") continue;
          const set = roomNodes.get(e.room) ?? new Set<string>();
          set.add(name);
          roomNodes.set(e.room, set);
          joins.set(name, (joins.get(name) ?? 0) + 1);
        }
      }
      const split = [...roomNodes].filter(([, nodes]) => nodes.size !== 1).map(([r]) => r);
      const roomsPerNode = new Map<string, number>();
      for (const [, nodes] of roomNodes)
        for (const n of nodes) roomsPerNode.set(n, (roomsPerNode.get(n) ?? 0) + 1);
      report("cluster load", {
        calls: CALLS,
        rate: RATE,
        holdMs: HOLD_MS,
        seconds: seconds.toFixed(1),
        sippExit: end.code,
        successful: stats.get("SuccessfulCall(C)"),
        failed: stats.get("FailedCall(C)"),
        retransmissions: stats.get("Retransmissions(C)"),
        setupP50Ms: percentile(rtts, 50),
        setupP99Ms: percentile(rtts, 99),
        setupMaxMs: rtts[rtts.length - 1],
        setupsMeasured: rtts.length,
        joinsPerNode: JSON.stringify(Object.fromEntries(joins)),
        roomsPerNode: JSON.stringify(Object.fromEntries(roomsPerNode)),
        splitRooms: split.length,
        heldAfter: JSON.stringify(Object.fromEntries(held)),
        roomKeysLeft: left.length,
      });
      if (end.code !== 0)
        process.stdout.write(`${end.stdout.slice(-1500)}\n${errors.slice(-1500)}\n`);
      expect(end.code).toBe(0);
      expect(stats.get("SuccessfulCall(C)")).toBe(String(CALLS));
      expect(stats.get("FailedCall(C)")).toBe("0");
      expect([...joins.values()].reduce((a, b) => a + b, 0)).toBe(CALLS);
      expect(roomNodes.size).toBe(CALLS / 2);
      expect(split).toEqual([]);
      expect(roomsPerNode.size).toBe(3);
      for (const h of held.values()) expect(h).toEqual({ calls: 0, ports: 0 });
      expect(left).toEqual([]);
    },
    170_000,
  );
});
