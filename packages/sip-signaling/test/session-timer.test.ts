/**
 * RFC 4028 session timers on the in-memory network, in virtual time (vi fake timers drive both
 * the user agent's scheduler and sip.js's timers): the 2xx's Session-Expires and Require, 422
 * for a too-small interval, BYE ("session-expired") without a refresh, refreshes from the peer
 * keeping the call up, our refreshes by re-INVITE at half the interval, 481 to a refresh, and
 * the outgoing side.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { IncomingCall, OutgoingCall } from "../src/sip/call-types.js";
import { type SessionTimerOptions, uacRequestHeaders } from "../src/sip/session-timer.js";
import { SipUserAgent } from "../src/sip/sip-user-agent.js";
import {
  DialogScript,
  FakeNetwork,
  FakePeer,
  type Received,
  respondTo,
  testSdp,
} from "./fake-sip-network.js";

const UA = { host: "127.0.0.1", port: 5060 };
const PEER = { host: "127.0.0.1", port: 5070 };
const ANSWER = testSdp(UA.host, 20000);
const TIMER: SessionTimerOptions = { sessionExpires: 1800, minSE: 90 };

let ua: SipUserAgent | undefined;

afterEach(async () => {
  await ua?.stop();
  ua = undefined;
  vi.useRealTimers();
});

async function setup(
  supportedExtensions: readonly string[] = ["timer"],
): Promise<{ peer: FakePeer; calls: IncomingCall[]; agent: SipUserAgent }> {
  vi.useFakeTimers();
  const network = new FakeNetwork();
  const peer = new FakePeer(network, PEER);
  const agent = new SipUserAgent({ socketFactory: network.socketFactory, supportedExtensions });
  const calls: IncomingCall[] = [];
  agent.incomingCalls$.subscribe((call) => calls.push(call));
  await agent.start(UA);
  ua = agent;
  return { peer, calls, agent };
}

/** answered: an INVITE with `extra` headers, accepted with session timers on, and its ACK. */
async function answered(extra: string[], options: SessionTimerOptions = TIMER) {
  const env = await setup();
  const script = new DialogScript(PEER, UA);
  env.peer.send(script.request("INVITE", { body: testSdp(PEER.host, 30000), extra }), UA);
  const call = env.calls[0]!;
  call.enableSessionTimer(options);
  call.accept(ANSWER);
  const ok = env.peer.responses(200, "INVITE")[0]!;
  script.learnToTag(ok);
  env.peer.send(script.request("ACK"), UA);
  await vi.advanceTimersByTimeAsync(500);
  return { ...env, script, call, ok };
}

/** refreshFromPeer sends a re-INVITE with `extra` and ACKs its 2xx; returns the response. */
function refreshFromPeer(peer: FakePeer, script: DialogScript, extra: string[]): Received {
  script.cseq++;
  const branch = script.newBranch();
  const before = peer.inbox.length;
  peer.send(script.request("INVITE", { branch, body: testSdp(PEER.host, 30000), extra }), UA);
  const response = peer.inbox.slice(before).find((m) => m.status !== undefined && m.status >= 200);
  if (response?.status === 200) peer.send(script.request("ACK"), UA);
  else peer.send(script.request("ACK", { branch }), UA);
  return response!;
}

describe("Require: timer (RFC 4028 §9: a UAC may require the extension)", () => {
  it("reaches the call when the user agent supports timer; 420 Unsupported: timer when it does not", async () => {
    const required = ["Supported: timer", "Require: timer", "Session-Expires: 120;refresher=uac"];
    const on = await setup(["timer"]);
    on.peer.send(
      new DialogScript(PEER, UA).request("INVITE", {
        body: testSdp(PEER.host, 30000),
        extra: required,
      }),
      UA,
    );
    expect(on.calls).toHaveLength(1);
    expect(on.peer.responses(420, "INVITE")).toHaveLength(0);
    on.calls[0]!.reject(486);
    await ua?.stop();
    ua = undefined;
    vi.useRealTimers();

    const off = await setup([]);
    off.peer.send(
      new DialogScript(PEER, UA).request("INVITE", {
        body: testSdp(PEER.host, 30000),
        extra: required,
      }),
      UA,
    );
    expect(off.calls).toHaveLength(0);
    const refused = off.peer.responses(420, "INVITE");
    expect(refused).toHaveLength(1);
    expect(refused[0]!.header("unsupported")).toBe("timer");
  });
});

