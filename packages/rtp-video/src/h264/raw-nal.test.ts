// H264Packetizer with data that does not begin with a start code: roomkit's examples hand
// send_video one NAL unit's bytes (`nal_bytes`), without the Annex-B start code.
import { describe, expect, it } from "vitest";
import { PPS, rng, SPS, slice } from "../../test/gen.js";
import { FrameBuffer } from "../frame-buffer.js";
import { joinAnnexB } from "./annexb.js";
import { H264Depacketizer } from "./h264-depacketizer.js";
import { H264Packetizer } from "./h264-packetizer.js";

function payloads(data: Uint8Array, mtu = 1200): Uint8Array[] {
  const out: Uint8Array[] = [];
  new H264Packetizer({ mtu }).packetize(data, (p) => out.push(p.slice()));
  return out;
}

/** depacketized is the Annex-B access unit a receiver rebuilds from the payloads. */
function depacketized(ps: readonly Uint8Array[]): Uint8Array {
  const d = new H264Depacketizer();
  const buf = new FrameBuffer();
  for (const [i, p] of ps.entries()) d.push(p, i, buf);
  d.endFrame(buf);
  return buf.take();
}

describe("H264Packetizer: a NAL unit without a start code", () => {
  const r = rng(9);
  const small = slice(1, 500, r);
  const large = slice(5, 5000, r);

  it("a small one goes as one single-NAL payload (RFC 6184 §5.6), the NAL unit itself", () => {
    const ps = payloads(small);
    expect(ps).toHaveLength(1);
    expect([...ps[0]!]).toEqual([...small]);
    expect([...depacketized(ps)]).toEqual([...joinAnnexB([small])]);
  });

  it("a large one is fragmented into FU-A (§5.8) and rebuilds byte for byte", () => {
    const ps = payloads(large);
    expect(ps.length).toBe(5);
    expect(ps.every((p) => (p[0]! & 0x1f) === 28)).toBe(true);
    expect([...depacketized(ps)]).toEqual([...joinAnnexB([large])]);
  });

  it("the same as its Annex-B form: raw and with a start code give the same payloads", () => {
    for (const nal of [small, large, SPS]) {
      expect(payloads(nal).map((p) => [...p])).toEqual(
        payloads(joinAnnexB([nal])).map((p) => [...p]),
      );
    }
  });

  it("Annex-B whose first start code is left off: the leading bytes are the first NAL unit", () => {
    const au = joinAnnexB([SPS, PPS, large]).subarray(4); // without the first 00 00 00 01
    expect([...depacketized(payloads(au))]).toEqual([...joinAnnexB([SPS, PPS, large])]);
  });

  it("a raw NAL unit followed by a bare start code keeps only the unit", () => {
    const au = Uint8Array.from([...small, 0, 0, 0, 1]);
    expect([...depacketized(payloads(au))]).toEqual([...joinAnnexB([small])]);
  });

  it("a first byte that is no NAL unit header (forbidden bit, type 0, 24..31) is refused with H264_BAD_NAL", () => {
    for (const first of [0x80, 0xe5, 0x40, 0x78, 0x5c]) {
      expect(() => payloads(Uint8Array.from([first, 0x88, 0x84]))).toThrow(
        expect.objectContaining({ code: "H264_BAD_NAL" }),
      );
    }
  });

  it("data that starts with zero bytes but holds no start code (AVCC length prefixes) says what to pass", () => {
    const avcc = Uint8Array.from([0, 0, 2, 0, ...slice(1, 512, r)]); // a 4-byte length: 512
    expect(() => payloads(avcc)).toThrow(
      expect.objectContaining({ code: "H264_EMPTY_ACCESS_UNIT" }),
    );
    expect(() => payloads(avcc)).toThrow(/Annex-B .* or one NAL unit without a start code/);
  });
});
