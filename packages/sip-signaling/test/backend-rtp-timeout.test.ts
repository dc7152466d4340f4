/**
 * Calls that always end, backend to backend over UDP on 127.0.0.1, with the RTP side's time
 * virtual (`scheduler: ManualScheduler`; SIP runs in real time):
 *  - the default rtpTimeoutMs (30 s): a call whose media stopped is ended by BYE with reason
 *    "rtp-timeout" when the virtual clock passes 30 s, not before; the caller sees remote-bye;
 *    every port back in both pools;
 *  - audio keeps it up: the same 30 s with audio every 20 ms of virtual time ends nothing;
 *  - rtpTimeoutMs 0 disables it;
 *  - a Session-Expires below the callee's Min-SE gets 422 (RFC 4028 §8.1) before any port is
 *    taken, and call() rejects with CALL_REJECTED 422.
 */
import type { MediaSession } from "@framewire/rtp-video";
import { ManualScheduler } from "@framewire/test-support";
import { HOST, report, runCleanups, waitUntil } from "@framewire/test-support/peers";
import { afterEach, describe, expect, it } from "vitest";
import type { SipVideoBackendOptions } from "../src/sip-video-backend.js";
import { startBackend } from "./backend-under-test.js";

afterEach(async () => {
  await runCleanups();
});

/** pair starts bob (virtual RTP time, `options`) and alice, and places one audio-only call. */
async function pair(options: SipVideoBackendOptions) {
  const clock = new ManualScheduler(Date.now());
  const { backend: bob, port } = await startBackend({ scheduler: clock, ...options }, 8);
  const { backend: alice } = await startBackend({ rtpTimeoutMs: 0 }, 8);
  const reasons: string[] = [];
  const bobSessions: MediaSession[] = [];
  bob.onCall((s) => {
    bobSessions.push(s);
    s.audio.closed$.subscribe((r) => reasons.push(r));
  });
  const call = await alice.call(`sip:room@${HOST}:${port}`, { video: false });
  const aliceReasons: string[] = [];
  call.audio.closed$.subscribe((r) => aliceReasons.push(r));
  await waitUntil(() => bobSessions.length === 1, 5_000);
  return { clock, bob, alice, call, reasons, aliceReasons, bobSession: bobSessions[0]! };
}

describe("RTP inactivity timeout (virtual RTP time)", () => {
  it("default 30 s: no media → BYE (rtp-timeout) at 30 s, not before; the caller sees remote-bye; ports back", async () => {
    const { clock, bob, alice, reasons, aliceReasons } = await pair({});
    clock.advance(29_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(bob.sessionCount).toBe(1);
    clock.advance(1_100);
    await waitUntil(() => alice.sessionCount === 0 && bob.sessionCount === 0, 5_000);
    report("rtp-timeout, backend to backend (virtual 30 s)", {
      bobReasons: reasons.join(","),
      aliceReasons: aliceReasons.join(","),
      rtpTimeouts: bob.mediaStats.rtpTimeouts,
      bobPorts: bob.portsInUse,
      alicePorts: alice.portsInUse,
    });
    expect(reasons).toEqual(["rtp-timeout"]);
    expect(aliceReasons).toEqual(["remote-bye"]);
    expect(bob.mediaStats.rtpTimeouts).toBe(1);
    await waitUntil(() => bob.portsInUse === 0 && alice.portsInUse === 0, 5_000);
    expect(bob.userAgentStats.activeCalls).toBe(0);
    expect(alice.userAgentStats.activeCalls).toBe(0);
  });

  it("audio every 20 ms keeps the call up past 30 s", async () => {
    const { clock, bob, alice, call, bobSession } = await pair({});
    let sent = 0;
    for (let t = 0; t < 40_000; t += 200) {
      // ten 20 ms frames per 200 ms of virtual time, each delivered before the clock moves on
      for (let i = 0; i < 10; i++) {
        alice.sendAudio(call, { data: new Uint8Array(160).fill(0xff) });
        sent++;
      }
      const before = bobSession.audio.stats().packets;
      await waitUntil(() => bobSession.audio.stats().packets >= before + 1, 2_000, 1);
      clock.advance(200);
    }
    expect(sent).toBe(2_000);
    expect(bob.sessionCount).toBe(1);
    expect(bob.mediaStats.rtpTimeouts).toBe(0);
  });

  it("rtpTimeoutMs 0 disables it", async () => {
    const { clock, bob } = await pair({ rtpTimeoutMs: 0 });
    clock.advance(600_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(bob.sessionCount).toBe(1);
    expect(bob.mediaStats.rtpTimeouts).toBe(0);
  });
});

describe("RFC 4028 between two backends", () => {
  it("Session-Expires below the callee's Min-SE: 422 before any port, call() rejects CALL_REJECTED 422", async () => {
    const { backend: bob, port } = await startBackend(
      { sessionTimer: { sessionExpires: 3600, minSE: 3600 } },
      8,
    );
    const { backend: alice } = await startBackend({}, 8);
    await expect(alice.call(`sip:room@${HOST}:${port}`, { video: false })).rejects.toMatchObject({
      code: "CALL_REJECTED",
      statusCode: 422,
    });
    expect(bob.rejected).toEqual({ 422: 1 });
    expect(bob.portsInUse).toBe(0);
    expect(alice.portsInUse).toBe(0);
  });
});
