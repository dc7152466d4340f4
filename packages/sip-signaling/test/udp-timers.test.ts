/**
 * UDP reliability in virtual time (RFC 3261 §17 timers, §13.3.1.4 2xx retransmission), with
 * a scripted peer on an in-memory network. Global timers are faked so sip.js's own timers
 * (B, D, F, H, I, J, K, L, M and its 2xx retransmission) and ours (A, E, G) share one clock.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { IncomingCall } from "../src/sip/call-types.js";
import { SipUserAgent } from "../src/sip/sip-user-agent.js";
import { T1, T2 } from "../src/sip/timers.js";
import { DialogScript, FakeNetwork, FakePeer, respondTo, testSdp } from "./fake-sip-network.js";

const UA = { host: "127.0.0.1", port: 5060 };
const PEER = { host: "127.0.0.1", port: 5070 };

let network: FakeNetwork;
let peer: FakePeer;
let ua: SipUserAgent;
let calls: IncomingCall[];
let onCall: (call: IncomingCall) => void;
let t0: number;

async function flush(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0);
}

/** Virtual ms since the test started. */
function since(at: number): number {
  return at - t0;
}

beforeEach(async () => {
  vi.useFakeTimers();
  t0 = Date.now();
  network = new FakeNetwork();
  peer = new FakePeer(network, PEER);
  ua = new SipUserAgent({ socketFactory: network.socketFactory });
  calls = [];
  onCall = () => {};
  ua.incomingCalls$.subscribe((call) => {
    calls.push(call);
    onCall(call);
  });
  await ua.start(UA);
});

afterEach(async () => {
  await ua.stop();
  // No timer of sip.js or ours survives stop() (fake timers count them all).
  expect(vi.getTimerCount()).toBe(0);
  vi.useRealTimers();
});

/** Sends an INVITE with SDP; returns the dialog script. */
function sendInvite(script = new DialogScript(PEER, UA)): { script: DialogScript; branch: string } {
  const branch = script.newBranch();
  peer.send(script.request("INVITE", { branch, body: testSdp(PEER.host, 30000) }), UA);
  return { script, branch };
}

describe("INVITE server, 2xx retransmission until ACK (RFC 3261 §13.3.1.4)", () => {
  it("retransmits the 200 OK at T1, 2·T1, 4·T1, then every T2, and stops at the ACK", async () => {
    onCall = (call) => call.accept(testSdp(UA.host, 20000));
    const { script } = sendInvite();
    expect(peer.responses(100, "INVITE")).toHaveLength(1);
    const ok = peer.responses(200, "INVITE");
    expect(ok).toHaveLength(1);
    expect(calls[0]?.state).toBe("answered");

    // The ACK is "lost": advance 12 s.
    await vi.advanceTimersByTimeAsync(11_600);
    const times = peer.responses(200, "INVITE").map((m) => since(m.at));
    expect(times).toEqual([0, T1, 3 * T1, 7 * T1, 7 * T1 + T2, 7 * T1 + 2 * T2]);

    const first = peer.responses(200, "INVITE")[0]!;
    script.learnToTag(first);
    peer.send(script.request("ACK"), UA);
    expect(calls[0]?.state).toBe("established");
    await vi.advanceTimersByTimeAsync(20_000);
    expect(peer.responses(200, "INVITE")).toHaveLength(6);
  });

  it("without ACK for 64·T1 it ends the call with BYE (ack-timeout)", async () => {
    onCall = (call) => call.accept(testSdp(UA.host, 20000));
    sendInvite();
    await vi.advanceTimersByTimeAsync(64 * T1 + 10);
    expect(calls[0]?.termination).toEqual({ reason: "ack-timeout" });
    expect(peer.requests("BYE")).toHaveLength(1);
    // Retransmissions stopped with Timer L.
    const last = peer.responses(200, "INVITE").at(-1)!;
    expect(since(last.at)).toBeLessThanOrEqual(64 * T1);
  });
});

