import { afterEach, describe, expect, it } from "vitest";
import { rng, stream } from "../../test/gen.js";
import { until } from "../../test/until.js";
import type { VideoFrame } from "../video-frame.js";
import type { VideoChunk, VideoSession } from "./media-backend.js";
import { RtpVideoBackend } from "./rtp-video-backend.js";

const backends: RtpVideoBackend[] = [];
afterEach(() => {
  for (const b of backends.splice(0)) b.close();
});

function udpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "UDPWrap").length;
}

const local = { videoLocalAddr: ["127.0.0.1", 0], localAddr: ["127.0.0.1", 0] } as const;

/** pair connects a session of backend A to a session of backend B over 127.0.0.1. */
async function pair() {
  const b = new RtpVideoBackend({ ...local, videoRemoteAddr: ["127.0.0.1", 9] });
  const a = new RtpVideoBackend(local);
  backends.push(a, b);
  const sb = await b.connect("room-1", "bob");
  const sa = await a.connect("room-1", "alice", "video", {
    videoRemoteAddr: ["127.0.0.1", sb.video.localPort],
    remoteAddr: ["127.0.0.1", sb.audio.localPort],
  });
  return { a, b, sa, sb };
}

describe("RtpVideoBackend (seed 001: RTPVideoBackend)", () => {
  it("connect() without a video remote address throws NO_VIDEO_REMOTE_ADDR before opening a socket", async () => {
    await until(() => udpHandles() === 0);
    const before = udpHandles();
    const backend = new RtpVideoBackend(local);
    await expect(backend.connect("r", "p")).rejects.toMatchObject({ code: "NO_VIDEO_REMOTE_ADDR" });
    expect(udpHandles()).toBe(before);
  });

  it("one connect() makes an audio and a video session under one id; metadata overrides the remote", async () => {
    const { a, sa } = await pair();
    expect(a.getVideoSession(sa.id)).toBe(sa);
    expect(a.listVideoSessions("room-1")).toEqual([sa]);
    expect(a.listVideoSessions("room-2")).toEqual([]);
    expect(sa.video.remoteAddr?.[1]).not.toBe(9);
    expect(sa.video.localPort).not.toBe(sa.audio.localPort);
    expect(sa).toMatchObject({
      roomId: "room-1",
      participantId: "alice",
      channelId: "video",
      state: "active",
    });
  });

  it("frames sent with sendVideo (bytes and async chunks) arrive through onVideoReceived", async () => {
    const { a, b, sa } = await pair();
    const got: VideoFrame[] = [];
    const sessions = new Set<VideoSession>();
    b.onVideoReceived((s, f) => {
      sessions.add(s);
      got.push(f);
    });
    const aus = stream(6, 3, () => 2000, rng(5));
    await a.sendVideo(sa, aus[0]!);
    async function* chunks(): AsyncIterable<VideoChunk> {
      for (let i = 1; i < aus.length; i++)
        yield { data: aus[i]!, keyframe: i % 3 === 0, timestampMs: i * 40 };
    }
    expect(await a.sendVideo(sa, chunks())).toBeGreaterThan(5);
    await until(() => got.length === 6);
    expect(got.map((f) => Buffer.compare(f.data, aus[got.indexOf(f)]!))).toEqual(Array(6).fill(0));
    expect(got.slice(2).map((f) => f.timestampMs - got[1]!.timestampMs)).toEqual([
      40, 80, 120, 160,
    ]);
    expect([...sessions].map((s) => s.participantId)).toEqual(["bob"]);
  });

  it("requestKeyframe() sends a PLI that the sender sees on keyframeRequests$", async () => {
    const { a, b, sa, sb } = await pair();
    const kinds: string[] = [];
    sa.keyframeRequests$.subscribe((r) => kinds.push(r.kind));
    await a.sendVideo(sa, stream(1, 1, () => 500, rng(1))[0]!);
    await until(() => b.videoStats(sb)?.frames === 1);
    b.requestKeyframe(sb);
    await until(() => kinds.length === 1);
    expect(kinds).toEqual(["pli"]);
  });

  it("audio flows on the same session; a throwing callback is counted and does not break delivery", async () => {
    const { a, b, sa } = await pair();
    let frames = 0;
    b.onAudioReceived(() => {
      frames++;
      throw new Error("user bug");
    });
    for (let i = 0; i < 5; i++) a.sendAudio(sa, { data: new Uint8Array(160).fill(0xff) });
    await until(() => frames === 5);
    expect(b.callbackErrors).toBe(5);
  });

  it("disconnect() closes both sessions' sockets and fires onClientDisconnected exactly once", async () => {
    await until(() => udpHandles() === 0); // sockets of earlier tests finish closing
    const before = 0;
    const { a, sa } = await pair();
    const ended: string[] = [];
    a.onClientDisconnected((s) => ended.push(s.id));
    a.disconnect(sa);
    a.disconnect(sa);
    a.disconnect(sa.id);
    expect(ended).toEqual([sa.id]);
    expect(a.getVideoSession(sa.id)).toBeUndefined();
    expect(() => a.sendVideoSync(sa, new Uint8Array([0, 0, 1, 0x65, 1]))).toThrow(
      expect.objectContaining({ code: "SESSION_CLOSED" }),
    );
    for (const b of backends.splice(0)) b.close();
    await until(() => udpHandles() === before);
  });
});

