/**
 * SipVideoBackend decides an incoming call in `onCall`, before the answer, over real UDP on
 * 127.0.0.1 (hand-written datagrams, RawSipPeer, and a SIPp UAC):
 *  - a callback that fails like `kit.join` into a full room (code ROOM_FULL) → 180 Ringing, then
 *    "486 Room Full", never a 200; the session the callback saw had its ports, then every port back;
 *  - an error with its own `statusCode`/`reasonPhrase` → that final response;
 *  - the demo's callback (catches the join error and disconnects the session) → 480;
 *  - a callback whose promise resolves later → the 200 waits for it; a keyframe it requests is
 *    sent after the 200; a callback that never settles → 200 after `onCallTimeoutMs`;
 *  - CANCEL while the callback runs → 487, the session ends, ports back;
 *  - `onCallTimeoutMs: 0` → answered before onCall (the order before the option).
 */
import type { MediaSession } from "@framewire/rtp-video";
import {
  freeUdpPorts,
  itWithPeers,
  onCleanup,
  report,
  runCleanups,
  sleep,
  waitUntil,
} from "@framewire/test-support/peers";
import { afterEach, describe, expect, it } from "vitest";
import type { SipVideoBackend } from "../src/sip-video-backend.js";
import { startBackend } from "./backend-under-test.js";
import { offerSdp, type RawDialog, RawSipPeer, type SipMessage } from "./raw-sip-peer.js";
import { runSipp } from "./sipp.js";

const sippTest = itWithPeers(["sipp"]);

afterEach(async () => {
  await runCleanups();
});

/** RoomFull is shaped like video-bridge's RoomFullError (code ROOM_FULL). */
class RoomFull extends Error {
  readonly code = "ROOM_FULL";
}

/** Refused carries its own SIP final response. */
class Refused extends Error {
  readonly statusCode = 403;
  readonly reasonPhrase = "Not Invited";
}

async function expectIdle(backend: SipVideoBackend): Promise<void> {
  await waitUntil(
    () =>
      backend.portsInUse === 0 &&
      backend.sessionCount === 0 &&
      backend.userAgentStats.activeCalls === 0,
    5_000,
  );
  expect({
    portsInUse: backend.portsInUse,
    sessions: backend.sessionCount,
    activeCalls: backend.userAgentStats.activeCalls,
  }).toEqual({ portsInUse: 0, sessions: 0, activeCalls: 0 });
}

async function invite(port: number): Promise<{ peer: RawSipPeer; dialog: RawDialog }> {
  const media = await freeUdpPorts(4);
  const peer = await RawSipPeer.open(port);
  const dialog = await peer.invite({ sdp: offerSdp({ audioPort: media, videoPort: media + 2 }) });
  return { peer, dialog };
}

function statusLines(d: RawDialog): string[] {
  return d.responses.map((r: SipMessage) => r.startLine);
}

