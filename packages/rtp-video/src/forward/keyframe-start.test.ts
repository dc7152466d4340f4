import { describe, expect, it } from "vitest";
import {
  h264KeyframeStart,
  keyframeStartTest,
  vp8KeyframeStart,
  vp9KeyframeStart,
} from "./keyframe-start.js";

const hex = (s: string): Uint8Array =>
  Uint8Array.from((s.replace(/\s+/g, "").match(/../g) ?? []).map((b) => Number.parseInt(b, 16)));

describe("h264KeyframeStart (RFC 6184 §5.6–§5.8)", () => {
  it.each([
    ["§5.6 single NAL: IDR slice", "65 88 84 00", true],
    ["§5.6 single NAL: SPS", "67 42 c0 1f", true],
    ["§5.6 single NAL: PPS alone", "68 ce 3c 80", false],
    ["§5.6 single NAL: AUD alone", "09 f0", false],
    ["§5.6 single NAL: non-IDR slice", "41 9a 00", false],
    ["§5.7.1 STAP-A: AUD, SPS, PPS", "18 0002 09f0 0004 6742c01f 0004 68ce3c80", true],
    ["§5.7.1 STAP-A: AUD, SEI", "18 0002 09f0 0003 060501", false],
    ["§5.7.1 STAP-A: truncated size", "18 0009 09f0", false],
    ["§5.8 FU-A start of an IDR", "7c 85 88 84", true],
    ["§5.8 FU-A middle of an IDR", "7c 05 88 84", false],
    ["§5.8 FU-A start of a non-IDR", "7c 81 9a 00", false],
    ["§5.8 FU-A header only", "7c", false],
    ["empty", "", false],
  ])("%s → %s", (_name, bytes, want) => {
    expect(h264KeyframeStart(hex(bytes))).toBe(want);
  });
});

describe("vp8KeyframeStart (RFC 7741 §4.2, §4.3)", () => {
  it.each([
    ["S=1 PID=0, P=0 (key frame)", "10 50 42 00 9d 01 2a", true],
    ["S=1 PID=0, P=1 (inter frame)", "10 31 01 00", false],
    ["S=0 (continuation)", "00 50 42 00", false],
    ["S=1 PID=1", "11 50 42 00", false],
    ["X, I with 15-bit PictureID, key frame", "90 80 81 23 50 42 00 9d 01 2a", true],
    ["X, I with 15-bit PictureID, inter frame", "90 80 81 23 31", false],
    ["descriptor only", "90 80 81 23", false],
  ])("%s → %s", (_name, bytes, want) => {
    expect(vp8KeyframeStart(hex(bytes))).toBe(want);
  });
});

describe("vp9KeyframeStart (RFC 9628 §4.2)", () => {
  it.each([
    ["B=1 P=0", "0c 82 49 83 42", true],
    ["B=1 P=1", "4c 82", false],
    ["B=0 P=0", "04 82", false],
    ["I M, B=1 P=0", "88 80 01 82", true],
    ["L: SID 1, B=1 P=0", "a8 80 01 02 00", false],
    ["L: SID 0, B=1 P=0", "a8 80 01 00 00", true],
    ["empty", "", false],
  ])("%s → %s", (_name, bytes, want) => {
    expect(vp9KeyframeStart(hex(bytes))).toBe(want);
  });
});

describe("keyframeStartTest", () => {
  it("gives each codec's test", () => {
    expect(keyframeStartTest("h264")).toBe(h264KeyframeStart);
    expect(keyframeStartTest("vp8")).toBe(vp8KeyframeStart);
    expect(keyframeStartTest("vp9")).toBe(vp9KeyframeStart);
  });
});
