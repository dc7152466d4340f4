import { describe, expect, it } from "vitest";
import { clusterConfig } from "./cluster-config.js";
import { fakeNodeView as fakeNode } from "./fake-node-view.js";
import { serveNode } from "./node-http.js";
import { fetchClusterRows, renderStatusTable } from "./status-table.js";

describe("renderStatusTable", () => {
  it("prints a line per node, a down node with its reason, and the totals", () => {
    const table = renderStatusTable([
      {
        node: "n1",
        status: {
          node: "n1",
          state: "up",
          rooms: ["a", "b", "c", "d", "e", "f", "g", "h"],
          calls: 16,
          sessions: 16,
          portsInUse: 32,
        },
      },
      {
        node: "n2",
        status: {
          node: "n2",
          state: "draining",
          rooms: ["x"],
          calls: 1,
          sessions: 1,
          portsInUse: 2,
        },
      },
      { node: "n3", status: undefined, error: "ECONNREFUSED" },
    ]);
    const lines = table.split("\n");
    expect(lines[0]).toMatch(
      /^node\s+state\s+rooms\s+calls\s+sessions\s+ports\s+rooms meeting here$/,
    );
    expect(lines[1]).toMatch(/^n1\s+up\s+8\s+16\s+16\s+32\s+a b c d e f \+2$/);
    expect(lines[2]).toMatch(/^n2\s+draining\s+1\s+1\s+1\s+2\s+x$/);
    expect(lines[3]).toMatch(/^n3\s+down \(ECONNREFUSED\)\s+-\s+-\s+-\s+-$/);
    expect(lines[4]).toMatch(/^total\s+1\/3 up\s+9\s+17\s+17\s+34$/);
  });
});

describe("fetchClusterRows", () => {
  it("reads each node's /status over HTTP; a node that does not answer is down", async () => {
    const base = clusterConfig({ nodes: 2 });
    // n1 served on a free port of 127.0.0.1, n2 on a port nothing listens on any more
    const http = await serveNode("n1", fakeNode({ room1: 2 }), "127.0.0.1", 0);
    const port = Number(new URL(http.url).port);
    const gone = await serveNode("n2", fakeNode({}), "127.0.0.1", 0);
    const gonePort = Number(new URL(gone.url).port);
    await gone.close();
    try {
      const config = {
        ...base,
        nodes: [
          { ...base.nodes[0]!, host: "127.0.0.1", metricsPort: port },
          { ...base.nodes[1]!, host: "127.0.0.1", metricsPort: gonePort },
        ],
      };
      const rows = await fetchClusterRows(config, 2000);
      expect(rows[0]).toEqual({
        node: "n1",
        status: { node: "n1", state: "up", rooms: ["room1"], calls: 3, sessions: 2, portsInUse: 4 },
      });
      expect(rows[1]?.status).toBeUndefined();
      expect(rows[1]).toMatchObject({ node: "n2", error: "ECONNREFUSED" });

      const metrics = await fetch(`${http.url}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get("content-type")).toMatch(/^text\/plain/);
      expect(await metrics.text()).toMatch(/^framewire_node_rooms\{node="n1"\} 1$/m);
      expect((await fetch(`${http.url}/nope`)).status).toBe(404);
      expect((await fetch(`${http.url}/metrics`, { method: "POST" })).status).toBe(405);
    } finally {
      await http.close();
    }
  });
});