describe("onCall decides before the answer (raw UDP)", () => {
  it("ROOM_FULL from the join → 180, then 486 Room Full, no 200; ports back", async () => {
    const { backend, port } = await startBackend();
    let portsInCallback = -1;
    const ended: string[] = [];
    onCleanup(backend.onClientDisconnected((s) => void ended.push(s.id)));
    onCleanup(
      backend.onCall(async () => {
        portsInCallback = backend.portsInUse;
        await sleep(20); // kit.join is async
        throw new RoomFull("room room is full (2 participants)");
      }),
    );
    const { peer, dialog } = await invite(port);
    const final = await peer.finalResponse(dialog);
    await sleep(300);
    report("full room", { responses: statusLines(dialog).join(" | "), rejected: backend.rejected });
    expect(final.startLine).toBe("SIP/2.0 486 Room Full");
    expect(statusLines(dialog)).toContain("SIP/2.0 180 Ringing");
    expect(statusLines(dialog).some((l) => l.startsWith("SIP/2.0 200"))).toBe(false);
    expect(peer.received.some((m) => m.method === "BYE")).toBe(false);
    expect(portsInCallback).toBe(2);
    expect(ended).toHaveLength(1);
    expect(backend.rejected).toEqual({ 486: 1 });
    expect(backend.callbackErrors).toBe(0);
    await expectIdle(backend);
  });

  it("an error with statusCode/reasonPhrase, thrown synchronously → that final response", async () => {
    const { backend, port } = await startBackend();
    onCleanup(
      backend.onCall(() => {
        throw new Refused("not on the list");
      }),
    );
    const { peer, dialog } = await invite(port);
    const final = await peer.finalResponse(dialog);
    expect(final.startLine).toBe("SIP/2.0 403 Not Invited");
    expect(backend.rejected).toEqual({ 403: 1 });
    await expectIdle(backend);
  });

  it("the demo's callback (catch the join error, disconnect) → 480 Temporarily Unavailable", async () => {
    const { backend, port } = await startBackend();
    onCleanup(
      backend.onCall(async (session) => {
        try {
          await sleep(10);
          throw new RoomFull("full");
        } catch {
          backend.disconnect(session);
        }
      }),
    );
    const { peer, dialog } = await invite(port);
    const final = await peer.finalResponse(dialog);
    expect(final.startLine).toBe("SIP/2.0 480 Temporarily Unavailable");
    await sleep(200);
    expect(peer.received.some((m) => m.method === "BYE")).toBe(false);
    expect(backend.rejected).toEqual({ 480: 1 });
    await expectIdle(backend);
  });

  it("the 200 waits for the callback's promise; its keyframe request goes after the 200", async () => {
    const { backend, port } = await startBackend();
    const answered: MediaSession[] = [];
    const sub = backend.calls$.subscribe((s) => answered.push(s));
    onCleanup(() => sub.unsubscribe());
    let answeredInCallback = -1;
    let requestsInCallback = -1;
    onCleanup(
      backend.onCall(async (session) => {
        await sleep(400);
        answeredInCallback = answered.length;
        backend.requestKeyframe(session); // deferred: the call is not answered yet
        requestsInCallback = session.video?.stats().keyframeRequestsSent ?? -1;
      }),
    );
    const started = Date.now();
    const { peer, dialog } = await invite(port);
    await sleep(200);
    const before = statusLines(dialog);
    const final = await peer.finalResponse(dialog);
    const waitedMs = Date.now() - started;
    await peer.ack(dialog);
    report("200 after onCall", { before: before.join(" | "), waitedMs });
    expect(before.some((l) => /^SIP\/2\.0 [2-6]/.test(l))).toBe(false);
    expect(final.status).toBe(200);
    expect(waitedMs).toBeGreaterThanOrEqual(390);
    expect(answeredInCallback).toBe(0);
    expect(answered).toHaveLength(1);
    const session = answered[0]!;
    expect(requestsInCallback).toBe(0);
    await waitUntil(() => (session.video?.stats().keyframeRequestsSent ?? 0) >= 1, 2_000);
    expect(session.video?.stats().keyframeRequestsSent).toBe(1);
    expect((await peer.bye(dialog)).status).toBe(200);
    await expectIdle(backend);
  });

  it("a callback that never settles: answered 200 after onCallTimeoutMs", async () => {
    const { backend, port } = await startBackend({ onCallTimeoutMs: 300 });
    onCleanup(backend.onCall(() => new Promise<void>(() => {})));
    const started = Date.now();
    const { peer, dialog } = await invite(port);
    const final = await peer.finalResponse(dialog);
    const waitedMs = Date.now() - started;
    await peer.ack(dialog);
    expect(final.status).toBe(200);
    expect(waitedMs).toBeGreaterThanOrEqual(290);
    expect(waitedMs).toBeLessThan(3_000);
    expect((await peer.bye(dialog)).status).toBe(200);
    await expectIdle(backend);
  });

  it("CANCEL while the callback runs → 487; the session ends, ports back", async () => {
    const { backend, port } = await startBackend();
    const ended: string[] = [];
    onCleanup(backend.onClientDisconnected((s) => void ended.push(s.id)));
    onCleanup(backend.onCall(() => sleep(600)));
    const { peer, dialog } = await invite(port);
    await sleep(150);
    await peer.cancel(dialog);
    const final = await peer.finalResponse(dialog);
    expect(final.status).toBe(487);
    await waitUntil(() => ended.length === 1, 2_000);
    await sleep(700); // the callback settles after the CANCEL: nothing more is sent
    expect(statusLines(dialog).some((l) => l.startsWith("SIP/2.0 200 OK"))).toBe(false);
    expect(ended).toHaveLength(1);
    await expectIdle(backend);
  });

  it("onCallTimeoutMs 0: answered before onCall runs (the order before the option)", async () => {
    const { backend, port } = await startBackend({ onCallTimeoutMs: 0 });
    const states: string[] = [];
    const sub = backend.callStates$.subscribe((e) => states.push(e.state));
    onCleanup(() => sub.unsubscribe());
    let statesInCallback: string[] = [];
    onCleanup(
      backend.onCall(async () => {
        statesInCallback = [...states];
        throw new RoomFull("full");
      }),
    );
    const { peer, dialog } = await invite(port);
    const final = await peer.finalResponse(dialog);
    await peer.ack(dialog);
    expect(final.status).toBe(200);
    expect(statesInCallback).toContain("answered");
    await waitUntil(() => backend.callbackErrors === 1, 2_000);
    expect((await peer.bye(dialog)).status).toBe(200);
    await expectIdle(backend);
  });
});

describe("onCall decides before the answer (SIPp)", () => {
  sippTest(
    "SIPp into a full room: 180, 486 Room Full (reason checked), no 200, ports back",
    async () => {
      const { backend, port } = await startBackend();
      onCleanup(
        backend.onCall(async () => {
          await sleep(20);
          throw new RoomFull("room room1 is full");
        }),
      );
      const r = await runSipp("backend-room-full.xml", port);
      const seen = r.messages.map((m) => `${m.direction[0]}:${m.startLine}`);
      report("SIPp full room", {
        sippRc: r.code,
        messages: seen.join(","),
        rejected: backend.rejected,
      });
      expect(r.code, r.errors + r.stderr).toBe(0);
      expect(seen).toContain("r:SIP/2.0 486 Room Full");
      expect(seen.some((s) => s.startsWith("r:SIP/2.0 200"))).toBe(false);
      expect(backend.rejected).toEqual({ 486: 1 });
      await expectIdle(backend);
    },
    60_000,
  );
});
