import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readIvf } from "@framewire/test-support";
import { itWithPeers, startChild } from "@framewire/test-support/peers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hex, rng } from "../../test/gen.js";
import { RtpVideoError } from "../errors.js";
import { FrameAssembler } from "../frame-assembler.js";
import type { KeyframeNeeded } from "../frame-assembler-types.js";
import { FrameBuffer } from "../frame-buffer.js";
import type { RtpPacket } from "../rtp/rtp-packet.js";
import { RtpPacketizer } from "../rtp/rtp-packetizer.js";
import { sequenceFrom } from "../rtp/sequence.js";
import type { VideoFrame } from "../video-frame.js";
import { Vp9Depacketizer } from "./vp9-depacketizer.js";
import { parseVp9Descriptor, type Vp9Descriptor } from "./vp9-descriptor.js";
import { parseVp9FrameHeader } from "./vp9-header.js";
import { VP9_MIN_MTU, Vp9Packetizer, type Vp9PacketizerOptions } from "./vp9-packetizer.js";

// ---------------------------------------------------------------------------
// Helpers: VP9 uncompressed headers written bit by bit (VP9 spec §6.2)

type Field = readonly [value: number, bits: number];

/** bits packs fields most significant bit first, then appends `tail` (compressed data stand-in). */
function bits(fields: readonly Field[], tail: readonly number[] = [0x5a, 0xa5, 0x3c]): Uint8Array {
  const out: number[] = [];
  let acc = 0;
  let count = 0;
  for (const [value, width] of fields) {
    for (let i = width - 1; i >= 0; i--) {
      acc = (acc << 1) | (Math.floor(value / 2 ** i) & 1);
      if (++count === 8) {
        out.push(acc);
        acc = 0;
        count = 0;
      }
    }
  }
  if (count > 0) out.push(acc << (8 - count));
  return Uint8Array.from([...out, ...tail]);
}

const SYNC: Field[] = [
  [0x49, 8],
  [0x83, 8],
  [0x42, 8],
];

function profileBits(profile: number): Field[] {
  const f: Field[] = [
    [2, 2],
    [profile & 1, 1],
    [profile >> 1, 1],
  ];
  if (profile === 3) f.push([0, 1]);
  return f;
}

/** keyStart is the start of a shown key frame header in `profile`, up to its frame sync code. */
function keyStart(profile: number): Field[] {
  // show_existing, KEY_FRAME, show, !error_res, then frame_sync_code
  return [...profileBits(profile), [0, 1], [0, 1], [1, 1], [0, 1], ...SYNC];
}

/** keyHeader is a key frame header: shown, 8/10-bit BT.601 (4:2:0, or 4:2:2 in profiles 1, 3). */
function keyHeader(width: number, height: number, profile = 0): Uint8Array {
  const f = keyStart(profile);
  if (profile >= 2) f.push([0, 1]); // 10-bit
  f.push([2, 3], [0, 1]); // color_space BT.601, studio range
  if (profile === 1 || profile === 3) f.push([1, 1], [0, 1], [0, 1]); // 4:2:2, reserved_zero
  f.push([width - 1, 16], [height - 1, 16]);
  return bits(f);
}

/** interHeader is a shown inter frame: size from LAST (found_ref), or coded when given. */
function interHeader(size?: { width: number; height: number }): Uint8Array {
  const f = profileBits(0);
  f.push([0, 1], [1, 1], [1, 1], [0, 1], [0, 2], [0x01, 8], [0, 12]);
  if (size === undefined) f.push([1, 1]);
  else f.push([0, 1], [0, 1], [0, 1], [size.width - 1, 16], [size.height - 1, 16]);
  return bits(f);
}

/** withBody pads a header with pseudo-random bytes up to `size`. */
function withBody(header: Uint8Array, size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(Math.max(size, header.length));
  out.set(header);
  const r = rng(seed);
  for (let i = header.length; i < out.length; i++) out[i] = Math.floor(r() * 256);
  return out;
}

