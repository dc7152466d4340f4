/**
 * Ctrl-C: the terminal signals every process of the foreground group and npm/pnpm relay the
 * signal, so one key press arrives as several SIGINTs. They must end the demo once, cleanly
 * (summary written, exit 0); a second press a while later exits at once with 130.
 */
import { onCleanup, runCleanups, sleep } from "@framewire/test-support/peers";
import { afterEach, describe, expect, it } from "vitest";
import { startDemo } from "./demo-run.js";

afterEach(runCleanups);

function signal(pid: number | undefined, name: NodeJS.Signals): void {
  if (pid !== undefined) process.kill(pid, name);
}

describe("signals", () => {
  it("SIGINTs within a second are one Ctrl-C: clean shutdown, summary, exit 0", async () => {
    // with callers, shutdown takes > 0.5 s (drain, BYEs, decode check): the relayed signals land in it
    const demo = startDemo(["--no-web", "--port", "0"], 30_000);
    onCleanup(() => demo.child.kill());
    await demo.line(/caller caller-2: in-call/);
    signal(demo.child.pid, "SIGINT");
    await sleep(50);
    signal(demo.child.pid, "SIGINT");
    await sleep(200);
    signal(demo.child.pid, "SIGINT");
    const { exit, summary } = await demo.finished();
    expect(exit.code, exit.stderr).toBe(0);
    expect(exit.stderr).not.toContain("without clean shutdown");
    expect(summary?.afterStop).toEqual({ portsInUse: 0, sessions: 0 });
    expect(summary?.callers.every((c) => c.ok)).toBe(true);
  });

  it("SIGTERM shuts down cleanly too", async () => {
    const demo = startDemo(["--no-callers", "--no-web", "--port", "0"], 30_000);
    onCleanup(() => demo.child.kill());
    await demo.line(/SIP bridge listening/);
    signal(demo.child.pid, "SIGTERM");
    const { exit, summary } = await demo.finished();
    expect(exit.code, exit.stderr).toBe(0);
    expect(summary).toBeDefined();
  });
});
