import {
  type RtpPacket,
  serializeRtpPacket,
  tryParseRtpPacket,
  type VideoChunk,
} from "@framewire/rtp-video";
import { ManualScheduler } from "@framewire/test-support";
import { describe, expect, it } from "vitest";
import { FakeBackend, FakeSession, FrameSource } from "../test/video-fakes.js";
import { VideoBridge } from "./video-bridge.js";
import type { VideoBridgeEvent, VideoPacketPort, VideoPacketRole } from "./video-bridge-types.js";

const IDR = 0x65;
const NON_IDR = 0x41;

/** FakePort is a session's packet seam: packets the test pushes in, datagrams the bridge forwards out. */
class FakePort implements VideoPacketPort {
  readonly codec = "h264" as const;
  readonly payloadType = 96;
  readonly clockRate = 90000;
  readonly ssrc: number;
  readonly out: RtpPacket[] = [];
  failing = false;
  private listeners: ((packet: RtpPacket, datagram: Uint8Array) => void)[] = [];
  private seq: number;
  private ts: number;

  constructor(ssrc: number, seq = 100, ts = 1000) {
    this.ssrc = ssrc;
    this.seq = seq;
    this.ts = ts;
  }

  onPacket(listener: (packet: RtpPacket, datagram: Uint8Array) => void): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  forwardPacket(datagram: Uint8Array): boolean {
    if (this.failing) return false;
    const p = tryParseRtpPacket(datagram);
    if (typeof p === "string") throw new Error(p);
    this.out.push(p);
    return true;
  }

  /** emit hands one packet to the listeners, as the session would. */
  emit(packet: RtpPacket, datagram: Uint8Array): void {
    for (const l of this.listeners) l(packet, datagram);
  }

  get listening(): number {
    return this.listeners.length;
  }

  /** frame pushes one frame of `packets` packets (an IDR or not), labelled by its first byte. */
  frame(keyframe: boolean, packets = 3, label = 0): void {
    for (const x of this.packetsOf(keyframe, packets, label)) this.emit(x.packet, x.datagram);
  }

  /** packetsOf makes the packets of the next frame (see `frame`) without pushing them. */
  packetsOf(
    keyframe: boolean,
    packets = 3,
    label = 0,
  ): { packet: RtpPacket; datagram: Uint8Array }[] {
    const out: { packet: RtpPacket; datagram: Uint8Array }[] = [];
    for (let i = 0; i < packets; i++) {
      const payload = Uint8Array.of(i === 0 ? (keyframe ? IDR : NON_IDR) : NON_IDR, label, i);
      const d = serializeRtpPacket({
        payloadType: 100,
        sequenceNumber: this.seq++ & 0xffff,
        timestamp: this.ts,
        ssrc: this.ssrc + 1,
        marker: i === packets - 1,
        payload,
      });
      const p = tryParseRtpPacket(d);
      if (typeof p === "string") throw new Error(p);
      out.push({ packet: p, datagram: d });
    }
    this.ts += 2970; // 33 ms, as FrameSource's frames
    return out;
  }
}

/** PacketBackend is a FakeBackend with the packet seam (a port per session). */
class PacketBackend extends FakeBackend {
  readonly ports = new Map<string, FakePort>();
  /** notSource: sessions whose packets may not go on as they are (their frames go the frame path). */
  readonly notSource = new Set<string>();
  override sendVideoSync(session: FakeSession, chunk: VideoChunk): number {
    return super.sendVideoSync(session, chunk);
  }
  videoPacketPort(session: FakeSession, role: VideoPacketRole): VideoPacketPort | undefined {
    if (role === "source" && this.notSource.has(session.id)) return undefined;
    return this.ports.get(session.id);
  }
}

function room(opts: { cutThrough?: boolean; keyframeWaitMs?: number } = {}) {
  const scheduler = new ManualScheduler();
  const bridge = new VideoBridge<FakeSession>({ scheduler, cutThrough: true, ...opts });
  const events: VideoBridgeEvent<FakeSession>[] = [];
  bridge.events$.subscribe((e) => events.push(e));
  const backend = new PacketBackend();
  const s = { A: new FakeSession("A"), B: new FakeSession("B"), C: new FakeSession("C") };
  const port = {
    A: new FakePort(0x1000, 100, 90_000),
    B: new FakePort(0x2000, 65530, 50_000),
    C: new FakePort(0x3000, 7, 4_000_000_000),
  };
  for (const id of ["A", "B", "C"] as const) backend.ports.set(id, port[id]);
  return { scheduler, bridge, events, backend, s, port };
}

const seqs = (p: FakePort) => p.out.map((x) => x.sequenceNumber);
const labels = (p: FakePort) =>
  p.out.map((x) => `${x.payload[0] === IDR ? "K" : "D"}${x.payload[1]}`);