function cat(...parts: (Uint8Array | readonly number[])[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

// ---------------------------------------------------------------------------
// Helpers: driving the depacketizer

interface Pushed {
  dep: Vp9Depacketizer;
  buf: FrameBuffer;
}

/** depacketize pushes payloads with consecutive sequence numbers, then ends the frame. */
function depacketize(payloads: readonly Uint8Array[], opts: { end?: boolean } = {}): Pushed {
  const dep = new Vp9Depacketizer();
  const buf = new FrameBuffer();
  for (let i = 0; i < payloads.length; i++) dep.push(payloads[i]!, (65534 + i) & 0xffff, buf);
  if (opts.end ?? true) dep.endFrame(buf);
  return { dep, buf };
}

function nonZero(dropped: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(dropped).filter(([, v]) => v > 0));
}

function payloadsOf(frame: Uint8Array, options: Vp9PacketizerOptions = {}): Uint8Array[] {
  const out: Uint8Array[] = [];
  new Vp9Packetizer(options).packetize(frame, (p) => out.push(p.slice()));
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// Descriptor vectors (RFC 9628 §4.2, §4.2.1), each followed by two bytes of VP9 data.

/** NON_FLEXIBLE: I (M, PID 0x1234), L (TID 2, U, SID 1, D), TL0PICIDX 7, SS (3 layers, Y, G). */
const NON_FLEXIBLE = hex(
  [
    "aa", // I=1 P=0 L=1 F=0 B=1 E=0 V=1 Z=0
    "92 34", // M=1, PICTURE ID 0x1234
    "53", // TID=2 U=1 SID=1 D=1
    "07", // TL0PICIDX
    "58", // N_S=2 Y=1 G=1
    "01 40 00 b4 02 80 01 68 05 00 02 d0", // 320x180, 640x360, 1280x720
    "02", // N_G=2
    "04 04", // TID=0 U=0 R=1, P_DIFF 4
    "38 01 02", // TID=1 U=1 R=2, P_DIFF 1, 2
  ].join(" "),
);

/** FLEXIBLE: I (PID 0x33, 7 bits), P, L (TID 1, SID 2), three P_DIFFs (1, 2, 5), E, Z. */
const FLEXIBLE = hex(
  [
    "f5", // I=1 P=1 L=1 F=1 B=0 E=1 V=0 Z=1
    "33", // M=0, PICTURE ID 0x33
    "24", // TID=1 U=0 SID=2 D=0
    "03 05 0a", // P_DIFF 1 (N), 2 (N), 5
  ].join(" "),
);

/** FLEXIBLE_SS: flexible key picture (I, 15-bit PID 0x100, B, V) with an SS of 2 layers, Y=0, G=0. */
const FLEXIBLE_SS = hex("9a 81 00 20 01 2a 08 00");

const DATA = [0xde, 0xad];

describe("parseVp9Descriptor (RFC 9628 §4.2)", () => {
  it("parses a non-flexible descriptor with layer indices, TL0PICIDX and an SS with Y and G", () => {
    const d = parseVp9Descriptor(cat(NON_FLEXIBLE, DATA));
    expect(typeof d).toBe("object");
    const desc = d as Vp9Descriptor;
    expect(desc).toMatchObject({
      length: NON_FLEXIBLE.length,
      pictureId: 0x1234,
      pictureIdBits: 15,
      interPicturePredicted: false,
      hasLayerIndices: true,
      flexible: false,
      startOfLayerFrame: true,
      endOfLayerFrame: false,
      scalabilityPresent: true,
      notUpperReference: false,
      temporalId: 2,
      switchingUpPoint: true,
      spatialId: 1,
      interLayerDependency: true,
      tl0PicIndex: 7,
      referenceDiffs: [],
    });
    expect(desc.scalability).toEqual({
      spatialLayers: 3,
      widths: [320, 640, 1280],
      heights: [180, 360, 720],
      pictureGroup: [
        { temporalId: 0, switchingUpPoint: false, referenceDiffs: [4] },
        { temporalId: 1, switchingUpPoint: true, referenceDiffs: [1, 2] },
      ],
    });
  });

  it("parses a flexible descriptor with layer indices and three P_DIFFs (no TL0PICIDX)", () => {
    const desc = parseVp9Descriptor(cat(FLEXIBLE, DATA)) as Vp9Descriptor;
    expect(desc).toMatchObject({
      length: 6,
      pictureId: 0x33,
      pictureIdBits: 7,
      interPicturePredicted: true,
      hasLayerIndices: true,
      flexible: true,
      startOfLayerFrame: false,
      endOfLayerFrame: true,
      scalabilityPresent: false,
      notUpperReference: true,
      temporalId: 1,
      switchingUpPoint: false,
      spatialId: 2,
      interLayerDependency: false,
      tl0PicIndex: -1,
      referenceDiffs: [1, 2, 5],
      scalability: undefined,
    });
  });

  it("parses a flexible key picture with an SS without sizes and an empty picture group", () => {
    // 9a: I=1 P=0 L=0 F=1 B=1 E=0 V=1 Z=0; 81 00: 15-bit PID 0x100; SS 20: N_S=1 Y=0 G=0
    // (so the bytes after it, "01 2a 08 00", are VP9 data)
    const desc = parseVp9Descriptor(FLEXIBLE_SS) as Vp9Descriptor;
    expect(desc.length).toBe(4);
    expect(desc.pictureId).toBe(0x100);
    expect(desc.flexible).toBe(true);
    expect(desc.referenceDiffs).toEqual([]);
    expect(desc.scalability).toEqual({
      spatialLayers: 2,
      widths: [],
      heights: [],
      pictureGroup: undefined,
    });
    // G=1 with N_G=0: an empty picture group
    const g = parseVp9Descriptor(hex("0e 08 00 ff")) as Vp9Descriptor;
    expect(g.length).toBe(3);
    expect(g.scalability?.pictureGroup).toEqual([]);
  });

  it("parses the smallest descriptor: one octet, nothing optional", () => {
    const d = parseVp9Descriptor(hex("0c 82")) as Vp9Descriptor;
    expect(d).toMatchObject({ length: 1, pictureId: -1, pictureIdBits: 0, tl0PicIndex: -1 });
    expect(d.startOfLayerFrame && d.endOfLayerFrame).toBe(true);
  });

  it("refuses a fourth P_DIFF (N still set on the third)", () => {
    expect(parseVp9Descriptor(hex("d0 01 03 03 03 02 00"))).toBe("too-many-references");
  });

  it("reuses the object it is given and clears fields of the previous payload", () => {
    const into = parseVp9Descriptor(cat(NON_FLEXIBLE, DATA)) as Vp9Descriptor;
    const again = parseVp9Descriptor(hex("0c 00"), into) as Vp9Descriptor;
    expect(again).toBe(into);
    expect(again).toMatchObject({
      length: 1,
      pictureId: -1,
      hasLayerIndices: false,
      spatialId: 0,
      tl0PicIndex: -1,
      scalability: undefined,
    });
  });

  const valid: [string, Uint8Array][] = [
    ["non-flexible with L and SS (Y, G)", NON_FLEXIBLE],
    ["flexible with L and 3 P_DIFFs", FLEXIBLE],
    ["flexible with SS (no Y)", FLEXIBLE_SS.subarray(0, 4)],
    ["SS with G and N_G = 0", hex("0e 08 00")],
  ];
  for (const [name, desc] of valid) {
    it(`drops and counts every truncation of a valid descriptor: ${name}`, () => {
      expect(typeof parseVp9Descriptor(desc)).toBe("object");
      for (let len = 0; len < desc.length; len++) {
        const cut = desc.slice(0, len);
        const fault = parseVp9Descriptor(cut);
        expect(typeof fault, `prefix of ${len} bytes`).toBe("string");
        const dep = new Vp9Depacketizer();
        const buf = new FrameBuffer();
        expect(() => dep.push(cut, 1, buf)).not.toThrow();
        const counted = Object.values(dep.dropped).reduce((a, b) => a + b, 0);
        expect(counted, `prefix of ${len} bytes`).toBe(1);
        expect(buf.length).toBe(0);
        if (len === 0) {
          expect(dep.dropped["empty-payload"]).toBe(1);
        } else {
          expect(buf.corrupt).toBe(true);
          expect(["descriptor-truncated", "ss-truncated"]).toContain(fault);
          expect(dep.dropped[fault as "descriptor-truncated" | "ss-truncated"]).toBe(1);
        }
      }
    });
  }

  it("never throws and never reads past the payload, whatever the bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const d = parseVp9Descriptor(bytes);
        if (typeof d === "object") expect(d.length).toBeLessThanOrEqual(bytes.length);
      }),
      { numRuns: 5000 },
    );
  });
});

