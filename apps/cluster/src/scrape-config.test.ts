import { describe, expect, it } from "vitest";
import { clusterConfig } from "./cluster-config.js";
import { renderScrapeConfig } from "./scrape-config.js";

describe("renderScrapeConfig", () => {
  it("names every node's /metrics with its node label", () => {
    const yml = renderScrapeConfig(clusterConfig({ nodes: 3 }));
    expect(yml).toContain("scrape_interval: 5s");
    expect(yml).toContain("job_name: framewire");
    expect(yml).toContain("metrics_path: /metrics");
    for (const [i, host] of ["127.0.0.2", "127.0.0.3", "127.0.0.4"].entries()) {
      expect(yml).toContain(`- targets: ["${host}:9100"]`);
      expect(yml).toContain(`node: "n${i + 1}"`);
    }
    // each target is followed by its own label
    expect(yml).toMatch(/"127\.0\.0\.3:9100"\]\n\s+labels:\n\s+node: "n2"/);
  });

  it("leaves out nodes without a metrics port", () => {
    const c = clusterConfig({ nodes: 2 });
    const n1 = c.nodes[0]!;
    const { metricsPort: _, ...bare } = n1;
    const yml = renderScrapeConfig({ ...c, nodes: [bare, c.nodes[1]!] });
    expect(yml).not.toContain("127.0.0.2");
    expect(yml).toContain("127.0.0.3:9100");
  });
});
