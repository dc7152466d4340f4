import { describe, expect, it } from "vitest";
import { clusterConfig, metricsUrl, nodeUri, validateClusterConfig } from "./cluster-config.js";
import { ClusterError } from "./errors.js";

describe("clusterConfig", () => {
  it("puts node i on 127.0.0.<i+1>:5070 with its own RTP range", () => {
    const c = clusterConfig({ nodes: 3 });
    expect(c.nodes.map((n) => [n.name, n.host, n.sipPort, n.rtpPortStart, n.rtpPortEnd])).toEqual([
      ["n1", "127.0.0.2", 5070, 20000, 21998],
      ["n2", "127.0.0.3", 5070, 22000, 23998],
      ["n3", "127.0.0.4", 5070, 24000, 25998],
    ]);
    expect(c.proxy).toEqual({ host: "127.0.0.1", port: 5060, recordRoute: false, children: 1 });
    expect(c.redis).toEqual({ host: "127.0.0.1", port: 6390 });
    expect(c.heartbeat).toEqual({ intervalMs: 1000, ttlMs: 3000 });
    expect(c.pingIntervalSec).toBe(2);
    expect(nodeUri(c.nodes[0]!)).toBe("sip:127.0.0.2:5070");
  });

  it("takes the proxy and Redis ports and record-route", () => {
    const c = clusterConfig({ nodes: 1, proxyPort: 5090, redisPort: 7000, recordRoute: true });
    expect(c.proxy.port).toBe(5090);
    expect(c.proxy.recordRoute).toBe(true);
    expect(c.redis.port).toBe(7000);
  });

  it.each([
    ["no nodes", { nodes: [] }, /1–200 nodes/],
    ["a name twice", { nodes: ["a", "a"] }, /name a twice/],
    ["a bad name", { nodes: ["A B"] }, /must be 1–32/],
    ["a port out of range", { proxyPort: 70000 }, /proxy.port/],
    [
      "a heartbeat as long as its TTL",
      { heartbeat: { intervalMs: 3000, ttlMs: 3000 } },
      /heartbeat/,
    ],
  ])("rejects %s with BAD_OPTION", (_what, change, message) => {
    const base = clusterConfig({ nodes: 2 });
    const nodes =
      "nodes" in change
        ? change.nodes.map((name, i) => ({ ...base.nodes[0]!, name, host: `127.0.0.${i + 2}` }))
        : base.nodes;
    const config = {
      ...base,
      nodes,
      ...("proxyPort" in change ? { proxy: { ...base.proxy, port: change.proxyPort } } : {}),
      ...("heartbeat" in change ? { heartbeat: change.heartbeat } : {}),
    };
    let error: unknown;
    try {
      validateClusterConfig(config);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ClusterError);
    expect((error as ClusterError).code).toBe("BAD_OPTION");
    expect((error as Error).message).toMatch(message);
  });

  it("rejects two nodes on one SIP address", () => {
    const base = clusterConfig({ nodes: 2 });
    const nodes = [base.nodes[0]!, { ...base.nodes[1]!, host: base.nodes[0]!.host }];
    expect(() => validateClusterConfig({ ...base, nodes })).toThrow(/SIP address .* twice/);
  });

  it("gives each node /metrics on port 9100 of its host; refuses a bad or shared metrics address", () => {
    const base = clusterConfig({ nodes: 2 });
    expect(base.nodes.map((n) => metricsUrl(n))).toEqual([
      "http://127.0.0.2:9100/metrics",
      "http://127.0.0.3:9100/metrics",
    ]);
    const { metricsPort: _, ...without } = base.nodes[0]!;
    expect(metricsUrl(validateClusterConfig({ ...base, nodes: [without] }).nodes[0]!)).toBe(
      undefined,
    );
    const bad = [{ ...base.nodes[0]!, metricsPort: 0 }];
    expect(() => validateClusterConfig({ ...base, nodes: bad })).toThrow(/metricsPort/);
    // two nodes on one host: SIP ports apart, one metrics port
    const shared = [base.nodes[0]!, { ...base.nodes[1]!, host: "127.0.0.2", sipPort: 5071 }];
    expect(() => validateClusterConfig({ ...base, nodes: shared })).toThrow(
      /metrics address http:\/\/127\.0\.0\.2:9100 twice/,
    );
  });

  it("takes a drain limit of whole milliseconds ≥ 0", () => {
    const base = clusterConfig({ nodes: 1 });
    expect(validateClusterConfig({ ...base, drainTimeoutMs: 0 }).drainTimeoutMs).toBe(0);
    expect(() => validateClusterConfig({ ...base, drainTimeoutMs: -1 })).toThrow(/drainTimeoutMs/);
    expect(() => validateClusterConfig({ ...base, drainTimeoutMs: 1.5 })).toThrow(/drainTimeoutMs/);
  });
});
