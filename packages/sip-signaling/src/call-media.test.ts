// CallMediaAllocator: the RTP media of a SIP call. Audio is the call; when the video RTP session
// cannot be set up (no pair, a socket error, at allocation or when re-opened after the
// negotiation), the media goes on without video and says why.
import { createSocket, type Socket } from "node:dgram";
import { ManualScheduler } from "@framewire/test-support";
import { freeUdpPorts } from "@framewire/test-support/peers";
import { afterEach, describe, expect, it } from "vitest";
import { resolveBackendOptions } from "./backend-options.js";
import { type CallMedia, CallMediaAllocator, routeOf } from "./call-media.js";
import { negotiateAnswer } from "./sdp/negotiate-answer.js";
import { H264_MODE_1_FMTP, h264Offer } from "./testing/h264-offer.js";

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const OFFER = h264Offer();

async function allocator(pairs: number) {
  const start = await freeUdpPorts(2 * pairs);
  const a = new CallMediaAllocator(
    resolveBackendOptions({
      localRtpIp: "127.0.0.1",
      rtpPortStart: start,
      rtpPortEnd: start + 2 * pairs,
    }),
  );
  return { a, start };
}

function keep(a: CallMediaAllocator, media: CallMedia): CallMedia {
  cleanups.push(() => a.release(media));
  return media;
}

/** hold binds `port` on 127.0.0.1 as another process would (retrying while a close settles). */
async function hold(port: number): Promise<Socket> {
  for (let attempt = 0; ; attempt++) {
    const socket = createSocket("udp4");
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once("error", reject);
        socket.bind({ address: "127.0.0.1", port, exclusive: true }, () => resolve());
      });
      cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
      return socket;
    } catch (e) {
      socket.close();
      if (attempt > 50) throw e;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

describe("CallMediaAllocator", () => {
  it("allocate: an audio and a video pair; with one pair only, audio and videoError", async () => {
    const two = await allocator(2);
    const m = keep(two.a, await two.a.allocate(true));
    // the two pairs of the range, drawn in a random order (port-pool.ts)
    expect([m.audioPort, m.videoPort].sort()).toEqual([two.start, two.start + 2]);
    expect(m.videoError).toBeUndefined();
    const one = await allocator(1);
    const n = keep(one.a, await one.a.allocate(true));
    expect(n.video).toBeUndefined();
    expect(n.videoError).toMatch(/PORTS_EXHAUSTED/);
    expect(one.a.localOptions(n).videoPort).toBe(0);
    expect(one.a.offerOptions(n).withVideo).toBe(false);
    expect(one.a.portsInUse).toBe(1);
  });

  it("open: when the video session cannot be re-opened on its port, audio is open and video is dropped, port back", async () => {
    const { a } = await allocator(2);
    const media = keep(a, await a.allocate(true));
    const answer = negotiateAnswer(OFFER, a.localOptions(media));
    expect(answer.video).toBeDefined();
    const audioPort = media.audioPort;
    // the placeholder lets go of its port and another process takes it before the re-open
    media.video?.close();
    await hold(media.videoPort!);
    const open = await a.open(answer, media);
    expect(open.audio.localPort).toBe(audioPort);
    expect(open.video).toBeUndefined();
    expect(open.videoPort).toBeUndefined();
    expect(open.videoError).toMatch(/PORT_UNAVAILABLE|bind/i);
    expect(a.portsInUse).toBe(1);
    // answered again for this media, video is refused with port 0 (RFC 3264 §6)
    expect(negotiateAnswer(OFFER, a.localOptions(open)).sdp).toMatch(/^m=video 0 /m);
  });

  it("videoCutThrough: packets go on as they are unless out-of-band parameter sets (source) or packetization-mode 0 (target)", async () => {
    const { a } = await allocator(6);
    const sprop = "sprop-parameter-sets=Z0LAH9oCgL/lwEQAAAMABAAAAwDyPGDKgA==,aM48gA==";
    const cases = [
      [H264_MODE_1_FMTP, { source: true, target: true }],
      ["profile-level-id=42e01f", { source: true, target: false }],
      [`${H264_MODE_1_FMTP};${sprop}`, { source: false, target: true }],
    ] as const;
    for (const [fmtp, want] of cases) {
      const media = keep(a, await a.allocate(true));
      expect(media.videoCutThrough).toBeUndefined();
      await a.open(negotiateAnswer(h264Offer(fmtp), a.localOptions(media)), media);
      expect(media.video).toBeDefined();
      expect(media.videoCutThrough, fmtp).toEqual(want);
    }
  });

  it("release gives every port back, twice is harmless", async () => {
    const { a } = await allocator(2);
    const media = await a.allocate(true);
    a.release(media);
    a.release(media);
    expect(a.portsInUse).toBe(0);
  });
});

describe("resolveBackendOptions", () => {
  it("fills in the defaults once (roomkit's where it has them)", () => {
    expect(resolveBackendOptions({})).toMatchObject({
      localSipAddr: ["0.0.0.0", 5060],
      localRtpIp: "127.0.0.1",
      advertisedHost: "127.0.0.1",
      rtpPortStart: 10000,
      rtpPortEnd: 20000,
      videoCodecs: ["H264"],
      audioCodecs: ["PCMU", "PCMA", "telephone-event"],
      maxCalls: 100,
      nack: true,
    });
    expect(resolveBackendOptions({ localRtpIp: "10.0.0.5" }).advertisedHost).toBe("10.0.0.5");
  });

  it.each([-1, 1.5, Number.NaN])("maxCalls %s is refused with BAD_OPTION", (maxCalls) => {
    expect(() => resolveBackendOptions({ maxCalls })).toThrow(
      expect.objectContaining({ code: "BAD_OPTION" }),
    );
  });
});

/** offerFrom is an audio-only PCMU offer from 127.0.0.1:`port` with extra audio attributes. */
function offerFrom(port: number, ...attributes: string[]): string {
  const lines = [
    "v=0",
    "o=- 1 1 IN IP4 127.0.0.1",
    "s=-",
    "c=IN IP4 127.0.0.1",
    "t=0 0",
    `m=audio ${port} RTP/AVP 0`,
    "a=rtpmap:0 PCMU/8000",
    ...attributes,
  ];
  return `${lines.join("\r\n")}\r\n`;
}

/** pcmu is one RTP packet of PCMU (PT 0) with `seq`, SSRC 0x1234. */
function pcmu(seq: number): Uint8Array {
  const p = new Uint8Array(12 + 160).fill(0xff);
  p.set([0x80, 0x00, (seq >> 8) & 0xff, seq & 0xff, 0, 0, 0, seq & 0xff, 0, 0, 0x12, 0x34]);
  return p;
}

/** bound binds a UDP socket on 127.0.0.1 (any port), closed at cleanup. */
async function bound(): Promise<Socket> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
  cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return socket;
}

