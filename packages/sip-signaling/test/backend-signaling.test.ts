/**
 * SipVideoBackend's signaling edge cases over real UDP on 127.0.0.1, with SIPp scenarios
 * (test/sipp/backend-*.xml) and hand-written datagrams (RawSipPeer):
 *  - CANCEL before the answer (the invite filter holds the call) → 200 + 487, no session;
 *  - Digest: 401 → authenticated INVITE → established call; wrong credentials → 401 → 403,
 *    and no RTP port allocated at any moment;
 *  - 486 for a second INVITE reusing a live Call-ID; 503 at capacity (maxCalls 1);
 *  - 400 for an offer that breaks the SDP grammar, 488 when no audio codec is acceptable, 500
 *    when our side fails (no audio port pair), all by sdpFailureStatus; an audio-only offer → hasVideo false; a video
 *    offer with only an unsupported codec → hasVideo false and `m=video 0` in the answer.
 * After every case: portsInUse 0, sessionCount 0, the user agent's active calls 0.
 */
import type { MediaSession } from "@framewire/rtp-video";
import {
  freeUdpPorts,
  HOST,
  itWithPeers,
  onCleanup,
  report,
  runCleanups,
  sleep,
  waitUntil,
  watchCounter,
} from "@framewire/test-support/peers";
import { afterEach, describe, expect, it } from "vitest";
import type { SipCallMetadata, SipVideoBackend } from "../src/sip-video-backend.js";
import { startBackend } from "./backend-under-test.js";
import { offerSdp, type RawDialog, RawSipPeer, type SipMessage } from "./raw-sip-peer.js";
import { runSipp } from "./sipp.js";

const sippTest = itWithPeers(["sipp"]);

afterEach(async () => {
  await runCleanups();
});

/** expectIdle: every port back, no session, no call left in the user agent. */
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

function sessionsOf(backend: SipVideoBackend): MediaSession[] {
  const list: MediaSession[] = [];
  onCleanup(backend.onCall((s) => void list.push(s)));
  return list;
}

/** call sends an INVITE with `sdp` and waits for its final response (ACKing a 2xx). */
async function call(
  peer: RawSipPeer,
  sdp: string,
  options: { callId?: string } = {},
): Promise<{ dialog: RawDialog; final: SipMessage }> {
  const dialog = await peer.invite({ sdp, ...options });
  const final = await peer.finalResponse(dialog);
  if (final.status === 200) await peer.ack(dialog);
  return { dialog, final };
}

// SIPp 3.6.1 computes only MD5 (and reads the first algorithm offered): MD5 first (the default
// order too, tested on its own below; written out here so these tests do not depend on it).
const auth = {
  realm: "framewire.test",
  lookup: (user: string) => (user === "alice" ? "s3cret" : undefined),
  algorithms: ["MD5", "SHA-256"] as const,
};

/** SIPp's digest uri defaults to remote_ip:remote_port; ours must be the Request-URI. */
function sippAuth(port: number, password: string): string[] {
  return ["-au", "alice", "-ap", password, "-auth_uri", `room1@${HOST}:${port}`];
}

