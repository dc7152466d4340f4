import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RtpVideoError } from "../errors.js";
import { BitReader, unescapeRbsp } from "./bit-reader.js";
import { type H264Sps, parseSps } from "./sps.js";

function hex(s: string): Uint8Array {
  return Uint8Array.from(s.trim().split(/\s+/), (b) => Number.parseInt(b, 16));
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

/** Calls `fn` and returns what it threw (fails the test if it returned). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
}

function expectBadSps(fn: () => unknown, message?: RegExp): void {
  const e = thrown(fn);
  expect(e).toBeInstanceOf(RtpVideoError);
  expect((e as RtpVideoError).code).toBe("H264_BAD_SPS");
  if (message !== undefined) expect((e as RtpVideoError).message).toMatch(message);
}

/** Parses, or returns the RtpVideoError; any other throw propagates and fails the test. */
function parseOrError(nal: Uint8Array): H264Sps | RtpVideoError {
  try {
    return parseSps(nal);
  } catch (e) {
    if (e instanceof RtpVideoError) return e;
    throw e;
  }
}

const DEFAULTS: H264Sps = {
  profileIdc: 0,
  constraintFlags: 0,
  levelIdc: 0,
  spsId: 0,
  chromaFormatIdc: 1,
  bitDepthLuma: 8,
  bitDepthChroma: 8,
  frameMbsOnly: true,
  width: 0,
  height: 0,
  cropLeft: 0,
  cropRight: 0,
  cropTop: 0,
  cropBottom: 0,
};

interface Vector {
  name: string;
  /** How the bytes were produced. */
  source: string;
  hex: string;
  expected: Partial<H264Sps>;
}

const X264 = "ffmpeg 5.1 + libx264 (core 164), lavfi testsrc2, -frames:v 1 -f h264";
const CRAFTED = "hand-built bitstream, fields confirmed by ffmpeg -bsf:v trace_headers";

// Expected values: ffprobe width/height/profile/level plus trace_headers for the raw fields.
const VECTORS: Vector[] = [
  {
    name: "x264 constrained baseline 640x360 (brief)",
    source: "given in the task brief; ffmpeg trace_headers: 40x23 MBs, crop_bottom 4",
    hex: "67 42 c0 1f da 02 80 bf e5 c0 44 00 00 03 00 04 00 00 03 00 f2 3c 60 ca 80",
    expected: {
      profileIdc: 66,
      constraintFlags: 0xc0,
      levelIdc: 31,
      width: 640,
      height: 360,
      cropBottom: 8,
    },
  },
  {
    name: "High 1920x1080 (crop bottom 8)",
    source: `${X264} size=1920x1080 -profile:v high`,
    hex: "67 64 00 28 ac d9 40 78 02 27 e5 c0 44 00 00 03 00 04 00 00 03 00 f0 3c 60 c6 58",
    expected: { profileIdc: 100, levelIdc: 40, width: 1920, height: 1080, cropBottom: 8 },
  },
  {
    name: "Main 1280x720",
    source: `${X264} size=1280x720 -profile:v main`,
    hex: "67 4d 40 1f ec a0 28 02 dd 80 88 00 00 03 00 08 00 00 03 01 e0 78 c1 8c b0",
    expected: { profileIdc: 77, constraintFlags: 0x40, levelIdc: 31, width: 1280, height: 720 },
  },
  {
    name: "Constrained baseline 176x144 (pic_order_cnt_type 2)",
    source: `${X264} size=176x144 -profile:v baseline`,
    hex: "67 42 c0 0b d9 02 c4 ec 04 40 00 00 03 00 40 00 00 0f 03 c5 0a 92",
    expected: { profileIdc: 66, constraintFlags: 0xc0, levelIdc: 11, width: 176, height: 144 },
  },
  {
    name: "Constrained baseline 320x240",
    source: `${X264} size=320x240 -profile:v baseline -x264-params bframes=0`,
    hex: "67 42 c0 0d d9 01 41 fb 01 10 00 00 03 00 10 00 00 03 03 c0 f1 42 a4 80",
    expected: { profileIdc: 66, constraintFlags: 0xc0, levelIdc: 13, width: 320, height: 240 },
  },
  {
    name: "High 642x362 (odd size, crop right 14 bottom 6)",
    source: `${X264} size=642x362 -profile:v high`,
    hex: "67 64 00 1e ac d9 40 a4 2f e2 24 c0 44 00 00 03 00 04 00 00 03 00 f0 3c 58 b6 58",
    expected: {
      profileIdc: 100,
      levelIdc: 30,
      width: 642,
      height: 362,
      cropRight: 14,
      cropBottom: 6,
    },
  },
  {
    name: "High 4:4:4 Predictive 640x480",
    source: `${X264} size=640x480 -pix_fmt yuv444p -profile:v high444`,
    hex: "67 f4 00 1e 91 9b 28 14 07 b6 02 20 00 00 03 00 20 00 00 07 81 e2 c5 b2 c0",
    expected: { profileIdc: 244, levelIdc: 30, chromaFormatIdc: 3, width: 640, height: 480 },
  },
  {
    name: "High 4:4:4 322x242 (CropUnit 1x1)",
    source: `${X264} size=322x242 -pix_fmt yuv444p -profile:v high444`,
    hex: "67 f4 00 0d 91 9b 28 2a 10 f1 f1 f8 08 80 00 00 03 00 80 00 00 1e 07 8a 14 cb",
    expected: {
      profileIdc: 244,
      levelIdc: 13,
      chromaFormatIdc: 3,
      width: 322,
      height: 242,
      cropRight: 14,
      cropBottom: 14,
    },
  },
  {
    name: "High 4:2:2 640x480",
    source: `${X264} size=640x480 -pix_fmt yuv422p -profile:v high422`,
    hex: "67 7a 00 1e bc d9 40 a0 3d b0 11 00 00 03 00 01 00 00 03 00 3c 0f 16 2d 96",
    expected: { profileIdc: 122, levelIdc: 30, chromaFormatIdc: 2, width: 640, height: 480 },
  },
  {
    name: "High 4:2:2 322x242 (CropUnit 2x1)",
    source: `${X264} size=322x242 -pix_fmt yuv422p -profile:v high422`,
    hex: "67 7a 00 0d bc d9 41 50 87 88 8f c0 44 00 00 03 00 04 00 00 03 00 f0 3c 50 a6 58",
    expected: {
      profileIdc: 122,
      levelIdc: 13,
      chromaFormatIdc: 2,
      width: 322,
      height: 242,
      cropRight: 14,
      cropBottom: 14,
    },
  },
  {
    name: "High 10 640x480",
    source: `${X264} size=640x480 -pix_fmt yuv420p10le -profile:v high10`,
    hex: "67 6e 00 1e a6 cd 94 0a 03 db 01 10 00 00 03 00 10 00 00 03 03 c0 f1 62 d9 60",
    expected: {
      profileIdc: 110,
      levelIdc: 30,
      bitDepthLuma: 10,
      bitDepthChroma: 10,
      width: 640,
      height: 480,
    },
  },
  {
    name: "High interlaced 720x576 (frame_mbs_only 0)",
    source: `${X264} size=720x576 -profile:v high -flags +ildct+ilme`,
    hex: "67 64 00 1e ac d9 40 b4 24 d8 08 80 00 00 03 00 80 00 00 19 0f 8a 14 cb",
    expected: { profileIdc: 100, levelIdc: 30, frameMbsOnly: false, width: 720, height: 576 },
  },
  {
    name: "High interlaced 720x484 (CropUnitY 4)",
    source: `${X264} size=720x484 -profile:v high -flags +ildct+ilme`,
    hex: "67 64 00 1e ac d9 40 b4 20 fc 46 02 20 00 00 03 00 20 00 00 06 43 e2 85 32 c0",
    expected: {
      profileIdc: 100,
      levelIdc: 30,
      frameMbsOnly: false,
      width: 720,
      height: 484,
      cropBottom: 28,
    },
  },
  {
    name: "High monochrome 320x240 (chroma_format_idc 0)",
    source: `${X264} size=320x240 -pix_fmt gray`,
    hex: "67 64 00 0d f3 65 05 07 ec 05 b2 00 00 03 00 02 00 00 03 00 78 1e 28 53 2c",
    expected: { profileIdc: 100, levelIdc: 13, chromaFormatIdc: 0, width: 320, height: 240 },
  },
  {
    name: "High monochrome 322x242 (ChromaArrayType 0: CropUnit 1x1)",
    source: `${X264} size=322x242 -pix_fmt gray`,
    hex: "67 64 00 0d f3 65 05 42 1e 3e 3f 01 6c 80 00 00 03 00 80 00 00 1e 07 8a 14 cb",
    expected: {
      profileIdc: 100,
      levelIdc: 13,
      chromaFormatIdc: 0,
      width: 322,
      height: 242,
      cropRight: 14,
      cropBottom: 14,
    },
  },
  {
    name: "High 4:2:0 with seq_scaling_matrix (lists 0,1,3,6; early end, use-default)",
    source: CRAFTED,
    hex:
      "67 64 00 1e ad 94 70 e0 80 7c 70 40 40 64 20 20 50 4c 40 a1 52 10 84 20 25 42 26 63 18 c6 " +
      "31 8c 63 18 c6 31 8c 63 18 c6 31 8c 63 18 c6 31 8c 63 18 c6 31 8c 63 18 c6 31 8c 63 18 c6 " +
      "31 8c 63 18 c6 31 9b 28 14 07 bf 2a",
    expected: { profileIdc: 100, levelIdc: 30, width: 640, height: 472, cropBottom: 8 },
  },
  {
    name: "High 4:4:4 with seq_scaling_matrix (12 lists, 8x8 chroma lists, mod-256 wrap)",
    source: CRAFTED,
    hex:
      "67 f4 00 1e 91 a4 21 ff fc 33 18 c6 31 8c 63 18 c6 31 8c 63 18 c6 31 8c 63 18 c6 31 8c 63 " +
      "18 c6 31 8c 63 18 c6 31 8c 63 18 c6 31 8c 63 18 c6 31 8d 98 c6 31 8c 63 18 c6 31 8c 63 18 " +
      "c6 31 8c 63 18 c6 31 8c 63 18 c6 31 8c 63 18 c6 31 8c 63 18 c6 31 8c 63 18 c6 31 8c 68 0b " +
      "80 19 00 70 84 60 20 40 ec 13 19 b2 82 83 fd da",
    expected: {
      profileIdc: 244,
      levelIdc: 30,
      chromaFormatIdc: 3,
      width: 318,
      height: 238,
      cropRight: 2,
      cropBottom: 2,
    },
  },
  {
    name: "Main with pic_order_cnt_type 1 (3-entry cycle)",
    source: CRAFTED,
    hex: "67 4d 40 1f d0 a8 82 0e 38 a0 b0 4b cb 22",
    expected: {
      profileIdc: 77,
      constraintFlags: 0x40,
      levelIdc: 31,
      width: 344,
      height: 282,
      cropRight: 8,
      cropBottom: 6,
    },
  },
  {
    name: "4:4:4 separate_colour_plane, fields (ChromaArrayType 0: CropUnit 1x2)",
    source: CRAFTED,
    hex: "67 f4 00 28 93 9b 28 3c 29 d3 21 50",
    expected: {
      profileIdc: 244,
      levelIdc: 40,
      chromaFormatIdc: 3,
      frameMbsOnly: false,
      width: 477,
      height: 306,
      cropLeft: 1,
      cropRight: 2,
      cropTop: 6,
      cropBottom: 8,
    },
  },
  {
    name: "High 4:2:2 10-bit 1920x1080, seq_parameter_set_id 31",
    source: CRAFTED,
    hex: "67 7a 00 29 04 0d b3 65 01 e0 08 9f 89 40",
    expected: {
      profileIdc: 122,
      levelIdc: 41,
      spsId: 31,
      chromaFormatIdc: 2,
      bitDepthLuma: 10,
      bitDepthChroma: 10,
      width: 1920,
      height: 1080,
      cropBottom: 8,
    },
  },
];

// ---------------------------------------------------------------------------
// Test-only SPS writer, for boundary and error cases.

class BitWriter {
  readonly bits: number[] = [];

  u(n: number, v: number): this {
    for (let i = n - 1; i >= 0; i--) this.bits.push(Math.floor(v / 2 ** i) % 2);
    return this;
  }

  ue(v: number): this {
    const len = Math.floor(Math.log2(v + 1));
    return this.u(len, 0).u(len + 1, v + 1);
  }

  se(v: number): this {
    return this.ue(v > 0 ? 2 * v - 1 : -2 * v);
  }

  /** Appends rbsp_trailing_bits, packs bytes and inserts emulation-prevention bytes. */
  nal(header: number): Uint8Array {
    const bits = [...this.bits, 1];
    while (bits.length % 8 !== 0) bits.push(0);
    const out = [header];
    let zeros = 0;
    for (let i = 0; i < bits.length; i += 8) {
      const byte = bits.slice(i, i + 8).reduce((acc, b) => acc * 2 + b, 0);
      if (zeros >= 2 && byte <= 3) {
        out.push(3);
        zeros = 0;
      }
      out.push(byte);
      zeros = byte === 0 ? zeros + 1 : 0;
    }
    return Uint8Array.from(out);
  }
}

interface SpsFields {
  profileIdc?: number;
  constraintFlags?: number;
  levelIdc?: number;
  spsId?: number;
  chromaFormatIdc?: number;
  separateColourPlane?: number;
  bitDepthLumaMinus8?: number;
  bitDepthChromaMinus8?: number;
  /** Raw delta_scale values per list index; undefined = list not present. */
  scalingDeltas?: (readonly number[] | undefined)[];
  pocType?: number;
  /** offset_for_non_ref_pic, offset_for_top_to_bottom_field, offset_for_ref_frame[]. */
  poc1?: { nonRef: number; topToBottom: number; refOffsets: readonly number[] };
  /** Overrides num_ref_frames_in_pic_order_cnt_cycle (to write a count without offsets). */
  poc1Count?: number;
  maxNumRefFrames?: number;
  widthMbs?: number;
  heightMapUnits?: number;
  frameMbsOnly?: number;
  crop?: readonly [number, number, number, number];
}

const HIGH = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

function buildSps(f: SpsFields): Uint8Array {
  const w = new BitWriter();
  const profileIdc = f.profileIdc ?? 100;
  w.u(8, profileIdc)
    .u(8, f.constraintFlags ?? 0)
    .u(8, f.levelIdc ?? 30)
    .ue(f.spsId ?? 0);
  if (HIGH.has(profileIdc)) {
    const cfi = f.chromaFormatIdc ?? 1;
    w.ue(cfi);
    if (cfi === 3) w.u(1, f.separateColourPlane ?? 0);
    w.ue(f.bitDepthLumaMinus8 ?? 0)
      .ue(f.bitDepthChromaMinus8 ?? 0)
      .u(1, 0);
    if (f.scalingDeltas === undefined) {
      w.u(1, 0);
    } else {
      w.u(1, 1);
      for (let i = 0; i < (cfi === 3 ? 12 : 8); i++) {
        const deltas = f.scalingDeltas[i];
        w.u(1, deltas === undefined ? 0 : 1);
        for (const d of deltas ?? []) w.se(d);
      }
    }
  }
  w.ue(0); // log2_max_frame_num_minus4
  const pocType = f.pocType ?? 0;
  w.ue(pocType);
  if (pocType === 0) w.ue(2);
  if (pocType === 1) {
    const p = f.poc1 ?? { nonRef: 0, topToBottom: 0, refOffsets: [] };
    w.u(1, 0)
      .se(p.nonRef)
      .se(p.topToBottom)
      .ue(f.poc1Count ?? p.refOffsets.length);
    for (const o of p.refOffsets) w.se(o);
  }
  w.ue(f.maxNumRefFrames ?? 4)
    .u(1, 0)
    .ue((f.widthMbs ?? 20) - 1)
    .ue((f.heightMapUnits ?? 15) - 1);
  const fmo = f.frameMbsOnly ?? 1;
  w.u(1, fmo);
  if (fmo === 0) w.u(1, 1);
  w.u(1, 1);
  if (f.crop === undefined) {
    w.u(1, 0);
  } else {
    w.u(1, 1);
    for (const c of f.crop) w.ue(c);
  }
  w.u(1, 0); // vui_parameters_present_flag
  return w.nal(0x67);
}

// ---------------------------------------------------------------------------

describe("parseSps vectors", () => {
  it.each(VECTORS)("$name", ({ hex: h, expected }) => {
    expect(parseSps(hex(h))).toEqual({ ...DEFAULTS, ...expected });
  });

  it("ignores nal_ref_idc (0x27 and 0x07 headers)", () => {
    const base = hex(VECTORS[0]!.hex);
    const expected = parseSps(base);
    for (const header of [0x07, 0x27, 0x47]) {
      const nal = Uint8Array.from(base);
      nal[0] = header;
      expect(parseSps(nal)).toEqual(expected);
    }
  });

  it("test writer reproduces the ffmpeg-checked crafted vectors", () => {
    const ramp = [0, ...Array.from({ length: 63 }, () => 3)];
    const scaling420 = buildSps({
      levelIdc: 30,
      scalingDeltas: [
        [-2, 7, 7, 8, -15, 7, 8, 4, -12, 8, 4, 5, -9, 4, 5, 5],
        [2, 2, 2, 2, 2, -18],
        undefined,
        [-8],
        undefined,
        undefined,
        ramp,
      ],
      widthMbs: 40,
      heightMapUnits: 30,
      crop: [0, 0, 0, 4],
    });
    expect(toHex(scaling420)).toBe(VECTORS.find((v) => v.name.startsWith("High 4:2:0 with"))!.hex);
    const poc1 = buildSps({
      profileIdc: 77,
      constraintFlags: 0x40,
      levelIdc: 31,
      pocType: 1,
      poc1: { nonRef: -2, topToBottom: 1, refOffsets: [4, -3, 7] },
      widthMbs: 22,
      heightMapUnits: 18,
      crop: [0, 4, 0, 3],
    });
    expect(toHex(poc1)).toBe(VECTORS.find((v) => v.name.startsWith("Main with"))!.hex);
  });
});

describe("parseSps limits", () => {
  it("accepts a 255-entry pic_order_cnt cycle and rejects 256", () => {
    const refOffsets = Array.from({ length: 255 }, (_, k) => (k % 2 === 0 ? k : -k));
    const ok = buildSps({
      profileIdc: 77,
      pocType: 1,
      poc1: { nonRef: 0, topToBottom: 0, refOffsets },
    });
    expect(parseSps(ok)).toMatchObject({ width: 320, height: 240 });
    const tooMany = buildSps({ profileIdc: 77, pocType: 1, poc1Count: 256 });
    expectBadSps(() => parseSps(tooMany), /num_ref_frames_in_pic_order_cnt_cycle 256/);
    // A huge count must be rejected before looping over it.
    const huge = buildSps({ profileIdc: 77, pocType: 1, poc1Count: 2 ** 32 - 2 });
    expectBadSps(() => parseSps(huge), /num_ref_frames_in_pic_order_cnt_cycle/);
  });

  it("caps width and height at 16384 after cropping", () => {
    expect(parseSps(buildSps({ widthMbs: 1024, heightMapUnits: 16 }))).toMatchObject({
      width: 16384,
      height: 256,
    });
    expectBadSps(() => parseSps(buildSps({ widthMbs: 1025, heightMapUnits: 16 })), /exceeds 16384/);
    expectBadSps(() => parseSps(buildSps({ widthMbs: 16, heightMapUnits: 1025 })), /exceeds 16384/);
    // 16400 coded rows cropped by 16 is fine: the cap applies to the output picture.
    expect(
      parseSps(buildSps({ widthMbs: 16, heightMapUnits: 1025, crop: [0, 0, 0, 8] })),
    ).toMatchObject({ width: 256, height: 16384, cropBottom: 16 });
    // ue(v) maximum for pic_width_in_mbs_minus1 must not wrap to something small.
    expectBadSps(() => parseSps(buildSps({ widthMbs: 2 ** 32 - 1 })), /exceeds 16384/);
  });

  it("rejects cropping that removes the whole picture", () => {
    // 4:2:0 progressive: CropUnitX 2, 320 px = 160 units.
    expectBadSps(() => parseSps(buildSps({ crop: [80, 80, 0, 0] })), /frame cropping/);
    expect(parseSps(buildSps({ crop: [80, 79, 0, 0] }))).toMatchObject({
      width: 2,
      cropLeft: 160,
      cropRight: 158,
    });
    // Interlaced 4:2:0: CropUnitY 4, 480 rows = 120 units.
    expectBadSps(
      () => parseSps(buildSps({ frameMbsOnly: 0, crop: [0, 0, 60, 60] })),
      /frame cropping/,
    );
    expect(parseSps(buildSps({ frameMbsOnly: 0, crop: [0, 0, 60, 59] }))).toMatchObject({
      height: 4,
    });
    expectBadSps(() => parseSps(buildSps({ crop: [2 ** 32 - 2, 0, 0, 0] })), /frame cropping/);
  });

  it("rejects out-of-range syntax elements", () => {
    expectBadSps(() => parseSps(buildSps({ spsId: 32 })), /seq_parameter_set_id 32/);
    expectBadSps(() => parseSps(buildSps({ chromaFormatIdc: 4 })), /chroma_format_idc 4/);
    expectBadSps(() => parseSps(buildSps({ bitDepthLumaMinus8: 7 })), /bit_depth_luma_minus8/);
    expectBadSps(() => parseSps(buildSps({ bitDepthChromaMinus8: 7 })), /bit_depth_chroma/);
    expectBadSps(() => parseSps(buildSps({ pocType: 3 })), /pic_order_cnt_type 3/);
    expectBadSps(() => parseSps(buildSps({ maxNumRefFrames: 17 })), /max_num_ref_frames 17/);
    expectBadSps(() => parseSps(buildSps({ scalingDeltas: [[128]] })), /delta_scale 128/);
    expectBadSps(() => parseSps(buildSps({ scalingDeltas: [[-129]] })), /delta_scale -129/);
    // Baseline has no chroma_format_idc field: 4:2:0 is implied.
    expect(parseSps(buildSps({ profileIdc: 66 }))).toMatchObject({ chromaFormatIdc: 1 });
  });

  it("rejects a NAL unit that is not an SPS", () => {
    const nal = hex(VECTORS[0]!.hex);
    for (const header of [0x68, 0x65, 0x41, 0x06, 0x00, 0x1f]) {
      const other = Uint8Array.from(nal);
      other[0] = header;
      expectBadSps(() => parseSps(other), /not an SPS/);
    }
    const forbidden = Uint8Array.from(nal);
    forbidden[0] = 0xe7;
    expectBadSps(() => parseSps(forbidden), /forbidden_zero_bit/);
    expectBadSps(() => parseSps(new Uint8Array(0)), /empty/);
  });

  it("rejects an Exp-Golomb code with 32 leading zeros", () => {
    // seq_parameter_set_id = 32 zero bits then a 1 (escaped as 00 00 03 00 00 03 80).
    expectBadSps(
      () => parseSps(hex("67 42 c0 1f 00 00 03 00 00 03 80")),
      /more than 31 leading zero/,
    );
    // 31 leading zeros decodes (to 2^32-2), then fails the seq_parameter_set_id range check.
    expectBadSps(
      () => parseSps(hex("67 42 c0 1f 00 00 03 00 01 ff ff ff ff")),
      /seq_parameter_set_id 4294967294/,
    );
  });
});

describe("parseSps truncation", () => {
  it.each(VECTORS)("every prefix of $name parses or throws RtpVideoError", ({ hex: h }) => {
    const nal = hex(h);
    for (let len = 0; len < nal.length; len++) {
      const r = parseOrError(nal.subarray(0, len));
      if (r instanceof RtpVideoError) expect(r.code).toBe("H264_BAD_SPS");
    }
  });

  it("reports a cut before frame cropping as truncated", () => {
    const nal = hex(VECTORS[0]!.hex);
    for (let len = 1; len <= 6; len++) {
      expectBadSps(() => parseSps(nal.subarray(0, len)), /truncated/);
    }
  });
});

describe("parseSps properties", () => {
  it("random bytes after 0x67 only ever throw RtpVideoError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (body) => {
        const nal = new Uint8Array(body.length + 1);
        nal[0] = 0x67;
        nal.set(body, 1);
        parseOrError(nal);
      }),
      { numRuns: 5000 },
    );
  });

  it("bit-flipped and cut real SPSs only ever throw RtpVideoError", () => {
    const nals = VECTORS.map((v) => hex(v.hex));
    fc.assert(
      fc.property(
        fc.nat({ max: nals.length - 1 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        (which, flips, cut) => {
          const nal = Uint8Array.from(nals[which]!);
          for (const f of flips) {
            const bit = 8 + (f % ((nal.length - 1) * 8)); // keep the header byte
            nal[bit >>> 3]! ^= 0x80 >>> (bit & 7);
          }
          parseOrError(nal.subarray(0, 1 + (cut % nal.length)));
        },
      ),
      { numRuns: 5000 },
    );
  });
});

