// A node SIGKILLed mid-call: the calls on the other nodes go on, and within 5 s new calls to the
// dead node's rooms meet on a live node (its heartbeat expired, the registry moves the room).
// Then the node is restarted: Kamailio sets it active again, new callers of the rooms in
// progress still meet where those rooms meet now (none moves back), new rooms may land on it.
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
import { nodeUri } from "../src/cluster-config.js";
import { roomKey } from "../src/registry-scripts.js";
import {
  type Caller,
  callersCaptureFilter,
  nodeEvents,
  PEERS,
  startCaller,
  startNode,
  startTestCluster,
  waitForDispatcher,
} from "./cluster-harness.js";
import { rtpByDestinationPort } from "./pcap-rtp.js";

const ROOMS = 6;
const HOLD_SEC = 22;
/** the redials hold until after the restart; the callers after the restart hold JOIN_HOLD_SEC. */
const NEW_HOLD_SEC = 16;
const JOIN_HOLD_SEC = 5;
/** single callers of new rooms after the restart (where they land is reported). */
const NEW_ROOMS = 6;
const MAX_CALLERS = 4 * ROOMS + 2 * ROOMS + NEW_ROOMS;
/** new calls to the dead node's rooms start this long after the kill (TTL 3 s). */
const REDIAL_AFTER_MS = 3500;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(runCleanups);

describe("a node dies mid-call", () => {
  itWithPeers([...PEERS, "kamcmd"])(
    "SIGKILL one of 3 nodes: calls elsewhere unaffected, its rooms meet on a live node within 5 s; restarted, no room in progress moves",
    async () => {
      const cluster = await startTestCluster(3, { callers: MAX_CALLERS });
      const hostOf = new Map(cluster.config.nodes.map((n) => [n.name, n.host]));
      const capture = await startCapture(
        join(tempDir("framewire-cluster-failover-"), "callers.pcap"),
        callersCaptureFilter(cluster),
        HOLD_SEC + 50,
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

      // restart the killed node while its former rooms meet elsewhere
      const restartAt = Date.now();
      const restarted = await startNode(cluster, victim!);
      const readyAfterMs = Date.now() - restartAt;
      await waitForDispatcher(
        cluster,
        nodeUri(cluster.config.nodes.find((n) => n.name === victim)!),
        /^A/,
        15_000,
      );
      const activeAfterMs = Date.now() - restartAt;
      const joinAt = Date.now();
      const joiners: Caller[] = [];
      for (const room of deadRooms) {
        joiners.push(startCaller(cluster, index++, room, JOIN_HOLD_SEC));
        joiners.push(startCaller(cluster, index++, room, JOIN_HOLD_SEC));
      }
      const fresh: Caller[] = [];
      for (let r = 0; r < NEW_ROOMS; r++)
        fresh.push(startCaller(cluster, index++, `fo-new-${r}`, JOIN_HOLD_SEC));
      await sleep(2000);
      const afterRestart = new Map<string, string | null>();
      for (const [room] of before) afterRestart.set(room, await redis.get(roomKey(room)));
      const freshOwners = new Map<string, string | null>();
      for (const c of fresh) freshOwners.set(c.room, await redis.get(roomKey(c.room)));
      const joinEnds = await Promise.all([...joiners, ...fresh].map((c) => c.child.done));
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
      // after the restart: every room in progress where it was (moved rooms stay moved), the
      // new callers of the moved rooms bridged there, receiving the redials' video
      for (const [room, owner] of afterRestart) {
        const expected = deadRooms.includes(room) ? after.get(room) : before.get(room);
        if (owner !== expected)
          problems.push(`${room}: on ${owner} after the restart, was ${expected}`);
      }
      const joinerFrames: number[] = [];
      for (const c of joiners) {
        const owner = after.get(c.room);
        const t = traffic.get(c.videoPort);
        const from = [...(t?.sources.keys() ?? [])];
        joinerFrames.push(t?.markers ?? 0);
        if ((t?.markers ?? 0) < 30)
          problems.push(`${c.room} joiner ${c.index}: ${t?.markers ?? 0} frames`);
        if (from.length !== 1 || from[0] !== hostOf.get(owner ?? ""))
          problems.push(
            `${c.room} joiner ${c.index}: video from ${from.join(",")}, room on ${owner}`,
          );
      }
      joinEnds.forEach((e, i) => {
        if (e.code !== 0)
          problems.push(
            `caller after the restart ${i}: sipp exit ${e.code}: ${e.stdout.slice(-300)}`,
          );
      });
      const freshOnRestarted = [...freshOwners.values()].filter((o) => o === victim).length;
      const restartedJoins = nodeEvents(restarted)
        .filter((e) => e.event === "joined")
        .map((e) => e.room);
      for (const room of restartedJoins)
        if (typeof room !== "string" || !room.startsWith("fo-new-"))
          problems.push(`${String(room)} joined on the restarted node`);
      report("cluster failover", {
        victim,
        deadRooms: deadRooms.length,
        liveRooms: liveRooms.length,
        redialAfterKillMs: redialAt - killedAt,
        movedTo: JSON.stringify(Object.fromEntries(after)),
        restartReadyMs: readyAfterMs,
        restartActiveInKamailioMs: activeAfterMs,
        joinersAfterRestart: joiners.length,
        joinerFramesMin: Math.min(...joinerFrames),
        roomsMovedByRestart: [...afterRestart].filter(
          ([room, o]) => o !== (deadRooms.includes(room) ? after.get(room) : before.get(room)),
        ).length,
        newRoomsOnRestarted: `${freshOnRestarted}/${NEW_ROOMS}`,
        joinAfterRestartMs: joinAt - restartAt,
      });
      expect(deadRooms.length).toBeGreaterThan(0);
      expect(liveRooms.length).toBeGreaterThan(0);
      expect(problems).toEqual([]);
      expect(freshOnRestarted).toBeGreaterThan(0);
    },
    150_000,
  );
});
