// SIGTERM drains a node: OPTIONS 503 (Kamailio sets it inactive at its next ping), no new room
// lands on it, its rooms keep their calls (and admit a late caller) until the drain limit, then
// its calls get BYE, its rooms are released, its heartbeat deleted, and it exits 0.
import { join } from "node:path";
import {
  itWithPeers,
  onCleanup,
  report,
  runCleanups,
  startCapture,
  tempDir,
} from "@framewire/test-support/peers";
import { Redis } from "ioredis";
import { afterEach, describe, expect } from "vitest";
import { nodeUri } from "../src/cluster-config.js";
import { nodeKey, roomKey } from "../src/registry-scripts.js";
import {
  byeLog,
  type Caller,
  callersCaptureFilter,
  nodeEvents,
  PEERS,
  startCaller,
  startCallerWith,
  startTestCluster,
  waitForDispatcher,
  writeHoldOrByeScenario,
} from "./cluster-harness.js";
import { rtpByDestinationPort } from "./pcap-rtp.js";

/** the drained node's limit (--drain-timeout-ms). */
const DRAIN_MS = 8000;
/** the calls before the drain hold this long unless the node ends them (longer than the drain). */
const HOLD_SEC = 18;
/** calls to new rooms placed during the drain hold this long. */
const NEW_HOLD_SEC = 5;
const VICTIM = "n3";
const MAX_CALLERS = 64;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(runCleanups);