describe("CANCEL and Digest authentication (SIPp)", () => {
  sippTest(
    "CANCEL while the invite filter holds the call → 200 to CANCEL, 487 to INVITE, no session, ports back",
    async () => {
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let filtered = 0;
      const { backend, port } = await startBackend({
        inviteFilter: async () => {
          filtered++;
          await Promise.race([held, sleep(5_000)]);
          return { accept: true };
        },
      });
      const sessions = sessionsOf(backend);
      const ports = watchCounter(() => backend.portsInUse);
      const run = runSipp("backend-cancel.xml", port);
      // let the filter go once SIPp has its 487 (the run is over)
      const r = await run;
      release();
      await sleep(300);
      ports.stop();
      const seen = r.messages.map(
        (m) => `${m.direction[0]}:${m.startLine.split(" ").slice(0, 2).join(" ")}`,
      );
      report("CANCEL → 487", {
        sippRc: r.code,
        messages: seen.join(","),
        filtered,
        maxPortsInUse: ports.max(),
        sessions: sessions.length,
        rejected: backend.rejected,
      });
      expect(r.code, r.errors + r.stderr).toBe(0);
      expect(seen).toContain("r:SIP/2.0 487");
      expect(seen).toContain("r:SIP/2.0 200");
      expect(seen).not.toContain("r:SIP/2.0 180");
      expect(filtered).toBe(1);
      expect(sessions).toHaveLength(0);
      await expectIdle(backend);
    },
    60_000,
  );

  sippTest(
    "401 → authenticated INVITE → established A/V call (username alice), BYE, ports back",
    async () => {
      const { backend, port } = await startBackend({ auth });
      const sessions = sessionsOf(backend);
      let portsInCall = -1;
      onCleanup(
        backend.onCall(() => {
          portsInCall = backend.portsInUse;
        }),
      );
      const ports = watchCounter(() => backend.portsInUse);
      const r = await runSipp("backend-auth.xml", port, sippAuth(port, "s3cret"));
      ports.stop();
      const seen = r.messages.map(
        (m) => `${m.direction[0]}:${m.startLine.split(" ").slice(0, 2).join(" ")}`,
      );
      report("digest 401 → 200", {
        sippRc: r.code,
        messages: seen.join(","),
        portsInCall,
        maxPortsInUse: ports.max(),
        stats: {
          authChallenges: backend.userAgentStats.authChallenges,
          authFailures: backend.userAgentStats.authFailures,
        },
      });
      expect(r.code, r.errors + r.stderr).toBe(0);
      expect(seen.filter((s) => s === "r:SIP/2.0 401")).toHaveLength(1);
      expect(sessions).toHaveLength(1);
      expect(sessions[0]!.metadata as SipCallMetadata).toMatchObject({
        hasVideo: true,
        videoCodec: "h264",
      });
      expect(portsInCall).toBe(2);
      expect(ports.max()).toBe(2);
      expect(backend.userAgentStats).toMatchObject({ authChallenges: 1, authFailures: 0 });
      await expectIdle(backend);
    },
    60_000,
  );

  sippTest(
    "default challenge order (MD5, then SHA-256): SIPp 3.6 authenticates, call up, BYE",
    async () => {
      const { realm, lookup } = auth; // no `algorithms`: the default order
      const { backend, port } = await startBackend({ auth: { realm, lookup } });
      const sessions = sessionsOf(backend);
      const r = await runSipp("backend-auth.xml", port, sippAuth(port, "s3cret"));
      const challenge = r.messages.find((m) => m.startLine.startsWith("SIP/2.0 401"));
      const offered = [...(challenge?.text ?? "").matchAll(/algorithm=([A-Z0-9-]+)/g)].map(
        (m) => m[1],
      );
      report("digest default order", { sippRc: r.code, offered: offered.join(",") });
      expect(r.code, r.errors + r.stderr).toBe(0);
      expect(offered).toEqual(["MD5", "SHA-256"]);
      expect(sessions).toHaveLength(1);
      expect(sessions[0]!.metadata as SipCallMetadata).toMatchObject({ username: "alice" });
      expect(backend.userAgentStats).toMatchObject({ authChallenges: 1, authFailures: 0 });
      await expectIdle(backend);
    },
    60_000,
  );

  sippTest(
    "SHA-256 first (RFC 8760's order): SIPp 3.6.1 cannot authenticate, why MD5 is the default",
    async () => {
      const { realm, lookup } = auth;
      const { backend, port } = await startBackend({
        auth: { realm, lookup, algorithms: ["SHA-256", "MD5"] },
      });
      const sessions = sessionsOf(backend);
      const r = await runSipp("backend-auth.xml", port, sippAuth(port, "s3cret"));
      const seen = r.messages.map((m) => `${m.direction[0]}:${m.startLine.split(" ")[1]}`);
      report("digest SHA-256 first", {
        sippRc: r.code,
        messages: seen.join(","),
        sippError: r.errors.split("\n").find((l) => /auth|algorithm/i.test(l)),
      });
      // SIPp reads the first challenge only, and computes only MD5
      expect(r.code).not.toBe(0);
      expect(r.errors).toMatch(/authentication must use MD5/);
      expect(sessions).toHaveLength(0);
      expect(backend.userAgentStats.authChallenges).toBe(1);
      await expectIdle(backend);
    },
    60_000,
  );

  sippTest(
    "wrong credentials → 401 → 403, and no RTP port allocated at any moment",
    async () => {
      const { backend, port } = await startBackend({ auth: { ...auth, maxFailures: 1 } });
      const sessions = sessionsOf(backend);
      const ports = watchCounter(() => backend.portsInUse, 1);
      const r = await runSipp("backend-auth-forbidden.xml", port, sippAuth(port, "wrong"));
      await sleep(200);
      ports.stop();
      const seen = r.messages.map(
        (m) => `${m.direction[0]}:${m.startLine.split(" ").slice(0, 2).join(" ")}`,
      );
      report("digest wrong password → 403", {
        sippRc: r.code,
        messages: seen.join(","),
        maxPortsInUse: ports.max(),
        portSamples: ports.samples(),
        stats: {
          authChallenges: backend.userAgentStats.authChallenges,
          authFailures: backend.userAgentStats.authFailures,
        },
      });
      expect(r.code, r.errors + r.stderr).toBe(0);
      expect(seen).toContain("r:SIP/2.0 403");
      expect(sessions).toHaveLength(0);
      expect(ports.max()).toBe(0);
      expect(backend.userAgentStats).toMatchObject({ authChallenges: 1, authFailures: 1 });
      await expectIdle(backend);
    },
    60_000,
  );
});

