import { describe, expect, it } from "vitest";
import { PPS, SPS } from "../../test/gen.js";
import { FrameBuffer } from "../frame-buffer.js";
import { joinAnnexB } from "./annexb.js";
import { H264Depacketizer } from "./h264-depacketizer.js";
import { H264Packetizer, type H264PacketizerOptions } from "./h264-packetizer.js";

// packetization-mode 0 with a NAL unit over the MTU (RFC 6184 §6.2): the oversizeInMode0 policy
// and its counters. Linphone offers mode 0 by default; a forwarded x264 picture is one slice.

const nal = (header: number, size: number, fill = 0x11) => {
  const n = new Uint8Array(size).fill(fill);
  n[0] = header;
  return n;
};

function run(p: H264Packetizer, au: Uint8Array) {
  const out: { bytes: Uint8Array; last: boolean }[] = [];
  const n = p.packetize(au, (b, last) => out.push({ bytes: b.slice(), last }));
  return { n, out };
}

const packetizer = (options: H264PacketizerOptions) =>
  new H264Packetizer({ mtu: 1200, ...options });

describe("H264Packetizer in packetization-mode 0: oversizeInMode0", () => {
  it('"refuse" (the default) throws H264_NAL_TOO_LARGE and counts nothing', () => {
    const au = joinAnnexB([SPS, PPS, nal(0x65, 1201)]);
    for (const p of [
      packetizer({ packetizationMode: 0 }),
      packetizer({ packetizationMode: 0, oversizeInMode0: "refuse" }),
    ]) {
      expect(p.oversizeInMode0).toBe("refuse");
      expect(() => run(p, au)).toThrow(expect.objectContaining({ code: "H264_NAL_TOO_LARGE" }));
      expect(p.stats).toEqual({ nalUnitsOutsideMode: 0, nalUnitsDropped: 0 });
    }
  });

  it('"fu-a" sends the oversize unit as FU-A, the rest as single NAL units (no STAP-A), and counts it', () => {
    const p = packetizer({ packetizationMode: 0, oversizeInMode0: "fu-a" });
    const idr = nal(0x65, 3001);
    const au = joinAnnexB([SPS, PPS, idr]);
    const { n, out } = run(p, au);
    // SPS, PPS alone (mode 0 never aggregates), then 3000 body bytes in 3 FU-A of 1000
    expect(out.map((o) => o.bytes[0]! & 0x1f)).toEqual([7, 8, 28, 28, 28]);
    expect(n).toBe(5);
    expect(out.map((o) => o.last)).toEqual([false, false, false, false, true]);
    expect(out.every((o) => o.bytes.length <= 1200)).toBe(true);
    expect(p.stats).toEqual({ nalUnitsOutsideMode: 1, nalUnitsDropped: 0 });
    // a depacketizer gets the access unit back byte for byte
    const d = new H264Depacketizer();
    const fb = new FrameBuffer();
    for (const [i, o] of out.entries()) d.push(o.bytes, i, fb);
    d.endFrame(fb);
    expect(Buffer.compare(fb.bytes.subarray(0, fb.length), au)).toBe(0);
    // units that fit go out as before, and are not counted
    run(p, joinAnnexB([nal(0x41, 800)]));
    run(p, joinAnnexB([nal(0x41, 1300), nal(0x41, 1300)]));
    expect(p.stats).toEqual({ nalUnitsOutsideMode: 3, nalUnitsDropped: 0 });
  });

  it('"drop" sends nothing of an access unit with an oversize unit, counts its oversize units, and goes on', () => {
    const p = packetizer({ packetizationMode: 0, oversizeInMode0: "drop" });
    const dropped = run(p, joinAnnexB([SPS, PPS, nal(0x65, 1300), nal(0x65, 1500)]));
    expect(dropped).toEqual({ n: 0, out: [] });
    expect(p.stats).toEqual({ nalUnitsOutsideMode: 0, nalUnitsDropped: 2 });
    const next = run(p, joinAnnexB([nal(0x41, 1200)]));
    expect(next.n).toBe(1);
    expect(next.out[0]!.last).toBe(true);
    expect(p.stats.nalUnitsDropped).toBe(2);
  });

  it("has no effect in mode 1, and refuses an unknown policy", () => {
    const p = packetizer({ packetizationMode: 1, oversizeInMode0: "drop" });
    expect(run(p, joinAnnexB([SPS, PPS, nal(0x65, 3001)])).n).toBe(4); // STAP-A + 3 FU-A
    expect(p.stats).toEqual({ nalUnitsOutsideMode: 0, nalUnitsDropped: 0 });
    expect(
      () =>
        new H264Packetizer({
          oversizeInMode0: "lenient" as unknown as NonNullable<
            H264PacketizerOptions["oversizeInMode0"]
          >,
        }),
    ).toThrow(expect.objectContaining({ code: "BAD_OPTION" }));
  });

  it("counts into the same stats when a sink packetizes again from inside a call", () => {
    const p = packetizer({ packetizationMode: 0, oversizeInMode0: "fu-a" });
    let nested = 0;
    p.packetize(joinAnnexB([nal(0x65, 1500)]), (_b, last) => {
      if (last && nested === 0) nested = p.packetize(joinAnnexB([nal(0x65, 1500)]), () => {});
    });
    expect(nested).toBe(2);
    expect(p.stats.nalUnitsOutsideMode).toBe(2);
  });
});
