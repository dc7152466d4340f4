import { createSocket } from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { rng, stream } from "../../test/gen.js";
import { until } from "../../test/until.js";
import { H264Packetizer } from "../h264/h264-packetizer.js";
import { serializeRtcp } from "../rtcp/serialize.js";
import { RtpPacketizer } from "../rtp/rtp-packetizer.js";
import type { VideoFrame } from "../video-frame.js";
import type { AudioFrame } from "./audio-frame.js";
import { AudioRtpSession } from "./audio-session.js";
import type { RtpSessionBase } from "./rtp-session.js";
import { type KeyframeRequest, VideoRtpSession } from "./video-session.js";

const open: RtpSessionBase[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

async function videoPair(options: Parameters<typeof VideoRtpSession.open>[0] = {}) {
  const b = await VideoRtpSession.open({ localAddr: ["127.0.0.1", 0], ...options });
  const a = await VideoRtpSession.open({
    localAddr: ["127.0.0.1", 0],
    remoteAddr: ["127.0.0.1", b.localPort],
    ...options,
  });
  open.push(a, b);
  return { a, b };
}

describe("VideoRtpSession over UDP on 127.0.0.1", () => {
  it("sends frames one way and gets them back whole, with stats; symmetric RTP answers the sender", async () => {
    const { a, b } = await videoPair({ rtcpIntervalMs: 50 });
    const got: VideoFrame[] = [];
    b.frames$.subscribe((f) => got.push(f));
    const aus = stream(30, 10, (i) => (i % 10 === 0 ? 20_000 : 3000), rng(1));
    for (let i = 0; i < aus.length; i++)
      a.sendFrame({ data: aus[i]!, keyframe: i % 10 === 0, timestampMs: i * 33 });
    await until(() => got.length === 30);
    expect(got.map((f) => Buffer.compare(f.data, aus[got.indexOf(f)]!))).toEqual(Array(30).fill(0));
    expect(got.map((f) => f.timestampMs)).toEqual(got.map((_, i) => i * 33));
    const s = b.stats();
    expect(s).toMatchObject({ frames: 30, keyframes: 3, lost: 0, duplicates: 0 });
    expect(s.packets).toBe(a.stats().sent.packets);
    // b latched onto a's address: its reports reach a, which learns loss, jitter and RTT
    expect(b.remoteAddr).toEqual(["127.0.0.1", a.localPort]);
    await until(() => a.remoteReport?.rttMs !== undefined);
    expect(a.remoteReport).toMatchObject({ fractionLost: 0, cumulativeLost: 0 });
    expect(a.remoteReport!.rttMs!).toBeLessThan(500);
  });

  it("a report whose LSR echoes none of our SRs gives no RTT (a forged one cannot switch NACKs off)", async () => {
    const { a, b } = await videoPair({ rtcpIntervalMs: 50 });
    const got: VideoFrame[] = [];
    b.frames$.subscribe((f) => got.push(f));
    const aus = stream(5, 5, () => 3000, rng(3));
    for (let i = 0; i < aus.length; i++)
      a.sendFrame({ data: aus[i]!, keyframe: i === 0, timestampMs: i * 33 });
    await until(() => got.length === 5);
    // from b's address (so a reads it), an RR about a's stream with an LSR a never sent
    const forged = serializeRtcp([
      {
        type: "rr",
        ssrc: 0x1234,
        reports: [
          {
            ssrc: a.ssrc,
            fractionLost: 0,
            cumulativeLost: 0,
            highestSequence: 1,
            jitter: 0,
            lastSr: 0x00010001,
            delaySinceLastSr: 0,
          },
        ],
      },
    ]);
    // b's own reports echo a's SRs: a knows the RTT
    await until(() => a.remoteReport?.rttMs !== undefined);
    const port = b.localPort;
    b.close();
    const from = createSocket("udp4");
    await new Promise<void>((resolve) => from.bind(port + 1, "127.0.0.1", resolve));
    const rtcpBefore = a.transport.rtcpPackets;
    from.send(forged, a.localPort + 1, "127.0.0.1");
    await until(() => a.transport.rtcpPackets > rtcpBefore);
    from.close();
    expect(a.remoteReport).toMatchObject({ fractionLost: 0, cumulativeLost: 0 });
    expect(a.remoteReport?.rttMs).toBeUndefined();
  });

  it("a PLI or FIR from the receiver reaches the sender's keyframeRequests$ (FIR once per sequence number)", async () => {
    const { a, b } = await videoPair();
    const requests: KeyframeRequest[] = [];
    a.keyframeRequests$.subscribe((r) => requests.push(r));
    const got: VideoFrame[] = [];
    b.frames$.subscribe((f) => got.push(f));
    a.sendFrame({ data: stream(1, 1, () => 500, rng(2))[0]!, keyframe: true, timestampMs: 0 });
    await until(() => got.length === 1);
    b.requestKeyframe("pli");
    b.requestKeyframe("fir");
    await until(() => requests.length === 2);
    expect(requests.map((r) => r.kind).sort()).toEqual(["fir", "pli"]);
    expect(requests.every((r) => r.senderSsrc === b.ssrc)).toBe(true);
    expect(a.stats().keyframeRequestsReceived).toBe(2);
  });

  it("drops and counts RTP injected from another address once latched", async () => {
    const { a, b } = await videoPair();
    const got: VideoFrame[] = [];
    b.frames$.subscribe((f) => got.push(f));
    const aus = stream(5, 5, () => 800, rng(3));
    a.sendFrame({ data: aus[0]!, keyframe: true, timestampMs: 0 });
    await until(() => got.length === 1);
    const intruder = createSocket("udp4");
    await new Promise<void>((r) => intruder.bind(0, "127.0.0.1", () => r()));
    const forged = new RtpPacketizer({
      packetizer: new H264Packetizer(),
      payloadType: 96,
      ssrc: 0xbad,
    });
    for (const d of forged.packetizeFrame(aus[1]!, 1234))
      intruder.send(d, b.localPort, "127.0.0.1");
    intruder.send(new Uint8Array([1, 2, 3]), b.localPort, "127.0.0.1");
    await until(() => b.transport.foreignSource >= 2);
    intruder.close();
    expect(got).toHaveLength(1);
    expect(b.transport.foreignSource).toBe(2); // the forged packet and the garbage, before parsing
    expect(b.transport.malformedRtp).toEqual({});
  });

  it("refuses bad options before binding anything", async () => {
    await expect(VideoRtpSession.open({ payloadType: 200 })).rejects.toMatchObject({
      code: "BAD_OPTION",
    });
    await expect(VideoRtpSession.open({ codec: "av1" as never })).rejects.toMatchObject({
      code: "BAD_OPTION",
    });
    await expect(
      VideoRtpSession.open({ localAddr: ["127.0.0.1", 0], remoteAddr: ["127.0.0.1", 0] }),
    ).rejects.toMatchObject({ code: "BAD_OPTION" });
  });

  it("close() is idempotent, completes the streams and frees both ports", async () => {
    const s = await VideoRtpSession.open({ localAddr: ["127.0.0.1", 0] });
    let completed = false;
    s.frames$.subscribe({ complete: () => (completed = true) });
    const port = s.localPort;
    s.close();
    s.close();
    expect(completed).toBe(true);
    const again = await VideoRtpSession.open({ localAddr: ["127.0.0.1", port] });
    again.close();
  });

  it("carries VP8 with rtcp-mux", async () => {
    const { a, b } = await videoPair({ codec: "vp8", rtcpMux: true, rtcpIntervalMs: 50 });
    const got: VideoFrame[] = [];
    b.frames$.subscribe((f) => got.push(f));
    const key = new Uint8Array(5000).fill(7);
    key.set([0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00]); // keyframe 320x240
    a.sendFrame({ data: key, keyframe: true, timestampMs: 0 });
    await until(() => got.length === 1);
    expect(got[0]).toMatchObject({ codec: "vp8", keyframe: true, width: 320, height: 240 });
    await until(() => a.remoteReport !== undefined);
  });
});

describe("AudioRtpSession: telephone-event", () => {
  it("passes RFC 4733 events through with their own payload type, marker and timestamp", async () => {
    const x = await AudioRtpSession.open({ localAddr: ["127.0.0.1", 0] });
    const y = await AudioRtpSession.open({
      localAddr: ["127.0.0.1", 0],
      remoteAddr: ["127.0.0.1", x.localPort],
    });
    open.push(x, y);
    const got: AudioFrame[] = [];
    x.frames$.subscribe((f) => got.push(f));
    // digit 5, volume 10, durations 160, 320, then end bit (three copies of the end, RFC 4733 §2.5.1.4)
    const event = (duration: number, end: boolean) =>
      Uint8Array.of(5, (end ? 0x80 : 0) | 10, duration >> 8, duration & 0xff);
    y.sendAudio({ data: event(160, false), payloadType: 101, marker: true, rtpTimestamp: 8000 });
    y.sendAudio({ data: event(320, false), payloadType: 101, rtpTimestamp: 8000 });
    for (let i = 0; i < 3; i++)
      y.sendAudio({ data: event(480, true), payloadType: 101, rtpTimestamp: 8000 });
    await until(() => got.length === 5);
    expect(
      got.every(
        (f) => f.codec === "telephone-event" && f.payloadType === 101 && f.rtpTimestamp === 8000,
      ),
    ).toBe(true);
    expect(got.map((f) => f.marker)).toEqual([true, false, false, false, false]);
    expect([...got[4]!.data]).toEqual([5, 0x8a, 0x01, 0xe0]);
  });
});

describe("AudioRtpSession", () => {
  it("PCMU both ways, timestamps advancing by samples, duplicates dropped", async () => {
    const x = await AudioRtpSession.open({ localAddr: ["127.0.0.1", 0] });
    const y = await AudioRtpSession.open({
      localAddr: ["127.0.0.1", 0],
      remoteAddr: ["127.0.0.1", x.localPort],
    });
    open.push(x, y);
    const atX: AudioFrame[] = [];
    const atY: AudioFrame[] = [];
    x.frames$.subscribe((f) => atX.push(f));
    y.frames$.subscribe((f) => atY.push(f));
    for (let i = 0; i < 10; i++) y.sendAudio({ data: new Uint8Array(160).fill(i) });
    await until(() => atX.length === 10);
    for (let i = 0; i < 10; i++) x.sendAudio({ data: new Uint8Array(160).fill(0x7f) });
    await until(() => atY.length === 10);
    expect(atX.map((f) => f.timestampMs)).toEqual(atX.map((_, i) => i * 20));
    expect(atX.every((f) => f.codec === "pcmu" && f.data.length === 160)).toBe(true);
    expect(x.stats()).toMatchObject({ packets: 10, lost: 0, duplicates: 0 });
  });
});
