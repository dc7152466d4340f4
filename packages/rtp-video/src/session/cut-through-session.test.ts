import { createSocket, type Socket } from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { rng, stream } from "../../test/gen.js";
import { until } from "../../test/until.js";
import { RtpRewriter } from "../forward/rtp-rewriter.js";
import { H264Packetizer } from "../h264/h264-packetizer.js";
import { serializeRtcp } from "../rtcp/serialize.js";
import type { RtcpPacket } from "../rtcp/types.js";
import { type RtpPacket, tryParseRtpPacket } from "../rtp/rtp-packet.js";
import { RtpPacketizer } from "../rtp/rtp-packetizer.js";
import type { VideoFrame } from "../video-frame.js";
import type { RtpSessionBase } from "./rtp-session.js";
import {
  type KeyframeRequest,
  VideoRtpSession,
  type VideoSessionOptions,
} from "./video-session.js";

const open: RtpSessionBase[] = [];
const sockets: Socket[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
  for (const s of sockets.splice(0)) s.close();
});

async function session(options: VideoSessionOptions = {}): Promise<VideoRtpSession> {
  const s = await VideoRtpSession.open({ localAddr: ["127.0.0.1", 0], ...options });
  open.push(s);
  return s;
}

/** rawPeer is a plain socket pair standing for B's remote: it records what B sends. */
async function rawPeer() {
  const rtp = createSocket("udp4");
  const rtcp = createSocket("udp4");
  sockets.push(rtp, rtcp);
  const got: Uint8Array[] = [];
  rtp.on("message", (m) => got.push(new Uint8Array(m)));
  const base = 30000 + Math.floor(Math.random() * 10000) * 2;
  for (let p = base; ; p += 2) {
    try {
      await new Promise<void>((res, rej) => {
        rtp.once("error", rej);
        rtp.bind(p, "127.0.0.1", () => res());
      });
      await new Promise<void>((res, rej) => {
        rtcp.once("error", rej);
        rtcp.bind(p + 1, "127.0.0.1", () => res());
      });
      return { rtp, rtcp, port: p, got };
    } catch {
      // taken: try the next pair
    }
  }
}

function header(d: Uint8Array): RtpPacket {
  const p = tryParseRtpPacket(d);
  if (typeof p === "string") throw new Error(p);
  return p;
}

/** cutThrough wires A's packets through a rewriter to B. */
function cutThrough(a: VideoRtpSession, b: VideoRtpSession): RtpRewriter {
  const rewriter = new RtpRewriter({ ssrc: b.ssrc, payloadType: b.payloadType, codec: b.codec });
  a.onPacket((packet, datagram) => {
    const out = rewriter.rewrite(packet, datagram);
    if (out !== undefined) b.forwardPacket(out);
  });
  return rewriter;
}