describe("INVITE server, Timer G: non-2xx final response until ACK (RFC 3261 §17.2.1)", () => {
  it("retransmits 486 at T1, 2·T1, ... capped at T2, and stops at the ACK", async () => {
    onCall = (call) => call.reject(486);
    const { script, branch } = sendInvite();
    expect(peer.responses(486)).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(11_600);
    const times = peer.responses(486).map((m) => since(m.at));
    expect(times).toEqual([0, T1, 3 * T1, 7 * T1, 7 * T1 + T2, 7 * T1 + 2 * T2]);

    // The ACK to a non-2xx is part of the INVITE transaction: same branch (§17.1.1.3).
    script.learnToTag(peer.responses(486)[0]!);
    peer.send(script.request("ACK", { branch }), UA);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(peer.responses(486)).toHaveLength(6);
    expect(ua.stats.retransmissions.timerG).toBe(5);
  });

  it("gives up at Timer H (64·T1) without ACK", async () => {
    onCall = (call) => call.reject(603);
    sendInvite();
    await vi.advanceTimersByTimeAsync(40_000);
    const last = peer.responses(603).at(-1)!;
    expect(since(last.at)).toBeLessThanOrEqual(64 * T1);
    expect(peer.responses(603).length).toBeGreaterThanOrEqual(9);
  });
});

describe("non-INVITE server, Timer J (RFC 3261 §17.2.2)", () => {
  it("answers a retransmitted BYE 200 again (not 481) for 64·T1", async () => {
    onCall = (call) => call.accept(testSdp(UA.host, 20000));
    const { script } = sendInvite();
    script.learnToTag(peer.responses(200, "INVITE")[0]!);
    peer.send(script.request("ACK"), UA);
    const call = calls[0]!;
    const onBye = vi.fn();
    call.onBye = onBye;

    script.cseq = 2;
    const byeBranch = script.newBranch();
    const bye = script.request("BYE", { branch: byeBranch });
    peer.send(bye, UA);
    expect(peer.responses(200, "BYE")).toHaveLength(1);
    expect(call.termination).toEqual({ reason: "remote-bye" });
    expect(onBye).toHaveBeenCalledTimes(1);

    // The 200 was lost: the peer retransmits the same BYE (Timer E on its side).
    await vi.advanceTimersByTimeAsync(T1);
    peer.send(bye, UA);
    await vi.advanceTimersByTimeAsync(T1 * 2);
    peer.send(bye, UA);
    expect(peer.responses(200, "BYE")).toHaveLength(3);
    expect(peer.responses(481)).toHaveLength(0);
    expect(onBye).toHaveBeenCalledTimes(1);

    // After Timer J (64·T1) the transaction is gone: now it is 481.
    await vi.advanceTimersByTimeAsync(64 * T1);
    peer.send(bye, UA);
    expect(peer.responses(481, "BYE")).toHaveLength(1);
  });
});

describe("INVITE client, Timer A (RFC 3261 §17.1.1.2)", () => {
  it("retransmits the INVITE at T1, 2·T1, 4·T1, ... until Timer B, then fails with 408", async () => {
    const call = ua.call(`sip:bob@${PEER.host}:${PEER.port}`, testSdp(UA.host, 20000));
    await vi.advanceTimersByTimeAsync(64 * T1 + 10);
    const times = peer.requests("INVITE").map((m) => since(m.at));
    expect(times).toEqual([0, T1, 3 * T1, 7 * T1, 15 * T1, 31 * T1, 63 * T1]);
    await expect(call.answer).rejects.toMatchObject({ code: "CALL_REJECTED", statusCode: 408 });
    expect(call.termination).toEqual({ reason: "rejected", statusCode: 408 });
    // Every retransmission is the same message.
    expect(new Set(peer.requests("INVITE").map((m) => m.text)).size).toBe(1);
  });

  it("stops retransmitting at the first provisional response", async () => {
    const call = ua.call(`sip:bob@${PEER.host}:${PEER.port}`, testSdp(UA.host, 20000));
    await vi.advanceTimersByTimeAsync(T1 + 10);
    const invite = peer.requests("INVITE")[0]!;
    peer.send(
      respondTo(invite, 180, "Ringing", {
        toTag: "b1",
        contact: `<sip:bob@${PEER.host}:${PEER.port}>`,
      }),
      UA,
    );
    expect(call.state).toBe("ringing");
    await vi.advanceTimersByTimeAsync(10_000);
    expect(peer.requests("INVITE")).toHaveLength(2);
    call.cancel();
    expect(peer.requests("CANCEL")).toHaveLength(1);
    peer.send(respondTo(peer.requests("CANCEL")[0]!, 200, "OK", { toTag: "b1" }), UA);
    peer.send(respondTo(invite, 487, "Request Terminated", { toTag: "b1" }), UA);
    // The 487 is ACKed by the transaction (§17.1.1.3).
    expect(peer.requests("ACK")).toHaveLength(1);
    expect(call.termination).toEqual({ reason: "cancelled" });
  });
});