// ---------------------------------------------------------------------------

describe("parseVp9FrameHeader (VP9 spec §6.2)", () => {
  it("reads profile 0 key frames: sync code, color config, frame size", () => {
    expect(parseVp9FrameHeader(keyHeader(320, 240))).toEqual({
      profile: 0,
      showExistingFrame: false,
      keyframe: true,
      intraOnly: false,
      showFrame: true,
      bitDepth: 8,
      width: 320,
      height: 240,
    });
    expect(parseVp9FrameHeader(keyHeader(65536, 1))).toMatchObject({ width: 65536, height: 1 });
  });

  it("reads the extra color config bits of profiles 1, 2 and 3", () => {
    expect(parseVp9FrameHeader(keyHeader(1280, 720, 1))).toMatchObject({
      profile: 1,
      keyframe: true,
      bitDepth: 8,
      width: 1280,
      height: 720,
    });
    expect(parseVp9FrameHeader(keyHeader(640, 360, 2))).toMatchObject({
      profile: 2,
      bitDepth: 10,
      width: 640,
      height: 360,
    });
    expect(parseVp9FrameHeader(keyHeader(176, 144, 3))).toMatchObject({
      profile: 3,
      bitDepth: 10,
      width: 176,
      height: 144,
    });
    // profile 1, RGB (4:4:4): color_space 7 has no color_range or subsampling, only reserved_zero
    const rgb = bits([...keyStart(1), [7, 3], [0, 1], [99, 16], [49, 16]]);
    expect(parseVp9FrameHeader(rgb)).toMatchObject({ keyframe: true, width: 100, height: 50 });
  });

  it("reads inter frames: size from a reference (0) or coded (found_ref all 0)", () => {
    expect(parseVp9FrameHeader(interHeader())).toMatchObject({
      keyframe: false,
      intraOnly: false,
      width: 0,
      height: 0,
    });
    expect(parseVp9FrameHeader(interHeader({ width: 800, height: 600 }))).toMatchObject({
      keyframe: false,
      width: 800,
      height: 600,
    });
  });

  it("reads intra-only frames (hidden, sync code, no color config in profile 0)", () => {
    const intra = bits([
      ...profileBits(0),
      [0, 1],
      [1, 1], // NON_KEY
      [0, 1], // show_frame = 0
      [0, 1],
      [1, 1], // intra_only
      [0, 2],
      ...SYNC,
      [0xff, 8],
      [351, 16],
      [287, 16],
    ]);
    expect(parseVp9FrameHeader(intra)).toEqual({
      profile: 0,
      showExistingFrame: false,
      keyframe: false,
      intraOnly: true,
      showFrame: false,
      bitDepth: 8,
      width: 352,
      height: 288,
    });
  });

  it("reads show_existing_frame", () => {
    expect(parseVp9FrameHeader(bits([...profileBits(0), [1, 1], [5, 3]], []))).toMatchObject({
      showExistingFrame: true,
      keyframe: false,
      width: 0,
    });
  });

  it("refuses a bad frame marker, a bad sync code, reserved bits and forbidden color configs", () => {
    const key = keyHeader(320, 240);
    const badMarker = key.slice();
    badMarker[0] = (badMarker[0]! & 0x3f) | 0x40;
    expect(parseVp9FrameHeader(badMarker)).toBeUndefined();
    const badSync = key.slice();
    badSync[2] = badSync[2]! ^ 0x01;
    expect(parseVp9FrameHeader(badSync)).toBeUndefined();
    // profile 3 with reserved_zero = 1
    expect(
      parseVp9FrameHeader(
        bits([
          [2, 2],
          [1, 1],
          [1, 1],
          [1, 1],
        ]),
      ),
    ).toBeUndefined();
    // RGB in profile 0
    const rgb0 = bits([...keyStart(0), [7, 3]]);
    expect(parseVp9FrameHeader(rgb0)).toBeUndefined();
    // 4:2:0 in profile 1
    const yuv420p1 = bits([...keyStart(1), [2, 3], [0, 1], [1, 1], [1, 1], [0, 1], [0, 32]]);
    expect(parseVp9FrameHeader(yuv420p1)).toBeUndefined();
  });

  it("refuses every truncation of a key frame header, and honours `end`", () => {
    const key = keyHeader(320, 240).subarray(0, 10); // 72 header bits + 8 of the tail
    expect(parseVp9FrameHeader(key)).toBeDefined();
    for (let len = 0; len < 9; len++)
      expect(parseVp9FrameHeader(key.slice(0, len))).toBeUndefined();
    expect(parseVp9FrameHeader(key, 0, 8)).toBeUndefined();
    expect(parseVp9FrameHeader(cat([1, 2], key), 2)).toMatchObject({ width: 320 });
  });
});

