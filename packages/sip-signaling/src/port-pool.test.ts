// PortPool: random even RTP ports (RTCP on port + 1) in the configured range, bind failures
// skipped within a bounded number of tries, every port released.
import { prng } from "@framewire/test-support";
import { describe, expect, it } from "vitest";
import { PortPool } from "./port-pool.js";

const START = 30_000;
const PAIRS = 50;

/** takeAll reserves every pair of `pool` through withPort, in the order the pool gives them. */
async function takeAll(pool: PortPool): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < pool.capacity; i++) {
    ports.push((await pool.withPort(async (port) => port)).value);
  }
  return ports;
}

describe("PortPool", () => {
  it("draws even ports at random in the range: two pools do not give start + 2n, nor the same order", async () => {
    const a = new PortPool(START, START + 2 * PAIRS, { random: prng(1) });
    const b = new PortPool(START, START + 2 * PAIRS, { random: prng(2) });
    const sequential = Array.from({ length: PAIRS }, (_, n) => START + 2 * n);
    const fromA = await takeAll(a);
    const fromB = await takeAll(b);
    for (const ports of [fromA, fromB]) {
      expect(ports).not.toEqual(sequential);
      // every even port of the range once: RTP even, RTCP on the odd port above, inside the range
      expect([...ports].sort((x, y) => x - y)).toEqual(sequential);
      for (const p of ports) expect(p % 2).toBe(0);
    }
    expect(fromA).not.toEqual(fromB);
    // the first ports of the two pools are not consecutive pairs either
    expect(fromA.slice(0, 4)).not.toEqual(sequential.slice(0, 4));
    expect(fromB.slice(0, 4)).not.toEqual(sequential.slice(0, 4));
  });

  it("with Math.random, ten pools' first ports are not all the range's first", async () => {
    const firsts: number[] = [];
    for (let i = 0; i < 10; i++) {
      const pool = new PortPool(START, START + 2000);
      firsts.push((await pool.withPort(async (port) => port)).value);
    }
    expect(new Set(firsts).size).toBeGreaterThan(1);
    for (const p of firsts) {
      expect(p).toBeGreaterThanOrEqual(START);
      expect(p + 1).toBeLessThan(START + 2000);
    }
  });

  it("an odd start is rounded up to even; the RTCP port stays inside the range", async () => {
    const pool = new PortPool(30_001, 30_006, { random: prng(3) });
    expect(pool.capacity).toBe(2);
    expect((await takeAll(pool)).sort()).toEqual([30_002, 30_004]);
  });

  it("every port is released: inUse back to 0, and every pair can be taken again", async () => {
    const pool = new PortPool(START, START + 2 * PAIRS, { random: prng(4) });
    const ports = await takeAll(pool);
    expect(pool.inUse).toBe(PAIRS);
    await expect(pool.withPort(async (p) => p)).rejects.toMatchObject({
      code: "PORTS_EXHAUSTED",
    });
    expect(pool.inUse).toBe(PAIRS);
    for (const p of ports) pool.release(p);
    pool.release(ports[0]!); // twice is harmless
    expect(pool.inUse).toBe(0);
    expect((await takeAll(pool)).length).toBe(PAIRS);
  });

  it("a pair that fails to bind (EADDRINUSE) is released and another, untried one drawn; bounded tries", async () => {
    const pool = new PortPool(START, START + 2 * PAIRS, { random: prng(5) });
    const busy = new Set<number>();
    const tried: number[] = [];
    const r = await pool.withPort(async (port) => {
      tried.push(port);
      if (tried.length < 3) {
        busy.add(port);
        throw Object.assign(new Error(`bind EADDRINUSE 127.0.0.1:${port}`), { code: "EADDRINUSE" });
      }
      return port;
    });
    expect(tried).toHaveLength(3);
    expect(new Set(tried).size).toBe(3);
    expect(busy.has(r.port)).toBe(false);
    expect(pool.inUse).toBe(1);

    let calls = 0;
    await expect(
      pool.withPort(async () => {
        calls++;
        throw new Error("bind EADDRINUSE");
      }, 5),
    ).rejects.toMatchObject({ code: "PORTS_EXHAUSTED" });
    expect(calls).toBe(5);
    expect(pool.inUse).toBe(1);
    pool.release(r.port);
    expect(pool.inUse).toBe(0);
  });

  it("a nearly full range still finds its last free pair (the draw falls back to a scan)", async () => {
    const pool = new PortPool(START, START + 2 * PAIRS, { random: () => 0 });
    const ports = await takeAll(pool);
    expect(new Set(ports).size).toBe(PAIRS);
    pool.release(START + 2 * 37);
    expect((await pool.withPort(async (p) => p)).port).toBe(START + 2 * 37);
  });

  it.each([
    [1000, 2000],
    [30_000, 30_001],
    [30_000, 70_000],
    [1.5, 2000],
  ])("range %s..%s is refused with BAD_OPTION", (start, end) => {
    expect(() => new PortPool(start, end)).toThrow(expect.objectContaining({ code: "BAD_OPTION" }));
  });
});