describe("VideoBridge cutThrough", () => {
  it("forwards each packet as it arrives, SSRC/PT of the target, gated until a keyframe start", () => {
    const { bridge, backend, s, port } = room();
    bridge.addSession(s.A, "r", backend);
    bridge.addSession(s.B, "r", backend);
    port.A.frame(false, 2, 1); // no keyframe yet: gated
    expect(port.B.out).toEqual([]);
    expect(backend.keyframeRequests).toContain("A");
    port.A.frame(true, 3, 2);
    expect(port.B.out.map((p) => [p.ssrc, p.payloadType])).toEqual([
      [0x2000, 96],
      [0x2000, 96],
      [0x2000, 96],
    ]);
    port.A.frame(false, 2, 3);
    const got = seqs(port.B);
    expect(got.slice(1).map((q, i) => (q - got[i]!) & 0xffff)).toEqual([1, 1, 1, 1]);
    expect(labels(port.B)).toEqual(["K2", "D2", "D2", "D3", "D3"]);
    expect(port.B.out.map((p) => p.marker)).toEqual([false, false, true, false, true]);
    expect(backend.sent).toEqual([]); // nothing went the frame path
    expect(bridge.getCurrentSource(s.B)).toBe(s.A);
    expect(bridge.stats()).toMatchObject({ packetsCutThrough: 5, framesSent: 2, switches: 1 });
    expect(bridge.getCutThroughStats(s.B)).toEqual({
      packets: 5,
      gated: 2,
      dropped: 0,
      switches: 1,
    });
    // A receives nothing: B sends nothing; a session never receives its own packets
    expect(port.A.out).toEqual([]);
  });

  it("frames of a cut-through pair are not sent again on the frame path; the frame path stays for the rest", () => {
    const { bridge, backend, s, port } = room();
    const plain = new FakeBackend(); // no packet seam
    bridge.addSession(s.A, "r", backend);
    bridge.addSession(s.B, "r", backend);
    bridge.addSession(s.C, "r", plain);
    const forwarded: string[] = [];
    bridge.forwarded$.subscribe((f) =>
      forwarded.push(`${f.target.id}:${f.frame.keyframe ? "K" : "D"}:${f.timestampMs}:${f.cached}`),
    );
    const cam = new FrameSource("A", { startMs: 1000 }); // rtpTimestamp 90000, as port A's
    port.A.frame(true, 2, 1);
    bridge.forward(s.A, cam.key()); // the same frame, assembled beside
    expect(port.B.out).toHaveLength(2);
    expect(backend.sent.filter((x) => x.to === "B")).toEqual([]);
    expect(plain.labels("C")).toEqual(["A:K0"]); // C has no seam: frames
    // forwarded$ reports the frame whose packets went to B, at its outgoing RTP timestamp (ms)
    const outMs = (port.B.out[0]!.timestamp * 1000) / 90000;
    expect(forwarded.filter((f) => f.startsWith("B:"))).toEqual([`B:K:${outMs}:false`]);
    // a frame given by hand, whose packets never came, while A flows to B: the frame path sends it
    bridge.forward(s.A, cam.delta());
    expect(backend.labels("B")).toEqual(["A:D1"]);
    expect(forwarded.filter((f) => f.startsWith("B:"))).toHaveLength(2);
  });

  it("switches source on the speaker change at the new source's keyframe start, sequence and clock running on", () => {
    const { scheduler, bridge, backend, s, port, events } = room();
    bridge.addSession(s.A, "r", backend);
    bridge.addSession(s.B, "r", backend);
    bridge.addSession(s.C, "r", backend);
    port.A.frame(true, 2, 1);
    port.B.frame(true, 2, 2);
    expect(labels(port.C)).toEqual(["K1", "D1"]);
    bridge.setActiveSpeaker("r", "B");
    expect(backend.keyframeRequests.at(-1)).toBe("B");
    scheduler.advance(33);
    port.A.frame(false, 2, 3); // still A until B's keyframe
    port.B.frame(false, 2, 4); // gated
    scheduler.advance(33);
    port.B.frame(true, 2, 5); // the switch
    port.A.frame(false, 2, 6); // dropped
    port.B.frame(false, 1, 7);
    expect(labels(port.C)).toEqual(["K1", "D1", "D3", "D3", "K5", "D5", "D7"]);
    const q = seqs(port.C);
    expect(q.slice(1).map((x, i) => (x - q[i]!) & 0xffff)).toEqual([1, 1, 1, 1, 1, 1]);
    const ts = port.C.out.map((p) => p.timestamp);
    for (let i = 1; i < ts.length; i++)
      expect((ts[i]! - ts[i - 1]!) >>> 0).toBeLessThan(0x80000000);
    expect(new Set(port.C.out.map((p) => p.ssrc))).toEqual(new Set([0x3000]));
    // B (the speaker) keeps A: A's datagrams went to B rewritten in place, to C as copies of them
    expect(labels(port.B)).toEqual(["K1", "D1", "D3", "D3", "D6", "D6"]);
    expect(new Set(port.B.out.map((p) => p.ssrc))).toEqual(new Set([0x2000]));
    const qb = seqs(port.B);
    expect(qb.slice(1).map((x, i) => (x - qb[i]!) & 0xffff)).toEqual([1, 1, 1, 1, 1]);
    expect(bridge.getCurrentSource(s.C)).toBe(s.B);
    const switched = events.filter((e) => e.type === "source-switched" && e.target === s.C);
    expect(switched.map((e) => (e.type === "source-switched" ? e.to.id : ""))).toEqual(["A", "B"]);
    expect(bridge.getCutThroughStats(s.C)).toMatchObject({ switches: 2 });
  });

  it("a late joiner gets the cached keyframe packets at once when no frame followed them", () => {
    const { scheduler, bridge, backend, s, port, events } = room();
    bridge.addSession(s.A, "r", backend);
    bridge.addSession(s.B, "r", backend);
    port.A.frame(true, 3, 1);
    bridge.addSession(s.C, "r", backend);
    expect(labels(port.C)).toEqual(["K1", "D1", "D1"]);
    port.A.frame(false, 1, 2);
    expect(labels(port.C)).toEqual(["K1", "D1", "D1", "D2"]);
    const q = seqs(port.C);
    expect(q.slice(1).map((x, i) => (x - q[i]!) & 0xffff)).toEqual([1, 1, 1]);
    expect(bridge.stats()).toMatchObject({ cachedKeyframesSent: 1 });
    expect(events).toContainEqual(
      expect.objectContaining({ type: "source-switched", target: s.C, cached: true }),
    );
    // a joiner after a delta: the keyframe at once all the same, then its deltas wait for the
    // next keyframe start (as the frame path's gate), which is asked for
    backend.keyframeRequests.length = 0;
    scheduler.advance(600); // past the per-source request interval
    const d = new FakeSession("D");
    const pd = new FakePort(0x4000);
    backend.ports.set("D", pd);
    bridge.addSession(d, "r", backend);
    expect(labels(pd)).toEqual(["K1", "D1", "D1"]);
    expect(backend.keyframeRequests).toContain("A");
    port.A.frame(false, 1, 3);
    expect(labels(pd)).toEqual(["K1", "D1", "D1"]);
    port.A.frame(true, 2, 4);
    expect(labels(pd)).toEqual(["K1", "D1", "D1", "K4", "D4"]);
    const qd = seqs(pd);
    expect(qd.slice(1).map((x, i) => (x - qd[i]!) & 0xffff)).toEqual([1, 1, 1, 1]);
    expect(bridge.stats()).toMatchObject({ cachedKeyframesSent: 2 });
  });

  it("a joiner while a frame is coming in: the cached keyframe, then the next keyframe start (no gap)", () => {
    const { bridge, backend, s, port } = room();
    bridge.addSession(s.A, "r", backend);
    bridge.addSession(s.B, "r", backend);
    port.A.frame(true, 2, 1);
    const next = port.A.packetsOf(false, 3, 2);
    for (const x of next.slice(0, 2)) port.A.emit(x.packet, x.datagram);
    bridge.addSession(s.C, "r", backend); // mid-frame
    for (const x of next.slice(2)) port.A.emit(x.packet, x.datagram);
    expect(labels(port.C)).toEqual(["K1", "D1"]); // the keyframe, not the rest of frame 2
    port.A.frame(false, 1, 3);
    port.A.frame(true, 1, 4);
    expect(labels(port.C)).toEqual(["K1", "D1", "K4"]);
    const q = seqs(port.C);
    expect(q.slice(1).map((x, i) => (x - q[i]!) & 0xffff)).toEqual([1, 1]);
    expect(labels(port.B)).toEqual(["K1", "D1", "D2", "D2", "D2", "D3", "K4"]);
  });

  it("a PLI from a cut-through target is relayed to its source", () => {
    const { scheduler, bridge, backend, s, port } = room();
    bridge.addSession(s.A, "r", backend);
    bridge.addSession(s.B, "r", backend);
    port.A.frame(true, 1, 1);
    backend.keyframeRequests.length = 0;
    scheduler.advance(600); // past the per-source request interval
    s.B.pli();
    expect(backend.keyframeRequests).toEqual(["A"]);
    expect(bridge.stats()).toMatchObject({ pliReceived: 1, pliRelayed: 1 });
  });

  it("falls back to frames while a filter is set, and gates again at a keyframe start when it goes", () => {
    const { bridge, backend, s, port } = room();
    bridge.addSession(s.A, "r", backend);
    bridge.addSession(s.B, "r", backend);
    const cam = new FrameSource("A", { startMs: 1000 }); // the frames of port A's packets
    port.A.frame(true, 1, 1);
    bridge.forward(s.A, cam.key());
    bridge.setFrameFilter((_s, f) => f);
    port.A.frame(false, 1, 2);
    bridge.forward(s.A, cam.delta());
    expect(backend.labels("B")).toEqual(["A:D1"]); // the frame path serves B now
    expect(labels(port.B)).toEqual(["K1"]);
    bridge.setFrameFilter(null);
    port.A.frame(false, 1, 3); // broken chain: held until a keyframe start
    port.A.frame(true, 1, 4);
    expect(labels(port.B)).toEqual(["K1", "K4"]);
  });

  it("is off by default; cutThrough: false and a backend without the seam forward frames as before", () => {
    const scheduler = new ManualScheduler();
    expect(new VideoBridge<FakeSession>({ scheduler }).getCutThroughStats).toBeDefined();
    for (const [options, seam] of [
      [{ cutThrough: false }, true],
      [{}, true],
      [{ cutThrough: true }, false],
    ] as const) {
      const bridge = new VideoBridge<FakeSession>({ scheduler, ...options });
      const backend = seam ? new PacketBackend() : new FakeBackend();
      const a = new FakeSession("A");
      const b = new FakeSession("B");
      const pa = new FakePort(1);
      if (backend instanceof PacketBackend) {
        backend.ports.set("A", pa);
        backend.ports.set("B", new FakePort(2));
      }
      bridge.addSession(a, "r", backend);
      bridge.addSession(b, "r", backend);
      expect(pa.listening).toBe(0);
      bridge.forward(a, new FrameSource("A").key());
      expect(backend.labels("B")).toEqual(["A:K0"]);
      expect(bridge.getCutThroughStats(b)).toBeUndefined();
    }
    const bridge = new VideoBridge<FakeSession>({ scheduler, cutThrough: true });
    const backend = new PacketBackend();
    backend.ports.set("A", new FakePort(1));
    backend.ports.set("B", new FakePort(2));
    bridge.addSession(new FakeSession("A"), "r", backend);
    bridge.addSession(new FakeSession("B"), "r", backend);
    expect(backend.ports.get("A")!.listening).toBe(1); // asked for: cut-through
    expect(() => new VideoBridge({ cutThrough: "yes" as unknown as boolean })).toThrow(
      /BAD_OPTION/,
    );
  });

  it("a session the backend refuses as a source sends frames; it still takes packets as a target", () => {
    const { bridge, backend, s, port } = room();
    backend.notSource.add("A");
    bridge.addSession(s.A, "r", backend);
    bridge.addSession(s.B, "r", backend);
    expect(port.A.listening).toBe(0);
    bridge.forward(s.A, new FrameSource("A").key());
    expect(backend.labels("B")).toEqual(["A:K0"]);
    port.B.frame(true, 2, 1);
    expect(labels(port.A)).toEqual(["K1", "D1"]);
  });

  it("a source whose packets never came (frames handed to forward) stays on the frame path", () => {
    const { bridge, backend, s } = room();
    bridge.addSession(s.A, "r", backend);
    bridge.addSession(s.B, "r", backend);
    const cam = new FrameSource("A");
    bridge.forward(s.A, cam.key());
    bridge.forward(s.A, cam.delta());
    expect(backend.labels("B")).toEqual(["A:K0", "A:D1"]);
    bridge.addSession(s.C, "r", backend); // a joiner: the cached keyframe, as frames
    expect(backend.labels("C")).toEqual(["A:K0"]);
  });

  it("stops listening when a session leaves or the bridge closes", () => {
    const { bridge, backend, s, port } = room();
    bridge.addSession(s.A, "r", backend);
    bridge.addSession(s.B, "r", backend);
    expect(port.A.listening).toBe(1);
    bridge.removeSession(s.A);
    expect(port.A.listening).toBe(0);
    bridge.close();
    expect(port.B.listening).toBe(0);
  });

  it("keyframeWaitMs 0 forwards without the gate", () => {
    const { bridge, backend, s, port } = room({ keyframeWaitMs: 0 });
    bridge.addSession(s.A, "r", backend);
    bridge.addSession(s.B, "r", backend);
    port.A.frame(false, 2, 1);
    expect(labels(port.B)).toEqual(["D1", "D1"]);
  });
});