describe("a node drains on SIGTERM", () => {
  itWithPeers([...PEERS, "kamcmd"])(
    "SIGTERM one of 3 nodes: no new room on it, its calls go on until the limit, then BYE, rooms released, exit 0",
    async () => {
      // cluster.json's drainTimeoutMs, passed to every node as --drain-timeout-ms
      const cluster = await startTestCluster(3, { drainTimeoutMs: DRAIN_MS, callers: MAX_CALLERS });
      const hostOf = new Map(cluster.config.nodes.map((n) => [n.name, n.host]));
      const victimConfig = cluster.config.nodes.find((n) => n.name === VICTIM)!;
      const victimUri = nodeUri(victimConfig);
      const dir = tempDir("framewire-cluster-drain-");
      const victim = cluster.nodes.get(VICTIM)!;

      const holdScenario = await writeHoldOrByeScenario(dir, HOLD_SEC * 1000);
      const newScenario = await writeHoldOrByeScenario(dir, NEW_HOLD_SEC * 1000);
      const capture = await startCapture(
        join(dir, "callers.pcap"),
        callersCaptureFilter(cluster),
        HOLD_SEC + 50,
      );
      const redis = new Redis({ host: cluster.config.redis.host, port: cluster.config.redis.port });
      const logOf = (c: Caller) => join(dir, `caller-${c.index}.log`);
      let index = 0;
      const call = (room: string, scenario: string, holdSec: number) => {
        const i = index++;
        return startCallerWith(cluster, i, room, holdSec, {
          scenario,
          extraArgs: ["-trace_logs", "-log_file", join(dir, `caller-${i}.log`)],
        });
      };

      // rooms until the victim holds two and the other nodes two
      const before: Caller[] = [];
      const ownerBefore = new Map<string, string>();
      for (let r = 0; r < 14; r++) {
        const room = `dr-${r}`;
        before.push(call(room, holdScenario, HOLD_SEC), call(room, holdScenario, HOLD_SEC));
        await sleep(700);
        const owner = await redis.get(roomKey(room));
        if (owner !== null) ownerBefore.set(room, owner);
        const onVictim = [...ownerBefore.values()].filter((o) => o === VICTIM).length;
        if (onVictim >= 2 && ownerBefore.size - onVictim >= 2) break;
      }
      const victimRooms = [...ownerBefore].filter(([, o]) => o === VICTIM).map(([room]) => room);
      const otherRooms = [...ownerBefore].filter(([, o]) => o !== VICTIM).map(([room]) => room);
      expect(victimRooms.length).toBeGreaterThanOrEqual(2);
      await sleep(2500);

      victim.signal("SIGTERM");
      const termAt = Date.now();
      const exited = victim.exited.then((e) => ({ ...e, at: Date.now() }));
      const announced = JSON.parse(
        await victim.waitForLine(/"event":"draining-announced"/, 5000),
      ) as { afterMs: number };
      await waitForDispatcher(cluster, victimUri, /^I/, 5000);
      const inactiveAfterMs = Date.now() - termAt;
      // during the drain: new rooms (none may land on the victim) and a late caller of a victim room
      const newRooms: Caller[] = [];
      for (let r = 0; r < 6; r++) {
        newRooms.push(call(`dn-${r}`, newScenario, NEW_HOLD_SEC));
        newRooms.push(call(`dn-${r}`, newScenario, NEW_HOLD_SEC));
      }
      const late = call(victimRooms[0]!, holdScenario, HOLD_SEC);
      // a new room Kamailio pinned to the victim before its ping saw the 503 (as its claim
      // would): the victim refuses it 503 and unpins it, and the next call lands elsewhere
      await redis.set(roomKey("dz-0"), VICTIM);
      const pinned = startCallerWith(cluster, index++, "dz-0", 2, {
        target: `${victimConfig.host}:${victimConfig.sipPort}`,
      });
      const pinnedEnd = await pinned.child.done;
      const unpinned = await redis.get(roomKey("dz-0"));
      const retry = [
        call("dz-0", newScenario, NEW_HOLD_SEC),
        call("dz-0", newScenario, NEW_HOLD_SEC),
      ];
      await sleep(2000);
      const ownerNew = new Map<string, string | null>();
      for (let r = 0; r < 6; r++) ownerNew.set(`dn-${r}`, await redis.get(roomKey(`dn-${r}`)));
      ownerNew.set("dz-0", await redis.get(roomKey("dz-0")));
      const victimRoomsMidDrain = await Promise.all(victimRooms.map((r) => redis.get(roomKey(r))));

      const exit = await exited;
      const afterExit = {
        rooms: await Promise.all(victimRooms.map((r) => redis.get(roomKey(r)))),
        heartbeat: await redis.exists(nodeKey(VICTIM)),
      };
      const all = [...before, ...newRooms, late, ...retry];
      const ends = await Promise.all(all.map((c) => c.child.done));
      await capture.stop();
      let left: string[] = [];
      for (let i = 0; i < 80; i++) {
        left = await redis.keys("room:*");
        if (left.length === 0) break;
        await sleep(100);
      }
      redis.disconnect();
      const traffic = await rtpByDestinationPort(capture.file);
      const drained = nodeEvents(victim).find((e) => e.event === "drained");
      const refused = nodeEvents(victim).filter((e) => e.event === "refused-draining");

      const problems: string[] = [];
      ends.forEach((e, i) => {
        if (e.code !== 0)
          problems.push(`caller ${all[i]?.index} (${all[i]?.room}): sipp exit ${e.code}`);
      });
      const victimCallers = [...before.filter((c) => victimRooms.includes(c.room)), late];
      const victimHost = hostOf.get(VICTIM)!;
      const drainEnd = termAt + DRAIN_MS;
      const lastFromVictim: number[] = [];
      const audioInDrain: number[] = [];
      for (const c of victimCallers) {
        const how = await byeLog(logOf(c));
        if (how !== "remote-bye") problems.push(`${c.room} caller ${c.index}: ${how}, no BYE seen`);
        // audio (PT 0, the other caller's tone, forwarded) all through the drain
        const audio = traffic.get(c.mediaPort);
        const inDrain =
          audio?.atMs.filter((t) => t > termAt + 500 && t < drainEnd - 500).length ?? 0;
        audioInDrain.push(inDrain);
        if (inDrain < ((DRAIN_MS - 1000) / 20) * 0.6)
          problems.push(`${c.room} caller ${c.index}: ${inDrain} audio packets during the drain`);
        const from = [...(audio?.sources.keys() ?? [])];
        if (from.length !== 1 || from[0] !== victimHost)
          problems.push(`${c.room} caller ${c.index}: media from ${from.join(",")}`);
        lastFromVictim.push(
          Math.max(audio?.lastAtMs ?? 0, traffic.get(c.videoPort)?.lastAtMs ?? 0),
        );
      }
      // video the victim forwarded after the SIGTERM: the late caller's (its pcap plays 10 s from
      // its start) reaches the callers already in its room; frames are marker bits
      const framesAfterTerm = before
        .filter((c) => c.room === late.room)
        .map((c) => traffic.get(c.videoPort)?.markerAtMs.filter((at) => at > termAt).length ?? 0);
      if (Math.min(...framesAfterTerm) < 20)
        problems.push(
          `frames after SIGTERM to ${late.room}'s callers: ${framesAfterTerm.join(",")}`,
        );
      for (const c of before.filter((x) => otherRooms.includes(x.room))) {
        if ((await byeLog(logOf(c))) !== "local-bye")
          problems.push(`${c.room} caller ${c.index}: not ended by its own BYE`);
      }
      if (pinnedEnd.code === 0) problems.push("dz-0 dialed at the draining node: answered");
      if (unpinned !== null) problems.push(`dz-0 still pinned to ${unpinned} after the 503`);
      if (!refused.some((e) => e.room === "dz-0" && e.released === true))
        problems.push("no refused-draining (released) line for dz-0");
      for (const c of [...newRooms, ...retry]) {
        const owner = ownerNew.get(c.room);
        const t = traffic.get(c.videoPort);
        const video = t?.byPayloadType.get(96) ?? 0;
        const from = [...(t?.sources.keys() ?? [])];
        if (owner === null || owner === undefined || owner === VICTIM)
          problems.push(`${c.room}: on ${owner} during the drain`);
        if (video < 150) problems.push(`${c.room} caller ${c.index}: ${video} video packets`);
        if (from.length !== 1 || from[0] !== hostOf.get(owner ?? ""))
          problems.push(`${c.room} caller ${c.index}: video from ${from.join(",")}`);
      }
      victimRoomsMidDrain.forEach((o, i) => {
        if (o !== VICTIM) problems.push(`${victimRooms[i]} on ${o} during the drain`);
      });
      afterExit.rooms.forEach((o, i) => {
        if (o !== null) problems.push(`${victimRooms[i]} still on ${o} after the exit`);
      });
      report("cluster drain", {
        victimRooms: victimRooms.length,
        otherRooms: otherRooms.length,
        victimCalls: victimCallers.length,
        drainLimitMs: DRAIN_MS,
        announcedAfterMs: announced.afterMs,
        kamailioInactiveAfterMs: inactiveAfterMs,
        newRoomsPlaced: JSON.stringify(Object.fromEntries(ownerNew)),
        refusedWhileDraining: refused.length,
        audioPacketsInDrainMin: Math.min(...audioInDrain),
        framesAfterTermMin: Math.min(...framesAfterTerm),
        lastMediaAfterTermMs: Math.max(...lastFromVictim) - termAt,
        drained: JSON.stringify(drained),
        exitCode: exit.code,
        exitAfterTermMs: exit.at - termAt,
        heartbeatAfterExit: afterExit.heartbeat,
        sippFailed: ends.filter((e) => e.code !== 0).length,
        roomKeysLeft: left.length,
      });
      expect(problems).toEqual([]);
      expect(exit.code).toBe(0);
      expect(drained?.ended).toBe("limit");
      expect(afterExit.heartbeat).toBe(0);
      expect(left).toEqual([]);
    },
    150_000,
  );
});

