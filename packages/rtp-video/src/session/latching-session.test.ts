import { createSocket, type Socket } from "node:dgram";
import { ManualScheduler, prng } from "@framewire/test-support";
import { afterEach, describe, expect, it } from "vitest";
import { until } from "../../test/until.js";
import { serializeRtcp } from "../rtcp/serialize.js";
import { rtpPacketSize, writeRtpHeader } from "../rtp/rtp-packet.js";
import type { Address } from "./udp-pair.js";
import { VideoRtpSession, type VideoSessionOptions } from "./video-session.js";

/**
 * Source latching of a session over UDP on 127.0.0.1, with forged packets from another socket
 * (rtpengine-style strict source, Asterisk strictrtp-style probation), on virtual time.
 */

const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

async function socketAt(host = "127.0.0.1"): Promise<Socket & { addr: Address }> {
  const s = createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, host, () => r()));
  closers.push(() => s.close());
  const addr: Address = [host, s.address().port];
  return Object.assign(s, { addr });
}

async function session(o: VideoSessionOptions = {}): Promise<VideoRtpSession> {
  const s = await VideoRtpSession.open({ localAddr: ["127.0.0.1", 0], ...o });
  closers.unshift(() => s.close());
  return s;
}

/** packet is one RTP datagram carrying a non-IDR H.264 slice (payload type 96). */
function packet(ssrc: number, seq: number, timestamp: number): Uint8Array {
  const payload = Uint8Array.of(0x41, 0x9a, 0x01, 0x02, 0x03);
  const d = new Uint8Array(rtpPacketSize(payload.length));
  writeRtpHeader(d, 0, {
    payloadType: 96,
    sequenceNumber: seq & 0xffff,
    timestamp: timestamp >>> 0,
    ssrc: ssrc >>> 0,
    marker: true,
  });
  d.set(payload, 12);
  return d;
}

/** sendAll sends datagrams to `port` one after another and waits until `s` has read them all. */
async function sendAll(from: Socket, port: number, ds: Uint8Array[], s: VideoRtpSession) {
  const before = s.transport.datagrams;
  for (const d of ds) from.send(d, port, "127.0.0.1");
  await until(() => s.transport.datagrams >= before + ds.length);
}

function randomSsrcFlood(n: number, seed: number): Uint8Array[] {
  const r = prng(seed);
  return Array.from({ length: n }, () =>
    packet(Math.floor(r() * 0x100000000), Math.floor(r() * 0x10000), Math.floor(r() * 2 ** 32)),
  );
}

function sequential(ssrc: number, firstSeq: number, n: number, ts = 90_000): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => packet(ssrc, firstSeq + i, ts));
}

