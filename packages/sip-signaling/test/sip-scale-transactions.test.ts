/**
 * The server transaction table sized by rate (ServerTransactionGate) on the in-memory network in
 * virtual time: finished transactions waiting out Timers L/J do not count against new calls;
 * only transactions in progress do (maxServerTransactions), and the whole table is bounded by
 * serverTransactionRate × 32 s. Memory per transaction: bench/transaction-memory.ts.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { IncomingCall } from "../src/sip/call-types.js";
import { ServerTransactionGate } from "../src/sip/server-transaction-gate.js";
import { SipUserAgent } from "../src/sip/sip-user-agent.js";
import type { SipUserAgentOptions } from "../src/sip/sip-user-agent-types.js";
import { DialogScript, FakeNetwork, FakePeer, testSdp } from "./fake-sip-network.js";

const UA = { host: "127.0.0.1", port: 5060 };
const PEER = { host: "127.0.0.1", port: 5070 };
const ANSWER = testSdp(UA.host, 20000);

let ua: SipUserAgent | undefined;

async function setup(
  options: SipUserAgentOptions,
  onCall: (call: IncomingCall) => void = (call) => call.accept(ANSWER),
): Promise<{ peer: FakePeer; ua: SipUserAgent }> {
  vi.useFakeTimers();
  const network = new FakeNetwork();
  const peer = new FakePeer(network, PEER);
  ua = new SipUserAgent({ socketFactory: network.socketFactory, ...options });
  ua.incomingCalls$.subscribe(onCall);
  await ua.start(UA);
  return { peer, ua };
}

afterEach(async () => {
  if (ua !== undefined) {
    await ua.stop();
    ua = undefined;
    expect(vi.getTimerCount()).toBe(0);
  }
  vi.useRealTimers();
});

/** One whole call from the peer: INVITE → 200 → ACK → BYE → 200; returns the script. */
function wholeCall(peer: FakePeer, n: number): DialogScript {
  const script = new DialogScript(PEER, UA, "room", `c${n}`);
  peer.send(script.request("INVITE", { body: testSdp(PEER.host, 30000) }), UA);
  const ok = peer.inbox.find((m) => m.status === 200 && m.header("call-id") === script.callId);
  if (ok === undefined) return script;
  script.learnToTag(ok);
  peer.send(script.request("ACK"), UA);
  script.cseq = 2;
  peer.send(script.request("BYE"), UA);
  return script;
}

function statusesOf(peer: FakePeer, callId: string): number[] {
  return peer.inbox
    .filter((m) => m.status !== undefined && m.header("call-id") === callId)
    .map((m) => m.status ?? 0);
}

describe("server transactions sized by rate (RFC 3261 §17.2, RFC 6026)", () => {
  it("finished calls do not count: 20 calls with maxServerTransactions 2, none refused", async () => {
    const { peer } = await setup({ maxServerTransactions: 2 });
    for (let n = 0; n < 20; n++) {
      const script = wholeCall(peer, n);
      expect(statusesOf(peer, script.callId)).toEqual([100, 200, 200]);
    }
    const stats = ua!.stats.serverTransactions;
    // 20 INVITE (Accepted, Timer L) + 20 BYE (Completed, Timer J) wait out their 32 s
    expect(stats.tableSize).toBe(40);
    expect(stats.inProgress).toBe(0);
    expect(stats.busy).toBe(0);
    await vi.advanceTimersByTimeAsync(32_000 + 1);
    expect(ua!.stats.serverTransactions.tableSize).toBe(0);
  });

  it("INVITEs still in progress count: the third unanswered one gets 503 with Retry-After", async () => {
    const { peer } = await setup({ maxServerTransactions: 2 }, () => {});
    const scripts = [0, 1, 2].map((n) => {
      const script = new DialogScript(PEER, UA, "room", `p${n}`);
      peer.send(script.request("INVITE", { body: testSdp(PEER.host, 30000) }), UA);
      return script;
    });
    expect(statusesOf(peer, scripts[2]!.callId)).toEqual([503]);
    const refused = peer.responses(503)[0]!;
    expect(refused.header("retry-after")).toBe("5");
    expect(ua!.stats.serverTransactions).toMatchObject({ inProgress: 2, busy: 1, full: 0 });
  });

  it("the whole table is bounded by serverTransactionRate × 32 s (+ in progress), then frees", async () => {
    // 0.1/s × 32 s = 4 (+ 2 in progress) = 6 entries: three whole calls fill it
    const { peer } = await setup({ maxServerTransactions: 2, serverTransactionRate: 0.1 });
    expect(ua!.stats.serverTransactions.tableLimit).toBe(6);
    for (let n = 0; n < 3; n++) wholeCall(peer, n);
    const late = wholeCall(peer, 3);
    expect(statusesOf(peer, late.callId)).toEqual([503]);
    expect(ua!.stats.serverTransactions).toMatchObject({ tableSize: 6, full: 1 });
    await vi.advanceTimersByTimeAsync(32_000 + 1);
    const again = wholeCall(peer, 4);
    expect(statusesOf(peer, again.callId)).toEqual([100, 200, 200]);
  });
});

describe("ServerTransactionGate", () => {
  const server = (state: string) => ({ transaction: { state } });
  it("counts tracked transactions only while Trying or Proceeding", () => {
    const gate = new ServerTransactionGate({ maxInProgress: 1, ratePerSecond: 1 });
    expect(gate.tableLimit).toBe(33);
    const table = new Map<string, { transaction: { state: string } }>();
    const a = server("Proceeding");
    table.set("a", a);
    gate.track(a);
    expect(gate.decide(table)).toBe("busy");
    a.transaction.state = "Accepted";
    expect(gate.decide(table)).toBe("open");
    gate.track(server("Completed")); // a finished one is not tracked at all
    expect(gate.stats(table)).toMatchObject({ inProgress: 0, tableSize: 1, busy: 1 });
    for (let i = 0; i < 40; i++) table.set(`x${i}`, server("Completed"));
    expect(gate.decide(table)).toBe("full");
  });
});
