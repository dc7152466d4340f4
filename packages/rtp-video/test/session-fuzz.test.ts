/**
 * A live VideoRtpSession under a flood of malformed RTP and RTCP datagrams on 127.0.0.1: random
 * bytes, truncated and mutated packets of fixtures/test-rtp.pcap, bad versions, lengths and
 * padding, RTCP with lying length fields, FU-A / STAP-A garbage behind valid headers. The
 * garbage comes from the address the session latched onto (so it reaches the parsers and the
 * depacketizer) and from a foreign socket (which must be dropped at the door), to the RTP port
 * and to the RTCP port. Afterwards the session must still deliver a clean stream, count the
 * garbage, and not have grown its heap. Figures are printed (`[session-fuzz]` lines).
 */
import { createSocket, type Socket } from "node:dgram";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { flushPromises, h264AccessUnits, prng } from "@framewire/test-support";
import { fixture } from "@framewire/test-support/fixtures";
import { sleep, waitUntil } from "@framewire/test-support/peers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  H264Packetizer,
  joinAnnexB,
  parseRtcp,
  type RtcpPacket,
  RtpPacketizer,
  serializeRtcp,
  serializeRtcpPacket,
  splitAnnexB,
  type VideoFrame,
  VideoRtpSession,
  writeRtpHeader,
} from "../src/index.js";
import { bindPair, closePair, type SocketPair } from "./impair-proxy.js";
import { readPcapFile } from "./pcap.js";

const SEED = 0xf0221e;
const TOTAL = 120_000; // datagrams in the flood
const BATCH = 500; // sent back to back, then wait until the session has read them
const FOREIGN_SHARE = 0.25;
const RTCP_SHARE = 0.4;
const LEGIT_SSRC = 0x0badcafe;
const TS_BASE = 900_000;
const HEAP_BOUND = 64 * 1024 * 1024;
const FRAME_GAP_MS = 2; // the clean streams go at ~500 fps: timing is not what is tested

const realRtp = readPcapFile(fixture("test-rtp.pcap")).map((d) => d.payload);
const aus = h264AccessUnits(readFileSync(fixture("test.h264")), { splitAnnexB, joinAnnexB });

/** getGc returns a garbage collector: global.gc, or one exposed through V8 flags. */
function getGc(): (() => void) | undefined {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === "function") return g;
  try {
    setFlagsFromString("--expose-gc");
    const fn = runInNewContext("gc") as unknown;
    return typeof fn === "function" ? (fn as () => void) : undefined;
  } catch {
    return undefined;
  }
}

function heapAfterGc(gc: (() => void) | undefined): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

/** Garbage makes hostile datagrams, deterministically from a seed. */
class Garbage {
  readonly r: () => number;
  /** next sequence number of the legitimate stream (shared with its packetizer). */
  nextSeq = 20_000;
  private readonly rtcpSamples: Uint8Array[];

  constructor(
    seed: number,
    private readonly receiverSsrc: number,
  ) {
    this.r = prng(seed);
    this.rtcpSamples = this.makeRtcpSamples();
  }

  /** sequence is the legitimate stream's SequenceSource: garbage and media share it. */
  readonly sequence = {
    next: (): number => {
      const v = this.nextSeq;
      this.nextSeq = (this.nextSeq + 1) & 0xffff;
      return v;
    },
  };

  private int(n: number): number {
    return Math.floor(this.r() * n);
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }

