import { describe, expect, it } from "vitest";
import { PPS, SPS } from "../../test/gen.js";
import { joinAnnexB } from "../h264/annexb.js";
import { H264Packetizer } from "../h264/h264-packetizer.js";
import { Vp8Packetizer } from "../vp8/vp8-packetizer.js";
import { VideoSender } from "./video-sender.js";

const nal = (header: number, size: number) => {
  const n = new Uint8Array(size).fill(0x11);
  n[0] = header;
  return n;
};

describe("VideoSender stats: H.264 NAL units sent outside packetization-mode 0, or dropped", () => {
  it("counts the FU-A sent in mode 0 (lenient) and the units dropped", () => {
    const au = joinAnnexB([SPS, PPS, nal(0x65, 2500)]);
    const sent: Uint8Array[] = [];
    const lenient = new VideoSender((d) => sent.push(d), {
      packetizer: new H264Packetizer({ packetizationMode: 0, oversizeInMode0: "fu-a" }),
      payloadType: 97,
      ssrc: 1,
    });
    expect(lenient.sendFrame(au, 0, true)).toBe(5); // SPS, PPS, 3 FU-A
    expect(lenient.sendFrame(au, 3000, true)).toBe(5);
    expect(lenient.stats).toMatchObject({ frames: 2, packets: 10, nalUnitsOutsideMode: 2 });
    expect(lenient.stats.nalUnitsDropped).toBe(0);

    const strict = new VideoSender(() => {}, {
      packetizer: new H264Packetizer({ packetizationMode: 0, oversizeInMode0: "drop" }),
      payloadType: 97,
      ssrc: 1,
    });
    expect(strict.sendFrame(au, 0, true)).toBe(0);
    expect(strict.stats).toMatchObject({
      frames: 0,
      packets: 0,
      nalUnitsOutsideMode: 0,
      nalUnitsDropped: 1,
    });
  });

  it("stays at 0 in mode 1 and for other codecs", () => {
    const au = joinAnnexB([SPS, PPS, nal(0x65, 2500)]);
    const h264 = new VideoSender(() => {}, {
      packetizer: new H264Packetizer(),
      payloadType: 96,
      ssrc: 1,
    });
    h264.sendFrame(au, 0, true);
    const vp8 = new VideoSender(() => {}, {
      packetizer: new Vp8Packetizer(),
      payloadType: 96,
      ssrc: 1,
    });
    vp8.sendFrame(new Uint8Array(3000).fill(0x10), 0, true);
    for (const s of [h264, vp8]) {
      expect(s.stats.packets).toBeGreaterThan(2);
      expect(s.stats).toMatchObject({ nalUnitsOutsideMode: 0, nalUnitsDropped: 0 });
    }
  });
});
