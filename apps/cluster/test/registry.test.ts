// The registry against a real redis-server, a node's OPTIONS health, and `kamailio -c` of the
// generated kamailio.cfg.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  freeUdpPorts,
  itWithPeers,
  onCleanup,
  runCleanups,
  tempDir,
} from "@framewire/test-support/peers";
import { Redis } from "ioredis";
import { afterEach, describe, expect } from "vitest";
import { KAMAILIO_MODULES } from "../src/cluster.js";
import { clusterConfig } from "../src/cluster-config.js";
import { ClusterNode } from "../src/cluster-node.js";
import { renderDispatcherList, renderKamailioCfg } from "../src/kamailio-cfg.js";
import { NodeRegistry } from "../src/registry.js";
import { nodeKey, roomKey } from "../src/registry-scripts.js";
import { sipPing } from "../src/sip-ping.js";
import { startRedis } from "./cluster-harness.js";

afterEach(runCleanups);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function registry(port: number, node: string, ttlMs = 600): NodeRegistry {
  const r = new NodeRegistry({
    redisHost: "127.0.0.1",
    redisPort: port,
    node,
    uri: `sip:${node}`,
    intervalMs: 200,
    ttlMs,
  });
  onCleanup(() => r.close());
  return r;
}

describe("NodeRegistry on redis-server", () => {
  itWithPeers(["redis-server"])(
    "heartbeat with a TTL, a room claimed once, taken over when its node's heartbeat expires, released by its owner only",
    async () => {
      const port = await startRedis();
      const redis = new Redis({ host: "127.0.0.1", port });
      onCleanup(() => redis.disconnect());
      const a = registry(port, "a");
      const b = registry(port, "b");
      await a.start();
      await b.start();
      const ttl = await redis.pttl(nodeKey("a"));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(600);
      expect(await redis.get(nodeKey("a"))).toBe("sip:a");

      expect(await a.claim("r1")).toBe("a"); // new room: SET NX
      expect(await b.claim("r1")).toBe("a"); // pinned while a is alive
      await sleep(700); // several TTLs: the heartbeat keeps the key
      expect(await b.claim("r1")).toBe("a");
      expect(await b.release("r1")).toBe(false); // not b's
      expect(await redis.get(roomKey("r1"))).toBe("a");

      // a dies without a word: its heartbeat expires, b takes the room over
      await a.close(); // deletes the key at once, like an expiry
      expect(await redis.exists(nodeKey("a"))).toBe(0);
      expect(await b.claim("r1")).toBe("b");
      expect(await b.release("r1")).toBe(true);
      expect(await redis.exists(roomKey("r1"))).toBe(0);
      expect(b.stats.claims).toBe(1);
      expect(b.stats.claimsLost).toBe(2);
    },
  );

  itWithPeers(["redis-server"])("a heartbeat that stops expires after its TTL", async () => {
    const port = await startRedis();
    const redis = new Redis({ host: "127.0.0.1", port });
    onCleanup(() => redis.disconnect());
    const a = registry(port, "a", 500);
    await a.start();
    // a heartbeat nobody refreshes any more (what a SIGKILLed node leaves behind)
    const frozen = new Redis({ host: "127.0.0.1", port });
    onCleanup(() => frozen.disconnect());
    await frozen.set(nodeKey("z"), "sip:z", "PX", 500);
    expect(await redis.exists(nodeKey("z"))).toBe(1);
    await sleep(700);
    expect(await redis.exists(nodeKey("z"))).toBe(0);
    expect(await redis.exists(nodeKey("a"))).toBe(1); // refreshed every 200 ms
    // a room of the expired node is taken over
    await redis.set(roomKey("r2"), "z");
    expect(await a.claim("r2")).toBe("a");
  });

  itWithPeers(["redis-server"])(
    "a node answers OPTIONS 200 while up, 503 while draining, and refuses a room that meets elsewhere",
    async () => {
      const port = await startRedis();
      const sipPort = await freeUdpPorts(1);
      const node = new ClusterNode({
        node: { name: "t1", host: "127.0.0.5", sipPort, rtpPortStart: 30000, rtpPortEnd: 30100 },
        redisHost: "127.0.0.1",
        redisPort: port,
        heartbeatIntervalMs: 200,
        heartbeatTtlMs: 600,
      });
      onCleanup(() => node.stop());
      await node.start();
      expect(await sipPing("127.0.0.5", sipPort)).toBe(200);
      node.drain();
      expect(node.state).toBe("draining");
      expect(await sipPing("127.0.0.5", sipPort)).toBe(503);
      await node.stop();
      const redis = new Redis({ host: "127.0.0.1", port });
      onCleanup(() => redis.disconnect());
      expect(await redis.exists(nodeKey("t1"))).toBe(0); // stop deletes the heartbeat
    },
  );

  itWithPeers(["redis-server"])(
    "a drain without calls ends at once: 503 to pings, rooms released, heartbeat deleted",
    async () => {
      const port = await startRedis();
      const sipPort = await freeUdpPorts(1);
      const lines: string[] = [];
      const node = new ClusterNode({
        node: { name: "t2", host: "127.0.0.5", sipPort, rtpPortStart: 30200, rtpPortEnd: 30300 },
        redisHost: "127.0.0.1",
        redisPort: port,
        heartbeatIntervalMs: 200,
        heartbeatTtlMs: 600,
        drainTimeoutMs: 10_000,
        log: (line) => lines.push(line),
      });
      onCleanup(() => node.stop());
      await node.start();
      const redis = new Redis({ host: "127.0.0.1", port });
      onCleanup(() => redis.disconnect());
      expect(await redis.exists(nodeKey("t2"))).toBe(1);
      const startedAt = Date.now();
      const drained = node.drainAndStop();
      expect(node.state).toBe("draining");
      const outcome = await drained;
      expect(outcome.ended).toBe("empty");
      expect(outcome.calls).toBe(0);
      expect(Date.now() - startedAt).toBeLessThan(2000);
      expect(await redis.exists(nodeKey("t2"))).toBe(0);
      expect(lines.map((l) => (JSON.parse(l) as { event: string }).event)).toEqual([
        "draining",
        "drained",
      ]);
    },
  );
});

describe("the generated kamailio.cfg", () => {
  itWithPeers(["kamailio"])("passes kamailio -c, with and without record-route", () => {
    for (const recordRoute of [false, true]) {
      const dir = tempDir("framewire-kamailio-cfg-");
      const config = clusterConfig({ nodes: 3, proxyPort: 5099, recordRoute });
      const paths = {
        dispatcherList: join(dir, "dispatcher.list"),
        ctlSocket: join(dir, "ctl.sock"),
        modulesDir: KAMAILIO_MODULES,
      };
      writeFileSync(paths.dispatcherList, renderDispatcherList(config));
      writeFileSync(join(dir, "kamailio.cfg"), renderKamailioCfg(config, paths));
      const r = spawnSync("kamailio", ["-c", "-f", join(dir, "kamailio.cfg")], {
        encoding: "utf8",
        timeout: 20_000,
      });
      expect(r.stderr + r.stdout).toContain("config file ok");
      expect(r.status).toBe(0);
    }
  });
});
