import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { joinAnnexB } from "@framewire/rtp-video";
import { describe, expect, it } from "vitest";
import { accessUnits } from "./h264-file.js";

const fixture = fileURLToPath(
  new URL("../../../../shared/peers/fixtures/test.h264", import.meta.url),
);

describe("accessUnits", () => {
  it("splits the fixture into its 300 pictures, 10 of them IDR, and loses no byte", () => {
    const stream = new Uint8Array(readFileSync(fixture));
    const aus = accessUnits(stream);
    expect(aus).toHaveLength(300);
    expect(aus.filter((a) => a.keyframe)).toHaveLength(10);
    expect(aus[0]!.keyframe).toBe(true);
    const total = aus.reduce((n, a) => n + a.data.length, 0);
    expect(total).toBe(stream.length);
  });

  it("starts a new unit at a slice with first_mb_in_slice 0 and at a parameter set after a slice", () => {
    const sps = Uint8Array.of(0x67, 0x42, 0x00, 0x1f);
    const pps = Uint8Array.of(0x68, 0xce);
    const idr = Uint8Array.of(0x65, 0x88); // first_mb 0
    const p0 = Uint8Array.of(0x41, 0x9a); // first_mb 0
    const p1 = Uint8Array.of(0x41, 0x40); // first_mb 1: same picture
    const aus = accessUnits(joinAnnexB([sps, pps, idr, p0, p1, sps, pps, idr]));
    expect(aus.map((a) => a.keyframe)).toEqual([true, false, true]);
    expect(aus[1]!.data).toEqual(joinAnnexB([p0, p1]));
  });

  it("gives nothing for an empty or start-code-free input", () => {
    expect(accessUnits(new Uint8Array(0))).toEqual([]);
    expect(accessUnits(Uint8Array.of(1, 2, 3))).toEqual([]);
  });
});
