import { describe, expect, it } from "vitest";
import { rng, stream } from "../test/gen.js";
import type { PayloadWriter } from "./codec.js";
import { FrameAssembler } from "./frame-assembler.js";
import { attachUnits, unitsOf } from "./frame-units.js";
import { H264Packetizer } from "./h264/h264-packetizer.js";
import { RtpPacketizer } from "./rtp/rtp-packetizer.js";
import { sequenceFrom } from "./rtp/sequence.js";
import type { VideoFrame } from "./video-frame.js";

function payloads(packetizer: H264Packetizer, au: Uint8Array): number[][] {
  const out: number[][] = [];
  packetizer.packetize(au, (p) => out.push([...p]));
  return out;
}

/** assemble runs access units through packetizer → assembler, calling `onFrame` in delivery. */
function assemble(aus: Uint8Array[], onFrame: (f: VideoFrame) => void, mtu = 300): void {
  const rtp = new RtpPacketizer({
    packetizer: new H264Packetizer({ mtu }),
    payloadType: 96,
    ssrc: 7,
    sequence: sequenceFrom(100),
  });
  const assembler = new FrameAssembler({ frame: onFrame });
  aus.forEach((au, i) => {
    for (const p of rtp.packetizePackets(au, i * 3000)) assembler.push(p);
  });
}

describe("NAL units carried with the frame", () => {
  it("travel with that very view of the data: not with a copy or a subarray, not enumerable, no state shared between frames", () => {
    const a = new Uint8Array(8);
    const b = new Uint8Array(8);
    expect(unitsOf(a)).toBeUndefined();
    attachUnits(a, [4, 8]);
    attachUnits(b, [3, 8]);
    expect(unitsOf(a)).toEqual([4, 8]);
    expect(unitsOf(b)).toEqual([3, 8]);
    expect(unitsOf(a.slice())).toBeUndefined();
    expect(unitsOf(a.subarray(0))).toBeUndefined();
    expect(Object.keys(a)).toEqual(Object.keys(new Uint8Array(8)));
    expect(a).toEqual(new Uint8Array(8));
  });

  it("stay with the frame after delivery: a frame forwarded later is packetized as a search would", () => {
    const aus = stream(6, 2, (i) => 300 + 111 * i, rng(6));
    const packetizer = new H264Packetizer({ mtu: 300 });
    const kept: VideoFrame[] = [];
    assemble(aus, (f) => kept.push(f));
    expect(kept).toHaveLength(6);
    for (const f of kept) {
      expect(unitsOf(f.data)?.length).toBe(f.keyframe ? 6 : 2);
      expect(payloads(packetizer, f.data)).toEqual(payloads(packetizer, f.data.slice()));
    }
  });

  it("are recorded by the assembler: forwarding a frame in delivery packetizes it as a search would", () => {
    const aus = stream(12, 4, (i) => 200 + 97 * i, rng(5));
    const packetizer = new H264Packetizer({ mtu: 300 });
    let frames = 0;
    assemble(aus, (f) => {
      frames++;
      expect(unitsOf(f.data)?.length).toBe(f.keyframe ? 6 : 2);
      // the same payloads as for a copy of the bytes (no recorded units: searched)
      expect(payloads(packetizer, f.data)).toEqual(payloads(packetizer, f.data.slice()));
    });
    expect(frames).toBe(12);
  });

  it("are used instead of a search while they match the start codes, searched for once they do not", () => {
    const aus = stream(2, 1, () => 400, rng(9));
    const packetizer = new H264Packetizer({ mtu: 1200 });
    assemble(aus, (f) => {
      const units = unitsOf(f.data)!;
      const sliceStart = units[4]!;
      const before = payloads(packetizer, f.data);
      // a start code written into the slice body afterwards: the recorded units still hold, so
      // the slice goes out as one NAL unit (a search splits it in two)
      f.data.set([0, 0, 1], sliceStart + 100);
      const trusted = payloads(packetizer, f.data);
      const searched = payloads(packetizer, f.data.slice());
      expect(trusted.map((p) => p.length)).toEqual(before.map((p) => p.length));
      expect(searched.map((p) => p.length)).not.toEqual(before.map((p) => p.length));
      // a recorded start code overwritten: the units no longer hold and the data is searched
      f.data[sliceStart - 1] = 2;
      expect(payloads(packetizer, f.data)).toEqual(payloads(packetizer, f.data.slice()));
    });
  });
});

describe("H264Packetizer.packetizeTo", () => {
  it("writes the payloads packetize() emits, in parts, never more than the MTU", () => {
    const aus = stream(10, 3, (i) => 50 + 331 * i, rng(3));
    for (const mtu of [100, 700, 1200]) {
      const packetizer = new H264Packetizer({ mtu });
      for (const au of aus) {
        const joined: number[][] = [];
        const lasts: boolean[] = [];
        const writer: PayloadWriter = {
          payload(prefix, prefixLength, source, start, end, last) {
            joined.push([...prefix.subarray(0, prefixLength), ...source.subarray(start, end)]);
            lasts.push(last);
          },
        };
        const n = packetizer.packetizeTo(au, writer);
        expect(joined).toEqual(payloads(packetizer, au));
        expect(n).toBe(joined.length);
        expect(lasts.lastIndexOf(true)).toBe(lasts.length - 1);
        expect(lasts.filter(Boolean)).toHaveLength(1);
        expect(Math.max(...joined.map((p) => p.length))).toBeLessThanOrEqual(mtu);
      }
    }
  });

  it("gives a nested call (from inside a sink) a packetizer of its own", () => {
    const [first, second] = stream(2, 1, (i) => 900 + i * 500, rng(4));
    const packetizer = new H264Packetizer({ mtu: 300 });
    const expectedFirst = payloads(packetizer, first!);
    const expectedSecond = payloads(packetizer, second!);
    const outer: number[][] = [];
    let inner: number[][] = [];
    packetizer.packetize(first!, (p) => {
      outer.push([...p]);
      if (outer.length === 2) inner = payloads(packetizer, second!);
    });
    expect(outer).toEqual(expectedFirst);
    expect(inner).toEqual(expectedSecond);
  });
});
