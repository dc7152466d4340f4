import { describe, expect, it } from "vitest";
import { rng, stream } from "../../test/gen.js";
import type { Packetizer } from "../codec.js";
import { H264Packetizer } from "../h264/h264-packetizer.js";
import { Vp8Packetizer } from "../vp8/vp8-packetizer.js";
import { Vp9Packetizer } from "../vp9/vp9-packetizer.js";
import { RtpPacketizer } from "./rtp-packetizer.js";
import { sequenceFrom } from "./sequence.js";

function randomBytes(n: number, seed: number): Uint8Array {
  const r = rng(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
}

const cases: [string, () => Packetizer, Uint8Array[]][] = [
  ["H.264", () => new H264Packetizer({ mtu: 500 }), stream(6, 3, (i) => 300 + 700 * i, rng(8))],
  [
    "VP8",
    () => new Vp8Packetizer({ mtu: 500, initialPictureId: 77 }),
    [randomBytes(3000, 1), randomBytes(20, 2), randomBytes(1001, 3)],
  ],
  [
    "VP9",
    () => new Vp9Packetizer({ mtu: 500, initialPictureId: 77 }),
    [randomBytes(3000, 4), randomBytes(20, 5), randomBytes(1001, 6)],
  ],
];

describe("RtpPacketizer.packetizeFrame", () => {
  for (const [name, make, frames] of cases) {
    it(`${name}: each datagram is the header then exactly the payload packetize() emits`, () => {
      const rtp = new RtpPacketizer({
        packetizer: make(),
        payloadType: 100,
        ssrc: 0x01020304,
        sequence: sequenceFrom(65534),
      });
      const reference = make();
      let seq = 65534;
      frames.forEach((frame, i) => {
        const expected: number[][] = [];
        reference.packetize(frame, (p) => expected.push([...p]));
        const datagrams = rtp.packetizeFrame(frame, 0xfffff000 + i * 3000);
        expect(datagrams.map((d) => [...d.subarray(12)])).toEqual(expected);
        datagrams.forEach((d, k) => {
          const last = k === datagrams.length - 1;
          expect(d[0]).toBe(0x80);
          expect(d[1]).toBe(last ? 0x80 | 100 : 100);
          expect((d[2]! << 8) | d[3]!).toBe(seq);
          seq = (seq + 1) & 0xffff;
          const ts = ((d[4]! << 24) | (d[5]! << 16) | (d[6]! << 8) | d[7]!) >>> 0;
          expect(ts).toBe((0xfffff000 + i * 3000) >>> 0);
          expect([...d.subarray(8, 12)]).toEqual([1, 2, 3, 4]);
        });
      });
    });
  }
});