  private bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }

  private realCopy(): Uint8Array {
    return new Uint8Array(this.pick(realRtp));
  }

  /** header writes a valid RTP header (legit SSRC, next shared sequence number) + body. */
  private withHeader(body: Uint8Array, opts: { ssrc?: number; seq?: number; pt?: number } = {}) {
    const out = new Uint8Array(12 + body.length);
    writeRtpHeader(out, 0, {
      payloadType: opts.pt ?? 96,
      sequenceNumber: opts.seq ?? this.sequence.next(),
      // garbage timestamps stay below the clean stream's (which starts at TS_BASE + 3000·1000)
      timestamp: TS_BASE + this.int(3000 * 200),
      ssrc: opts.ssrc ?? LEGIT_SSRC,
      marker: this.r() < 0.3,
    });
    out.set(body, 12);
    return out;
  }

  /** rtp returns datagrams for the RTP port (usually one). */
  rtp(): Uint8Array[] {
    switch (this.int(18)) {
      case 0: // random bytes, sometimes none at all
        return [this.bytes(this.r() < 0.05 ? 0 : this.int(1500))];
      case 1: // a real packet cut short (often inside the header)
        return [this.realCopy().subarray(0, this.int(40))];
      case 2: {
        // bit flips anywhere
        const c = this.realCopy();
        for (let k = 0; k < 1 + this.int(8); k++) c[this.int(c.length)]! ^= 1 << this.int(8);
        return [c];
      }
      case 3: {
        // bad version
        const c = this.realCopy();
        c[0] = (c[0]! & 0x3f) | (this.pick([0, 1, 3]) << 6);
        return [c];
      }
      case 4: {
        // padding: count 0, or larger than the payload
        const c = this.realCopy();
        c[0]! |= 0x20;
        c[c.length - 1] = this.r() < 0.5 ? 0 : 255;
        return [this.r() < 0.3 ? c.subarray(0, 13) : c];
      }
      case 5: {
        // CSRC count or extension length running past the end
        const c = this.realCopy().subarray(0, 12 + this.int(40));
        if (this.r() < 0.5) c[0] = (c[0]! & 0xf0) | 15;
        else {
          c[0]! |= 0x10;
          if (c.length >= 16) {
            c[14] = 0xff;
            c[15] = 0xff;
          }
        }
        return [c];
      }
      case 6: {
        // FU-A garbage: random FU header (S/E/R bits, type), random body
        const body = this.bytes(2 + this.int(1200));
        body[0] = this.pick([0x7c, 0x5c, 0x3c, 0x1c, 0xfc]);
        return [this.withHeader(body)];
      }
      case 7: {
        // STAP-A with NALU sizes that lie (past the end, zero, one byte short)
        const body = this.bytes(1 + this.int(300));
        body[0] = 0x78;
        if (body.length > 3) {
          const size = this.pick([0, 0xffff, body.length, body.length - 2, 1]);
          body[1] = size >> 8;
          body[2] = size & 0xff;
          if (this.r() < 0.3) body[3] = this.pick([0x67, 0x68, 0x65, 0x78, 0x7c, 0x00]);
        }
        return [this.withHeader(body)];
      }
      case 8: {
        // reserved and interleaved-mode NAL types, forbidden bit, or an SPS of random bytes
        const body = this.bytes(1 + this.int(200));
        body[0] = this.pick([0x00, 0x19, 0x1a, 0x1b, 0x1d, 0x1e, 0x1f, 0x80 | 0x41, 0x67, 0x68]);
        return [this.withHeader(body)];
      }
      case 9: // an unmodified real packet of another stream, out of place
        return [this.realCopy()];
      case 10: // a payload type this session does not take
        return [this.withHeader(this.bytes(this.int(100)), { pt: this.pick([0, 8, 97, 127]) })];
      case 11: {
        // RTCP on the RTP port (no rtcp-mux): reads as RTP with payload type 72..78
        return [this.pick(this.rtcpSamples)];
      }
      case 12: {
        // a new SSRC taking over with two packets in sequence (the latched source may do that)
        const ssrc = (1 + this.int(0xfffffffe)) >>> 0;
        const seq = this.int(0x10000);
        return [
          this.withHeader(this.bytes(this.int(100)), { ssrc, seq }),
          this.withHeader(this.bytes(this.int(100)), { ssrc, seq: (seq + 1) & 0xffff }),
        ];
      }
      case 13: // an old sequence number of the legit stream (duplicate or late)
        return [
          this.withHeader(this.bytes(this.int(300)), {
            seq: (this.nextSeq - 1 - this.int(150)) & 0xffff,
          }),
        ];
      case 14: // a valid header and nothing behind it
        return [this.withHeader(new Uint8Array(0))];
      case 15: {
        // the legit stream skips ahead: a gap to NACK, a gap past the tracker's bound
        // (maxMissing 512), or one past the reorder window (1024)
        const skip = this.pick([1 + this.int(20), 1 + this.int(600), 1025 + this.int(1000)]);
        this.nextSeq = (this.nextSeq + skip) & 0xffff;
        return [this.withHeader(this.bytes(this.int(300)))];
      }
      case 16: // a stray packet of the legit stream with any sequence number at all
        return [this.withHeader(this.bytes(this.int(300)), { seq: this.int(0x10000) })];
      default: {
        // a real payload (single NAL, STAP-A or FU-A) behind a legit header, bit-flipped
        const c = this.realCopy();
        const body = c.subarray(12);
        if (body.length > 0) body[this.int(body.length)]! ^= 1 << this.int(8);
        return [this.withHeader(body)];
      }
    }
  }

  /** rtcp returns a datagram for the RTCP port. */
  rtcp(): Uint8Array {
    const sample = () => new Uint8Array(this.pick(this.rtcpSamples));
    switch (this.int(13)) {
      case 0:
        return this.bytes(this.r() < 0.05 ? 0 : this.int(600));
      case 1: // truncated
        return sample().subarray(0, this.int(60));
      case 2: {
        // bit flips
        const c = sample();
        for (let k = 0; k < 1 + this.int(6); k++) c[this.int(c.length)]! ^= 1 << this.int(8);
        return c;
      }
      case 3: {
        // a length field that lies, in the first or a later sub-packet
        const c = sample();
        const at = this.r() < 0.5 ? 0 : subPacketOffsets(c).at(-1)!;
        const words = this.pick([0, 1, 0xffff, this.int(64)]);
        c[at + 2] = words >> 8;
        c[at + 3] = words & 0xff;
        return c;
      }
      case 4: {
        // bad version (first or later sub-packet)
        const c = sample();
        const at = this.pick(subPacketOffsets(c));
        c[at] = (c[at]! & 0x3f) | (this.pick([0, 1, 3]) << 6);
        return c;
      }
      case 5: {
        // padding: P bit with a count of 0 or more than the body
        const c = sample();
        const offsets = subPacketOffsets(c);
        const at = offsets.at(-1)!;
        c[at]! |= 0x20;
        c[c.length - 1] = this.r() < 0.5 ? 0 : 255;
        return c;
      }
      case 6: {
        // SR/RR whose report count needs more blocks than the length gives
        const c = sample();
        c[0] = (c[0]! & 0xe0) | (1 + this.int(31));
        return c;
      }
      case 7: // SDES: chunks that do not fit, items not terminated, item length past the end
        return rtcpRaw(202, 1 + this.int(3), this.sdesGarbage());
      case 8: // BYE: more sources than fit, a reason length past the end
        return rtcpRaw(
          203,
          this.int(32),
          this.bytes(4 * this.int(4)).map((x, i) => (i === 4 ? 250 : x)),
        );
      case 9: {
        // RTPFB/PSFB with an FCI of the wrong size; APP shorter than SSRC + name
        const pt = this.pick([205, 206, 204]);
        const fmt = pt === 205 ? 1 : pt === 206 ? this.pick([1, 4]) : 0;
        const words = pt === 204 ? this.int(2) : this.pick([0, 1, 3, 4]);
        const body = this.bytes(4 * words);
        if (pt !== 204 && words >= 2) writeU32(body, 4, this.receiverSsrc);
        return rtcpRaw(pt, fmt, body);
      }
      case 10: // valid: feedback and reports the session must take in its stride
        return sample();
      case 11: // RTP on the RTCP port
        return this.realCopy();
      default: {
        // a valid compound followed by junk
        const c = sample();
        const out = new Uint8Array(c.length + 4 + this.int(40));
        out.set(c);
        out.set(this.bytes(out.length - c.length), c.length);
        return out;
      }
    }
  }

  private sdesGarbage(): Uint8Array {
    const body = this.bytes(4 + 4 * this.int(8));
    if (body.length > 6) {
      body[4] = 1; // CNAME
      body[5] = this.pick([0, 200, body.length - 6, body.length]); // item length
    }
    if (this.r() < 0.5) body.fill(1, 6); // never terminated
    return body;
  }

  private makeRtcpSamples(): Uint8Array[] {
    const ssrc = LEGIT_SSRC;
    const block = {
      ssrc: this.receiverSsrc,
      fractionLost: 12,
      cumulativeLost: 34,
      highestSequence: 56789,
      jitter: 90,
      lastSr: 0,
      delaySinceLastSr: 0,
    };
    const rr: RtcpPacket = { type: "rr", ssrc, reports: [block] };
    const sr: RtcpPacket = {
      type: "sr",
      ssrc,
      ntpTime: { sec: 3_900_000_000, frac: 12345 },
      rtpTimestamp: 1234,
      packetCount: 10,
      octetCount: 10_000,
      reports: [block],
    };
    const compound = (ps: RtcpPacket[]) => serializeRtcp(ps, { cname: "fuzz@127.0.0.1" });
    return [
      compound([sr]),
      compound([rr]),
      compound([
        rr,
        { type: "nack", senderSsrc: ssrc, mediaSsrc: this.receiverSsrc, lost: [1, 2, 3, 700] },
      ]),
      compound([rr, { type: "pli", senderSsrc: ssrc, mediaSsrc: this.receiverSsrc }]),
      compound([
        rr,
        {
          type: "fir",
          senderSsrc: ssrc,
          entries: [{ ssrc: this.receiverSsrc, sequenceNumber: 7 }],
        },
      ]),
      compound([rr, { type: "bye", ssrcs: [ssrc, 42], reason: "fuzz" }]),
      compound([
        rr,
        { type: "app", subtype: 3, ssrc, name: "FUZZ", data: new Uint8Array([1, 2, 3, 4]) },
      ]),
      serializeRtcpPacket({ type: "pli", senderSsrc: ssrc, mediaSsrc: 0x1234 }),
    ];
  }
}