describe("VideoRtpSession source latching (strict source, probation)", () => {
  it("with the SDP's expectedSource: forged floods before the first real packet and during the call never take over; counted apart, lost/jitter untouched", async () => {
    const scheduler = new ManualScheduler(1_000_000);
    const real = await socketAt();
    const forger = await socketAt();
    const s = await session({ scheduler, remoteAddr: real.addr, expectedSource: real.addr });
    // before the first real packet: random SSRCs, then a forged stream in sequence
    await sendAll(forger, s.localPort, randomSsrcFlood(200, 1), s);
    await sendAll(forger, s.localPort, sequential(0xbad, 100, 50), s);
    scheduler.advance(500);
    // the real stream: one SSRC, in sequence, one timestamp (so its own jitter is exactly 0)
    await sendAll(real, s.localPort, sequential(0xcafe, 7, 20), s);
    // during the call: both floods again
    await sendAll(forger, s.localPort, randomSsrcFlood(200, 2), s);
    await sendAll(forger, s.localPort, sequential(0xbad, 150, 50), s);
    await sendAll(real, s.localPort, sequential(0xcafe, 27, 20), s);
    const st = s.stats();
    expect(st.packets).toBe(40);
    expect(st).toMatchObject({ lost: 0, reordered: 0, duplicates: 0, late: 0, jitterMs: 0 });
    expect(s.transport).toMatchObject({ foreignSource: 500, sourceChanges: 0 });
    expect(s.transport.malformedRtp).toEqual({});
    expect(s.latchedSource).toEqual(real.addr);
    expect(s.remoteAddr).toEqual(real.addr);
  });

  it("without an expected source: a flood of random SSRCs before the first real packet never latches; the real stream is learned (every packet delivered)", async () => {
    const scheduler = new ManualScheduler(1_000_000);
    const real = await socketAt();
    const forger = await socketAt();
    const s = await session({ scheduler });
    await sendAll(forger, s.localPort, randomSsrcFlood(300, 3), s);
    expect(s.latchedSource).toBeUndefined();
    scheduler.advance(1000); // the lone-source release does not apply to a flood
    expect(s.latchedSource).toBeUndefined();
    await sendAll(real, s.localPort, sequential(0xcafe, 65530, 12), s); // across the wrap
    expect(s.latchedSource).toEqual(real.addr);
    expect(s.remoteAddr).toEqual(real.addr);
    expect(s.stats()).toMatchObject({ packets: 12, lost: 0, jitterMs: 0 });
    expect(s.transport.foreignSource).toBe(300);
    expect(s.transport.sourceChanges).toBe(0);
  });

  it("re-latches onto a probationed source only after the latched one was silent for latchTimeoutMs", async () => {
    const scheduler = new ManualScheduler(1_000_000);
    const real = await socketAt();
    const moved = await socketAt();
    const s = await session({ scheduler, latchTimeoutMs: 3000 });
    await sendAll(real, s.localPort, sequential(0xcafe, 0, 10), s);
    expect(s.latchedSource).toEqual(real.addr);
    scheduler.advance(2999);
    await sendAll(moved, s.localPort, sequential(0x5eed, 0, 10), s);
    expect(s.latchedSource).toEqual(real.addr);
    expect(s.transport.foreignSource).toBe(10);
    scheduler.advance(1);
    await sendAll(moved, s.localPort, sequential(0x5eed, 10, 4), s);
    expect(s.latchedSource).toEqual(moved.addr);
    expect(s.remoteAddr).toEqual(moved.addr);
    expect(s.transport).toMatchObject({ foreignSource: 10, sourceChanges: 1 });
    expect(s.stats().packets).toBe(14);
  });

  it("a silent latched source is not replaced by random SSRCs or out-of-sequence packets", async () => {
    const scheduler = new ManualScheduler(1_000_000);
    const real = await socketAt();
    const forger = await socketAt();
    const s = await session({ scheduler });
    await sendAll(real, s.localPort, sequential(0xcafe, 0, 10), s);
    scheduler.advance(60_000);
    await sendAll(forger, s.localPort, randomSsrcFlood(200, 4), s);
    const r = prng(5);
    const shuffled = Array.from({ length: 200 }, () =>
      packet(0xbad, Math.floor(r() * 0x10000), 90_000),
    );
    await sendAll(forger, s.localPort, shuffled, s);
    scheduler.advance(1000);
    expect(s.latchedSource).toEqual(real.addr);
    expect(s.transport).toMatchObject({ foreignSource: 400, sourceChanges: 0 });
    expect(s.stats()).toMatchObject({ packets: 10, lost: 0 });
  });

  it("probationPackets is configurable, and bad latching options are refused before binding", async () => {
    const scheduler = new ManualScheduler(1_000_000);
    const real = await socketAt();
    const s = await session({ scheduler, probationPackets: 8 });
    await sendAll(real, s.localPort, sequential(0xcafe, 0, 7), s);
    expect(s.latchedSource).toBeUndefined();
    expect(s.transport.foreignSource).toBe(7); // held on probation, not delivered yet
    await sendAll(real, s.localPort, sequential(0xcafe, 7, 1), s);
    expect(s.latchedSource).toEqual(real.addr);
    expect(s.transport.foreignSource).toBe(0);
    expect(s.stats().packets).toBe(8);
    for (const bad of [
      { probationPackets: 0 },
      { probationPackets: 1.5 },
      { latchTimeoutMs: -1 },
    ]) {
      await expect(
        VideoRtpSession.open({ localAddr: ["127.0.0.1", 0], ...bad }),
      ).rejects.toMatchObject({
        code: "BAD_OPTION",
      });
    }
  });
});

describe("receive-only remotes (symmetric: false) never latch", () => {
  it("a forged stream in sequence to a session that only sends never redirects its video", async () => {
    const scheduler = new ManualScheduler(1_000_000);
    const viewer = await socketAt(); // a receive-only participant: it sends us nothing
    const forger = await socketAt();
    let atViewer = 0;
    let atForger = 0;
    viewer.on("message", () => atViewer++);
    forger.on("message", () => atForger++);
    const s = await session({ scheduler, remoteAddr: viewer.addr, symmetric: false });
    await sendAll(forger, s.localPort, sequential(0xbad, 0, 100), s);
    await sendAll(forger, s.localPort, randomSsrcFlood(100, 6), s);
    scheduler.advance(10_000);
    const au = Uint8Array.of(0, 0, 0, 1, 0x41, 0x9a, 1, 2, 3);
    for (let i = 0; i < 20; i++) s.sendFrame({ data: au, timestampMs: i * 33 });
    await until(() => atViewer >= 20);
    expect(atForger).toBe(0);
    expect(s.remoteAddr).toEqual(viewer.addr);
    expect(s.transport).toMatchObject({ foreignSource: 200, sourceChanges: 0 });
    expect(s.stats()).toMatchObject({ packets: 0, lost: 0 });
    // a re-INVITE makes it send again: latching back on, learning with probation
    s.setSymmetric(true);
    await sendAll(forger, s.localPort, sequential(0xbad, 500, 4), s);
    expect(s.latchedSource).toEqual(forger.addr);
    s.setSymmetric(false);
    expect(s.latchedSource).toEqual(viewer.addr);
  });
});