describe("BitReader", () => {
  it("reads fixed-width fields MSB first, up to 32 bits unsigned", () => {
    const r = new BitReader(hex("ff ff ff ff a5"));
    expect(r.bitsLeft).toBe(40);
    expect(r.u(32)).toBe(0xffffffff);
    expect(r.u(0)).toBe(0);
    expect(r.u1()).toBe(1);
    expect(r.flag()).toBe(false);
    r.skip(2);
    expect(r.u(4)).toBe(0x5);
    expect(r.bitsLeft).toBe(0);
    expectBadSps(() => r.u1(), /truncated/);
  });

  it("decodes ue(v) and se(v) per H.264 §9.1", () => {
    // 1 010 011 00100 00101 00110 00111 -> codeNum 0..6
    const w = new BitWriter();
    for (let k = 0; k <= 6; k++) w.ue(k);
    const bytes = w.nal(0).subarray(1);
    const r1 = new BitReader(bytes);
    expect(Array.from({ length: 7 }, () => r1.ue())).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const r2 = new BitReader(bytes);
    const se = Array.from({ length: 7 }, () => r2.se());
    expect(se).toEqual([0, 1, -1, 2, -2, 3, -3]);
    expect(Object.is(se[0], 0)).toBe(true);
  });

  it("decodes the largest ue(v), 2^32-2, and rejects 32 leading zeros", () => {
    expect(new BitReader(hex("00 00 00 01 ff ff ff ff")).ue()).toBe(2 ** 32 - 2);
    expect(new BitReader(hex("00 00 00 01 ff ff ff ff")).se()).toBe(-(2 ** 31 - 1));
    expectBadSps(() => new BitReader(hex("00 00 00 00 80")).ue(), /31 leading zero/);
    expectBadSps(() => new BitReader(hex("00 00 00 00 00 00")).ue(), /31 leading zero/);
    expectBadSps(() => new BitReader(hex("00 00 00")).ue(), /truncated/);
    expectBadSps(() => new BitReader(hex("00 01")).ue(), /truncated/);
  });

  it("skip checks bounds", () => {
    const r = new BitReader(hex("00 00"));
    r.skip(16);
    expect(r.bitsLeft).toBe(0);
    expectBadSps(() => new BitReader(hex("00")).skip(9), /truncated/);
    expect(() => r.u(33)).toThrow(RangeError);
  });

  it("strips emulation-prevention bytes before reading", () => {
    const r = new BitReader(hex("00 00 03 01"));
    expect(r.bitsLeft).toBe(24);
    expect(r.u(24)).toBe(1);
  });
});

describe("unescapeRbsp", () => {
  it.each([
    ["", ""],
    ["00 00 03 00", "00 00 00"],
    ["00 00 03 01", "00 00 01"],
    ["00 00 03 03", "00 00 03"],
    ["00 00 03 00 00 03 00", "00 00 00 00 00"],
    ["00 03 00 00 03", "00 03 00 00"],
    ["00 00 03", "00 00"],
    ["01 00 03 00", "01 00 03 00"],
    ["12 00 00 04", "12 00 00 04"],
  ])("%s -> %s", (input, output) => {
    const src = input === "" ? new Uint8Array(0) : hex(input);
    const out = unescapeRbsp(src);
    expect(toHex(out)).toBe(output);
    expect(out.buffer).not.toBe(src.buffer);
  });
});
