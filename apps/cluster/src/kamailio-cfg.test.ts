import { describe, expect, it } from "vitest";
import { clusterConfig } from "./cluster-config.js";
import { renderDispatcherList, renderKamailioCfg } from "./kamailio-cfg.js";
import { CLAIM_ROOM } from "./registry-scripts.js";

const paths = {
  dispatcherList: "/run/x/dispatcher.list",
  ctlSocket: "/run/x/ctl.sock",
  modulesDir: "/usr/lib/x86_64-linux-gnu/kamailio/modules",
};

describe("renderDispatcherList", () => {
  it("lists every node in set 1 with its name", () => {
    expect(
      renderDispatcherList(clusterConfig({ nodes: 2 }))
        .split("\n")
        .slice(1),
    ).toEqual(["1 sip:127.0.0.2:5070 0 0 name=n1", "1 sip:127.0.0.3:5070 0 0 name=n2", ""]);
  });
});

describe("renderKamailioCfg", () => {
  const cfg = renderKamailioCfg(
    clusterConfig({ nodes: 3, proxyPort: 5090, redisPort: 6400 }),
    paths,
  );

  it("listens on the proxy address and reaches Redis", () => {
    expect(cfg).toContain("listen=udp:127.0.0.1:5090");
    expect(cfg).toContain('modparam("ndb_redis", "server", "name=reg;addr=127.0.0.1;port=6400")');
    expect(cfg).toContain(`modparam("dispatcher", "list_file", "${paths.dispatcherList}")`);
  });

  it("pings every node with OPTIONS every 2 s, hashes the user, keeps the failover list", () => {
    expect(cfg).toContain('modparam("dispatcher", "flags", 3)');
    expect(cfg).toContain('modparam("dispatcher", "ds_ping_method", "OPTIONS")');
    expect(cfg).toContain('modparam("dispatcher", "ds_ping_interval", 2)');
    expect(cfg).toContain('modparam("dispatcher", "ds_probing_mode", 1)');
    expect(cfg).toContain('ds_select_dst("1", "3")');
    expect(cfg).toContain("ds_next_dst()");
    // a 503 from the node a room was given places the INVITE again (at most once per node)
    expect(cfg).toContain('t_on_failure("REPLACE");');
    expect(cfg).toContain("failure_route[REPLACE] {");
    expect(cfg).toMatch(/if \(\$avp\(replaced\) >= \d+\) exit;/);
  });

  it("claims the room with the registry's script and maps node names both ways", () => {
    expect(cfg).toContain(`$var(claim) = "${CLAIM_ROOM}";`);
    expect(cfg).toContain('"EVAL %s 1 %s %s", "$var(claim)", "room:$rU", "$var(cand)"');
    expect(cfg).toContain('if ($du == "sip:127.0.0.2:5070") $var(cand) = "n1";');
    expect(cfg).toContain('else if ($var(owner) == "n3") $du = "sip:127.0.0.4:5070";');
    expect(cfg).toContain("while ($var(tries) < 3)");
  });

  it("adds record_route() only when asked", () => {
    expect(cfg).not.toContain("record_route();");
    const rr = renderKamailioCfg(clusterConfig({ nodes: 1, recordRoute: true }), paths);
    expect(rr).toContain("\trecord_route();\n\troute(PLACE);");
  });
});