describe("RTCP follows the same rules", () => {
  it("RTCP from another address is refused unless it names SSRCs an off-path sender cannot know; never while the expected source is live", async () => {
    const scheduler = new ManualScheduler(1_000_000);
    const real = await socketAt();
    const realRtcp = await socketAt();
    const forger = await socketAt();
    const s = await session({ scheduler });
    const rtcp: string[] = [];
    s.rtcp$.subscribe((p) => rtcp.push(p.type));
    const rtcpPort = s.localPort + 1;
    const sendRtcp = async (from: Socket, d: Uint8Array) => {
      const before = s.transport.datagrams;
      from.send(d, rtcpPort, "127.0.0.1");
      await until(() => s.transport.datagrams > before);
    };
    // a forged RR and BYE naming nothing it could know
    await sendRtcp(forger, serializeRtcp([{ type: "rr", ssrc: 0xbad, reports: [] }]));
    await sendRtcp(
      forger,
      serializeRtcp([
        { type: "rr", ssrc: 0xbad, reports: [] },
        { type: "bye", ssrcs: [0xbad] },
      ]),
    );
    expect(rtcp).toEqual([]);
    expect(s.transport.foreignSource).toBe(2);
    // the real sender's RTP, then its RR from its own RTCP socket (its SSRC proves it)
    await sendAll(real, s.localPort, sequential(0xcafe, 0, 5), s);
    await sendRtcp(realRtcp, serializeRtcp([{ type: "rr", ssrc: 0xcafe, reports: [] }]));
    const accepted = rtcp.length;
    expect(rtcp[0]).toBe("rr");
    // the latched RTCP source is live: even a forged report naming the right SSRC is dropped
    await sendRtcp(forger, serializeRtcp([{ type: "rr", ssrc: 0xcafe, reports: [] }]));
    expect(rtcp.length).toBe(accepted);
    expect(s.transport.foreignSource).toBe(3);
    expect(s.transport.rtcpPackets).toBe(1);
  });

  it("an SR that arrives before the first RTP packet (ffmpeg sends one) is delivered once its RTP source is accepted", async () => {
    const scheduler = new ManualScheduler(1_000_000);
    const real = await socketAt();
    const realRtcp = await socketAt();
    const s = await session({ scheduler });
    const rtcp: string[] = [];
    s.rtcp$.subscribe((p) => rtcp.push(p.type));
    const sr = serializeRtcp([
      {
        type: "sr",
        ssrc: 0xcafe,
        ntpTime: { sec: 1, frac: 0 },
        rtpTimestamp: 0,
        packetCount: 0,
        octetCount: 0,
        reports: [],
      },
    ]);
    const before = s.transport.datagrams;
    realRtcp.send(sr, s.localPort + 1, "127.0.0.1");
    await until(() => s.transport.datagrams > before);
    expect(rtcp).toEqual([]);
    expect(s.transport.foreignSource).toBe(1);
    await sendAll(real, s.localPort, sequential(0xcafe, 0, 4), s);
    expect(rtcp[0]).toBe("sr");
    expect(s.transport).toMatchObject({ foreignSource: 0, rtcpPackets: 1 });
  });

  it("with an expected RTCP source, RTCP from elsewhere is dropped before parsing", async () => {
    const scheduler = new ManualScheduler(1_000_000);
    const real = await socketAt();
    const forger = await socketAt();
    const s = await session({
      scheduler,
      expectedSource: real.addr,
      expectedRtcpSource: real.addr,
    });
    const d = serializeRtcp([
      {
        type: "rr",
        ssrc: 1,
        reports: [
          {
            ssrc: s.ssrc,
            fractionLost: 0,
            cumulativeLost: 0,
            highestSequence: 0,
            jitter: 0,
            lastSr: 0,
            delaySinceLastSr: 0,
          },
        ],
      },
    ]);
    const before = s.transport.datagrams;
    forger.send(d, s.localPort + 1, "127.0.0.1");
    real.send(d, s.localPort + 1, "127.0.0.1");
    await until(() => s.transport.datagrams >= before + 2);
    expect(s.transport).toMatchObject({ foreignSource: 1, rtcpPackets: 1 });
    expect(s.transport.malformedRtcp).toEqual({});
  });
});
