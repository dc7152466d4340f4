import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type RtpPacket, tryParseRtpPacket, writeRtpHeader } from "../rtp/rtp-packet.js";
import { RtpRewriter } from "./rtp-rewriter.js";

const IDR_START = Uint8Array.of(0x7c, 0x85, 0xaa); // FU-A, S bit, IDR
const P_SLICE = Uint8Array.of(0x41, 0x9a, 0xbb); // single NAL, non-IDR
const OUT_SSRC = 0xabcdef01;

interface In {
  readonly packet: RtpPacket;
  readonly datagram: Uint8Array;
}

function pkt(seq: number, ts: number, ssrc: number, payload: Uint8Array, marker = false): In {
  const d = new Uint8Array(12 + payload.length);
  writeRtpHeader(d, 0, {
    payloadType: 100,
    sequenceNumber: seq & 0xffff,
    timestamp: ts,
    ssrc,
    marker,
  });
  d.set(payload, 12);
  const p = tryParseRtpPacket(d);
  if (typeof p === "string") throw new Error(p);
  return { packet: p, datagram: d };
}

function header(d: Uint8Array): RtpPacket {
  const p = tryParseRtpPacket(d);
  if (typeof p === "string") throw new Error(p);
  return p;
}

const rewriter = (o: Partial<ConstructorParameters<typeof RtpRewriter>[0]> = {}) =>
  new RtpRewriter({
    ssrc: OUT_SSRC,
    sequenceStart: 1000,
    timestampStart: 5000,
    now: () => 0,
    ...o,
  });

describe("RtpRewriter", () => {
  it("rewrites SSRC, sequence number, timestamp and payload type on a copy; keeps marker and payload", () => {
    const r = rewriter({ payloadType: 96 });
    const a = pkt(40000, 123456, 7, IDR_START, true);
    const out = r.rewrite(a.packet, a.datagram)!;
    expect(out).not.toBe(a.datagram);
    expect(header(a.datagram)).toMatchObject({ sequenceNumber: 40000, ssrc: 7, payloadType: 100 });
    expect(header(out)).toMatchObject({
      sequenceNumber: 1000,
      timestamp: 5000,
      ssrc: OUT_SSRC,
      payloadType: 96,
      marker: true,
    });
    expect(header(out).payload).toEqual(IDR_START);
    const b = pkt(40001, 126456, 7, P_SLICE);
    const inPlace = r.rewrite(b.packet, b.datagram, 0, true)!;
    expect(inPlace).toBe(b.datagram);
    expect(header(inPlace)).toMatchObject({ sequenceNumber: 1001, timestamp: 8000, marker: false });
    expect(r.stats).toEqual({ forwarded: 2, gated: 0, switches: 1, dropped: 0 });
  });

  it("gates until a keyframe's first packet, then forwards from it", () => {
    const r = rewriter();
    const got = [
      pkt(10, 0, 7, P_SLICE),
      pkt(11, 0, 7, P_SLICE, true),
      pkt(12, 3000, 7, IDR_START),
      pkt(13, 3000, 7, P_SLICE, true),
    ].map((p) => r.rewrite(p.packet, p.datagram));
    expect(got.map((d) => (d === undefined ? undefined : header(d).sequenceNumber))).toEqual([
      undefined,
      undefined,
      1000,
      1001,
    ]);
    expect(r.stats).toMatchObject({ forwarded: 2, gated: 2, switches: 1 });
    expect(r.source).toBe(0);
  });

  it("forwards everything without the gate", () => {
    const r = rewriter({ keyframeGate: false });
    const p = pkt(10, 0, 7, P_SLICE);
    expect(r.rewrite(p.packet, p.datagram)).toBeDefined();
  });

  it("drops a packet older than the one its source was switched in at", () => {
    const r = rewriter();
    const k = pkt(100, 0, 7, IDR_START);
    const late = pkt(99, 0, 7, P_SLICE);
    expect(r.rewrite(k.packet, k.datagram)).toBeDefined();
    expect(r.rewrite(late.packet, late.datagram)).toBeUndefined();
    expect(r.stats.dropped).toBe(1);
  });

  it("switches source only at the new source's keyframe start, sequence and clock running on", () => {
    let now = 0;
    const r = rewriter({ now: () => now });
    const seqs: number[] = [];
    const tss: number[] = [];
    const push = (p: In, source: number) => {
      const d = r.rewrite(p.packet, p.datagram, source);
      if (d === undefined) return false;
      const h = header(d);
      seqs.push(h.sequenceNumber);
      tss.push(h.timestamp);
      return true;
    };
    expect(push(pkt(65534, 90000, 1, IDR_START), 1)).toBe(true);
    expect(push(pkt(65535, 90000, 1, P_SLICE, true), 1)).toBe(true);
    r.select(2);
    expect(r.pendingSource).toBe(2);
    now = 33;
    expect(push(pkt(0, 93000, 1, P_SLICE, true), 1)).toBe(true); // still source 1
    expect(push(pkt(500, 7, 2, P_SLICE, true), 2)).toBe(false); // gated
    now = 66;
    expect(push(pkt(501, 3007, 2, IDR_START), 2)).toBe(true); // the switch
    expect(push(pkt(1, 96000, 1, P_SLICE), 1)).toBe(false); // old source: dropped
    expect(push(pkt(502, 3007, 2, P_SLICE, true), 2)).toBe(true);
    expect(seqs).toEqual([1000, 1001, 1002, 1003, 1004]);
    // 33 ms after the newest frame of source 1: 2970 ticks on
    expect(tss).toEqual([5000, 5000, 8000, 8000 + 2970, 8000 + 2970]);
    expect(r.stats).toEqual({ forwarded: 5, gated: 1, switches: 2, dropped: 1 });
    expect(r.source).toBe(2);
    expect(r.pendingSource).toBeUndefined();
  });

  it("a new SSRC on the same source is a switch at its keyframe start", () => {
    const r = rewriter();
    const a = pkt(10, 0, 7, IDR_START);
    const b = pkt(9000, 50, 8, P_SLICE);
    const c = pkt(9001, 50, 8, IDR_START);
    r.rewrite(a.packet, a.datagram);
    expect(r.rewrite(b.packet, b.datagram)).toBeUndefined();
    expect(header(r.rewrite(c.packet, c.datagram)!).sequenceNumber).toBe(1001);
    expect(r.stats).toMatchObject({ forwarded: 2, gated: 1, switches: 2 });
  });

  it("refuses a bad SSRC or payload type (BAD_OPTION)", () => {
    expect(() => new RtpRewriter({ ssrc: -1 })).toThrow(
      expect.objectContaining({ code: "BAD_OPTION" }),
    );
    expect(() => new RtpRewriter({ ssrc: 1, payloadType: 128 })).toThrow(
      expect.objectContaining({ code: "BAD_OPTION" }),
    );
  });
});

