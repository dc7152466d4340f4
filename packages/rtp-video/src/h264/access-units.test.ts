import { readFileSync } from "node:fs";
import { fixture } from "@framewire/test-support/fixtures";
import { describe, expect, it } from "vitest";
import { splitAccessUnits } from "./access-units.js";
import { joinAnnexB } from "./annexb.js";

const testH264 = fixture("test.h264");

describe("splitAccessUnits", () => {
  it("cuts the x264 fixture into its 300 pictures, 10 IDR, byte for byte", () => {
    const stream = new Uint8Array(readFileSync(testH264));
    const aus = splitAccessUnits(stream);
    expect(aus).toHaveLength(300);
    expect(aus.filter((a) => a.keyframe)).toHaveLength(10);
    expect(aus[0]!.keyframe).toBe(true);
    expect(aus.reduce((n, a) => n + a.data.length, 0)).toBe(stream.length);
  });

  it("begins a unit at an AUD/SPS/PPS/SEI after a slice or at first_mb_in_slice 0", () => {
    const aud = Uint8Array.of(0x09, 0xf0);
    const sps = Uint8Array.of(0x67, 0x42, 0x00, 0x1f);
    const pps = Uint8Array.of(0x68, 0xce);
    const idr = Uint8Array.of(0x65, 0x88); // first_mb_in_slice 0
    const p0 = Uint8Array.of(0x41, 0x9a); // first_mb_in_slice 0
    const p1 = Uint8Array.of(0x41, 0x40); // first_mb_in_slice 1: same picture
    const eos = Uint8Array.of(0x0a); // end of sequence: stays with its picture
    const aus = splitAccessUnits(joinAnnexB([aud, sps, pps, idr, p0, p1, eos, aud, idr]));
    expect(aus.map((a) => a.keyframe)).toEqual([true, false, true]);
    expect(aus[0]!.data).toEqual(joinAnnexB([aud, sps, pps, idr]));
    expect(aus[1]!.data).toEqual(joinAnnexB([p0, p1, eos]));
    expect(aus[2]!.data).toEqual(joinAnnexB([aud, idr]));
  });

  it("gives nothing for an empty or start-code-free input", () => {
    expect(splitAccessUnits(new Uint8Array(0))).toEqual([]);
    expect(splitAccessUnits(Uint8Array.of(1, 2, 3))).toEqual([]);
  });
});