describe("cut-through: VideoRtpSession.onPacket → RtpRewriter → forwardPacket", () => {
  it("forwards every packet as it arrives; frames$ of A works beside it; the receiver of B gets the frames whole with B's SR", async () => {
    const r = await session({ rtcpIntervalMs: 50 });
    const b = await session({ remoteAddr: ["127.0.0.1", r.localPort], rtcpIntervalMs: 50 });
    const a = await session();
    const s = await session({ remoteAddr: ["127.0.0.1", a.localPort] });
    const rewriter = cutThrough(a, b);
    const atA: VideoFrame[] = [];
    const atR: VideoFrame[] = [];
    const rtcpAtR: RtcpPacket[] = [];
    a.frames$.subscribe((f) => atA.push(f));
    r.frames$.subscribe((f) => atR.push(f));
    r.rtcp$.subscribe((p) => rtcpAtR.push(p));
    const aus = stream(20, 10, (i) => (i % 10 === 0 ? 9000 : 2500), rng(5));
    for (let i = 0; i < aus.length; i++)
      s.sendFrame({ data: aus[i]!, keyframe: i % 10 === 0, timestampMs: i * 33 });
    await until(() => atR.length === 20 && atA.length === 20);
    expect(atR.map((f, i) => Buffer.compare(f.data, aus[i]!))).toEqual(Array(20).fill(0));
    expect(atR.map((f) => f.keyframe)).toEqual(aus.map((_, i) => i % 10 === 0));
    const sent = s.stats().sent.packets;
    expect(rewriter.stats).toMatchObject({ forwarded: sent, gated: 0, switches: 1 });
    expect(b.stats().sent).toMatchObject({ packets: sent, frames: 20 });
    expect(r.stats()).toMatchObject({ packets: sent, lost: 0, frames: 20 });
    await until(() => rtcpAtR.some((p) => p.type === "sr" && p.ssrc === b.ssrc));
    const sr = rtcpAtR.find((p) => p.type === "sr" && p.ssrc === b.ssrc);
    expect(sr).toMatchObject({ packetCount: sent });
  });

  it("the first packet of a frame is out before the frame's last packet is in (cut-through latency)", async () => {
    const peer = await rawPeer();
    const b = await session({ remoteAddr: ["127.0.0.1", peer.port], symmetric: false });
    const a = await session({ assemble: false });
    cutThrough(a, b);
    const rtp = new RtpPacketizer({
      packetizer: new H264Packetizer({ mtu: 1200 }),
      payloadType: 96,
      ssrc: 5,
    });
    const datagrams = rtp.packetizeFrame(stream(1, 1, () => 12_000, rng(10))[0]!, 0);
    expect(datagrams.length).toBeGreaterThanOrEqual(10);
    const sender = createSocket("udp4");
    sockets.push(sender);
    let outBeforeLastIn = -1;
    for (let i = 0; i < datagrams.length; i++) {
      if (i === datagrams.length - 1) {
        // wait (bounded) for the frame's first packet to come out of B, then send its last one
        await until(() => peer.got.length > 0, 2000);
        outBeforeLastIn = peer.got.length;
      }
      await new Promise<void>((r) =>
        sender.send(datagrams[i]!, a.localPort, "127.0.0.1", () => r()),
      );
      await new Promise((r) => setTimeout(r, 2));
    }
    await until(() => peer.got.length === datagrams.length);
    // (the probation holds the first 4 packets until the 4th; each after that goes on at once)
    expect(outBeforeLastIn).toBeGreaterThanOrEqual(1);
    expect(header(peer.got.at(-1)!).marker).toBe(true);
  });

  it("assemble: false: packets still come out (and are NACK-tracked), frames$ stays silent", async () => {
    const a = await session({ assemble: false });
    const s = await session({ remoteAddr: ["127.0.0.1", a.localPort] });
    const packets: number[] = [];
    const viaObservable: number[] = [];
    const frames: VideoFrame[] = [];
    a.onPacket((p) => packets.push(p.sequenceNumber));
    a.packets$.subscribe(({ packet }) => viaObservable.push(packet.sequenceNumber));
    a.frames$.subscribe((f) => frames.push(f));
    const aus = stream(5, 5, () => 4000, rng(6));
    for (let i = 0; i < aus.length; i++)
      s.sendFrame({ data: aus[i]!, keyframe: i === 0, timestampMs: i * 33 });
    const sent = s.stats().sent.packets;
    await until(() => packets.length === sent);
    expect(viaObservable).toEqual(packets);
    expect(frames).toEqual([]);
    expect(a.stats()).toMatchObject({ packets: 0, frames: 0 });
  });

  it("a listener removed gets nothing more, the others go on", async () => {
    const a = await session();
    const s = await session({ remoteAddr: ["127.0.0.1", a.localPort] });
    let first = 0;
    let second = 0;
    const off = a.onPacket(() => first++);
    a.onPacket(() => second++);
    const aus = stream(2, 2, () => 500, rng(7));
    s.sendFrame({ data: aus[0]!, keyframe: true, timestampMs: 0 });
    await until(() => second === 1);
    off();
    s.sendFrame({ data: aus[1]!, keyframe: false, timestampMs: 33 });
    await until(() => second === 2);
    expect(first).toBe(1);
  });

  it("NACKs B receives for forwarded packets are answered from B's history; PLI comes out as a keyframe request", async () => {
    const peer = await rawPeer();
    const b = await session({ remoteAddr: ["127.0.0.1", peer.port], symmetric: false });
    const a = await session();
    const s = await session({ remoteAddr: ["127.0.0.1", a.localPort] });
    cutThrough(a, b);
    const requests: KeyframeRequest[] = [];
    b.keyframeRequests$.subscribe((k) => requests.push(k));
    const aus = stream(3, 3, () => 3000, rng(8));
    for (let i = 0; i < aus.length; i++)
      s.sendFrame({ data: aus[i]!, keyframe: i === 0, timestampMs: i * 33 });
    const sent = s.stats().sent.packets;
    await until(() => peer.got.length === sent);
    const heads = peer.got.map(header);
    expect(new Set(heads.map((h) => h.ssrc))).toEqual(new Set([b.ssrc]));
    const asked = [heads[1]!.sequenceNumber, heads[3]!.sequenceNumber];
    const send = (p: RtcpPacket) =>
      peer.rtcp.send(
        serializeRtcp([{ type: "rr", ssrc: 77, reports: [] }, p]),
        b.localPort + 1,
        "127.0.0.1",
      );
    send({ type: "nack", senderSsrc: 77, mediaSsrc: b.ssrc, lost: asked });
    await until(() => peer.got.length === sent + 2);
    expect(peer.got.slice(sent)).toEqual([peer.got[1], peer.got[3]]);
    expect(b.stats().sent).toMatchObject({ retransmitted: 2, retransmitMisses: 0 });
    send({ type: "pli", senderSsrc: 77, mediaSsrc: b.ssrc });
    await until(() => requests.length === 1);
    expect(requests[0]).toEqual({ kind: "pli", senderSsrc: 77 });
  });

  it("with RTX negotiated on B, NACKs for forwarded packets are answered on B's RTX stream", async () => {
    const peer = await rawPeer();
    const b = await session({
      remoteAddr: ["127.0.0.1", peer.port],
      symmetric: false,
      rtxPayloadType: 97,
    });
    const a = await session();
    const s = await session({ remoteAddr: ["127.0.0.1", a.localPort] });
    cutThrough(a, b);
    s.sendFrame({ data: stream(1, 1, () => 5000, rng(9))[0]!, keyframe: true, timestampMs: 0 });
    const sent = s.stats().sent.packets;
    await until(() => peer.got.length === sent);
    const asked = header(peer.got[2]!).sequenceNumber;
    peer.rtcp.send(
      serializeRtcp([
        { type: "rr", ssrc: 77, reports: [] },
        { type: "nack", senderSsrc: 77, mediaSsrc: b.ssrc, lost: [asked] },
      ]),
      b.localPort + 1,
      "127.0.0.1",
    );
    await until(() => peer.got.length === sent + 1);
    const rtx = header(peer.got[sent]!);
    expect(rtx).toMatchObject({ payloadType: 97, ssrc: b.rtxSsrc });
    expect((rtx.payload[0]! << 8) | rtx.payload[1]!).toBe(asked);
    expect(b.stats().sent.rtxPackets).toBe(1);
  });
});
