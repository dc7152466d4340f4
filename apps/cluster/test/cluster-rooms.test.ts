// Three nodes behind Kamailio, SIPp A/V callers two per room: every pair meets on one node, each
// caller receives the other's video from that node, the rooms spread over every node.
import { join } from "node:path";
import {
  itWithPeers,
  report,
  runCleanups,
  startCapture,
  tempDir,
} from "@framewire/test-support/peers";
import { Redis } from "ioredis";
import { afterEach, describe, expect } from "vitest";
import { roomKey } from "../src/registry-scripts.js";
import {
  type Caller,
  callersCaptureFilter,
  PEERS,
  startCaller,
  startTestCluster,
} from "./cluster-harness.js";
import { rtpByDestinationPort } from "./pcap-rtp.js";

const ROOMS = Number(process.env.CLUSTER_ROOMS ?? 30);
const HOLD_SEC = 6;
/** a caller must receive at least this many H.264 packets (the peer sends ~480 in 6 s). */
const MIN_VIDEO_PACKETS = 150;

afterEach(runCleanups);

describe("three nodes behind Kamailio", () => {
  itWithPeers(PEERS)(
    `${ROOMS} rooms × 2 SIPp A/V callers: each pair bridged on one node, rooms on every node`,
    async () => {
      const cluster = await startTestCluster(3, { callers: 2 * ROOMS });
      const hostOf = new Map(cluster.config.nodes.map((n) => [n.name, n.host]));
      const dir = tempDir("framewire-cluster-test-");
      const capture = await startCapture(
        join(dir, "callers.pcap"),
        callersCaptureFilter(cluster),
        HOLD_SEC + 40,
      );
      const redis = new Redis({ host: cluster.config.redis.host, port: cluster.config.redis.port });
      const callers: Caller[] = [];
      const startedAt = Date.now();
      for (let r = 0; r < ROOMS; r++) {
        const room = `room-${r}`;
        callers.push(startCaller(cluster, 2 * r, room, HOLD_SEC));
        callers.push(startCaller(cluster, 2 * r + 1, room, HOLD_SEC));
        await new Promise((resolve) => setTimeout(resolve, 60));
      }
      // mid-call: where the registry says each room meets
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const owners = new Map<string, string | null>();
      for (let r = 0; r < ROOMS; r++)
        owners.set(`room-${r}`, await redis.get(roomKey(`room-${r}`)));
      const ends = await Promise.all(callers.map((c) => c.child.done));
      await capture.stop();
      const traffic = await rtpByDestinationPort(capture.file);
      // released once empty (sweep within a heartbeat interval + grace)
      let left: string[] = [];
      for (let i = 0; i < 80; i++) {
        left = await redis.keys("room:*");
        if (left.length === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      redis.disconnect();

      const perNode = new Map<string, number>();
      const problems: string[] = [];
      for (let r = 0; r < ROOMS; r++) {
        const room = `room-${r}`;
        const owner = owners.get(room);
        if (owner === null || owner === undefined) {
          problems.push(`${room}: not in the registry mid-call`);
          continue;
        }
        perNode.set(owner, (perNode.get(owner) ?? 0) + 1);
        for (const c of callers.filter((x) => x.room === room)) {
          const t = traffic.get(c.videoPort);
          const video = t?.byPayloadType.get(96) ?? 0;
          const sources = [...(t?.sources.keys() ?? [])];
          const audio = traffic.get(c.mediaPort)?.byPayloadType.get(0) ?? 0;
          if (video < MIN_VIDEO_PACKETS)
            problems.push(`${room} caller ${c.index}: ${video} video packets received`);
          if (sources.length !== 1 || sources[0] !== hostOf.get(owner))
            problems.push(
              `${room} caller ${c.index}: video from ${sources.join(",")}, room on ${owner}`,
            );
          if (audio < 100) problems.push(`${room} caller ${c.index}: ${audio} audio packets`);
          if (t !== undefined && t.markers < 40)
            problems.push(`${room} caller ${c.index}: ${t.markers} frames received`);
        }
      }
      const failedCalls = ends.filter((e) => e.code !== 0).length;
      ends.forEach((e, i) => {
        if (e.code !== 0)
          problems.push(
            `caller ${i}: sipp exit ${e.code}: ${(e.stdout + e.stderr).slice(0, 300)}…${(e.stdout + e.stderr).slice(-900)}`,
          );
      });
      const videoCounts = callers.map((c) => traffic.get(c.videoPort)?.byPayloadType.get(96) ?? 0);
      const frames = callers.map((c) => traffic.get(c.videoPort)?.markers ?? 0);
      report("cluster rooms", {
        rooms: ROOMS,
        callers: callers.length,
        seconds: ((Date.now() - startedAt) / 1000).toFixed(1),
        roomsPerNode: JSON.stringify(Object.fromEntries(perNode)),
        sippFailed: failedCalls,
        videoPacketsMin: Math.min(...videoCounts),
        videoPacketsMax: Math.max(...videoCounts),
        framesMin: Math.min(...frames),
        roomKeysLeft: left.length,
      });
      expect(problems).toEqual([]);
      expect(failedCalls).toBe(0);
      expect(perNode.size).toBe(3);
      expect(left).toEqual([]);
    },
    170_000,
  );
});