async function sendFrom(socket: Socket, to: number, datagram: Uint8Array): Promise<void> {
  await new Promise<void>((resolve) => socket.send(datagram, to, "127.0.0.1", () => resolve()));
}

/** settle lets the loopback deliver what was sent (real sockets, virtual session time). */
async function settle(until: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !until(); i++) await new Promise((r) => setTimeout(r, 5));
}

describe("routeOf: the SDP's addresses as the streams' expected sources", () => {
  const negotiated = (sdp: string) =>
    negotiateAnswer(sdp, {
      audioCodecs: ["PCMU"],
      videoCodecs: ["H264"],
      address: "127.0.0.1",
      audioPort: 40000,
      videoPort: 0,
      sessionId: 1,
      sessionVersion: 1,
    }).audio;

  it("sendrecv: expected RTP from c=/m=, RTCP from port + 1, symmetric", () => {
    const r = routeOf(negotiated(offerFrom(20000)));
    expect(r).toMatchObject({
      send: ["127.0.0.1", 20000],
      expected: ["127.0.0.1", 20000],
      expectedRtcp: ["127.0.0.1", 20001],
      symmetric: true,
    });
  });

  it("a=rtcp (RFC 3605) and rtcp-mux (RFC 5761) say where RTCP comes from", () => {
    expect(
      routeOf(negotiated(offerFrom(20000, "a=rtcp:20011 IN IP4 127.0.0.2"))).expectedRtcp,
    ).toEqual(["127.0.0.2", 20011]);
    expect(routeOf(negotiated(offerFrom(20000, "a=rtcp-mux"))).expectedRtcp).toEqual([
      "127.0.0.1",
      20000,
    ]);
  });

  it("a receive-only remote (a=recvonly: we only send) gets symmetric false, sent to its address", () => {
    const r = routeOf(negotiated(offerFrom(20000, "a=recvonly")));
    expect(r).toMatchObject({ send: ["127.0.0.1", 20000], symmetric: false });
  });

  it("a remote that only sends (a=sendonly) keeps latching; on hold (c=0.0.0.0) nothing is expected", () => {
    expect(routeOf(negotiated(offerFrom(20000, "a=sendonly")))).toMatchObject({
      send: null,
      expected: ["127.0.0.1", 20000],
      symmetric: true,
    });
    const held = routeOf(
      negotiated(offerFrom(20000).replace("c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0")),
    );
    expect(held).toMatchObject({ send: null, expected: null, symmetric: true });
  });
});