// ---------------------------------------------------------------------------

describe("Vp9Depacketizer (RFC 9628 §4.1–4.3)", () => {
  const key = withBody(keyHeader(320, 240), 50);
  const inter = withBody(interHeader(), 40, 2);

  it("reassembles a layer frame from B to E and detects a key frame with its size", () => {
    const { dep, buf } = depacketize([
      cat([0x8a, 0x80, 0x01, 0x10, 0x01, 0x40, 0x00, 0xf0], key.subarray(0, 20)),
      cat([0x80, 0x80, 0x01], key.subarray(20, 30)),
      cat([0x84, 0x80, 0x01], key.subarray(30)),
    ]);
    expect(sameBytes(buf.take(), key)).toBe(true);
    expect(buf).toMatchObject({
      units: 1,
      keyframe: true,
      width: 320,
      height: 240,
      cleanStart: true,
      corrupt: false,
    });
    expect(nonZero(dep.dropped)).toEqual({});
    expect(dep.pending).toBe(false);
  });

  it("does not flag a key frame when P = 1, or when the header is not KEY_FRAME", () => {
    const p1 = depacketize([cat([0xcc, 0x05], key)]).buf;
    expect(p1.keyframe).toBe(false);
    expect(p1.width).toBe(320); // the size is still announced
    const notKey = depacketize([cat([0x8c, 0x05], inter)]).buf;
    expect(notKey.keyframe).toBe(false);
    expect(notKey.width).toBe(0);
    expect(notKey.corrupt).toBe(false);
  });

  it("passes data that is not a VP9 header on, counted as bad-frame-header", () => {
    const { dep, buf } = depacketize([hex("cc 01 02 03")]); // I, P, B, E, PID 1, data 02 03
    expect(sameBytes(buf.take(), hex("02 03"))).toBe(true);
    expect(buf.corrupt).toBe(false);
    expect(nonZero(dep.dropped)).toEqual({ "bad-frame-header": 1 });
  });

  it("assembles a spatial superframe: key base layer, size of the top layer from its header", () => {
    const base = withBody(keyHeader(160, 120), 30, 3);
    const top = withBody(interHeader({ width: 640, height: 480 }), 30, 4);
    // non-flexible, L present: SID 0 (key, SS Y with 2 layers), then SID 1 (inter-layer, D=1)
    const good = depacketize([
      cat(
        [0xae, 0x81, 0x00, 0x00, 0x09, 0x30, 0x00, 0xa0, 0x00, 0x78, 0x01, 0x40, 0x00, 0xf0],
        base,
      ),
      cat([0xad, 0x81, 0x00, 0x03, 0x09], top),
    ]);
    expect(sameBytes(good.buf.take(), cat(base, top))).toBe(true);
    expect(good.buf).toMatchObject({
      units: 2,
      keyframe: true,
      cleanStart: true,
      corrupt: false,
      width: 640, // the top layer's own header wins over the SS (320x240)
      height: 480,
    });
  });

  it("takes the top layer's size from the SS when its header copies a reference's size", () => {
    const base = withBody(keyHeader(160, 120), 30, 3);
    const top = withBody(interHeader(), 30, 4);
    const ss = [0x30, 0x00, 0xa0, 0x00, 0x78, 0x01, 0x40, 0x00, 0xf0]; // 2 layers: 160x120, 320x240
    const { buf } = depacketize([
      cat([0xae, 0x81, 0x00, 0x00, 0x09], ss, base),
      cat([0xad, 0x81, 0x00, 0x03, 0x09], top),
    ]);
    expect(buf).toMatchObject({ keyframe: true, width: 320, height: 240, units: 2 });
    // without an SS the top layer announces nothing
    const bare = depacketize([
      cat([0xac, 0x81, 0x00, 0x00, 0x09], base),
      cat([0xad, 0x81, 0x00, 0x03, 0x09], top),
    ]).buf;
    expect(bare).toMatchObject({ keyframe: true, width: 0, height: 0 });
    // with only the base layer present, the SS size of layer 0 is not needed: its header has it
    const baseOnly = depacketize([cat([0xae, 0x81, 0x00, 0x00, 0x09], ss, base)]).buf;
    expect(baseOnly).toMatchObject({ keyframe: true, width: 160, height: 120 });
  });

  it("discards a layer frame that carries no data (empty-layer-frame)", () => {
    const { dep, buf } = depacketize([hex("8e 81 00 10 01 40 00 f0")]); // B, E, SS only
    expect(buf.corrupt).toBe(true);
    expect(buf.units).toBe(0);
    expect(nonZero(dep.dropped)).toEqual({ "empty-layer-frame": 1 });
  });

  it("is not a clean start when the first payload continues a layer frame (missing-layer-start)", () => {
    const { dep, buf } = depacketize([cat([0x80, 0x00], key.subarray(10)), cat([0x84, 0x00], key)]);
    expect(buf.cleanStart).toBe(false);
    expect(buf.corrupt).toBe(true);
    expect(buf.length).toBe(0);
    expect(nonZero(dep.dropped)).toEqual({ "missing-layer-start": 2 });
  });

  it("is not a clean start when the first layer frame is not the base spatial layer", () => {
    const { buf } = depacketize([cat([0xac, 0x00, 0x02, 0x00], inter)]);
    expect(buf.cleanStart).toBe(false);
    expect(buf.corrupt).toBe(false);
    expect(buf.keyframe).toBe(false);
  });

  it("discards a layer frame not ended by E before the next B (missing-layer-end)", () => {
    const { dep, buf } = depacketize([
      cat([0x88, 0x00], key.subarray(0, 10)),
      cat([0x8c, 0x00], inter),
    ]);
    expect(sameBytes(buf.take(), inter)).toBe(true);
    expect(buf.corrupt).toBe(true);
    expect(buf.units).toBe(1);
    expect(nonZero(dep.dropped)).toEqual({ "missing-layer-end": 1 });
  });

  it("discards a layer frame still open when the frame ends", () => {
    const { dep, buf } = depacketize([cat([0x88, 0x00], key)], { end: false });
    expect(dep.pending).toBe(true);
    dep.endFrame(buf);
    expect(dep.pending).toBe(false);
    expect(buf.length).toBe(0);
    expect(buf.corrupt).toBe(true);
    expect(nonZero(dep.dropped)).toEqual({ "missing-layer-end": 1 });
  });

  it("discards a layer frame with a sequence gap or a spatial layer change inside", () => {
    const dep = new Vp9Depacketizer();
    const buf = new FrameBuffer();
    dep.push(cat([0x88, 0x00], key.subarray(0, 10)), 10, buf);
    dep.push(cat([0x84, 0x00], key.subarray(10)), 12, buf);
    expect(buf.length).toBe(0);
    expect(dep.dropped["layer-missing-fragment"]).toBe(1);
    dep.reset();
    buf.clear();
    dep.push(hex("a8 00 00 05 11 22"), 20, buf);
    dep.push(hex("a4 00 02 05 33"), 21, buf);
    expect(buf.length).toBe(0);
    expect(buf.corrupt).toBe(true);
    expect(dep.dropped["layer-mismatch"]).toBe(1);
  });

  it("aborts the open layer frame when a payload of the frame is malformed", () => {
    const { dep, buf } = depacketize([
      cat([0x88, 0x00], key.subarray(0, 10)),
      hex("e0 00"), // I, P, L announced, payload ends after the PID
      cat([0x84, 0x00], key.subarray(10)),
    ]);
    expect(buf.corrupt).toBe(true);
    expect(buf.length).toBe(0);
    expect(nonZero(dep.dropped)).toEqual({
      "descriptor-truncated": 1,
      "layer-missing-fragment": 1,
      "missing-layer-start": 1,
    });
  });

  it("ignores empty payloads (padding) without harming the frame", () => {
    const { dep, buf } = depacketize([
      new Uint8Array(0),
      cat([0x8c, 0x00], key),
      new Uint8Array(0),
    ]);
    expect(buf).toMatchObject({ corrupt: false, cleanStart: true, keyframe: true });
    expect(nonZero(dep.dropped)).toEqual({ "empty-payload": 2 });
  });

  it("drops a frame larger than the buffer's cap", () => {
    const dep = new Vp9Depacketizer();
    const buf = new FrameBuffer(40, 16);
    dep.push(cat([0x88, 0x00], key.subarray(0, 30)), 1, buf);
    dep.push(cat([0x84, 0x00], key.subarray(30)), 2, buf);
    expect(buf.overflowed).toBe(true);
    expect(buf.corrupt).toBe(true);
    expect(buf.length).toBe(0);
    expect(dep.dropped["frame-too-large"]).toBe(1);
  });

  it("reset forgets the open layer frame and the picture", () => {
    const dep = new Vp9Depacketizer();
    const buf = new FrameBuffer();
    dep.push(cat([0x88, 0x00], key.subarray(0, 10)), 1, buf);
    expect(dep.pending).toBe(true);
    dep.reset();
    expect(dep.pending).toBe(false);
    buf.clear();
    dep.push(cat([0x84, 0x00], key.subarray(10)), 2, buf);
    expect(buf.corrupt).toBe(true);
    expect(buf.cleanStart).toBe(false);
    expect(dep.dropped["missing-layer-start"]).toBe(1);
    // after reset a new picture starts cleanly again
    dep.reset();
    buf.clear();
    dep.push(cat([0x8c, 0x00], key), 3, buf);
    expect(buf).toMatchObject({ cleanStart: true, keyframe: true, corrupt: false });
  });

  it("never throws on arbitrary payload sequences and never writes more than it got", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 12 }), (payloads) => {
        const dep = new Vp9Depacketizer();
        const buf = new FrameBuffer();
        let total = 0;
        payloads.forEach((p, i) => {
          dep.push(p, i, buf);
          total += p.length;
        });
        dep.endFrame(buf);
        expect(buf.length).toBeLessThanOrEqual(total);
        expect(dep.pending).toBe(false);
      }),
      { numRuns: 3000 },
    );
  });
});

