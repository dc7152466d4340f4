// A node that refuses a new room 503 (it began draining after Kamailio's last ping: Kamailio still
// sends it the room) is invisible to the caller: Kamailio's failure_route REPLACE claims the
// room again with the next node and relays the INVITE there.
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
  callersCaptureFilter,
  nodeEvents,
  PEERS,
  startCaller,
  startTestCluster,
} from "./cluster-harness.js";
import { rtpByDestinationPort } from "./pcap-rtp.js";

const HOLD_SEC = 5;
const ROOM = "rp-0";
const DRAINING = "n1";

afterEach(runCleanups);

describe("Kamailio places a room again when its node refuses it 503", () => {
  itWithPeers([...PEERS])(
    "a room pinned to a draining node: the INVITE is re-placed on a live node, both callers bridged there",
    async () => {
      const cluster = await startTestCluster(3, { callers: 4 });
      const hostOf = new Map(cluster.config.nodes.map((n) => [n.name, n.host]));
      const dir = tempDir("framewire-cluster-replace-");
      const capture = await startCapture(
        join(dir, "callers.pcap"),
        callersCaptureFilter(cluster),
        HOLD_SEC + 40,
      );
      const redis = new Redis({ host: cluster.config.redis.host, port: cluster.config.redis.port });
      const node = cluster.nodes.get(DRAINING)!;
      // drain n1 without exiting (SIGUSR2) and pin a new room to it, as Kamailio's claim does
      // for a room whose hash names n1 before its next ping saw the 503
      node.signal("SIGUSR2");
      await node.waitForLine(/"event":"draining"/, 5000);
      await redis.set(roomKey(ROOM), DRAINING);
      const first = startCaller(cluster, 0, ROOM, HOLD_SEC);
      await new Promise((r) => setTimeout(r, 1500));
      const owner = await redis.get(roomKey(ROOM));
      const second = startCaller(cluster, 1, ROOM, HOLD_SEC);
      const ends = await Promise.all([first.child.done, second.child.done]);
      await capture.stop();
      redis.disconnect();
      const traffic = await rtpByDestinationPort(capture.file);
      const kamailioLog = cluster.kamailio.output();
      const refused = nodeEvents(node).filter(
        (e) => e.event === "refused-draining" && e.room === ROOM,
      );
      const video = [first, second].map(
        (c) => traffic.get(c.videoPort)?.byPayloadType.get(96) ?? 0,
      );
      const from = [first, second].map((c) => [
        ...(traffic.get(c.videoPort)?.sources.keys() ?? []),
      ]);
      report("cluster-replace", {
        owner,
        sipp: ends.map((e) => e.code),
        refused: refused.length,
        video,
        from,
        replacedLines: kamailioLog.split("\n").filter((l) => l.includes("placed again")),
      });
      expect(refused.length, "n1 refused the pinned room").toBeGreaterThanOrEqual(1);
      expect(kamailioLog).toMatch(new RegExp(`room ${ROOM} refused 503, placed again on n[23]`));
      expect(owner === "n2" || owner === "n3", `owner ${owner}`).toBe(true);
      expect(
        ends.map((e) => e.code),
        "both SIPp calls complete (the 503 never reached them)",
      ).toEqual([0, 0]);
      for (let i = 0; i < 2; i++) {
        expect(video[i], `caller ${i} video packets`).toBeGreaterThan(100);
        expect(from[i]).toEqual([hostOf.get(owner ?? "")]);
      }
    },
    90_000,
  );
});
