import { prng } from "@framewire/test-support";
import { fixture } from "@framewire/test-support/fixtures";
import { describe, expect, it } from "vitest";
import {
  FrameAssembler,
  joinAnnexB,
  splitAnnexB,
  tryParseRtpPacket,
  type VideoFrame,
  writeRtpHeader,
} from "../src/index.js";
import { readPcapFile } from "./pcap.js";

/** wellFormed: Annex-B in canonical form, every NAL unit non-empty with F = 0 and type 1..23. */
function wellFormed(f: VideoFrame): boolean {
  const units = splitAnnexB(f.data);
  if (units.length === 0) return false;
  for (const u of units) {
    const h = u[0]!;
    if (h & 0x80 || (h & 0x1f) === 0 || (h & 0x1f) > 23) return false;
  }
  const canonical = joinAnnexB(units);
  return canonical.length === f.data.length && Buffer.compare(canonical, f.data) === 0;
}

const real = readPcapFile(fixture("test-rtp.pcap")).map((d) => d.payload);

/** mutate returns a hostile variant of a real datagram, by one of several strategies. */
function mutate(r: () => number, i: number): Uint8Array {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const base = real[Math.floor(r() * real.length)]!;
  const copy = new Uint8Array(base); // a copy (Buffer#slice would be a view)
  const header = () => {
    const h = new Uint8Array(12 + Math.floor(r() * 64));
    writeRtpHeader(h, 0, {
      payloadType: 96,
      sequenceNumber: (1000 + i) & 0xffff,
      timestamp: Math.floor(r() * 2 ** 32),
      ssrc: 0x12345678,
      marker: r() < 0.3,
    });
    for (let k = 12; k < h.length; k++) h[k] = Math.floor(r() * 256);
    return h;
  };
  switch (Math.floor(r() * 10)) {
    case 0: // random bytes
      return Uint8Array.from({ length: Math.floor(r() * 1500) }, () => Math.floor(r() * 256));
    case 1: // truncated
      return copy.subarray(0, Math.floor(r() * copy.length));
    case 2: // bit flips anywhere
      for (let k = 0; k < 1 + r() * 8; k++)
        copy[Math.floor(r() * copy.length)]! ^= 1 << Math.floor(r() * 8);
      return copy;
    case 3: // bad FU header: random S/E/R/type bits
      copy[12] = 0x7c;
      copy[13] = Math.floor(r() * 256);
      return copy;
    case 4: {
      // STAP-A whose lengths run past the end, or are zero
      const h = header();
      h[12] = 0x78;
      return h;
    }
    case 5: // empty payload, maybe with bogus padding
      return pick([
        copy.subarray(0, 12),
        Uint8Array.from([...copy.subarray(0, 12), 0, 0, 0, 9]),
      ]).map((b, k) => (k === 0 ? b | (r() < 0.5 ? 0x20 : 0) : b));
    case 6: // header fields scrambled: sequence, timestamp, SSRC, CSRC count, extension bit
      copy[0] = (copy[0]! & 0xc0) | Math.floor(r() * 64);
      for (const k of [2, 3, 4, 7, 8, 11]) if (r() < 0.3) copy[k] = Math.floor(r() * 256);
      return copy;
    case 7: // random payload behind a valid header
      return header();
    case 8: // interleaved-mode types and reserved types
      copy[12] = pick([0x19, 0x1a, 0x1b, 0x1d, 0x00, 0x1e, 0x1f, 0x80 | 0x41]);
      return copy;
    default: // an unmodified real packet, out of place
      return copy;
  }
}