// ---------------------------------------------------------------------------

describe("Vp9Packetizer (RFC 9628 §4.2, non-flexible mode)", () => {
  it("sends a key frame with I, M, B, E, V and a one-layer SS with the frame size", () => {
    const key = withBody(keyHeader(320, 240), 100);
    const out = payloadsOf(key, { initialPictureId: 0x1234 });
    expect(out).toHaveLength(1);
    expect([...out[0]!.subarray(0, 8)]).toEqual([0x8e, 0x92, 0x34, 0x10, 0x01, 0x40, 0x00, 0xf0]);
    expect(sameBytes(out[0]!.subarray(8), key)).toBe(true);
  });

  it("sends an inter frame with P = 1 and no SS, flags B on the first and E on the last", () => {
    const inter = withBody(interHeader(), 3000);
    const out: { bytes: Uint8Array; last: boolean }[] = [];
    new Vp9Packetizer({ initialPictureId: 5 }).packetize(inter, (p, last) =>
      out.push({ bytes: p.slice(), last }),
    );
    expect(out.map((p) => [...p.bytes.subarray(0, 3)])).toEqual([
      [0xc8, 0x80, 0x05],
      [0xc0, 0x80, 0x05],
      [0xc4, 0x80, 0x05],
    ]);
    expect(out.map((p) => p.last)).toEqual([false, false, true]);
    // 3000 bytes + 3 x 3 descriptor bytes over 3 payloads: 1003 each
    expect(out.map((p) => p.bytes.length)).toEqual([1003, 1003, 1003]);
  });

  it("sizes a key frame's payloads evenly despite the longer first descriptor", () => {
    const key = withBody(keyHeader(320, 240), 2400);
    const out = payloadsOf(key, { mtu: 1000 });
    expect(out.map((p) => p.length)).toEqual([805, 805, 804]);
    expect([...out[0]!.subarray(0, 4)]).toEqual([0x8a, out[0]![1], out[0]![2], 0x10]);
    expect(out[1]![0]).toBe(0x80);
    expect(out[2]![0]).toBe(0x84);
  });

  it("increments the PICTURE ID once per frame and wraps at 15 bits", () => {
    const p = new Vp9Packetizer({ initialPictureId: 0x7ffe, mtu: 100 });
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      p.packetize(withBody(interHeader(), 250), (payload) =>
        ids.push(((payload[1]! & 0x7f) << 8) | payload[2]!),
      );
    }
    expect(ids).toEqual([0x7ffe, 0x7ffe, 0x7ffe, 0x7fff, 0x7fff, 0x7fff, 0, 0, 0]);
    expect(p.nextPictureId).toBe(1);
    expect(new Vp9Packetizer({ random: () => 0.5 }).nextPictureId).toBe(0x4000);
  });

  it("refuses bad options and empty frames with RtpVideoError BAD_OPTION", () => {
    const bad: Vp9PacketizerOptions[] = [
      { mtu: VP9_MIN_MTU - 1 },
      { mtu: 1200.5 },
      { mtu: 65001 },
      { initialPictureId: -1 },
      { initialPictureId: 0x8000 },
      { initialPictureId: 1.5 },
    ];
    for (const options of bad) {
      expect(() => new Vp9Packetizer(options)).toThrow(RtpVideoError);
      try {
        new Vp9Packetizer(options);
      } catch (e) {
        expect((e as RtpVideoError).code).toBe("BAD_OPTION");
      }
    }
    expect(new Vp9Packetizer({ mtu: VP9_MIN_MTU }).mtu).toBe(VP9_MIN_MTU);
    const p = new Vp9Packetizer({ initialPictureId: 9 });
    expect(() => p.packetize(new Uint8Array(0), () => {})).toThrow(/empty VP9 frame/);
    expect(p.nextPictureId).toBe(9);
  });

  it("round-trips any frame bytes at any MTU, no payload over the MTU (1 B–200 KB, 100–1500)", () => {
    const frame = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 3000 }),
      // large frames from a seeded PRNG (fast to generate), sometimes behind a key frame header
      fc
        .record({
          size: fc.integer({ min: 1, max: 200_000 }),
          seed: fc.integer(),
          key: fc.boolean(),
        })
        .map(({ size, seed, key }) =>
          withBody(key ? keyHeader(320, 240) : new Uint8Array(0), size, seed).subarray(0, size),
        ),
    );
    fc.assert(
      fc.property(frame, fc.integer({ min: 100, max: 1500 }), (x, mtu) => {
        const payloads = payloadsOf(x, { mtu });
        for (const p of payloads) expect(p.length).toBeLessThanOrEqual(mtu);
        const { dep, buf } = depacketize(payloads);
        expect(sameBytes(buf.take(), x)).toBe(true);
        expect(buf.corrupt).toBe(false);
        expect(buf.units).toBe(1);
        expect(buf.cleanStart).toBe(true);
        const { "bad-frame-header": _, ...others } = dep.dropped;
        expect(Object.values(others).every((v) => v === 0)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("keeps payloads within a byte of each other, each with data, down to the smallest MTU", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 600 }),
        fc.integer({ min: VP9_MIN_MTU, max: 60 }),
        fc.boolean(),
        (size, mtu, key) => {
          const x = withBody(key ? keyHeader(320, 240) : interHeader(), size).subarray(0, size);
          const payloads = payloadsOf(x, { mtu });
          const sizes = payloads.map((p) => p.length);
          expect(Math.max(...sizes)).toBeLessThanOrEqual(mtu);
          expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
          // fewest payloads: the frame would not fit in one fewer
          const ss = parseVp9FrameHeader(x)?.keyframe === true ? 5 : 0;
          const capacity = (k: number) => k * (mtu - 3) - ss;
          expect(capacity(payloads.length)).toBeGreaterThanOrEqual(size);
          expect(capacity(payloads.length - 1)).toBeLessThan(size);
          payloads.forEach((p, i) => {
            const d = parseVp9Descriptor(p) as Vp9Descriptor;
            expect(p.length - d.length).toBeGreaterThan(0);
            expect(d.scalabilityPresent).toBe(i === 0 && ss > 0);
          });
          expect(sameBytes(depacketize(payloads).buf.take(), x)).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

// ---------------------------------------------------------------------------
// Real VP9 from FFmpeg (libvpx-vp9), through RtpPacketizer and FrameAssembler

interface RealStream {
  frames: Uint8Array[];
  /** key[i] is FFmpeg's own key frame flag (ffprobe packet flags) for frame i. */
  key: boolean[];
}

let realStream: Promise<RealStream> | undefined;

/** encode makes 2 s of 320x240 VP9 (libvpx realtime, a key frame every 10) once per run. */
function encode(): Promise<RealStream> {
  realStream ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), "vp9-"));
    try {
      const ivf = join(dir, "x.ivf");
      const enc = await startChild(
        "ffmpeg",
        [
          ...["-hide_banner", "-loglevel", "error", "-nostdin", "-y"],
          ...["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-t", "2"],
          ...["-c:v", "libvpx-vp9", "-g", "10", "-deadline", "realtime", "-cpu-used", "8"],
          ...["-f", "ivf", ivf],
        ],
        { timeoutMs: 60_000 },
      ).done;
      if (enc.code !== 0) throw new Error(`ffmpeg failed (${enc.code}): ${enc.stderr}`);
      const probe = await startChild(
        "ffprobe",
        ["-v", "error", "-show_entries", "packet=flags", "-of", "csv=p=0", ivf],
        { timeoutMs: 60_000 },
      ).done;
      if (probe.code !== 0) throw new Error(`ffprobe failed (${probe.code}): ${probe.stderr}`);
      const ivfFile = readIvf(ivf);
      expect(ivfFile).toMatchObject({ fourcc: "VP90", width: 320, height: 240 });
      const key = probe.stdout
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => l.startsWith("K"));
      expect(key).toHaveLength(ivfFile.frames.length);
      return { frames: ivfFile.frames.map((f) => f.data), key };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  })();
  return realStream;
}