describe("a second SIGTERM while draining", () => {
  itWithPeers(PEERS)(
    "stops the node at once: its calls get BYE, its rooms are released, exit 0",
    async () => {
      const cluster = await startTestCluster(3);
      const dir = tempDir("framewire-cluster-drain2-");
      const scenario = await writeHoldOrByeScenario(dir, 30_000);
      const redis = new Redis({ host: cluster.config.redis.host, port: cluster.config.redis.port });
      onCleanup(() => redis.disconnect());
      const callers = [0, 1].map((i) =>
        startCallerWith(cluster, i, "dq-0", 30, {
          scenario,
          extraArgs: ["-trace_logs", "-log_file", join(dir, `caller-${i}.log`)],
        }),
      );
      await sleep(3000);
      const owner = await redis.get(roomKey("dq-0"));
      expect(owner).toBeTruthy();
      const node = cluster.nodes.get(owner!)!;
      node.signal("SIGTERM");
      await node.waitForLine(/"event":"draining"/, 5000);
      await sleep(1000);
      expect(node.running).toBe(true); // draining: the default limit is 60 s
      const secondAt = Date.now();
      node.signal("SIGTERM");
      const exit = await node.exited;
      const exitMs = Date.now() - secondAt;
      const ends = await Promise.all(callers.map((c) => c.child.done));
      const how = await Promise.all(callers.map((_, i) => byeLog(join(dir, `caller-${i}.log`))));
      const roomAfter = await redis.get(roomKey("dq-0"));
      const heartbeat = await redis.exists(nodeKey(owner!));
      report("cluster drain, second SIGTERM", {
        node: owner,
        exitAfterSecondSigtermMs: exitMs,
        exitCode: exit.code,
        callers: JSON.stringify(how),
        roomAfter,
        heartbeat,
      });
      expect(exit.code).toBe(0);
      expect(exitMs).toBeLessThan(3000);
      expect(how).toEqual(["remote-bye", "remote-bye"]);
      expect(ends.map((e) => e.code)).toEqual([0, 0]);
      expect(roomAfter).toBeNull();
      expect(heartbeat).toBe(0);
    },
    90_000,
  );
});