describe("UAS (RFC 4028 §9)", () => {
  it("the caller refreshes: 2xx with Session-Expires;refresher=uac and Require: timer; no refresh → our BYE before expiry", async () => {
    const { peer, call, ok } = await answered([
      "Supported: timer",
      "Session-Expires: 120;refresher=uac",
      "Min-SE: 90",
    ]);
    expect(ok.header("session-expires")).toBe("120;refresher=uac");
    expect(ok.header("require")).toBe("timer");
    expect(ok.headers("supported").join(",")).toMatch(/timer/);
    expect(call.sessionTimer).toMatchObject({ interval: 120, refresher: "remote" });
    // RFC 4028 §10: BYE at the expiry minus min(32 s, interval / 3) = 88 s after the 2xx
    await vi.advanceTimersByTimeAsync(87_000 - 500);
    expect(peer.requests("BYE")).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1_100);
    expect(peer.requests("BYE")).toHaveLength(1);
    expect(call.termination).toEqual({ reason: "session-expired" });
  });

  it("refreshes by re-INVITE from the caller keep the call up; each 2xx restarts the interval", async () => {
    const { peer, call, script } = await answered([
      "Supported: timer",
      "Session-Expires: 120;refresher=uac",
    ]);
    call.onReinvite = (re) => re.accept(ANSWER); // the backend answers every re-INVITE's offer
    for (let i = 0; i < 4; i++) {
      await vi.advanceTimersByTimeAsync(60_000);
      const r = refreshFromPeer(peer, script, [
        "Supported: timer",
        "Session-Expires: 120;refresher=uac",
      ]);
      expect(r.status).toBe(200);
      expect(r.header("session-expires")).toBe("120;refresher=uac");
    }
    expect(peer.requests("BYE")).toHaveLength(0);
    expect(call.state).toBe("established");
    expect(call.sessionTimer?.refreshesReceived).toBe(4);
    await vi.advanceTimersByTimeAsync(89_000);
    expect(peer.requests("BYE").length).toBeGreaterThan(0); // (and its retransmissions)
    expect(call.termination?.reason).toBe("session-expired");
  });

  it("an interval below our Min-SE: sessionIntervalTooSmall, 422 with Min-SE; a re-INVITE too small gets 422 and the call stays", async () => {
    const env = await setup();
    const script = new DialogScript(PEER, UA);
    env.peer.send(
      script.request("INVITE", {
        body: testSdp(PEER.host, 30000),
        extra: ["Supported: timer", "Session-Expires: 30"],
      }),
      UA,
    );
    const call = env.calls[0]!;
    call.enableSessionTimer(TIMER);
    expect(call.sessionIntervalTooSmall).toBe(90);
    call.reject(422, "Session Interval Too Small", ["Min-SE: 90"]);
    const r = env.peer.responses(422)[0]!;
    expect(r.firstLine).toBe("SIP/2.0 422 Session Interval Too Small");
    expect(r.header("min-se")).toBe("90");

    const {
      peer,
      script: s2,
      call: live,
    } = await answered(["Supported: timer", "Session-Expires: 100"]);
    const refused = refreshFromPeer(peer, s2, ["Supported: timer", "Session-Expires: 10"]);
    expect(refused.status).toBe(422);
    expect(refused.header("min-se")).toBe("90");
    expect(live.state).toBe("established");
  });

  it("a caller without timer support: we refresh (refresher=uas) by re-INVITE at half the interval, and go on after its 2xx", async () => {
    const { peer, call, ok } = await answered([], { sessionExpires: 100, minSE: 90 });
    expect(ok.header("session-expires")).toBe("100;refresher=uas");
    expect(ok.header("require")).toBeUndefined();
    expect(call.sessionTimer).toMatchObject({ interval: 100, refresher: "local" });
    const refreshAnswers: [string, string][] = [];
    call.onRefreshAnswer = (offer, answer) => void refreshAnswers.push([offer, answer]);
    await vi.advanceTimersByTimeAsync(50_000 - 600);
    expect(peer.requests("INVITE")).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(200);
    const reinvites = peer.requests("INVITE");
    expect(reinvites).toHaveLength(1);
    const re = reinvites[0]!;
    expect(re.header("session-expires")).toBe("100;refresher=uac");
    expect(re.headers("supported").join(",")).toMatch(/timer/);
    expect(re.body).toBe(ANSWER);
    // a peer without timers answers without Session-Expires: we keep refreshing
    peer.send(
      respondTo(re, 200, "OK", {
        contact: `<sip:peer@${PEER.host}:${PEER.port}>`,
        body: testSdp(PEER.host, 30000),
      }),
      UA,
    );
    expect(peer.requests("ACK")).toHaveLength(1);
    expect(call.sessionTimer?.refreshesSent).toBe(1);
    // the media may follow the refresh's answer
    expect(refreshAnswers).toEqual([[ANSWER, testSdp(PEER.host, 30000)]]);
    await vi.advanceTimersByTimeAsync(50_100);
    expect(peer.requests("INVITE")).toHaveLength(2);
    expect(call.state).toBe("established");
  });

  it("a refresh answered 481 (the dialog is gone): BYE, reason session-expired", async () => {
    const { peer, call } = await answered([], { sessionExpires: 100, minSE: 90 });
    await vi.advanceTimersByTimeAsync(50_000);
    const re = peer.requests("INVITE")[0]!;
    peer.send(respondTo(re, 481, "Call/Transaction Does Not Exist"), UA);
    expect(peer.requests("BYE")).toHaveLength(1);
    expect(call.termination).toEqual({ reason: "session-expired", statusCode: 481 });
  });

  it("our refresh never answered: Timer B's 408 ends it with BYE (32 s after the refresh)", async () => {
    const { peer, call } = await answered([], { sessionExpires: 100, minSE: 90 });
    await vi.advanceTimersByTimeAsync(81_000);
    expect(peer.requests("BYE")).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(peer.requests("BYE").length).toBeGreaterThan(0);
    expect(call.termination).toEqual({ reason: "session-expired", statusCode: 408 });
  });

  it("a short interval whose refresh goes unanswered: BYE when the interval runs out", async () => {
    const { peer, call } = await answered([], { sessionExpires: 40, minSE: 10 });
    await vi.advanceTimersByTimeAsync(20_000);
    expect(peer.requests("INVITE").length).toBeGreaterThan(0); // the refresh (and Timer A)
    await vi.advanceTimersByTimeAsync(39_000 - 20_000 - 500);
    expect(peer.requests("BYE")).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(peer.requests("BYE").length).toBeGreaterThan(0);
    expect(peer.requests("BYE")[0]!.at - peer.requests("INVITE")[0]!.at).toBe(20_000);
    expect(call.termination).toEqual({ reason: "session-expired" });
  });
});

