import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { splitAccessUnits } from "@framewire/rtp-video";
import { fixture } from "@framewire/test-support/fixtures";
import { describe, expect, it } from "vitest";
import { decodeH264File, keyframeToJpeg } from "./av.js";

const testH264 = fixture("test.h264");

describe("node-av: decode check and thumbnails", () => {
  it("decodes the fixture: 300 frames, 640x360, 0 errors", async () => {
    const r = await decodeH264File(testH264);
    expect(r).toMatchObject({
      accessUnits: 300,
      framesDecoded: 300,
      errors: 0,
      width: 640,
      height: 360,
    });
  });

  it("counts the errors of a damaged recording", async () => {
    const bytes = new Uint8Array(readFileSync(testH264));
    // flip bytes in the middle of slices (not start codes): the decoder must notice
    for (let i = 20_000; i < bytes.length; i += 7919)
      if (bytes[i]! > 3) bytes[i] = bytes[i]! ^ 0x5a;
    const path = join(mkdtempSync(join(tmpdir(), "framewire-demo-av-")), "damaged.h264");
    writeFileSync(path, bytes);
    const r = await decodeH264File(path);
    expect(r.errors).toBeGreaterThan(0);
    expect(r.messages.length).toBeGreaterThan(0);
  });

  it("turns a keyframe into a 320x180 JPEG, and a delta frame alone into nothing", async () => {
    const aus = splitAccessUnits(new Uint8Array(readFileSync(testH264)));
    const jpeg = await keyframeToJpeg("h264", aus[30]!.data);
    expect(jpeg).toBeDefined();
    expect([...jpeg!.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]); // SOI + marker
    // SOF0 carries height and width
    const sof = jpeg!.indexOf(Buffer.from([0xff, 0xc0]));
    expect(sof).toBeGreaterThan(0);
    expect(jpeg!.readUInt16BE(sof + 5)).toBe(180);
    expect(jpeg!.readUInt16BE(sof + 7)).toBe(320);
    expect(await keyframeToJpeg("h264", aus[31]!.data)).toBeUndefined();
    expect(await keyframeToJpeg("h264", Uint8Array.of(0, 0, 1, 0x65, 0xff))).toBeUndefined();
  });
});