describe("a drain whose calls end first", () => {
  itWithPeers(PEERS)(
    "the node exits 0 as soon as its last call left, long before the limit",
    async () => {
      const cluster = await startTestCluster(3, { callers: 2 });
      const redis = new Redis({ host: cluster.config.redis.host, port: cluster.config.redis.port });
      onCleanup(() => redis.disconnect());
      const callers = [0, 1].map((i) => startCaller(cluster, i, "de-0", 5));
      await sleep(2500);
      const owner = await redis.get(roomKey("de-0"));
      expect(owner).toBeTruthy();
      const node = cluster.nodes.get(owner!)!;
      node.signal("SIGTERM");
      const termAt = Date.now();
      const ends = await Promise.all(callers.map((c) => c.child.done));
      const lastCallEndedAt = Date.now();
      const exit = await node.exited;
      const exitedAt = Date.now();
      const drained = nodeEvents(node).find((e) => e.event === "drained");
      const roomAfter = await redis.get(roomKey("de-0"));
      const heartbeat = await redis.exists(nodeKey(owner!));
      report("cluster drain, calls end first", {
        node: owner,
        lastCallEndedAfterTermMs: lastCallEndedAt - termAt,
        exitAfterLastCallMs: exitedAt - lastCallEndedAt,
        exitCode: exit.code,
        drained: JSON.stringify(drained),
        roomAfter,
        heartbeat,
      });
      expect(ends.map((e) => e.code)).toEqual([0, 0]);
      expect(exit.code).toBe(0);
      expect(drained?.ended).toBe("empty");
      expect(exitedAt - lastCallEndedAt).toBeLessThan(3000);
      expect(roomAfter).toBeNull();
      expect(heartbeat).toBe(0);
    },
    90_000,
  );
});
