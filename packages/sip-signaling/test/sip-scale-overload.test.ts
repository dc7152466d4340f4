/**
 * The overload guard on the in-memory network, on a virtual clock: per-source token buckets for
 * INVITE, REGISTER and OPTIONS; a request over its bucket gets a stateless 503 with
 * Retry-After decided on the start line and header fields (RFC 3261 §21.5.4), before sip.js
 * parses the message or its body, and never reaches a call.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { IncomingCall } from "../src/sip/call-types.js";
import { SipUserAgent } from "../src/sip/sip-user-agent.js";
import type { SipUserAgentOptions } from "../src/sip/sip-user-agent-types.js";
import { DialogScript, FakeNetwork, FakePeer, testSdp } from "./fake-sip-network.js";

const UA = { host: "127.0.0.1", port: 5060 };
const PEER = { host: "127.0.0.1", port: 5070 };
const OTHER = { host: "127.0.0.2", port: 5070 };

let ua: SipUserAgent | undefined;
let now = 0;

async function setup(options: SipUserAgentOptions) {
  now = 0;
  const network = new FakeNetwork();
  const peer = new FakePeer(network, PEER);
  const other = new FakePeer(network, OTHER);
  const calls: IncomingCall[] = [];
  ua = new SipUserAgent({ socketFactory: network.socketFactory, clock: () => now, ...options });
  ua.incomingCalls$.subscribe((call) => {
    calls.push(call);
    call.reject(486);
  });
  await ua.start(UA);
  return { peer, other, calls, ua };
}

afterEach(async () => {
  await ua?.stop();
  ua = undefined;
});

function options(peer: FakePeer, n: number): void {
  const script = new DialogScript(peer.address, UA, "room", `o${n}`);
  peer.send(script.request("OPTIONS"), UA);
}

describe("overload guard (per-source token buckets, 503 + Retry-After before parsing)", () => {
  it("OPTIONS over the bucket: 503 with Retry-After, Via stamped, To tagged; refills with the clock", async () => {
    const { peer, other } = await setup({ rateLimits: { options: { perSecond: 10, burst: 10 } } });
    for (let n = 0; n < 15; n++) options(peer, n);
    expect(peer.responses(200)).toHaveLength(10);
    const refused = peer.responses(503);
    expect(refused).toHaveLength(5);
    expect(refused[0]!.header("retry-after")).toBe("1");
    expect(refused[0]!.header("via")).toContain(`rport=${PEER.port}`);
    expect(refused[0]!.header("to")).toMatch(/;tag=/);
    // another source has its own bucket
    options(other, 99);
    expect(other.responses(200)).toHaveLength(1);
    expect(ua!.stats.transport.overloaded).toBe(5);
    now += 500; // five tokens back
    for (let n = 15; n < 22; n++) options(peer, n);
    expect(peer.responses(200)).toHaveLength(15);
    expect(peer.responses(503)).toHaveLength(7);
  });

  it("an INVITE over its bucket gets 503 before its body is read and never becomes a call", async () => {
    const { peer, calls } = await setup({ rateLimits: { invite: { perSecond: 1, burst: 1 } } });
    const first = new DialogScript(PEER, UA, "room", "i1");
    peer.send(first.request("INVITE", { body: testSdp(PEER.host, 30000) }), UA);
    expect(calls).toHaveLength(1);
    // a body that would get 400 if it were read: Content-Length larger than the datagram
    const second = new DialogScript(PEER, UA, "room", "i2");
    const cut = second
      .request("INVITE", { body: testSdp(PEER.host, 30002) })
      .replace(/Content-Length: \d+/, "Content-Length: 99999");
    peer.send(cut, UA);
    expect(calls).toHaveLength(1);
    const refused = peer.inbox.filter((m) => m.header("call-id") === second.callId);
    expect(refused.map((m) => m.status)).toEqual([503]);
    expect(refused[0]!.header("retry-after")).toBe("1");
    expect(ua!.stats.transport.badRequests).toBe(0);
    // the ACK of a refused INVITE is never answered, and never limited
    peer.send(second.request("ACK", { cseq: 1 }), UA);
    expect(peer.inbox.filter((m) => m.header("call-id") === second.callId)).toHaveLength(1);
  });

  it("rateLimits: null turns the guard off", async () => {
    const { peer } = await setup({ rateLimits: null });
    for (let n = 0; n < 1500; n++) options(peer, n);
    expect(peer.responses(200)).toHaveLength(1500);
    expect(ua!.stats.transport.overloaded).toBe(0);
  });
});