describe("rejections and negotiation (raw UDP)", () => {
  it("486 for a second INVITE reusing a live Call-ID", async () => {
    const { backend, port } = await startBackend();
    const sessions = sessionsOf(backend);
    const media = await freeUdpPorts(4);
    const a = await RawSipPeer.open(port);
    const first = await call(a, offerSdp({ audioPort: media, videoPort: media + 2 }));
    expect(first.final.status).toBe(200);
    await waitUntil(() => sessions.length === 1, 2_000);
    expect(backend.portsInUse).toBe(2);
    // another caller, a new dialog (new From tag, new branch), the same Call-ID
    const b = await RawSipPeer.open(port);
    const second = await call(b, offerSdp({ audioPort: media, videoPort: media + 2 }), {
      callId: first.dialog.callId,
    });
    report("486 live Call-ID", {
      first: first.final.startLine,
      second: second.final.startLine,
      portsDuring: backend.portsInUse,
      rejected: backend.rejected,
    });
    expect(second.final.status).toBe(486);
    expect(backend.rejected[486]).toBe(1);
    expect(backend.portsInUse).toBe(2);
    expect(backend.sessionCount).toBe(1);
    expect((await a.bye(first.dialog)).status).toBe(200);
    await expectIdle(backend);
  });

  it("503 at capacity (maxCalls 1): the second call is refused, the first goes on", async () => {
    const { backend, port } = await startBackend({ maxCalls: 1 });
    const media = await freeUdpPorts(4);
    const a = await RawSipPeer.open(port);
    const first = await call(a, offerSdp({ audioPort: media, videoPort: media + 2 }));
    expect(first.final.status).toBe(200);
    const b = await RawSipPeer.open(port);
    const second = await call(b, offerSdp({ audioPort: media, videoPort: media + 2 }));
    report("503 at capacity", {
      second: second.final.startLine,
      portsDuring: backend.portsInUse,
      rejected: backend.rejected,
    });
    expect(second.final.status).toBe(503);
    expect(backend.rejected[503]).toBe(1);
    expect(backend.sessionCount).toBe(1);
    expect(backend.portsInUse).toBe(2);
    expect((await a.bye(first.dialog)).status).toBe(200);
    await expectIdle(backend);
    // the slot is free again
    const third = await call(b, offerSdp({ audioPort: media, videoPort: media + 2 }));
    expect(third.final.status).toBe(200);
    expect((await b.bye(third.dialog)).status).toBe(200);
    await expectIdle(backend);
  });

  it("488 when the offer has only an unknown audio codec; nothing left allocated", async () => {
    const { backend, port } = await startBackend();
    const sessions = sessionsOf(backend);
    const media = await freeUdpPorts(4);
    const peer = await RawSipPeer.open(port);
    const { final } = await call(
      peer,
      offerSdp({ audioPort: media, audio: [[120, "FOO/8000"]], videoPort: media + 2 }),
    );
    report("488 no acceptable audio", { final: final.startLine, rejected: backend.rejected });
    expect(final.status).toBe(488);
    expect(backend.rejected[488]).toBe(1);
    expect(sessions).toHaveLength(0);
    await expectIdle(backend);
  });

  it("400 when the offer breaks the SDP grammar (sdpFailureStatus: cannot parse); nothing left allocated", async () => {
    const { backend, port } = await startBackend();
    const sessions = sessionsOf(backend);
    const media = await freeUdpPorts(4);
    const peer = await RawSipPeer.open(port);
    const bad = offerSdp({ audioPort: media }).replace(/^m=audio \d+/m, "m=audio notaport");
    const { final } = await call(peer, bad);
    report("400 malformed SDP", { final: final.startLine, rejected: backend.rejected });
    expect(final.status).toBe(400);
    expect(backend.rejected).toEqual({ 400: 1 });
    expect(sessions).toHaveLength(0);
    await expectIdle(backend);
  });

  it("500 when our side fails (no audio RTP port pair left); the first call goes on", async () => {
    const { backend, port } = await startBackend({}, 1);
    const media = await freeUdpPorts(4);
    const a = await RawSipPeer.open(port);
    const first = await call(a, offerSdp({ audioPort: media }));
    expect(first.final.status).toBe(200);
    expect(backend.portsInUse).toBe(1); // the one pair, for the audio-only offer
    const b = await RawSipPeer.open(port);
    const second = await call(b, offerSdp({ audioPort: media }));
    report("500 own failure", { second: second.final.startLine, rejected: backend.rejected });
    expect(second.final.status).toBe(500);
    expect(backend.rejected).toEqual({ 500: 1 });
    expect(backend.sessionCount).toBe(1);
    expect(backend.portsInUse).toBe(1); // the one pair, for the audio-only offer
    expect((await a.bye(first.dialog)).status).toBe(200);
    await expectIdle(backend);
  });

  it("a re-INVITE by the same rule: 400 for an SDP that breaks the grammar, 488 for no common audio codec; the call goes on", async () => {
    const { backend, port } = await startBackend();
    const sessions = sessionsOf(backend);
    const media = await freeUdpPorts(4);
    const peer = await RawSipPeer.open(port);
    const first = await call(peer, offerSdp({ audioPort: media }));
    expect(first.final.status).toBe(200);
    await waitUntil(() => sessions.length === 1, 2_000);
    const bad = offerSdp({ audioPort: media }).replace(/^m=audio \d+/m, "m=audio notaport");
    const re1 = await peer.reinvite(first.dialog, bad);
    const final1 = await peer.finalResponse(re1);
    const re2 = await peer.reinvite(
      re1,
      offerSdp({ audioPort: media, audio: [[120, "FOO/8000"]] }),
    );
    const final2 = await peer.finalResponse(re2);
    report("re-INVITE 400/488", { malformed: final1.startLine, noCodec: final2.startLine });
    expect(final1.status).toBe(400);
    expect(final2.status).toBe(488);
    expect(backend.sessionCount).toBe(1);
    expect((await peer.bye(re2)).status).toBe(200);
    await expectIdle(backend);
  });

  it("audio-only offer → hasVideo false, one port pair, no m=video in the answer", async () => {
    const { backend, port } = await startBackend();
    const sessions = sessionsOf(backend);
    const media = await freeUdpPorts(2);
    const peer = await RawSipPeer.open(port);
    const { dialog, final } = await call(peer, offerSdp({ audioPort: media }));
    await waitUntil(() => sessions.length === 1, 2_000);
    const s = sessions[0];
    report("audio-only", {
      final: final.startLine,
      metadata: s?.metadata,
      portsDuring: backend.portsInUse,
      answer: final.body.replace(/\r\n/g, "|"),
    });
    expect(final.status).toBe(200);
    expect(s?.metadata as SipCallMetadata).toMatchObject({
      hasVideo: false,
      videoCodec: undefined,
    });
    expect(s?.video).toBeUndefined();
    expect(s?.videoCodec).toBeUndefined();
    expect(final.body).toMatch(/^m=audio [1-9]\d* RTP\/AVP 0\b/m);
    expect(final.body).not.toMatch(/^m=video/m);
    expect(backend.portsInUse).toBe(1);
    expect((await peer.bye(dialog)).status).toBe(200);
    await expectIdle(backend);
  });

  it("video offer with only an unsupported codec → hasVideo false, answer has m=video 0", async () => {
    const { backend, port } = await startBackend();
    const sessions = sessionsOf(backend);
    const media = await freeUdpPorts(4);
    const peer = await RawSipPeer.open(port);
    const { dialog, final } = await call(
      peer,
      offerSdp({ audioPort: media, videoPort: media + 2, video: [[99, "AV1/90000"]] }),
    );
    await waitUntil(() => sessions.length === 1, 2_000);
    const s = sessions[0];
    report("video not negotiable", {
      final: final.startLine,
      metadata: s?.metadata,
      portsDuring: backend.portsInUse,
      answer: final.body.replace(/\r\n/g, "|"),
    });
    expect(final.status).toBe(200);
    expect(s?.metadata as SipCallMetadata).toMatchObject({ hasVideo: false });
    expect(s?.video).toBeUndefined();
    expect(final.body).toMatch(/^m=video 0 /m);
    expect(final.body).toMatch(/^m=audio [1-9]\d* /m);
    // the video port pair went back to the pool at once
    expect(backend.portsInUse).toBe(1);
    expect((await peer.bye(dialog)).status).toBe(200);
    await expectIdle(backend);
  });
});

