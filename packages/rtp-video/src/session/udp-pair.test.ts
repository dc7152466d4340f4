import { describe, expect, it } from "vitest";
import { bindUdpPair, type UdpPair } from "./udp-pair.js";

function close(p: UdpPair): void {
  p.rtp.close();
  p.rtcp?.close();
}

describe("bindUdpPair: random ports in the configured range", () => {
  it("draws even RTP ports at random inside localPortRange (not first + 2n), RTCP on the next one", async () => {
    const range = [41000, 41999] as const;
    const pairs: UdpPair[] = [];
    try {
      for (let i = 0; i < 12; i++)
        pairs.push(await bindUdpPair(["127.0.0.1", 0], false, Math.random, range));
      const ports = pairs.map((p) => p.port);
      for (const p of pairs) {
        expect(p.port % 2).toBe(0);
        expect(p.port).toBeGreaterThanOrEqual(41000);
        expect(p.port + 1).toBeLessThanOrEqual(41999);
        expect((p.rtcp!.address() as { port: number }).port).toBe(p.port + 1);
      }
      expect(new Set(ports).size).toBe(ports.length);
      // not the sequence a first-free allocator gives
      const sorted = [...ports].sort((a, b) => a - b);
      expect(ports).not.toEqual(sorted);
      expect(sorted.at(-1)! - sorted[0]!).toBeGreaterThan(2 * ports.length);
    } finally {
      for (const p of pairs) close(p);
    }
  });

  it("draws from the injected random source; rtcp-mux binds one socket in the range", async () => {
    const draws = [0.5, 0];
    const p = await bindUdpPair(
      ["127.0.0.1", 0],
      true,
      () => draws.shift() ?? 0.25,
      [42000, 42099],
    );
    try {
      expect(p.port).toBe(42050);
      expect(p.rtcp).toBeUndefined();
    } finally {
      close(p);
    }
  });

  it("refuses a range without an even/odd pair, and says so when the range is full", async () => {
    for (const bad of [
      [42001, 42001],
      [80, 2000],
      [60000, 70000],
      [42000.5, 42010],
    ] as const) {
      await expect(bindUdpPair(["127.0.0.1", 0], false, Math.random, bad)).rejects.toMatchObject({
        code: "BAD_OPTION",
      });
    }
    const only = await bindUdpPair(["127.0.0.1", 0], false, Math.random, [42100, 42101]);
    try {
      await expect(
        bindUdpPair(["127.0.0.1", 0], false, Math.random, [42100, 42101]),
      ).rejects.toMatchObject({ code: "PORT_UNAVAILABLE" });
    } finally {
      close(only);
    }
  });
});