describe("fuzz: hostile datagrams through parser, depacketizer and assembler", () => {
  it("survives 120 000 malformed datagrams: nothing thrown, frames well-formed, memory bounded", () => {
    const r = prng(20261122);
    const frames: VideoFrame[] = [];
    const window = 64;
    const maxFrameBytes = 1 << 20;
    const a = new FrameAssembler(
      { frame: (f) => frames.push(f) },
      { reorderWindow: window, maxFrameBytes },
    );
    let parseErrors = 0;
    let maxHeld = 0;
    for (let i = 0; i < 120_000; i++) {
      const p = tryParseRtpPacket(mutate(r, i));
      if (typeof p === "string") {
        parseErrors++;
        continue;
      }
      a.push(p);
      if (a.heldPackets > maxHeld) maxHeld = a.heldPackets;
    }
    a.flush();
    expect(parseErrors).toBeGreaterThan(10_000);
    expect(frames.every(wellFormed)).toBe(true);
    expect(maxHeld).toBeLessThanOrEqual(window + 1);
    expect(a.frameBufferBytes).toBeLessThanOrEqual(maxFrameBytes);
    const drops = Object.values(a.depacketizerDrops).reduce((x, y) => x + y, 0);
    expect(drops).toBeGreaterThan(1000);
    expect(a.stats.outOfWindow + a.stats.duplicates + a.stats.late).toBeGreaterThan(1000);

    // the same assembler still works for a clean stream afterwards (a new SSRC: after probation)
    const clean: VideoFrame[] = [];
    const b = new FrameAssembler({ frame: (f) => clean.push(f) });
    for (const d of real)
      b.push(tryParseRtpPacket(d) as Exclude<ReturnType<typeof tryParseRtpPacket>, string>);
    frames.length = 0;
    for (const d of real) {
      const p = tryParseRtpPacket(d);
      if (typeof p !== "string") a.push({ ...p, ssrc: 0xabcdef });
    }
    expect(frames.length).toBe(300);
    expect(frames.every((f, k) => Buffer.compare(f.data, clean[k]!.data) === 0)).toBe(true);
  });

  it("a real stream with 3 % of its packets damaged in place: many frames, all well-formed", () => {
    const r = prng(99);
    const frames: VideoFrame[] = [];
    const a = new FrameAssembler({ frame: (f) => frames.push(f) });
    let seq = 0;
    for (let loop = 0; loop < 80; loop++) {
      for (let k = 0; k < real.length; k++) {
        let d: Uint8Array = new Uint8Array(real[k]!);
        if (r() < 0.03) {
          d = mutate(r, seq);
          if (d.length >= 4) {
            d[0] = 0x80 | (d[0]! & 0x3f);
          }
        }
        if (d.length >= 12) {
          // keep the stream's own sequence and timestamps continuous across loops
          d[2] = (seq >> 8) & 0xff;
          d[3] = seq & 0xff;
          const ts =
            (new DataView(real[k]!.buffer, real[k]!.byteOffset + 4, 4).getUint32(0) +
              loop * 900_000) >>>
            0;
          new DataView(d.buffer, d.byteOffset + 4, 4).setUint32(0, ts);
          new DataView(d.buffer, d.byteOffset + 8, 4).setUint32(0, 0x12345678);
        }
        seq = (seq + 1) & 0xffff;
        const p = tryParseRtpPacket(d);
        if (typeof p !== "string") a.push(p);
      }
    }
    expect(frames.length).toBeGreaterThan(2000);
    expect(frames.every(wellFormed)).toBe(true);
    expect(a.stats.framesDroppedCorrupt + a.stats.framesDroppedLoss).toBeGreaterThan(100);
  });

  it("a flood of 100 000 random datagrams on one stream never grows the held state", () => {
    const r = prng(7);
    const a = new FrameAssembler({ frame: () => {} }, { reorderWindow: 256 });
    let maxHeld = 0;
    const h = new Uint8Array(1400);
    for (let i = 0; i < 100_000; i++) {
      for (let k = 0; k < h.length; k++) h[k] = (k * 7 + i) & 0xff;
      writeRtpHeader(h, 0, {
        payloadType: 96,
        sequenceNumber: Math.floor(r() * 65536),
        timestamp: Math.floor(r() * 2 ** 32),
        ssrc: 1,
        marker: r() < 0.5,
      });
      const p = tryParseRtpPacket(h.slice());
      if (typeof p !== "string") a.push(p);
      maxHeld = Math.max(maxHeld, a.heldPackets);
    }
    expect(maxHeld).toBeLessThanOrEqual(257);
    expect(a.frameBufferBytes).toBeLessThanOrEqual(8 * 1024 * 1024);
  });
});
