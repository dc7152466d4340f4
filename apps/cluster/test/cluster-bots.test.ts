// Connector bots in a cluster: a bot runs on the node that holds its room. `joinBot` claims a new
// room for its node (its SIP callers are then admitted there) or answers the node that holds it.
import {
  freeUdpPorts,
  itWithPeers,
  onCleanup,
  report,
  runCleanups,
} from "@framewire/test-support/peers";
import { Redis } from "ioredis";
import { afterEach, describe, expect } from "vitest";
import { ClusterNode } from "../src/cluster-node.js";
import { roomKey } from "../src/registry-scripts.js";
import { type CallerHost, startCallerWith, startRedis } from "./cluster-harness.js";

const ROOM = "bot-room";
const HOLD_SEC = 5;

afterEach(runCleanups);

async function startNode(name: string, host: string, redisPort: number, rtp: number) {
  const sipPort = await freeUdpPorts(1);
  const node = new ClusterNode({
    node: { name, host, sipPort, rtpPortStart: rtp, rtpPortEnd: rtp + 200 },
    redisHost: "127.0.0.1",
    redisPort,
    heartbeatIntervalMs: 200,
    heartbeatTtlMs: 600,
  });
  onCleanup(() => node.stop());
  await node.start();
  return { node, sipPort, host };
}

describe("connector bots on the node that holds their room", () => {
  itWithPeers(["redis-server", "sipp"])(
    "joinBot claims a new room here; another node answers the holder; the room's SIP caller meets the bot there",
    async () => {
      const redisPort = await startRedis();
      const a = await startNode("ba", "127.0.0.7", redisPort, 31_000);
      const b = await startNode("bb", "127.0.0.8", redisPort, 31_400);
      const redis = new Redis({ host: "127.0.0.1", port: redisPort });
      onCleanup(() => redis.disconnect());

      const placed = await a.node.joinBot({ roomId: ROOM, identity: "recorder" });
      if (!placed.here) throw new Error(`joinBot on ba: ${JSON.stringify(placed)}`);
      const bot = placed.participant;
      expect(await redis.get(roomKey(ROOM))).toBe("ba");
      // the other node joins nothing and names the holder
      const elsewhere = await b.node.joinBot({ roomId: ROOM, identity: "second" });
      expect(elsewhere).toEqual({
        here: false,
        reason: "elsewhere",
        node: "ba",
        uri: `sip:127.0.0.7:${a.sipPort}`,
      });
      expect(b.node.kit.getSessions(ROOM)).toHaveLength(0);

      // the bot records what the room's caller sends (encoded: node-av is never loaded)
      let frames = 0;
      let keyframes = 0;
      const recorded = new Promise<string>((resolve) => {
        bot.events$.subscribe((e) => {
          if (e.type !== "track-published" || e.kind !== "video") return;
          void (async () => {
            const stream = bot.subscribeVideo(e.member);
            for await (const { frame } of stream) {
              frames++;
              if ("keyframe" in frame && frame.keyframe) keyframes++;
            }
            resolve("ended");
          })();
        });
      });
      // the callers dial the nodes directly (these two nodes are not behind a Kamailio)
      const ports: CallerHost = {
        callerPorts: { sip: await freeUdpPorts(2), media: await freeUdpPorts(8), count: 2 },
        config: { proxy: { host: a.host, port: a.sipPort } },
      };
      // dialing the node that does not hold the room: refused (503), nothing joins there
      const wrong = startCallerWith(ports, 0, ROOM, 1, { target: `${b.host}:${b.sipPort}` });
      const wrongEnd = await wrong.child.done;
      const caller = startCallerWith(ports, 1, ROOM, HOLD_SEC, {
        target: `${a.host}:${a.sipPort}`,
      });
      const end = await caller.child.done;
      await bot.leave();
      const streamEnd = await Promise.race([
        recorded,
        new Promise<string>((r) => setTimeout(() => r("no end"), 3000)),
      ]);
      // the room empties: released from the registry
      let owner: string | null = "ba";
      for (let i = 0; i < 80 && owner !== null; i++) {
        owner = await redis.get(roomKey(ROOM));
        if (owner !== null) await new Promise((r) => setTimeout(r, 100));
      }
      report("cluster-bots", {
        elsewhere,
        wrongSipp: wrongEnd.code,
        sipp: end.code,
        frames,
        keyframes,
        streamEnd,
        ownerAfter: owner,
      });
      expect(wrongEnd.code, "the call to the wrong node fails").not.toBe(0);
      expect(b.node.registry.stats.claimsLost).toBeGreaterThanOrEqual(1);
      expect(end.code, "the call to the holder completes").toBe(0);
      expect(frames, "frames the bot received from the caller").toBeGreaterThan(60);
      expect(keyframes).toBeGreaterThanOrEqual(1);
      expect(streamEnd).toBe("ended");
      expect(owner, "the room is released once empty").toBeNull();
    },
    60_000,
  );
});