describe("RtpVideoBackend source latching options", () => {
  it("metadata.videoExpectedSource / expectedSource, probationPackets and localPortRange reach the sessions", async () => {
    const { createSocket } = await import("node:dgram");
    const forger = createSocket("udp4");
    await new Promise<void>((r) => forger.bind(0, "127.0.0.1", () => r()));
    try {
      const backend = new RtpVideoBackend({
        ...local,
        probationPackets: 2,
        latchTimeoutMs: 60_000,
        localPortRange: [43000, 43999],
      });
      backends.push(backend);
      const s = await backend.connect("room-1", "carol", "video", {
        videoRemoteAddr: ["127.0.0.1", 9],
        videoExpectedSource: ["127.0.0.1", 9],
        remoteAddr: ["127.0.0.1", 11],
        expectedSource: ["127.0.0.1", 11],
      });
      for (const port of [s.video.localPort, s.audio.localPort]) {
        expect(port % 2).toBe(0);
        expect(port).toBeGreaterThanOrEqual(43000);
        expect(port).toBeLessThan(43999);
      }
      // a forged stream in sequence: refused while the expected source counts as live
      for (let i = 0; i < 10; i++) {
        const d = new Uint8Array(12 + 3);
        d.set([0x80, 0, 0, i, 0, 0, 0, 0, 0, 0, 0x0b, 0xad, 0xff, 0xff, 0xff]);
        forger.send(d, s.audio.localPort, "127.0.0.1");
        d[1] = 96;
        forger.send(d, s.video.localPort, "127.0.0.1");
      }
      await until(() => s.video.transport.datagrams >= 10 && s.audio.transport.datagrams >= 10);
      expect(backend.videoStats(s)).toMatchObject({
        foreignSource: 10,
        sourceChanges: 0,
        packets: 0,
      });
      expect(s.audio.stats()).toMatchObject({ foreignSource: 10, sourceChanges: 0, packets: 0 });
      expect(backend.audioStats(s)).toMatchObject({ foreignSource: 10, packets: 0 });
      expect(s.video.latchedSource).toEqual(["127.0.0.1", 9]);
      expect(s.audio.latchedSource).toEqual(["127.0.0.1", 11]);
    } finally {
      forger.close();
    }
  });
  it("videoPacketPort is the session's video (cut-through seam), none once ended; assembleVideo: false skips assembly", async () => {
    const b = new RtpVideoBackend({ ...local, assembleVideo: false });
    const a = new RtpVideoBackend(local);
    backends.push(a, b);
    const sb = await b.connect("room-1", "bob", "video", { videoRemoteAddr: ["127.0.0.1", 9] });
    const sa = await a.connect("room-1", "alice", "video", {
      videoRemoteAddr: ["127.0.0.1", sb.video.localPort],
      remoteAddr: ["127.0.0.1", sb.audio.localPort],
    });
    expect(b.videoPacketPort(sb)).toBe(sb.video);
    const packets: number[] = [];
    b.videoPacketPort(sb)!.onPacket((p) => packets.push(p.sequenceNumber));
    const frames: VideoFrame[] = [];
    b.onVideoReceived((_s, f) => frames.push(f));
    const idr = Uint8Array.of(0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00);
    for (let i = 0; i < 5; i++)
      a.sendVideoSync(sa, { data: idr, keyframe: true, timestampMs: i * 33 });
    await until(() => packets.length >= 5);
    expect(frames).toEqual([]);
    b.disconnect(sb);
    expect(b.videoPacketPort(sb)).toBeUndefined();
  });
});