/** subPacketOffsets walks a well-formed compound packet's length fields. */
function subPacketOffsets(c: Uint8Array): number[] {
  const out: number[] = [];
  let o = 0;
  while (o + 4 <= c.length) {
    out.push(o);
    o += (((c[o + 2]! << 8) | c[o + 3]!) + 1) * 4;
  }
  return out.length === 0 ? [0] : out;
}

function rtcpRaw(pt: number, count: number, body: Uint8Array): Uint8Array {
  const len = Math.ceil(body.length / 4);
  const out = new Uint8Array(4 + len * 4);
  out[0] = 0x80 | (count & 0x1f);
  out[1] = pt;
  out[2] = len >> 8;
  out[3] = len & 0xff;
  out.set(body, 4);
  return out;
}

function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

function send(socket: Socket, data: Uint8Array, port: number): void {
  socket.send(data, port, "127.0.0.1");
}

describe("VideoRtpSession under a flood of malformed RTP and RTCP", () => {
  let b: VideoRtpSession;
  let legit: SocketPair;
  let foreign: Socket;
  let garbage: Garbage;
  let packetizer: RtpPacketizer;
  const frames: VideoFrame[] = [];
  const errors: unknown[] = [];
  let closedReason: string | undefined;
  let keyframeRequests = 0;
  const gc = getGc();

  /** sendFrames sends access units [from, from + count) with timestamps from frame `t0`. */
  async function sendFrames(from: number, count: number, t0: number): Promise<Uint8Array[]> {
    const sent: Uint8Array[] = [];
    for (let k = 0; k < count; k++) {
      const au = aus.units[(from + k) % aus.units.length]!;
      sent.push(au);
      for (const d of packetizer.packetizeFrame(au, TS_BASE + (t0 + k) * 3000))
        send(legit.rtp, d, b.localPort);
      await sleep(FRAME_GAP_MS);
    }
    return sent;
  }

  beforeAll(async () => {
    b = await VideoRtpSession.open({ localAddr: ["127.0.0.1", 0], rtcpIntervalMs: 200 });
    b.frames$.subscribe({ next: (f) => frames.push(f), error: (e) => errors.push(e) });
    b.keyframeRequests$.subscribe(() => keyframeRequests++);
    b.closed$.subscribe((reason) => {
      closedReason = reason;
    });
    legit = await bindPair();
    foreign = createSocket("udp4");
    await new Promise<void>((resolve) => foreign.bind(0, "127.0.0.1", resolve));
    for (const s of [legit.rtp, legit.rtcp, foreign]) s.on("error", (e) => errors.push(e));
    garbage = new Garbage(SEED, b.ssrc);
    packetizer = new RtpPacketizer({
      packetizer: new H264Packetizer({ mtu: 1200, packetizationMode: 1 }),
      payloadType: 96,
      ssrc: LEGIT_SSRC,
      sequence: garbage.sequence,
    });
  });

  afterAll(async () => {
    b?.close();
    if (legit !== undefined) await closePair(legit);
    await new Promise<void>((resolve) => (foreign ? foreign.close(() => resolve()) : resolve()));
  });

  it("takes ≥ 100 000 hostile datagrams, counts them, keeps its heap, and still delivers a clean stream", async () => {
    // 1. a legitimate stream: B latches onto legit.rtp, then onto legit.rtcp
    const warmup = await sendFrames(0, 30, 0);
    expect(await waitUntil(() => frames.length === 30, 3000, 5)).toBe(true);
    expect(frames.map((f) => Buffer.compare(f.data, warmup[f.sequence]!))).toEqual(
      Array(30).fill(0),
    );
    send(
      legit.rtcp,
      serializeRtcp([{ type: "rr", ssrc: LEGIT_SSRC, reports: [] }]),
      b.localPort + 1,
    );
    expect(await waitUntil(() => b.transport.rtcpPackets === 1, 2000, 5)).toBe(true);
    expect(b.remoteAddr).toEqual(["127.0.0.1", legit.port]);
    const framesBefore = frames.length;
    const statsBefore = b.stats();
    const heapBefore = heapAfterGc(gc);

    // 2. the flood, in batches; after each, wait until the session has read what arrived
    const start = { ...b.transport, datagrams: b.transport.datagrams };
    let sent = 0;
    let sentForeign = 0;
    let sentRtcpPort = 0;
    let slowest = 0;
    const t0 = performance.now();
    while (sent < TOTAL) {
      const batchEnd = Math.min(TOTAL, sent + BATCH);
      while (sent < batchEnd) {
        const fromForeign = garbage.r() < FOREIGN_SHARE;
        const toRtcp = garbage.r() < RTCP_SHARE;
        const datagrams = toRtcp ? [garbage.rtcp()] : garbage.rtp();
        // the latched address of each port: legit.rtp for RTP, legit.rtcp for RTCP
        const socket = fromForeign ? foreign : toRtcp ? legit.rtcp : legit.rtp;
        for (const d of datagrams) {
          send(socket, d, toRtcp ? b.localPort + 1 : b.localPort);
          sent++;
          if (fromForeign) sentForeign++;
          if (toRtcp) sentRtcpPort++;
        }
      }
      const expected = start.datagrams + sent;
      const waitFrom = performance.now();
      let idle = 0;
      let last = b.transport.datagrams;
      while (b.transport.datagrams < expected && idle < 100) {
        await flushPromises();
        if (b.transport.datagrams === last) idle++;
        else {
          idle = 0;
          last = b.transport.datagrams;
        }
      }
      slowest = Math.max(slowest, performance.now() - waitFrom);
    }
    await sleep(50);
    const floodMs = performance.now() - t0;
    const arrived = b.transport.datagrams - start.datagrams;
    const heapAfterFlood = heapAfterGc(gc);

    // 3. the clean stream: the legit source goes on (a keyframe first), every frame arrives whole
    await sleep(400); // let the latency bound settle what the flood left waiting
    const cleanFrom = frames.length;
    const clean = await sendFrames(30, 60, 1000);
    const allArrived = await waitUntil(() => frames.length - cleanFrom >= 60, 4000, 5);
    const cleanFrames = frames.slice(cleanFrom);
    const heapAfter = heapAfterGc(gc);

    const t = b.transport;
    const s = b.stats();
    const drops = b.depacketizerDrops;
    const sum = (o: Readonly<Record<string, number | undefined>>) =>
      Object.values(o).reduce<number>((a, v) => a + (v ?? 0), 0);
    const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
    console.log(
      [
        `[session-fuzz] sent=${sent} (foreign ${sentForeign}, to RTCP port ${sentRtcpPort})`,
        `arrived=${arrived} (${((arrived / sent) * 100).toFixed(2)} %) in ${floodMs.toFixed(0)} ms`,
        `(slowest batch wait ${slowest.toFixed(1)} ms)`,
        `\n  malformedRtp=${JSON.stringify(t.malformedRtp)}`,
        `\n  malformedRtcp=${JSON.stringify(t.malformedRtcp)}`,
        `\n  foreignSource=${t.foreignSource} wrongPayloadType=${t.wrongPayloadType}`,
        `rtcpPackets=${t.rtcpPackets} rtcpSent=${t.rtcpSent} sendErrors=${t.sendErrors}`,
        `\n  depacketizerDrops=${JSON.stringify(Object.fromEntries(Object.entries(drops).filter(([, v]) => v > 0)))}`,
        `\n  B: packets=${s.packets} lost=${s.lost} duplicates=${s.duplicates} late=${s.late}`,
        `frames=${s.frames} (flood ${cleanFrom - framesBefore}) framesDropped=${s.framesDropped}`,
        `nacksSent=${s.nacksSent} keyframeRequestsSent=${s.keyframeRequestsSent}`,
        `keyframeRequestsReceived=${keyframeRequests}`,
        `\n  clean stream after: ${cleanFrames.length}/60 frames`,
        `\n  heap (gc ${gc === undefined ? "unavailable" : "forced"}): before ${mb(heapBefore)} MB,`,
        `after flood ${mb(heapAfterFlood)} MB, at end ${mb(heapAfter)} MB`,
      ].join(" "),
    );

    // nothing blew up
    expect(errors).toEqual([]);
    expect(closedReason).toBeUndefined();
    expect(t.sendErrors).toBe(0);

    // the pacing worked: (nearly) everything was read by the session
    expect(sent).toBeGreaterThanOrEqual(100_000);
    expect(arrived).toBeGreaterThanOrEqual(0.95 * sent);

    // the garbage was counted, by reason
    for (const code of [
      "RTP_TOO_SHORT",
      "RTP_BAD_VERSION",
      "RTP_BAD_PADDING",
      "RTP_BAD_CSRC_COUNT",
      "RTP_BAD_EXTENSION",
    ] as const) {
      expect(t.malformedRtp[code] ?? 0, code).toBeGreaterThan(0);
    }
    for (const code of [
      "RTCP_TOO_SHORT",
      "RTCP_BAD_VERSION",
      "RTCP_BAD_LENGTH",
      "RTCP_BAD_PADDING",
      "RTCP_BAD_COUNT",
      "RTCP_BAD_SDES",
      "RTCP_BAD_BYE",
      "RTCP_BAD_APP",
      "RTCP_BAD_FEEDBACK",
    ] as const) {
      expect(t.malformedRtcp[code] ?? 0, code).toBeGreaterThan(0);
    }
    // every foreign datagram that arrived was dropped at the door, and nothing else was
    expect(t.foreignSource - start.foreignSource).toBeLessThanOrEqual(sentForeign);
    expect(t.foreignSource - start.foreignSource).toBeGreaterThanOrEqual(
      sentForeign - (sent - arrived),
    );
    expect(t.wrongPayloadType).toBeGreaterThan(0);
    for (const reason of ["stap-a-malformed", "reserved-nal-type", "fu-a-without-start"]) {
      expect(drops[reason] ?? 0, reason).toBeGreaterThan(0);
    }
    expect(sum(drops)).toBeGreaterThan(1000);
    // garbage behind valid headers reached the assembler and was accounted for
    expect(s.packets - statsBefore.packets).toBeGreaterThan(10_000);
    expect(s.framesDropped).toBeGreaterThan(0);
    // valid RTCP from the latched source was still acted upon (PLI, FIR)
    expect(keyframeRequests).toBeGreaterThan(0);

    // memory is bounded
    expect(heapAfterFlood - heapBefore).toBeLessThan(HEAP_BOUND);
    expect(heapAfter - heapBefore).toBeLessThan(HEAP_BOUND);

    // and the session still works: every frame of the clean stream, byte for byte, in order
    expect(allArrived).toBe(true);
    expect(cleanFrames.map((f, k) => Buffer.compare(f.data, clean[k]!))).toEqual(Array(60).fill(0));
    expect(cleanFrames[0]!.keyframe).toBe(true);
  }, 30_000);

  /**
   * sendWithLoss sends 10 access units from `from`, withholding packet 1 of the 4th; when B
   * NACKs it, it is retransmitted. Returns whether it was NACKed and whether all 10 frames
   * came out, byte for byte.
   */
  async function sendWithLoss(
    from: number,
    t0: number,
    before?: () => void,
  ): Promise<{ asked: boolean; seq: number; identical: boolean; got: number; nacked: number[] }> {
    const nacked: number[] = [];
    const onRtcp = (m: Buffer) => {
      for (const p of parseRtcp(m).packets)
        if (p.type === "nack" && p.mediaSsrc === LEGIT_SSRC) nacked.push(...p.lost);
    };
    legit.rtcp.on("message", onRtcp);
    try {
      const first = frames.length;
      const sent: Uint8Array[] = [];
      let withheld: Uint8Array | undefined;
      for (let k = 0; k < 10; k++) {
        if (k === 2) before?.();
        const au = aus.units[from + k]!;
        sent.push(au);
        const ds = packetizer.packetizeFrame(au, TS_BASE + (t0 + k) * 3000);
        ds.forEach((d, i) => {
          if (k === 3 && i === 1)
            withheld = d; // "lost" on the way
          else send(legit.rtp, d, b.localPort);
        });
        await sleep(FRAME_GAP_MS);
      }
      const seq = (withheld![2]! << 8) | withheld![3]!;
      const asked = await waitUntil(() => nacked.includes(seq), 300, 5);
      if (asked) send(legit.rtp, withheld!, b.localPort); // the retransmission
      await waitUntil(() => frames.length - first >= 10, 1000, 5);
      const got = frames.slice(first);
      const identical =
        got.length === 10 && got.every((f, k) => Buffer.compare(f.data, sent[k]!) === 0);
      return { asked, seq, identical, got: got.length, nacked: [...new Set(nacked)] };
    } finally {
      legit.rtcp.off("message", onRtcp);
    }
  }

  it("after the flood, a lost packet of the clean stream is still NACKed and repaired", async () => {
    const r = await sendWithLoss(90, 2000); // 90: an IDR, 91..99 P frames
    console.log(`[session-fuzz] after the flood: ${JSON.stringify(r)}`);
    expect(r.asked).toBe(true);
    expect(r.identical).toBe(true);
  });

  it("one stray packet of the latched stream far ahead (ignored by the assembler) does not switch NACK off", async () => {
    const r = await sendWithLoss(120, 3000, () => {
      // same SSRC, sequence number 5000 ahead: beyond maxDropout, so the assembler holds it on
      // probation and drops it when the next packet does not follow it
      const stray = new Uint8Array(12 + 2);
      writeRtpHeader(stray, 0, {
        payloadType: 96,
        sequenceNumber: (garbage.nextSeq + 5000) & 0xffff,
        timestamp: TS_BASE + 3000 * 3001,
        ssrc: LEGIT_SSRC,
        marker: true,
      });
      stray.set([0x41, 0x9a], 12);
      send(legit.rtp, stray, b.localPort);
    });
    console.log(`[session-fuzz] after a stray packet: ${JSON.stringify(r)}`);
    // VideoReceiver must not move its NACK tracking to a packet the assembler did not take
    expect(r.asked).toBe(true);
    expect(r.identical).toBe(true);
  });
});
