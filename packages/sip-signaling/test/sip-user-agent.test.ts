/**
 * SipUserAgent behaviour against a scripted peer on an in-memory network (virtual time):
 * call flows, CANCEL, OPTIONS, unsupported methods, any Request-URI user, re-INVITE,
 * received/rport, malformed datagrams, Digest authentication.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { CallState, IncomingCall } from "../src/sip/call-types.js";
import { computeDigestResponse } from "../src/sip/digest-response.js";
import { SipUserAgent } from "../src/sip/sip-user-agent.js";
import type { SipUserAgentOptions } from "../src/sip/sip-user-agent-types.js";
import { T1 } from "../src/sip/timers.js";
import {
  DialogScript,
  FakeNetwork,
  FakePeer,
  parseSip,
  type Received,
  respondTo,
  testSdp,
} from "./fake-sip-network.js";

const UA = { host: "127.0.0.1", port: 5060 };
const PEER = { host: "127.0.0.1", port: 5070 };
const ANSWER = testSdp(UA.host, 20000);

interface Env {
  network: FakeNetwork;
  peer: FakePeer;
  ua: SipUserAgent;
  calls: IncomingCall[];
}

let env: Env | undefined;

async function setup(
  onCall: (call: IncomingCall) => void = () => {},
  options: SipUserAgentOptions = {},
): Promise<Env> {
  vi.useFakeTimers();
  const network = new FakeNetwork();
  const peer = new FakePeer(network, PEER);
  const ua = new SipUserAgent({ socketFactory: network.socketFactory, ...options });
  const calls: IncomingCall[] = [];
  ua.incomingCalls$.subscribe((call) => {
    calls.push(call);
    onCall(call);
  });
  await ua.start(UA);
  env = { network, peer, ua, calls };
  return env;
}

afterEach(async () => {
  if (env !== undefined) {
    await env.ua.stop();
    expect(vi.getTimerCount()).toBe(0);
    expect(env.network.bound).toBe(1); // only the peer is left
    env = undefined;
  }
  vi.useRealTimers();
});

function invite(peer: FakePeer, script: DialogScript, extra: string[] = []): string {
  const branch = script.newBranch();
  peer.send(script.request("INVITE", { branch, body: testSdp(PEER.host, 30000), extra }), UA);
  return branch;
}

describe("incoming calls", () => {
  it("offers the INVITE with SDP, caller, Call-ID; 100 Trying, 180 via progress(), 200 with SDP, ACK → established", async () => {
    const { peer, calls } = await setup();
    const script = new DialogScript(PEER, UA, "demo");
    invite(peer, script);
    expect(peer.responses(100)).toHaveLength(1);
    const call = calls[0]!;
    expect(call.remoteSdp).toBe(testSdp(PEER.host, 30000));
    expect(call.callerUri).toBe(`sip:peer@${PEER.host}:${PEER.port}`);
    expect(call.callerName).toBe("Peer");
    expect(call.callId).toBe(script.callId);
    expect(call.user).toBe("demo");
    const states: CallState[] = [];
    call.state$.subscribe((s) => states.push(s));

    call.progress();
    expect(peer.responses(180)).toHaveLength(1);
    call.accept(ANSWER);
    const ok = peer.responses(200, "INVITE")[0]!;
    expect(ok.body).toBe(ANSWER);
    expect(ok.header("content-type")).toBe("application/sdp");
    expect(ok.header("contact")).toBe(`<sip:framewire@${UA.host}:${UA.port}>`);
    // one Allow, the methods we implement (sip.js's own list is replaced on the way out)
    expect(ok.headers("allow")).toEqual(["INVITE, ACK, BYE, CANCEL, OPTIONS"]);
    // The To tag of 180 and 200 is the same dialog (sip.js picks it; we never pass our own).
    expect(parseTag(ok.header("to"))).toBe(parseTag(peer.responses(180)[0]!.header("to")));

    script.learnToTag(ok);
    peer.send(script.request("ACK"), UA);
    expect(states).toEqual(["offered", "ringing", "answered", "established"]);
    // OPTIONS inside the dialog is answered by sip.js: the same Allow
    peer.send(script.request("OPTIONS", { cseq: 2 }), UA);
    const inDialog = peer.responses(200, "OPTIONS")[0]!;
    expect(inDialog.headers("allow")).toEqual(["INVITE, ACK, BYE, CANCEL, OPTIONS"]);

    const done = call.bye();
    const bye = peer.requests("BYE")[0]!;
    expect(bye.firstLine).toBe(`BYE sip:peer@${PEER.host}:${PEER.port} SIP/2.0`);
    peer.send(respondTo(bye, 200, "OK"), UA);
    await done;
    expect(await call.ended).toEqual({ reason: "local-bye" });
    expect(states.at(-1)).toBe("terminated");
  });

  it("accepts any Request-URI user (the user names the room)", async () => {
    const { peer, calls } = await setup((call) => call.accept(ANSWER));
    for (const user of ["demo", "room-42", "anything"]) {
      invite(peer, new DialogScript(PEER, UA, user));
    }
    expect(calls.map((c) => c.user)).toEqual(["demo", "room-42", "anything"]);
    expect(peer.responses(404)).toHaveLength(0);
    expect(peer.responses(200, "INVITE")).toHaveLength(3);
  });

  it("answers 404 for users acceptUser refuses", async () => {
    const { peer, calls } = await setup(() => {}, { acceptUser: (user) => user === "demo" });
    invite(peer, new DialogScript(PEER, UA, "other"));
    expect(peer.responses(404)).toHaveLength(1);
    expect(calls).toHaveLength(0);
  });

  it("CANCEL before the answer: 200 to the CANCEL, 487 to the INVITE, onCancel", async () => {
    const onCancel = vi.fn();
    const { peer, calls } = await setup((call) => {
      call.onCancel = onCancel;
      call.progress();
    });
    const script = new DialogScript(PEER, UA);
    const branch = invite(peer, script);
    peer.send(script.request("CANCEL", { branch }), UA);
    expect(peer.responses(200, "CANCEL")).toHaveLength(1);
    expect(peer.responses(487, "INVITE")).toHaveLength(1);
    expect(onCancel).toHaveBeenCalledTimes(1);
    expect(calls[0]?.termination).toEqual({ reason: "cancelled", statusCode: 487 });
    // ACK for the 487 is absorbed by the transaction (same branch).
    script.learnToTag(peer.responses(487)[0]!);
    peer.send(script.request("ACK", { branch }), UA);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(peer.responses(487)).toHaveLength(1);
  });

  it("a CANCEL reusing the branch from another sent-by matches nothing (RFC 3261 §17.2.3)", async () => {
    const { peer, calls } = await setup((call) => call.progress());
    const script = new DialogScript(PEER, UA);
    const branch = invite(peer, script);
    const forged = script.request("CANCEL", {
      branch,
      via: `SIP/2.0/UDP 192.0.2.66:5060;branch=${branch};rport`,
    });
    peer.send(forged, UA);
    expect(peer.responses(481, "CANCEL")).toHaveLength(1);
    expect(calls[0]?.state).toBe("ringing");
  });

  it("reject(code) sends the final response and ends the call", async () => {
    const { peer, calls } = await setup((call) => call.reject(603));
    invite(peer, new DialogScript(PEER, UA));
    expect(peer.responses(603)).toHaveLength(1);
    expect(calls[0]?.termination).toEqual({ reason: "rejected", statusCode: 603 });
  });

  it("an unanswered call gets 480 after answerTimeoutMs", async () => {
    const { peer, calls } = await setup(() => {}, { answerTimeoutMs: 5_000 });
    invite(peer, new DialogScript(PEER, UA));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(peer.responses(480)).toHaveLength(1);
    expect(calls[0]?.termination).toEqual({ reason: "answer-timeout", statusCode: 480 });
  });

  it("without a subscriber INVITEs get 480; offerless 488; non-SDP 415", async () => {
    vi.useFakeTimers();
    const network = new FakeNetwork();
    const peer = new FakePeer(network, PEER);
    const ua = new SipUserAgent({ socketFactory: network.socketFactory });
    await ua.start(UA);
    env = { network, peer, ua, calls: [] };
    invite(peer, new DialogScript(PEER, UA));
    expect(peer.responses(480)).toHaveLength(1);
    const sub = ua.incomingCalls$.subscribe(() => {});
    const script = new DialogScript(PEER, UA);
    peer.send(script.request("INVITE"), UA);
    expect(peer.responses(488)).toHaveLength(1);
    const other = new DialogScript(PEER, UA);
    peer.send(
      other.request("INVITE", { body: "hello" }).replace("application/sdp", "text/plain"),
      UA,
    );
    expect(peer.responses(415)).toHaveLength(1);
    expect(peer.responses(415)[0]?.header("accept")).toBe("application/sdp");
    sub.unsubscribe();
  });

  it("bounds calls (maxCalls) and server transactions (maxServerTransactions) with 503", async () => {
    const { peer, calls } = await setup(() => {}, { maxCalls: 2, maxServerTransactions: 3 });
    for (let i = 0; i < 4; i++) invite(peer, new DialogScript(PEER, UA));
    expect(calls).toHaveLength(2);
    // The third INVITE got 503 from the call bound (stateful), the fourth from the
    // transaction bound (stateless): three live server transactions already.
    expect(peer.responses(503)).toHaveLength(2);
    expect(peer.responses(503).every((r) => r.header("retry-after") === "5")).toBe(true);
  });

  it("bye() before the ACK waits for it", async () => {
    const { peer, calls } = await setup((call) => call.accept(ANSWER));
    const script = new DialogScript(PEER, UA);
    invite(peer, script);
    const call = calls[0]!;
    const done = call.bye();
    expect(peer.requests("BYE")).toHaveLength(0);
    script.learnToTag(peer.responses(200, "INVITE")[0]!);
    peer.send(script.request("ACK"), UA);
    expect(peer.requests("BYE")).toHaveLength(1);
    peer.send(respondTo(peer.requests("BYE")[0]!, 200, "OK"), UA);
    await done;
    expect(call.termination).toEqual({ reason: "local-bye" });
  });
});

function parseTag(to: string | undefined): string | undefined {
  return /;tag=([^;\s]+)/.exec(to ?? "")?.[1];
}

describe("re-INVITE (RFC 3261 §14.2)", () => {
  async function established(): Promise<{ env: Env; script: DialogScript; call: IncomingCall }> {
    const e = await setup((call) => call.accept(ANSWER));
    const script = new DialogScript(PEER, UA);
    invite(e.peer, script);
    script.learnToTag(e.peer.responses(200, "INVITE")[0]!);
    e.peer.send(script.request("ACK"), UA);
    // sip.js's 2xx retransmission timer notices the ACK only when it next fires (T1); a
    // re-INVITE accepted before that shares its handle field (SessionDialog.invite2xxTimer)
    // and one of the two is no longer cancelled by dispose(). Let it fire first.
    await vi.advanceTimersByTimeAsync(T1);
    return { env: e, script, call: e.calls[0]! };
  }

  it("gives the new offer to onReinvite and answers 200 with its SDP", async () => {
    const { env: e, script, call } = await established();
    const newOffer = testSdp(PEER.host, 31000, 2);
    call.onReinvite = (reinvite) => {
      expect(reinvite.offerSdp).toBe(newOffer);
      reinvite.accept(testSdp(UA.host, 20000, 2));
    };
    script.cseq = 2;
    e.peer.send(script.request("INVITE", { body: newOffer }), UA);
    const ok = e.peer.responses(200, "INVITE");
    expect(ok).toHaveLength(2);
    expect(ok[1]?.body).toBe(testSdp(UA.host, 20000, 2));
    expect(ok[1]?.header("contact")).toBe(`<sip:framewire@${UA.host}:${UA.port}>`);
    e.peer.send(script.request("ACK"), UA);
    expect(call.remoteSdp).toBe(newOffer);
    expect(call.state).toBe("established");
  });

  it("answers 488 without a handler and keeps the call", async () => {
    const { env: e, script, call } = await established();
    script.cseq = 2;
    const branch = script.newBranch();
    e.peer.send(script.request("INVITE", { branch, body: testSdp(PEER.host, 31000, 2) }), UA);
    expect(e.peer.responses(488)).toHaveLength(1);
    e.peer.send(script.request("ACK", { branch }), UA);
    expect(call.state).toBe("established");
    expect(call.remoteSdp).toBe(testSdp(PEER.host, 30000));
  });

  it("answers 500 when the handler does not answer in time", async () => {
    const { env: e, script, call } = await established();
    call.onReinvite = () => {};
    script.cseq = 2;
    e.peer.send(script.request("INVITE", { body: testSdp(PEER.host, 31000, 2) }), UA);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(e.peer.responses(500)).toHaveLength(1);
  });
});

describe("requests outside calls", () => {
  it("OPTIONS gets 200 with Allow and Accept", async () => {
    const { peer } = await setup();
    const script = new DialogScript(PEER, UA);
    peer.send(script.request("OPTIONS"), UA);
    const ok = peer.responses(200, "OPTIONS")[0]!;
    expect(ok.headers("allow")).toEqual(["INVITE, ACK, BYE, CANCEL, OPTIONS"]);
    expect(ok.header("accept")).toBe("application/sdp");
  });

  it("known unsupported methods get 405, unknown ones 501, both with Allow (RFC 3261 §8.2.1)", async () => {
    const { peer } = await setup();
    for (const method of ["MESSAGE", "REGISTER", "SUBSCRIBE", "FOO"]) {
      peer.send(new DialogScript(PEER, UA).request(method), UA);
    }
    expect(peer.responses(405).map((r) => r.method)).toEqual(["MESSAGE", "REGISTER", "SUBSCRIBE"]);
    expect(peer.responses(501).map((r) => r.method)).toEqual(["FOO"]);
    for (const r of [...peer.responses(405), ...peer.responses(501)]) {
      expect(r.header("allow")).toBe("INVITE, ACK, BYE, CANCEL, OPTIONS");
    }
  });

  it("BYE outside a dialog gets 481", async () => {
    const { peer } = await setup();
    const script = new DialogScript(PEER, UA);
    script.toTag = "nope";
    peer.send(script.request("BYE"), UA);
    expect(peer.responses(481)).toHaveLength(1);
  });
});

describe("transport (RFC 3261 §18, RFC 3581)", () => {
  it("adds received and rport to the top Via and answers to them, not to sent-by", async () => {
    const { peer } = await setup();
    const script = new DialogScript(PEER, UA);
    // sent-by names a host the response must not go to; the datagram came from PEER.
    const via = "SIP/2.0/UDP 192.0.2.9:5999;branch=z9hG4bK-nat;rport";
    peer.send(script.request("OPTIONS", { via }), UA);
    const ok = peer.responses(200, "OPTIONS")[0]!;
    expect(ok.header("via")).toBe(
      `SIP/2.0/UDP 192.0.2.9:5999;branch=z9hG4bK-nat;received=${PEER.host};rport=${PEER.port}`,
    );
  });

  it("answers a malformed request 400 when it can, drops and counts the rest", async () => {
    const { peer, ua } = await setup();
    const script = new DialogScript(PEER, UA);
    // CSeq method differs from the request method.
    peer.send(script.request("INVITE", { cseqMethod: "BYE", body: "v=0\r\n" }), UA);
    // Content-Length larger than the datagram (§18.3).
    peer.send(script.request("OPTIONS").replace("Content-Length: 0", "Content-Length: 99"), UA);
    // A header the grammar rejects.
    peer.send(script.request("OPTIONS").replace(/^From: .*$/m, "From: <<<garbage"), UA);
    expect(peer.responses(400).map((r) => r.firstLine)).toEqual([
      "SIP/2.0 400 CSeq Method Does Not Match",
      "SIP/2.0 400 Content-Length Exceeds Datagram",
      "SIP/2.0 400 Bad Request",
    ]);
    for (const r of peer.responses(400)) expect(r.header("to")).toMatch(/;tag=/);
    // Not SIP, no Call-ID, a malformed ACK, a malformed response: no answer possible.
    peer.send("hello world\r\n\r\n", UA);
    peer.send(script.request("OPTIONS").replace(/^Call-ID: .*\r\n/m, ""), UA);
    peer.send(script.request("ACK", { cseqMethod: "INVITE" }), UA);
    peer.send("SIP/2.0 200 OK\r\nVia: x\r\n\r\n", UA);
    peer.sendRaw(new Uint8Array(70_000).fill(65), UA);
    peer.send("\r\n\r\n", UA);
    expect(peer.inbox).toHaveLength(3);
    expect(ua.stats.transport).toMatchObject({
      badRequests: 3,
      malformed: 4,
      oversize: 1,
      keepalives: 1,
    });
  });

  it("drops responses whose top Via is not ours (§18.1.2)", async () => {
    const { peer, ua } = await setup();
    const stray = parseSip(
      "OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.9.9.9:5060;branch=z9hG4bKzz\r\n" +
        "From: <sip:a@b>;tag=1\r\nTo: <sip:x@127.0.0.1>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n",
    );
    peer.send(respondTo(stray, 200, "OK", { toTag: "t" }), UA);
    expect(ua.stats.transport.misrouted).toBe(1);
  });
});

describe("outgoing calls", () => {
  it("INVITE with SDP, 180, 200 → ACK, answer SDP, then BYE", async () => {
    const { peer, ua } = await setup();
    const offer = testSdp(UA.host, 20000);
    const call = ua.call(`sip:bob@${PEER.host}:${PEER.port}`, offer);
    const states: CallState[] = [];
    call.state$.subscribe((s) => states.push(s));
    const invite = peer.requests("INVITE")[0]!;
    expect(invite.body).toBe(offer);
    expect(invite.header("contact")).toBe(`<sip:framewire@${UA.host}:${UA.port}>`);
    expect(invite.header("via")).toMatch(
      /^SIP\/2\.0\/UDP 127\.0\.0\.1:5060;branch=z9hG4bK\d+;rport$/,
    );
    const contact = `<sip:bob@${PEER.host}:${PEER.port}>`;
    peer.send(respondTo(invite, 100, "Trying"), UA);
    peer.send(respondTo(invite, 180, "Ringing", { toTag: "bt", contact }), UA);
    const answer = testSdp(PEER.host, 30000);
    const ok = respondTo(invite, 200, "OK", { toTag: "bt", contact, body: answer });
    peer.send(ok, UA);
    expect(await call.answer).toBe(answer);
    expect(call.remoteSdp).toBe(answer);
    expect(peer.requests("ACK")).toHaveLength(1);
    // A retransmitted 200 is ACKed again by the transaction.
    peer.send(ok, UA);
    expect(peer.requests("ACK")).toHaveLength(2);

    const done = call.bye();
    peer.send(respondTo(peer.requests("BYE")[0]!, 200, "OK"), UA);
    await done;
    expect(states).toEqual(["calling", "ringing", "established", "terminated"]);
  });

  it("a remote BYE ends it; a second 2xx from another fork is ACKed and BYEd", async () => {
    const { peer, ua } = await setup();
    const call = ua.call(`sip:bob@${PEER.host}:${PEER.port}`, testSdp(UA.host, 20000));
    const invite = peer.requests("INVITE")[0]!;
    const contact = `<sip:bob@${PEER.host}:${PEER.port}>`;
    const body = testSdp(PEER.host, 30000);
    peer.send(respondTo(invite, 200, "OK", { toTag: "f1", contact, body }), UA);
    peer.send(respondTo(invite, 200, "OK", { toTag: "f2", contact, body }), UA);
    expect(peer.requests("ACK")).toHaveLength(2);
    expect(peer.requests("BYE")).toHaveLength(1);
    expect(parseTag(peer.requests("BYE")[0]!.header("to"))).toBe("f2");
    peer.send(respondTo(peer.requests("BYE")[0]!, 200, "OK"), UA);

    const onBye = vi.fn();
    call.onBye = onBye;
    const byeFromPeer = [
      `BYE sip:framewire@${UA.host}:${UA.port} SIP/2.0`,
      `Via: SIP/2.0/UDP ${PEER.host}:${PEER.port};branch=z9hG4bK-pb1`,
      `From: ${invite.header("to")};tag=f1`,
      `To: ${invite.header("from")}`,
      `Call-ID: ${invite.header("call-id")}`,
      "CSeq: 1 BYE",
      "Content-Length: 0",
      "",
      "",
    ].join("\r\n");
    peer.send(byeFromPeer, UA);
    expect(peer.responses(200, "BYE")).toHaveLength(1);
    expect(onBye).toHaveBeenCalledTimes(1);
    expect(call.termination).toEqual({ reason: "remote-bye" });
  });

  it("a 2xx without SDP fails the call (ACK then BYE)", async () => {
    const { peer, ua } = await setup();
    const call = ua.call(`sip:bob@${PEER.host}:${PEER.port}`, testSdp(UA.host, 20000));
    const invite = peer.requests("INVITE")[0]!;
    peer.send(
      respondTo(invite, 200, "OK", { toTag: "n1", contact: `<sip:bob@${PEER.host}:${PEER.port}>` }),
      UA,
    );
    await expect(call.answer).rejects.toMatchObject({ code: "NO_ANSWER_SDP" });
    expect(peer.requests("ACK")).toHaveLength(1);
    expect(peer.requests("BYE")).toHaveLength(1);
    expect(call.termination?.reason).toBe("failed");
  });

  it("rejects bad targets and calls before start", async () => {
    const idle = new SipUserAgent();
    expect(() => idle.call("sip:a@127.0.0.1", "v=0")).toThrow(/NOT_STARTED/);
    const { ua } = await setup();
    expect(() => ua.call("not a uri", "v=0")).toThrow(/INVALID_URI/);
    expect(() => ua.call("sip:a@127.0.0.1;transport=tcp", "v=0")).toThrow(/UNROUTABLE/);
  });

  it("stop() ends calls: BYE for established, CANCEL for ringing, 503 for offered", async () => {
    const { peer, ua, calls } = await setup();
    const out = ua.call(`sip:bob@${PEER.host}:${PEER.port}`, testSdp(UA.host, 20000));
    const invite = peer.requests("INVITE")[0]!;
    peer.send(
      respondTo(invite, 180, "Ringing", {
        toTag: "r1",
        contact: `<sip:bob@${PEER.host}:${PEER.port}>`,
      }),
      UA,
    );
    invite; // incoming, unanswered:
    const script = new DialogScript(PEER, UA);
    peer.send(script.request("INVITE", { body: testSdp(PEER.host, 30000) }), UA);
    await ua.stop();
    expect(peer.requests("CANCEL")).toHaveLength(1);
    expect(peer.responses(503)).toHaveLength(1);
    expect(out.termination).toEqual({ reason: "stopped" });
    expect(calls[0]?.termination).toEqual({ reason: "stopped" });
    await expect(out.answer).rejects.toMatchObject({ code: "CALL_TERMINATED" });
  });
});

describe("Digest authentication of INVITEs (RFC 7616, RFC 8760)", () => {
  const auth = {
    realm: "framewire.test",
    lookup: (user: string) => (user === "alice" ? "s3cret" : undefined),
  };

  function authorization(
    challenge: Received,
    script: DialogScript,
    password: string,
    algorithm: "SHA-256" | "MD5",
    nc = "00000001",
  ): string {
    const header = challenge
      .headers("www-authenticate")
      .find((h) => h.includes(`algorithm=${algorithm}`))!;
    const nonce = /nonce="([^"]+)"/.exec(header)![1]!;
    const opaque = /opaque="([^"]+)"/.exec(header)![1]!;
    const cnonce = "0a4f113b";
    const response = computeDigestResponse({
      algorithm,
      username: "alice",
      realm: auth.realm,
      password,
      method: "INVITE",
      uri: script.requestUri,
      nonce,
      nc,
      cnonce,
      qop: "auth",
    });
    return (
      `Authorization: Digest username="alice", realm="${auth.realm}", nonce="${nonce}", ` +
      `uri="${script.requestUri}", response="${response}", algorithm=${algorithm}, ` +
      `cnonce="${cnonce}", opaque="${opaque}", qop=auth, nc=${nc}`
    );
  }

  async function challenged(e: Env, script: DialogScript): Promise<Received> {
    invite(e.peer, script);
    await vi.advanceTimersByTimeAsync(0);
    return e.peer.responses(401).at(-1)!;
  }

  it("challenges with MD5 then SHA-256 by default (what most phones read first)", async () => {
    const e = await setup((call) => call.accept(ANSWER), { auth });
    const values = (await challenged(e, new DialogScript(PEER, UA))).headers("www-authenticate");
    expect(values).toHaveLength(2);
    expect(values[0]).toMatch(
      /^Digest realm="framewire\.test", nonce="[^"]+", opaque="[^"]+", algorithm=MD5, qop="auth"$/,
    );
    expect(values[1]).toMatch(/algorithm=SHA-256/);
  });

  it("challenges with SHA-256 then MD5; the right answer (either algorithm) proceeds", async () => {
    for (const algorithm of ["SHA-256", "MD5"] as const) {
      const e = await setup((call) => call.accept(ANSWER), {
        auth: { ...auth, algorithms: ["SHA-256", "MD5"] },
      });
      const script = new DialogScript(PEER, UA);
      const challenge = await challenged(e, script);
      const values = challenge.headers("www-authenticate");
      expect(values).toHaveLength(2);
      expect(values[0]).toMatch(
        /^Digest realm="framewire\.test", nonce="[^"]+", opaque="[^"]+", algorithm=SHA-256, qop="auth"$/,
      );
      expect(values[1]).toMatch(/algorithm=MD5/);
      script.cseq = 2;
      invite(e.peer, script, [authorization(challenge, script, "s3cret", algorithm)]);
      await vi.advanceTimersByTimeAsync(0);
      expect(e.calls).toHaveLength(1);
      expect(e.calls[0]?.username).toBe("alice");
      expect(e.peer.responses(200, "INVITE")).toHaveLength(1);
      await e.ua.stop();
      env = undefined;
    }
  });

  it("wrong credentials: 401 once more, then 403", async () => {
    const e = await setup(() => {}, { auth });
    const script = new DialogScript(PEER, UA);
    let challenge = await challenged(e, script);
    script.cseq = 2;
    invite(e.peer, script, [authorization(challenge, script, "wrong", "SHA-256")]);
    await vi.advanceTimersByTimeAsync(0);
    expect(e.peer.responses(401)).toHaveLength(2);
    challenge = e.peer.responses(401)[1]!;
    script.cseq = 3;
    invite(e.peer, script, [authorization(challenge, script, "wrong", "SHA-256")]);
    await vi.advanceTimersByTimeAsync(0);
    expect(e.peer.responses(403)).toHaveLength(1);
    expect(e.calls).toHaveLength(0);
    expect(e.ua.stats).toMatchObject({ authChallenges: 2, authFailures: 1 });
  });

  it("an expired nonce with a right answer gets stale=true and does not count as a failure", async () => {
    const e = await setup((call) => call.accept(ANSWER), { auth: { ...auth, nonceTtlMs: 1_000 } });
    const script = new DialogScript(PEER, UA);
    const challenge = await challenged(e, script);
    await vi.advanceTimersByTimeAsync(2_000);
    script.cseq = 2;
    invite(e.peer, script, [authorization(challenge, script, "s3cret", "MD5")]);
    await vi.advanceTimersByTimeAsync(0);
    const stale = e.peer.responses(401).at(-1)!;
    expect(stale.headers("www-authenticate")[0]).toMatch(/stale=true/);
    script.cseq = 3;
    invite(e.peer, script, [authorization(stale, script, "s3cret", "MD5")]);
    await vi.advanceTimersByTimeAsync(0);
    expect(e.calls).toHaveLength(1);
  });

  it("a CANCEL during the credential lookup gets 487", async () => {
    let release: (p: string) => void = () => {};
    const slow = {
      realm: "framewire.test",
      lookup: () => new Promise<string>((resolve) => (release = resolve)),
    };
    const e = await setup(() => {}, { auth: slow });
    const script = new DialogScript(PEER, UA);
    const challenge = await challenged(e, script);
    script.cseq = 2;
    const branch = script.newBranch();
    e.peer.send(
      script.request("INVITE", {
        branch,
        body: testSdp(PEER.host, 30000),
        extra: [authorization(challenge, script, "s3cret", "SHA-256")],
      }),
      UA,
    );
    await vi.advanceTimersByTimeAsync(0);
    e.peer.send(script.request("CANCEL", { branch, cseq: 2 }), UA);
    expect(e.peer.responses(487)).toHaveLength(1);
    release("s3cret");
    await vi.advanceTimersByTimeAsync(0);
    expect(e.calls).toHaveLength(0);
    expect(e.peer.responses(200, "INVITE")).toHaveLength(0);
  });
});