describe("CallMediaAllocator: strict latching from the SDP", () => {
  it("the signalled source is accepted at once, another port is refused while it is live, a re-INVITE that changes nothing keeps the latch", async () => {
    const clock = new ManualScheduler(1_000_000);
    const start = await freeUdpPorts(4);
    const a = new CallMediaAllocator(
      resolveBackendOptions({
        localRtpIp: "127.0.0.1",
        rtpPortStart: start,
        rtpPortEnd: start + 4,
        scheduler: clock,
      }),
    );
    const signalled = await bound();
    const nat = await bound();
    const media = keep(a, await a.allocate(false));
    const sdp = offerFrom(signalled.address().port);
    const n = negotiateAnswer(sdp, a.localOptions(media));
    const open = await a.open(n, media);
    const frames: number[] = [];
    open.audio.frames$.subscribe((f) => frames.push(f.data.length));
    const port = open.audio.localPort;

    // another port first: foreign while the signalled source counts as live (latchTimeoutMs)
    for (let s = 1; s <= 6; s++) await sendFrom(nat, port, pcmu(s));
    await settle(() => open.audio.transport.foreignSource >= 6);
    expect(open.audio.transport.foreignSource).toBe(6);
    expect(frames).toHaveLength(0);
    // the signalled address is accepted at once
    await sendFrom(signalled, port, pcmu(100));
    await settle(() => frames.length >= 1);
    expect(frames).toHaveLength(1);
    expect(open.audio.latchedSource).toEqual(["127.0.0.1", signalled.address().port]);

    // the signalled source silent for longer than latchTimeoutMs (2 s): the NAT port passes
    // probation (4 packets in sequence) and is latched, as for SIPp's pcap replay or a NAT
    clock.advance(2_500);
    for (let s = 10; s < 16; s++) await sendFrom(nat, port, pcmu(s));
    await settle(() => frames.length >= 7);
    expect(open.audio.latchedSource).toEqual(["127.0.0.1", nat.address().port]);

    // the same SDP again (a session refresh): nothing reset, the latched port stays
    a.retarget(open, negotiateAnswer(sdp, a.localOptions(open)));
    expect(open.audio.latchedSource).toEqual(["127.0.0.1", nat.address().port]);
    // a new address in a re-INVITE: the new signalled source is expected
    const moved = await bound();
    a.retarget(open, negotiateAnswer(offerFrom(moved.address().port), a.localOptions(open)));
    expect(open.audio.latchedSource).toEqual(["127.0.0.1", moved.address().port]);
    expect(open.audio.remoteAddr).toEqual(["127.0.0.1", moved.address().port]);
  });

  it("a receive-only remote: sent to the signalled address, packets from elsewhere never latched", async () => {
    const clock = new ManualScheduler(1_000_000);
    const start = await freeUdpPorts(2);
    const a = new CallMediaAllocator(
      resolveBackendOptions({
        localRtpIp: "127.0.0.1",
        rtpPortStart: start,
        rtpPortEnd: start + 2,
        scheduler: clock,
      }),
    );
    const signalled = await bound();
    const other = await bound();
    const media = keep(a, await a.allocate(false));
    const open = await a.open(
      negotiateAnswer(offerFrom(signalled.address().port, "a=recvonly"), a.localOptions(media)),
      media,
    );
    clock.advance(10_000);
    for (let s = 1; s <= 8; s++) await sendFrom(other, open.audio.localPort, pcmu(s));
    await settle(() => open.audio.transport.foreignSource >= 8);
    expect(open.audio.transport.foreignSource).toBe(8);
    expect(open.audio.remoteAddr).toEqual(["127.0.0.1", signalled.address().port]);
    expect(open.audio.latchedSource).toEqual(["127.0.0.1", signalled.address().port]);
  });
});
