/**
 * `--call URI`: the built-in callers dial a bridge elsewhere. Here the bridge is a second demo
 * started with `--no-callers` (as on another machine), and the callers' demo starts no bridge of
 * its own: its summary must show both callers receiving each other through the remote bridge,
 * whose audio runs with `--audio mix` and which asks for Digest credentials (`--auth`).
 */
import { freeUdpPorts, onCleanup, runCleanups } from "@framewire/test-support/peers";
import { afterEach, describe, expect, it } from "vitest";
import { startDemo } from "./demo-run.js";

afterEach(runCleanups);

describe("npm run demo -- --call sip:demo@HOST:PORT", () => {
  it("two built-in callers bridged by a remote demo bridge; exit 0 on both sides", async () => {
    const port = await freeUdpPorts(1);
    const bridge = startDemo(
      [
        "--no-callers",
        "--no-web",
        "--port",
        String(port),
        "--rtp-port",
        "12000",
        "--audio",
        "mix",
        "--auth",
        "bob:s3cret",
      ],
      60_000,
    );
    onCleanup(() => bridge.child.kill());
    await bridge.line(/SIP bridge listening on sip:demo@127\.0\.0\.1:\d+/);

    const callers = startDemo(
      [
        "--call",
        `sip:demo@127.0.0.1:${port}`,
        "--auth",
        "bob:s3cret",
        "--no-web",
        "--duration",
        "8",
      ],
      60_000,
    );
    onCleanup(() => callers.child.kill());
    const { exit, summary } = await callers.finished();
    expect(exit.code, exit.stdout + exit.stderr).toBe(0);
    expect(exit.stdout).not.toContain("SIP bridge listening"); // no local bridge
    expect(summary?.sipUri).toBeUndefined();
    expect(summary?.callers).toHaveLength(2);
    for (const c of summary!.callers) {
      expect(
        c.receivedRatio,
        `${c.name}: ${c.receivedFrames}/${c.peerSentFrames}`,
      ).toBeGreaterThanOrEqual(0.9);
      expect(c.receivedFromClip).toBe(c.receivedFrames);
      expect(c.ok).toBe(true);
      // the remote bridge mixes audio (--audio mix): each caller hears the other, 50 packets/s
      expect(c.receivedAudioPackets).toBeGreaterThan(0.8 * 50 * 6);
    }
    // the remote bridge saw both calls come and go
    bridge.child.kill("SIGINT");
    const b = await bridge.finished();
    expect(b.exit.code).toBe(0);
    expect(b.summary?.bridge?.framesSent).toBeGreaterThan(0);
    // it mixed the audio (nothing relayed unchanged), and challenged each INVITE once
    expect(b.summary?.bridge?.audio.mixed).toBeGreaterThan(0.8 * 2 * 50 * 6);
    expect(b.summary?.bridge?.audio.forwarded).toBe(0);
    expect(b.summary?.bridge?.authChallenges).toBe(2);
    expect(b.summary?.afterStop).toEqual({ portsInUse: 0, sessions: 0 });
  }, 90_000);
});