describe("RtpRewriter properties", () => {
  const u16 = fc.integer({ min: 0, max: 0xffff });
  const u32 = fc.integer({ min: 0, max: 0xffffffff });

  it("in order, across any wrap: consecutive numbers from sequenceStart, one timestamp offset", () => {
    fc.assert(
      fc.property(
        u16,
        u16,
        u32,
        u32,
        fc.integer({ min: 1, max: 3000 }),
        (inSeq, outSeq, inTs, outTs, n) => {
          const r = rewriter({ sequenceStart: outSeq, timestampStart: outTs });
          for (let i = 0; i < n; i++) {
            const ts = (inTs + Math.floor(i / 7) * 3000) >>> 0;
            const p = pkt(inSeq + i, ts, 42, i === 0 ? IDR_START : P_SLICE, i % 7 === 6);
            const h = header(r.rewrite(p.packet, p.datagram)!);
            if (h.sequenceNumber !== ((outSeq + i) & 0xffff)) return false;
            if (h.timestamp !== (outTs + ts - inTs) >>> 0) return false;
            if (h.ssrc !== OUT_SSRC) return false;
          }
          return r.stats.forwarded === n && r.nextSequenceNumber === ((outSeq + n) & 0xffff);
        },
      ),
    );
  });

  it("reordered (after the keyframe start): each packet gets the number it would have had in order", () => {
    fc.assert(
      fc.property(
        u16,
        u16,
        fc
          .integer({ min: 2, max: 400 })
          .chain((n) =>
            fc.tuple(
              fc.constant(n),
              fc.shuffledSubarray([...Array(n - 1).keys()], { minLength: n - 1 }),
            ),
          ),
        (inSeq, outSeq, [n, order]) => {
          const r = rewriter({ sequenceStart: outSeq });
          const first = pkt(inSeq, 0, 9, IDR_START);
          if (header(r.rewrite(first.packet, first.datagram)!).sequenceNumber !== outSeq)
            return false;
          for (const k of order) {
            const i = k + 1;
            const p = pkt(inSeq + i, 0, 9, P_SLICE);
            const h = header(r.rewrite(p.packet, p.datagram)!);
            if (h.sequenceNumber !== ((outSeq + i) & 0xffff)) return false;
          }
          return r.stats.forwarded === n && r.nextSequenceNumber === ((outSeq + n) & 0xffff);
        },
      ),
    );
  });

  it("switching between sources at keyframes: no sequence gap or repeat, the clock never goes back", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            source: fc.integer({ min: 0, max: 2 }),
            frames: fc.integer({ min: 1, max: 5 }),
          }),
          {
            minLength: 1,
            maxLength: 12,
          },
        ),
        fc.array(u16, { minLength: 3, maxLength: 3 }),
        fc.array(u32, { minLength: 3, maxLength: 3 }),
        (segments, seqBase, tsBase) => {
          let now = 0;
          const r = rewriter({ now: () => now });
          const next = [0, 0, 0];
          const seqs: number[] = [];
          let lastTs: number | undefined;
          let ticks = 0;
          for (const seg of segments) {
            r.select(seg.source);
            for (let f = 0; f < seg.frames; f++) {
              now += 33;
              for (let k = 0; k < 3; k++) {
                const s = seg.source;
                const i = next[s]!++;
                const frame = Math.floor(i / 3);
                const p = pkt(
                  seqBase[s]! + i,
                  (tsBase[s]! + frame * 3000) >>> 0,
                  s + 1,
                  k === 0 && f === 0 ? IDR_START : P_SLICE,
                  k === 2,
                );
                const d = r.rewrite(p.packet, p.datagram, s);
                if (d === undefined) return false;
                const h = header(d);
                seqs.push(h.sequenceNumber);
                if (lastTs !== undefined) {
                  const step = (h.timestamp - lastTs) >>> 0;
                  if (step >= 0x80000000) return false; // went back
                  ticks += step;
                }
                lastTs = h.timestamp;
              }
            }
          }
          for (let i = 1; i < seqs.length; i++)
            if (seqs[i] !== ((seqs[0]! + i) & 0xffff)) return false;
          const frames = segments.reduce((a, s) => a + s.frames, 0);
          // 33 ms per frame at 90 kHz is 2970 ticks; within a source 3000: between both
          return ticks >= 2970 * (frames - 1) && ticks <= 3000 * (frames - 1);
        },
      ),
    );
  });
});