interface Sent {
  packets: RtpPacket[];
  frameOf: number[];
}

function send(frames: readonly Uint8Array[], mtu: number): Sent {
  const rtp = new RtpPacketizer({
    packetizer: new Vp9Packetizer({ mtu, initialPictureId: 0x7ff0 }),
    payloadType: 98,
    ssrc: 0x0badcafe,
    sequence: sequenceFrom(65500),
  });
  const packets: RtpPacket[] = [];
  const frameOf: number[] = [];
  frames.forEach((f, i) => {
    for (const p of rtp.packetizePackets(f, (0xfffff000 + i * 3000) >>> 0)) {
      packets.push(p);
      frameOf.push(i);
    }
  });
  return { packets, frameOf };
}

function receive(packets: readonly RtpPacket[]): {
  frames: VideoFrame[];
  signals: KeyframeNeeded[];
  assembler: FrameAssembler;
} {
  const frames: VideoFrame[] = [];
  const signals: KeyframeNeeded[] = [];
  const assembler = new FrameAssembler(
    { frame: (f) => frames.push(f), keyframeNeeded: (s) => signals.push(s) },
    { depacketizer: new Vp9Depacketizer() },
  );
  for (const p of packets) assembler.push(p);
  assembler.flush();
  return { frames, signals, assembler };
}

