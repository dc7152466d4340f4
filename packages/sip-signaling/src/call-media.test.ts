// CallMediaAllocator: the RTP media of a SIP call. Audio is the call; when the video RTP session
// cannot be set up (no pair, a socket error, at allocation or when re-opened after the
// negotiation), the media goes on without video and says why.
import { createSocket, type Socket } from "node:dgram";
import { freeUdpPorts } from "@framewire/test-support/peers";
import { afterEach, describe, expect, it } from "vitest";
import { resolveBackendOptions } from "./backend-options.js";
import { type CallMedia, CallMediaAllocator } from "./call-media.js";
import { negotiateAnswer } from "./sdp/negotiate-answer.js";
import { h264Offer } from "./testing/h264-offer.js";

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
    expect({ audio: m.audioPort, video: m.videoPort, error: m.videoError }).toEqual({
      audio: two.start,
      video: two.start + 2,
      error: undefined,
    });
    const one = await allocator(1);
    const n = keep(one.a, await one.a.allocate(true));
    expect(n.video).toBeUndefined();
    expect(n.videoError).toMatch(/PORTS_EXHAUSTED/);
    expect(one.a.localOptions(n).videoPort).toBe(0);
    expect(one.a.offerOptions(n).withVideo).toBe(false);
    expect(one.a.portsInUse).toBe(1);
  });

  it("open: when the video session cannot be re-opened on its port, audio is open and video is dropped, port back", async () => {
    const { a, start } = await allocator(2);
    const media = keep(a, await a.allocate(true));
    const answer = negotiateAnswer(OFFER, a.localOptions(media));
    expect(answer.video).toBeDefined();
    // the placeholder lets go of its port and another process takes it before the re-open
    media.video?.close();
    await hold(start + 2);
    const open = await a.open(answer, media);
    expect(open.audio.localPort).toBe(start);
    expect(open.video).toBeUndefined();
    expect(open.videoPort).toBeUndefined();
    expect(open.videoError).toMatch(/PORT_UNAVAILABLE|bind/i);
    expect(a.portsInUse).toBe(1);
    // answered again for this media, video is refused with port 0 (RFC 3264 §6)
    expect(negotiateAnswer(OFFER, a.localOptions(open)).sdp).toMatch(/^m=video 0 /m);
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
