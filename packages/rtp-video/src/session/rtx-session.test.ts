import { afterEach, describe, expect, it } from "vitest";
import { rng, stream } from "../../test/gen.js";
import { ImpairProxy } from "../../test/impair-proxy.js";
import type { VideoFrame } from "../video-frame.js";
import { VideoRtpSession, type VideoSessionOptions } from "./video-session.js";

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

/** run sends 60 frames at 30 fps from A through a 10 % loss proxy (seeded) to B. */
async function run(a0: VideoSessionOptions, b0: VideoSessionOptions) {
  const b = await VideoRtpSession.open({ localAddr: ["127.0.0.1", 0], rtcpIntervalMs: 200, ...b0 });
  closers.push(() => b.close());
  const proxy = await ImpairProxy.open({
    target: ["127.0.0.1", b.localPort],
    seed: 0x4588,
    impairment: { loss: 0.1 },
  });
  closers.push(() => proxy.close());
  const a = await VideoRtpSession.open({
    localAddr: ["127.0.0.1", 0],
    remoteAddr: ["127.0.0.1", proxy.aPort],
    rtcpIntervalMs: 200,
    ...a0,
  });
  closers.push(() => a.close());
  const got: VideoFrame[] = [];
  b.frames$.subscribe((f) => got.push(f));
  const aus = stream(60, 30, (i) => (i % 30 === 0 ? 20_000 : 3000), rng(9));
  for (let i = 0; i < aus.length; i++) {
    a.sendFrame({ data: aus[i]!, keyframe: i % 30 === 0, timestampMs: (i * 1000) / 30 });
    await new Promise((r) => setTimeout(r, 33));
  }
  // the tail: the last frames' repairs (up to 4 NACK rounds) before the counters are read
  await new Promise((r) => setTimeout(r, 800));
  return { a: a.stats(), b: b.stats(), bTransport: b.transport, got, proxy: proxy.counts };
}

describe("VideoRtpSession with RTX (RFC 4588) over UDP, 10 % loss", () => {
  it("retransmits on its RTX stream and the receiver restores the packets; without RTX on the receiver they are dropped", async () => {
    const r = await run({ rtxPayloadType: 97, rtxSsrc: 0x4588 }, { rtxPayloadType: 97 });
    expect(r.proxy.dropped).toBeGreaterThan(10);
    expect(r.a.sent.rtxPackets).toBeGreaterThan(0);
    expect(r.a.sent.rtxPackets).toBe(r.a.sent.retransmitted);
    expect(r.b.retransmissionsReceived).toBeGreaterThan(0);
    expect(r.b.retransmissionsUseful).toBeGreaterThan(0);
    expect(r.b.recovered).toBeGreaterThan(0);
    expect(r.bTransport.wrongPayloadType).toBe(0);
    expect(r.b.rtxUnassociated).toBe(0);
    // every packet the proxy dropped came back (the first GOP may still be lost when its first
    // packet was: the receiver joined mid-stream, and this sender does not answer PLIs)
    expect(r.b.lost).toBe(0);
    expect(r.got.length).toBeGreaterThanOrEqual(30);

    // the same with a receiver that does not know RTX: what happened before
    const old = await run({ rtxPayloadType: 97 }, {});
    expect(old.a.sent.rtxPackets).toBeGreaterThan(0);
    expect(old.b.lost).toBeGreaterThan(0);
    expect(old.b.retransmissionsUseful).toBe(0);
    // every RTX packet the proxy let through (it drops 10 % of them too)
    expect(old.bTransport.wrongPayloadType).toBeGreaterThan(0);
    expect(old.bTransport.wrongPayloadType).toBeLessThanOrEqual(old.a.sent.rtxPackets);
  });

  it("sendRtx false: accepts RTX but answers NACKs on the media stream (a peer without RTX)", async () => {
    const r = await run({ rtxPayloadType: 97, sendRtx: false }, { rtxPayloadType: 97 });
    expect(r.a.sent.rtxPackets).toBe(0);
    expect(r.a.sent.retransmitted).toBeGreaterThan(0);
    // with RTX negotiated, a NACKed packet on the media stream is taken as a late original
    expect(r.b.recovered).toBeGreaterThan(0);
    // repairs are real time here: on a loaded machine a last repair can miss its frame's
    // deadline, so this allows one such packet of the ~400 sent (without repair: ~40 lost)
    expect(r.b.lost).toBeLessThanOrEqual(1);
  });
});
