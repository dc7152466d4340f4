/**
 * The SIP layer's own timers (Timer A/E/G, answer and re-INVITE timeouts, nonce expiry) run on
 * an injected scheduler: here test-support's ManualScheduler, with real global timers left alone.
 */
import { ManualScheduler } from "@framewire/test-support";
import { afterEach, beforeEach, expect, it } from "vitest";
import { SipUserAgent } from "../src/sip/sip-user-agent.js";
import { T1, T2 } from "../src/sip/timers.js";
import { DialogScript, FakeNetwork, FakePeer, testSdp } from "./fake-sip-network.js";

const UA = { host: "127.0.0.1", port: 5060 };
const PEER = { host: "127.0.0.1", port: 5070 };

let clock: ManualScheduler;
let network: FakeNetwork;
let peer: FakePeer;
let ua: SipUserAgent;

beforeEach(async () => {
  clock = new ManualScheduler();
  network = new FakeNetwork();
  peer = new FakePeer(network, PEER, () => clock.now());
  ua = new SipUserAgent({ socketFactory: network.socketFactory, scheduler: clock });
  await ua.start(UA);
});

afterEach(async () => {
  await ua.stop();
  expect(clock.pending).toBe(0);
});

it("Timer A runs on the injected scheduler: INVITE at 0, T1, 3·T1, 7·T1", () => {
  ua.call(`sip:bob@${PEER.host}:${PEER.port}`, testSdp(UA.host, 20000));
  expect(peer.requests("INVITE")).toHaveLength(1);
  clock.advance(7 * T1);
  expect(peer.requests("INVITE").map((m) => m.at)).toEqual([0, T1, 3 * T1, 7 * T1]);
});

it("Timer G and the answer timeout run on the injected scheduler", () => {
  const script = new DialogScript(PEER, UA);
  ua.incomingCalls$.subscribe(() => {});
  peer.send(script.request("INVITE", { body: testSdp(PEER.host, 30000) }), UA);
  clock.advance(60_000); // answerTimeoutMs default: 480
  expect(peer.responses(480).map((m) => m.at)).toEqual([60_000]);
  clock.advance(T1 + T1 * 2 + T2);
  expect(peer.responses(480).map((m) => m.at)).toEqual([
    60_000,
    60_000 + T1,
    60_000 + 3 * T1,
    60_000 + 7 * T1,
  ]);
});
