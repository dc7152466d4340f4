import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fixture } from "@framewire/test-support/fixtures";
import { describe, expect, it } from "vitest";
import { FrameAssembler, tryParseRtpPacket, type VideoFrame } from "../src/index.js";
import { readPcapFile } from "./pcap.js";

// fixtures/MANIFEST.txt: test-rtp.pcap is test.h264 sent by an RTP packetizer
// (single NAL + STAP-A + FU-A), 1253 packets, 300 frames, 10 IDR, 640x360, 3000 ticks per frame.
const MANIFEST_SHA256 = "2fec9dbafc1af4e68e45b1227beb9b582088b7b29e46c2134b097d64495cb403";

function replay(): { frames: VideoFrame[]; assembler: FrameAssembler } {
  const frames: VideoFrame[] = [];
  const assembler = new FrameAssembler({ frame: (f) => frames.push(f) });
  for (const d of readPcapFile(fixture("test-rtp.pcap"))) {
    const p = tryParseRtpPacket(d.payload);
    if (typeof p === "string") throw new Error(p);
    assembler.push(p);
  }
  return { frames, assembler };
}

describe("fixture replay: test-rtp.pcap → frames", () => {
  it("gives exactly 300 frames, 10 keyframes, 640x360, byte-identical to test.h264", () => {
    const { frames, assembler } = replay();
    expect(frames).toHaveLength(300);
    expect(frames.filter((f) => f.keyframe)).toHaveLength(10);
    expect(frames.every((f) => f.width === 640 && f.height === 360)).toBe(true);
    expect(frames.map((f) => f.sequence)).toEqual([...Array(300).keys()]);
    const first = frames[0]!.rtpTimestamp;
    frames.forEach((f, i) => {
      // the sender's clock rounds to whole ticks: about 3000 ticks (33.3 ms) per frame
      expect(f.timestampMs).toBeCloseTo((f.rtpTimestamp - first) / 90, 9);
      expect(Math.abs(f.timestampMs - (i * 100) / 3)).toBeLessThan(0.5);
    });
    expect(frames[0]!.rtpTimestamp).toBe(42411254);
    const joined = Buffer.concat(frames.map((f) => f.data));
    const expected = readFileSync(fixture("test.h264"));
    expect(joined.length).toBe(expected.length);
    expect(createHash("sha256").update(joined).digest("hex")).toBe(MANIFEST_SHA256);
    expect(assembler.stats).toMatchObject({ packets: 1253, lost: 0, duplicates: 0, frames: 300 });
  });
});
