import { describe, expect, it } from "vitest";
import { DemoUsageError, parseOptions } from "./options.js";

describe("parseOptions", () => {
  it("defaults: 127.0.0.1:5060, room demo, two callers, dashboard on 8080, no time limit", () => {
    const o = parseOptions([], {});
    expect(o).toMatchObject({
      host: "127.0.0.1",
      port: 5060,
      room: "demo",
      callers: 2,
      web: true,
      webPort: 8080,
      fps: 30,
    });
    expect(o.durationSec).toBeUndefined();
    expect(o.call).toBeUndefined();
    expect(o.video).toMatch(/test\.h264$/);
  });

  it("flags win over FRAMEWIRE_DEMO_* variables, which win over defaults", () => {
    const env = {
      FRAMEWIRE_DEMO_HOST: "10.0.0.5",
      FRAMEWIRE_DEMO_PORT: "5070",
      FRAMEWIRE_DEMO_ROOM: "lobby",
    };
    expect(parseOptions([], env)).toMatchObject({ host: "10.0.0.5", port: 5070, room: "lobby" });
    expect(parseOptions(["--port", "5080", "--room", "r2"], env)).toMatchObject({
      port: 5080,
      room: "r2",
    });
  });

  it("--no-callers, --no-web, --duration, --call", () => {
    expect(parseOptions(["--no-callers", "--no-web", "--duration", "15"], {})).toMatchObject({
      callers: 0,
      web: false,
      durationSec: 15,
    });
    expect(parseOptions(["--call", "sip:demo@192.0.2.1:5060"], {}).call).toBe(
      "sip:demo@192.0.2.1:5060",
    );
  });

  it("--auth USER:PASS (or FRAMEWIRE_DEMO_AUTH); a password may hold colons", () => {
    expect(parseOptions([], {}).auth).toBeUndefined();
    expect(parseOptions(["--auth", "bob:a:b"], {}).auth).toEqual({
      username: "bob",
      password: "a:b",
    });
    expect(parseOptions([], { FRAMEWIRE_DEMO_AUTH: "eve:x" }).auth).toEqual({
      username: "eve",
      password: "x",
    });
  });

  it("--audio forward (default) or mix", () => {
    expect(parseOptions([], {}).audio).toBe("forward");
    expect(parseOptions(["--audio", "mix"], {}).audio).toBe("mix");
  });

  it.each([
    [["--port", "70000"]],
    [["--port", "x"]],
    [["--duration", "-1"]],
    [["--duration", "soon"]],
    [["--call", "demo@host"]],
    [["--call", "sip:demo@h", "--no-callers"]],
    [["--rtp-port", "10001"]],
    [["--bogus"]],
    [["--audio", "loud"]],
    [["--auth", "bob"]],
    [["--auth", ":pw"]],
    [["--auth", "bob:"]],
    [["stray"]],
    [["--video", "/nonexistent.h264"]],
  ])("refuses %j with a DemoUsageError", (argv) => {
    expect(() => parseOptions(argv, {})).toThrow(DemoUsageError);
  });
});