describe("INVITE client, Timer D (RFC 3261 §17.1.1.2)", () => {
  it("ACKs a retransmitted 486 again while in Completed (32 s)", async () => {
    const call = ua.call(`sip:bob@${PEER.host}:${PEER.port}`, testSdp(UA.host, 20000));
    const invite = peer.requests("INVITE")[0]!;
    const busy = respondTo(invite, 486, "Busy Here", { toTag: "b2" });
    peer.send(busy, UA);
    expect(peer.requests("ACK")).toHaveLength(1);
    await expect(call.answer).rejects.toMatchObject({ statusCode: 486 });
    await vi.advanceTimersByTimeAsync(T1);
    peer.send(busy, UA);
    await vi.advanceTimersByTimeAsync(10_000);
    peer.send(busy, UA);
    expect(peer.requests("ACK")).toHaveLength(3);
    // No INVITE retransmission after the final response.
    expect(peer.requests("INVITE")).toHaveLength(1);
  });
});

describe("non-INVITE client, Timer E (RFC 3261 §17.1.2.2)", () => {
  it("retransmits our BYE at T1, 2·T1, 4·T1, then every T2, until the 200", async () => {
    const call = ua.call(`sip:bob@${PEER.host}:${PEER.port}`, testSdp(UA.host, 20000));
    const invite = peer.requests("INVITE")[0]!;
    peer.send(
      respondTo(invite, 200, "OK", {
        toTag: "b3",
        contact: `<sip:bob@${PEER.host}:${PEER.port}>`,
        body: testSdp(PEER.host, 30000),
      }),
      UA,
    );
    await expect(call.answer).resolves.toContain("m=video 30002");
    expect(call.state).toBe("established");
    expect(peer.requests("ACK")).toHaveLength(1);

    const t1 = Date.now();
    const done = call.bye();
    expect(call.termination).toEqual({ reason: "local-bye" });
    await vi.advanceTimersByTimeAsync(11_600);
    const times = peer.requests("BYE").map((m) => m.at - t1);
    expect(times).toEqual([0, T1, 3 * T1, 7 * T1, 7 * T1 + T2, 7 * T1 + 2 * T2]);
    peer.send(respondTo(peer.requests("BYE")[0]!, 200, "OK"), UA);
    await done;
    await vi.advanceTimersByTimeAsync(20_000);
    expect(peer.requests("BYE")).toHaveLength(6);
    expect(ua.stats.retransmissions.timerE).toBe(5);
  });

  it("in Proceeding (after 100) retransmits every T2", async () => {
    const call = ua.call(`sip:bob@${PEER.host}:${PEER.port}`, testSdp(UA.host, 20000));
    const invite = peer.requests("INVITE")[0]!;
    peer.send(
      respondTo(invite, 200, "OK", {
        toTag: "b4",
        contact: `<sip:bob@${PEER.host}:${PEER.port}>`,
        body: testSdp(PEER.host, 30000),
      }),
      UA,
    );
    await call.answer;
    const t1 = Date.now();
    void call.bye();
    peer.send(respondTo(peer.requests("BYE")[0]!, 100, "Trying"), UA);
    await vi.advanceTimersByTimeAsync(3 * T1 + T2 + 10);
    const times = peer.requests("BYE").map((m) => m.at - t1);
    // T1 fires once more in Proceeding, then the interval is T2 (§17.1.2.2).
    expect(times).toEqual([0, T1, T1 + T2]);
    peer.send(respondTo(peer.requests("BYE")[0]!, 200, "OK"), UA);
    await flush();
  });
});