describe("VP9 from a real encoder (FFmpeg libvpx-vp9)", () => {
  const withFfmpeg = itWithPeers(["ffmpeg", "ffprobe"]);

  withFfmpeg("detects key frames and their 320x240 size in libvpx frames", async () => {
    const { frames, key } = await encode();
    expect(frames.length).toBe(60);
    expect(key.filter(Boolean).length).toBeGreaterThanOrEqual(6);
    frames.forEach((frame, i) => {
      const header = parseVp9FrameHeader(frame);
      expect(header, `frame ${i}`).toBeDefined();
      expect(header!.keyframe, `frame ${i}`).toBe(key[i]);
      if (key[i])
        expect(header).toMatchObject({ profile: 0, bitDepth: 8, width: 320, height: 240 });
      // packetized and depacketized, the frame tells the same
      const { dep, buf } = depacketize(payloadsOf(frame, { mtu: 1200 }));
      expect(buf.keyframe, `frame ${i}`).toBe(key[i]);
      expect([buf.width, buf.height]).toEqual(key[i] ? [320, 240] : [0, 0]);
      expect(nonZero(dep.dropped)).toEqual({});
    });
  });

  withFfmpeg(
    "carries libvpx frames through RtpPacketizer and FrameAssembler unchanged",
    async () => {
      const { frames, key } = await encode();
      const { packets } = send(frames, 1200);
      expect(packets.length).toBeGreaterThan(frames.length); // key frames span several packets
      const got = receive(packets);
      expect(got.signals).toEqual([]);
      expect(got.frames).toHaveLength(frames.length);
      got.frames.forEach((f, i) => {
        expect(sameBytes(f.data, frames[i]!), `frame ${i}`).toBe(true);
        expect(f.codec).toBe("vp9");
        expect(f.keyframe, `frame ${i}`).toBe(key[i]);
        expect([f.width, f.height]).toEqual([320, 240]);
        expect(f.sequence).toBe(i);
        expect(f.timestampMs).toBeCloseTo((i * 1000) / 30, 6);
      });
      expect(got.assembler.stats).toMatchObject({
        frames: frames.length,
        keyframes: key.filter(Boolean).length,
        lost: 0,
        framesDroppedCorrupt: 0,
      });
      expect(nonZero(got.assembler.depacketizerDrops)).toEqual({});
    },
  );

  withFfmpeg("drops the frame a lost packet hits and resumes at the next key frame", async () => {
    const { frames, key } = await encode();
    const mtu = 400; // several packets per frame
    const sent = send(frames, mtu);
    const keys = key.flatMap((k, i) => (k ? [i] : []));
    // a middle packet of an inter frame inside the second GOP, then the first packet of a key frame
    const interFrame = frames.findIndex(
      (_, i) => i > keys[1]! && !key[i] && sent.frameOf.filter((f) => f === i).length >= 3,
    );
    expect(interFrame).toBeGreaterThan(0);
    const cases: { lostFrame: number; packet: number }[] = [
      { lostFrame: interFrame, packet: sent.frameOf.indexOf(interFrame) + 1 },
      { lostFrame: keys[2]!, packet: sent.frameOf.indexOf(keys[2]!) },
    ];
    for (const { lostFrame, packet } of cases) {
      const resume = keys.find((k) => k > lostFrame)!;
      const got = receive(sent.packets.filter((_, i) => i !== packet));
      const expected = frames.flatMap((_, i) => (i < lostFrame || i >= resume ? [i] : []));
      expect(
        got.frames.map((f) => frames.findIndex((x) => sameBytes(x, f.data))),
        `lost packet ${packet} of frame ${lostFrame}`,
      ).toEqual(expected);
      expect(got.frames.every((f, j) => sameBytes(f.data, frames[expected[j]!]!))).toBe(true);
      expect(
        got.frames.find(
          (f) => f.rtpTimestamp === sent.packets[sent.frameOf.indexOf(resume)]!.timestamp,
        )?.keyframe,
      ).toBe(true);
      expect(got.signals.map((s) => s.reason)).toEqual(["packet-loss"]);
      // a frame missing its first packet is seen complete but without its start: corrupt
      const { lost, framesDroppedLoss, framesDroppedCorrupt } = got.assembler.stats;
      expect(lost).toBe(1);
      expect(framesDroppedLoss + framesDroppedCorrupt).toBe(1);
      expect(got.assembler.stats.framesDroppedWaiting).toBe(resume - lostFrame - 1);
    }
  });
});
