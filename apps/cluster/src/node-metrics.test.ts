import { describe, expect, it } from "vitest";
import type { ClusterNode } from "./cluster-node.js";
import { fakeNodeView as fakeNode } from "./fake-node-view.js";
import { type NodeView, nodeMetrics, nodeStatus } from "./node-metrics.js";

// a ClusterNode is a NodeView (checked by the compiler)
const _isView: (n: ClusterNode) => NodeView = (n) => n;
void _isView;

describe("nodeMetrics", () => {
  it("labels every sample with the node and reads the node at each scrape", async () => {
    const rooms: Record<string, number> = { alpha: 2, beta: 1 };
    const node = fakeNode(rooms);
    const registry = nodeMetrics("n2", node);
    let text = await registry.metrics();
    const samples = text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
    expect(samples.length).toBeGreaterThan(10);
    for (const s of samples) expect(s).toMatch(/node="n2"/);
    expect(text).toMatch(/^framewire_node_up\{node="n2"\} 1$/m);
    expect(text).toMatch(/^framewire_node_rooms\{node="n2"\} 2$/m);
    expect(text).toMatch(/^framewire_node_calls\{node="n2"\} 3$/m);
    expect(text).toMatch(/^framewire_room_participants\{room="alpha",node="n2"\} 2$/m);
    expect(text).toMatch(/^framewire_registry_claims_lost\{node="n2"\} 1$/m);
    expect(text).toMatch(/^framewire_sip_rejected_requests\{node="n2"\} 7$/m);

    node.state = "draining";
    rooms.alpha = 0;
    text = await registry.metrics();
    expect(text).toMatch(/^framewire_node_up\{node="n2"\} 0$/m);
    expect(text).toMatch(/^framewire_node_rooms\{node="n2"\} 1$/m);
    expect(text).not.toMatch(/room="alpha"/);
  });
});

describe("nodeStatus", () => {
  it("is the node's row: state, rooms sorted, calls, sessions, ports", () => {
    expect(nodeStatus("n1", fakeNode({ zeta: 1, alpha: 2, empty: 0 }))).toEqual({
      node: "n1",
      state: "up",
      rooms: ["alpha", "zeta"],
      calls: 3,
      sessions: 3,
      portsInUse: 4,
    });
  });
});
