// A node SIGKILLed mid-call: the calls on the other nodes go on, and within 5 s new calls to the
// dead node's rooms meet on a live node (its heartbeat expired, the registry moves the room).
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

const ROOMS = 6;
const HOLD_SEC = 14;
const NEW_HOLD_SEC = 5;
/** new calls to the dead node's rooms start this long after the kill (TTL 3 s). */
const REDIAL_AFTER_MS = 3500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(runCleanups);

describe("a node dies mid-call", () => {
  itWithPeers(PEERS)(
    "SIGKILL one of 3 nodes: calls elsewhere unaffected, its rooms meet on a live node within 5 s",
    async () => {
      const cluster = await startTestCluster(3);
      const hostOf = new Map(cluster.config.nodes.map((n) => [n.name, n.host]));
      const capture = await startCapture(
        join(tempDir("framewire-cluster-failover-"), "callers.pcap"),
        callersCaptureFilter(4 * ROOMS),
        HOLD_SEC + 40,
      );
      const redis = new Redis({ host: cluster.config.redis.host, port: cluster.config.redis.port });
      const callers: Caller[] = [];
      for (let r = 0; r < ROOMS; r++) {
        callers.push(startCaller(cluster, 2 * r, `fo-${r}`, HOLD_SEC));
        callers.push(startCaller(cluster, 2 * r + 1, `fo-${r}`, HOLD_SEC));
      }
      await sleep(3000);
      const before = new Map<string, string | null>();
      for (let r = 0; r < ROOMS; r++) before.set(`fo-${r}`, await redis.get(roomKey(`fo-${r}`)));
      const victim = before.get("fo-0");
      expect(victim).toBeTruthy();
      const victimProcess = cluster.nodes.get(victim!)!;
      victimProcess.signal("SIGKILL");
      const killedAt = Date.now();
      await victimProcess.exited;
      const deadRooms = [...before].filter(([, owner]) => owner === victim).map(([room]) => room);
      const liveRooms = [...before].filter(([, owner]) => owner !== victim).map(([room]) => room);

      await sleep(REDIAL_AFTER_MS - (Date.now() - killedAt));
      const redialAt = Date.now();
      const redials: Caller[] = [];
      let index = 2 * ROOMS;
      for (const room of deadRooms) {
        redials.push(startCaller(cluster, index++, room, NEW_HOLD_SEC));
        redials.push(startCaller(cluster, index++, room, NEW_HOLD_SEC));
      }
      await sleep(2000);
      const after = new Map<string, string | null>();
      for (const room of deadRooms) after.set(room, await redis.get(roomKey(room)));
      const redialEnds = await Promise.all(redials.map((c) => c.child.done));
      const liveCallers = callers.filter((c) => liveRooms.includes(c.room));
      const liveEnds = await Promise.all(liveCallers.map((c) => c.child.done));
      await Promise.all(callers.map((c) => c.child.done));
      await capture.stop();
      redis.disconnect();
      const traffic = await rtpByDestinationPort(capture.file);

      const problems: string[] = [];
      // calls on the live nodes: video all along, also in the seconds after the kill
      for (const c of liveCallers) {
        const t = traffic.get(c.videoPort);
        const afterKill = t?.atMs.filter((at) => at > killedAt + 1000).length ?? 0;
        const from = [...(t?.sources.keys() ?? [])];
        if (afterKill < 300)
          problems.push(`${c.room} caller ${c.index}: ${afterKill} packets after the kill`);
        if (from.length !== 1 || from[0] !== hostOf.get(before.get(c.room) ?? ""))
          problems.push(`${c.room} caller ${c.index}: video from ${from.join(",")}`);
      }
      liveEnds.forEach((e, i) => {
        if (e.code !== 0)
          problems.push(`live caller ${liveCallers[i]?.index}: sipp exit ${e.code}`);
      });
      // new calls to the dead node's rooms: bridged on one live node
      for (const c of redials) {
        const owner = after.get(c.room);
        const t = traffic.get(c.videoPort);
        const video = t?.byPayloadType.get(96) ?? 0;
        const from = [...(t?.sources.keys() ?? [])];
        if (owner === null || owner === undefined || owner === victim)
          problems.push(`${c.room}: on ${owner} after the kill`);
        if (video < 150) problems.push(`${c.room} redial ${c.index}: ${video} video packets`);
        if (from.length !== 1 || from[0] !== hostOf.get(owner ?? ""))
          problems.push(
            `${c.room} redial ${c.index}: video from ${from.join(",")}, room on ${owner}`,
          );
      }
      redialEnds.forEach((e, i) => {
        if (e.code !== 0)
          problems.push(
            `redial ${redials[i]?.index}: sipp exit ${e.code}: ${e.stdout.slice(-400)}`,
          );
      });
      report("cluster failover", {
        victim,
        deadRooms: deadRooms.length,
        liveRooms: liveRooms.length,
        redialAfterKillMs: redialAt - killedAt,
        movedTo: JSON.stringify(Object.fromEntries(after)),
      });
      expect(deadRooms.length).toBeGreaterThan(0);
      expect(liveRooms.length).toBeGreaterThan(0);
      expect(problems).toEqual([]);
    },
    150_000,
  );
});