describe("stop() hangs up every call on the wire", () => {
  it("the BYE of each call stop() ends reaches the other side before the socket closes", async () => {
    const callee = await startBackend();
    const caller = await startBackend();
    const arrived = sessionsOf(callee.backend);
    const byes: string[] = [];
    onCleanup(callee.backend.onClientDisconnected((s) => void byes.push(s.id)));
    await Promise.all([
      caller.backend.call(`sip:room1@${HOST}:${callee.port}`),
      caller.backend.call(`sip:room2@${HOST}:${callee.port}`),
    ]);
    await waitUntil(() => arrived.length === 2, 2_000);
    expect(callee.backend.sessionCount).toBe(2);
    await caller.backend.stop(); // closes its SIP socket right after sending the two BYEs
    // the callee learns it from the BYEs (not from an RTP timeout): well within a second
    await waitUntil(() => callee.backend.sessionCount === 0, 1_000);
    expect(byes.sort()).toEqual(arrived.map((s) => s.id).sort());
    await expectIdle(callee.backend);
  });
});

describe("outgoing calls answer a Digest challenge (credentials)", () => {
  const realm = "framewire.test";
  const lookup = (user: string) => (user === "bob" ? "hunter2" : undefined);

  it.each([{ algorithms: ["SHA-256", "MD5"] as const }, { algorithms: ["MD5"] as const }])(
    "401 offering $algorithms → INVITE sent again with credentials for the first, call up, BYE too",
    async ({ algorithms }) => {
      const callee = await startBackend({ auth: { realm, lookup, algorithms } });
      const caller = await startBackend({ credentials: { username: "bob", password: "hunter2" } });
      const arrived = sessionsOf(callee.backend);
      const session = await caller.backend.call(`sip:room1@${HOST}:${callee.port}`);
      await waitUntil(() => arrived.length === 1, 2_000);
      expect(arrived).toHaveLength(1);
      expect(callee.backend.userAgentStats.authChallenges).toBe(1);
      expect(callee.backend.userAgentStats.authFailures).toBe(0);
      expect((arrived[0]!.metadata as SipCallMetadata).username).toBe("bob");
      caller.backend.disconnect(session);
      await waitUntil(() => callee.backend.sessionCount === 0, 2_000);
      await expectIdle(callee.backend);
      await expectIdle(caller.backend);
    },
  );

  it("a wrong password: the call is rejected (401 again), nothing left allocated on either side", async () => {
    const callee = await startBackend({ auth: { realm, lookup } });
    const caller = await startBackend({ credentials: { username: "bob", password: "wrong" } });
    const error = await caller.backend
      .call(`sip:room1@${HOST}:${callee.port}`)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "CALL_REJECTED" });
    expect([401, 403]).toContain((error as { statusCode: number }).statusCode);
    expect(callee.backend.sessionCount).toBe(0);
    await expectIdle(caller.backend);
    await expectIdle(callee.backend);
  });

  it("no credentials: CALL_REJECTED 401, as before", async () => {
    const callee = await startBackend({ auth: { realm, lookup } });
    const caller = await startBackend();
    const error = await caller.backend
      .call(`sip:room1@${HOST}:${callee.port}`)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "CALL_REJECTED", statusCode: 401 });
    await expectIdle(caller.backend);
  });
});