describe("UAC (RFC 4028 §7)", () => {
  async function outgoing(
    answerHeaders: string[],
  ): Promise<{ peer: FakePeer; call: OutgoingCall; invite: Received }> {
    const { peer, agent } = await setup();
    const call = agent.call(`sip:bob@${PEER.host}:${PEER.port}`, testSdp(UA.host, 20000), {
      extraHeaders: uacRequestHeaders(TIMER.sessionExpires, TIMER.minSE, false),
    });
    call.enableSessionTimer(TIMER);
    const invite = peer.requests("INVITE")[0]!;
    const contact = `<sip:bob@${PEER.host}:${PEER.port}>`;
    peer.send(
      respondTo(invite, 200, "OK", {
        toTag: "bt",
        contact,
        body: testSdp(PEER.host, 30000),
        extra: answerHeaders,
      }),
      UA,
    );
    await call.answer;
    return { peer, call, invite };
  }

  it("the INVITE says Supported: timer, Session-Expires, Min-SE; refresher=uac in the 2xx: we refresh at half", async () => {
    const { peer, call, invite } = await outgoing([
      "Session-Expires: 100;refresher=uac",
      "Require: timer",
    ]);
    expect(invite.header("session-expires")).toBe("1800");
    expect(invite.header("min-se")).toBe("90");
    expect(invite.headers("supported").join(",")).toMatch(/timer/);
    expect(call.sessionTimer).toMatchObject({ interval: 100, refresher: "local" });
    await vi.advanceTimersByTimeAsync(50_000);
    expect(peer.requests("INVITE")).toHaveLength(2);
    expect(peer.requests("INVITE")[1]!.header("session-expires")).toBe("100;refresher=uac");
  });

  it("refresher=uas in the 2xx and no refresh from the callee: our BYE before expiry", async () => {
    const { peer, call } = await outgoing(["Session-Expires: 90;refresher=uas"]);
    expect(call.sessionTimer).toMatchObject({ interval: 90, refresher: "remote" });
    await vi.advanceTimersByTimeAsync(59_000);
    expect(peer.requests("BYE")).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1_100);
    expect(peer.requests("BYE")).toHaveLength(1);
    expect(call.termination?.reason).toBe("session-expired");
  });

  it("a 2xx without Session-Expires: no session timer (RFC 4028 §7.2)", async () => {
    const { peer, call } = await outgoing([]);
    expect(call.sessionTimer).toBeUndefined();
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(peer.requests("BYE")).toHaveLength(0);
    expect(peer.requests("INVITE")).toHaveLength(1);
  });
});
