import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hex, nalFromRbsp, PPS, SPS } from "../../test/gen.js";
import { RtpVideoError } from "../errors.js";
import { FrameBuffer } from "../frame-buffer.js";
import { joinAnnexB } from "./annexb.js";
import { H264Depacketizer } from "./h264-depacketizer.js";
import { H264Packetizer, type H264PacketizerOptions } from "./h264-packetizer.js";

function payloads(au: Uint8Array, options: H264PacketizerOptions = {}) {
  const out: { bytes: number[]; last: boolean }[] = [];
  new H264Packetizer(options).packetize(au, (p, last) => out.push({ bytes: [...p], last }));
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

const nal = (header: number, size: number, fill = 0x11) => {
  const n = new Uint8Array(size).fill(fill);
  n[0] = header;
  return n;
};

describe("H264Packetizer (RFC 6184 §5.6–5.8)", () => {
  it("sends a NAL unit that fits the MTU as a single NAL unit packet (§5.6)", () => {
    const out = payloads(joinAnnexB([hex("41 9a 02")]));
    expect(out).toEqual([{ bytes: [0x41, 0x9a, 0x02], last: true }]);
  });

  it("aggregates SPS + PPS + small SEI into one STAP-A with F = OR, NRI = max (§5.7.1)", () => {
    const sei = hex("06 05 01 80");
    const idr = nal(0x65, 3000);
    const out = payloads(joinAnnexB([SPS, PPS, sei, idr]));
    const stap = out[0]!.bytes;
    expect(stap[0]).toBe(0x78); // NRI 3 (from SPS/PPS), type 24
    expect(stap.slice(1, 3)).toEqual([0, SPS.length]);
    expect(stap.slice(3, 3 + SPS.length)).toEqual([...SPS]);
    expect(stap.length).toBe(1 + 3 * 2 + SPS.length + PPS.length + sei.length);
    expect(out[0]!.last).toBe(false);
    // the IDR follows as FU-A: start bit on the first, end bit on the last, marker on the last
    const fus = out.slice(1);
    expect(fus[0]!.bytes.slice(0, 2)).toEqual([0x7c, 0x85]);
    expect(fus.at(-1)!.bytes[1]).toBe(0x45);
    expect(fus.slice(1, -1).every((f) => f.bytes[1] === 0x05)).toBe(true);
    expect(out.map((p) => p.last)).toEqual(out.map((_, i) => i === out.length - 1));
    expect(out.every((p) => p.bytes.length <= 1200)).toBe(true);
  });

  it("fragments evenly: no runt FU-A (§5.8)", () => {
    const out = payloads(joinAnnexB([nal(0x65, 2401)]), { mtu: 1200 });
    // 2400 body bytes over 3 fragments of 800
    expect(out.map((p) => p.bytes.length)).toEqual([802, 802, 802]);
  });

  it("never aggregates in packetization-mode 0 and refuses a NAL larger than the MTU", () => {
    const au = joinAnnexB([SPS, PPS, nal(0x65, 500)]);
    expect(payloads(au, { packetizationMode: 0 }).map((p) => p.bytes[0])).toEqual([
      0x67, 0x68, 0x65,
    ]);
    const big = joinAnnexB([SPS, PPS, nal(0x65, 1201)]);
    expect(() => payloads(big, { packetizationMode: 0 })).toThrow(RtpVideoError);
    expect(() => payloads(big, { packetizationMode: 0 })).toThrow(/H264_NAL_TOO_LARGE.*RFC 6184/);
  });

  it("refuses an access unit with no NAL unit, and bad options", () => {
    expect(() => payloads(new Uint8Array([0, 0, 0]))).toThrow(
      expect.objectContaining({ code: "H264_EMPTY_ACCESS_UNIT" }),
    );
    expect(() => new H264Packetizer({ mtu: 2 })).toThrow(
      expect.objectContaining({ code: "BAD_OPTION" }),
    );
  });

  it("property: depacketize(packetize(x)) = x for any NAL units (1 B–200 KB) and MTU 100–1500", () => {
    const nalArb = fc
      .tuple(
        fc.integer({ min: 1, max: 23 }),
        fc.integer({ min: 0, max: 3 }),
        fc.oneof(
          fc.integer({ min: 1, max: 64 }),
          fc.integer({ min: 1, max: 3000 }),
          fc.integer({ min: 1, max: 200_000 }),
        ),
        fc.integer({ min: 0, max: 255 }),
      )
      .map(([type, nri, size, seed]) => {
        // arbitrary RBSP content, zeros included, escaped as H.264 §7.4.1 requires
        const rbsp = new Uint8Array(size - 1);
        for (let i = 0; i < rbsp.length; i++)
          rbsp[i] = (seed + i * 31) % 7 === 0 ? 0 : (seed + i) & 0xff;
        return nalFromRbsp((nri << 5) | type, rbsp);
      });
    fc.assert(
      fc.property(
        fc.array(nalArb, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 100, max: 1500 }),
        (nals, mtu) => {
          const packetizer = new H264Packetizer({ mtu });
          const depacketizer = new H264Depacketizer();
          const out = new FrameBuffer();
          let seq = 65530;
          const lastFlags: boolean[] = [];
          let largest = 0;
          packetizer.packetizeNals(nals, (p, last) => {
            largest = Math.max(largest, p.length);
            lastFlags.push(last);
            depacketizer.push(p.slice(), seq, out);
            seq = (seq + 1) & 0xffff;
          });
          depacketizer.endFrame(out);
          expect(largest).toBeLessThanOrEqual(mtu);
          expect(out.corrupt).toBe(false);
          expect(lastFlags.filter(Boolean)).toHaveLength(1);
          expect(lastFlags.at(-1)).toBe(true);
          expect(sameBytes(out.bytes.subarray(0, out.length), joinAnnexB(nals))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
