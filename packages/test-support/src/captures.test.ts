import { describe, expect, it } from "vitest";
import { continuity, type RtpOnWire } from "./captures.js";

const packet = (seq: number, timestamp: number, marker: boolean, epochMs: number): RtpOnWire => ({
  epochMs,
  seq,
  timestamp,
  marker,
  ssrc: 1,
  payloadType: 96,
  srcPort: 5004,
});

describe("continuity", () => {
  it("counts sequence gaps across the 16-bit wrap, backward steps on the 32-bit clock, frames", () => {
    const r = continuity([
      packet(65534, 0xffff_f000, false, 0),
      packet(65535, 0xffff_f000, true, 10),
      packet(0, 0x0000_0100, true, 40), // wraps: no gap, no backward step
      packet(2, 0x0000_0100, true, 50), // a gap; a frame with the previous frame's timestamp
      packet(3, 0x0000_0000, true, 120), // backward
    ]);
    expect(r).toEqual({
      packets: 5,
      frames: 4,
      ssrcs: 1,
      seqGaps: 1,
      backwardSteps: 1,
      sameTsAcrossFrames: 1,
      maxFrameGapMs: 70,
    });
  });
});
