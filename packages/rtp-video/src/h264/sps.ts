import { RtpVideoError } from "../errors.js";
import { BitReader } from "./bit-reader.js";

/** H264Sps is the part of a sequence parameter set (H.264 §7.3.2.1.1) up to frame cropping. */
export interface H264Sps {
  /** profileIdc is profile_idc (Annex A), e.g. 66 Baseline, 77 Main, 100 High. */
  readonly profileIdc: number;
  /** constraintFlags is the byte after profile_idc: constraint_set0..5_flag + 2 reserved bits. */
  readonly constraintFlags: number;
  /** levelIdc is level_idc, ten times the level number (31 = level 3.1). */
  readonly levelIdc: number;
  /** spsId is seq_parameter_set_id, 0..31. */
  readonly spsId: number;
  /** chromaFormatIdc is chroma_format_idc: 0 mono, 1 4:2:0, 2 4:2:2, 3 4:4:4 (1 if absent). */
  readonly chromaFormatIdc: number;
  /** bitDepthLuma is BitDepthY, 8..14. */
  readonly bitDepthLuma: number;
  /** bitDepthChroma is BitDepthC, 8..14. */
  readonly bitDepthChroma: number;
  /** frameMbsOnly is frame_mbs_only_flag; false means the stream may carry field pictures. */
  readonly frameMbsOnly: boolean;
  /** width is the cropped luma width in pixels. */
  readonly width: number;
  /** height is the cropped luma frame height in pixels. */
  readonly height: number;
  /** cropLeft is the left crop in luma pixels (CropUnitX * frame_crop_left_offset). */
  readonly cropLeft: number;
  /** cropRight is the right crop in luma pixels (CropUnitX * frame_crop_right_offset). */
  readonly cropRight: number;
  /** cropTop is the top crop in luma pixels (CropUnitY * frame_crop_top_offset). */
  readonly cropTop: number;
  /** cropBottom is the bottom crop in luma pixels (CropUnitY * frame_crop_bottom_offset). */
  readonly cropBottom: number;
}

/** NAL_TYPE_SPS is the NAL unit type of a sequence parameter set (H.264 Table 7-1). */
const NAL_TYPE_SPS = 7;

/** MAX_DIMENSION is the largest cropped width or height accepted. */
const MAX_DIMENSION = 16384;

/** CHROMA_INFO_PROFILES lists profiles whose SPS has chroma_format_idc (H.264 §7.3.2.1.1). */
const CHROMA_INFO_PROFILES: ReadonlySet<number> = new Set([
  100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135,
]);

/** bad builds the H264_BAD_SPS error this parser throws. */
function bad(message: string): RtpVideoError {
  return new RtpVideoError("H264_BAD_SPS", message);
}

/** ueMax reads a ue(v) and rejects it when above `max` (ranges from H.264 §7.4.2.1.1). */
function ueMax(r: BitReader, name: string, max: number): number {
  const v = r.ue();
  if (v > max) throw bad(`${name} ${v} exceeds ${max} (H.264 §7.4.2.1.1)`);
  return v;
}

/** skipScalingList consumes one scaling_list() of `size` coefficients (H.264 §7.3.2.1.1.1). */
function skipScalingList(r: BitReader, size: number): void {
  let lastScale = 8;
  let nextScale = 8;
  for (let j = 0; j < size; j++) {
    if (nextScale !== 0) {
      const deltaScale = r.se();
      if (deltaScale < -128 || deltaScale > 127) {
        throw bad(`delta_scale ${deltaScale} is outside -128..127 (H.264 §7.4.2.1.1.1)`);
      }
      nextScale = (lastScale + deltaScale + 256) % 256;
    }
    // scalingList[j] = nextScale == 0 ? lastScale : nextScale; lastScale = scalingList[j].
    if (nextScale !== 0) lastScale = nextScale;
  }
}

/** parseSps decodes an SPS NAL unit (header included) up to frame cropping (H.264 §7.3.2.1.1). */
export function parseSps(nal: Uint8Array): H264Sps {
  const header = nal[0];
  if (header === undefined) throw bad("empty NAL unit (H.264 §7.3.1)");
  if ((header & 0x80) !== 0) throw bad("forbidden_zero_bit is set (H.264 §7.4.1)");
  const nalType = header & 0x1f;
  if (nalType !== NAL_TYPE_SPS) {
    throw bad(`NAL unit type ${nalType} is not an SPS (7) (H.264 Table 7-1)`);
  }

  const r = new BitReader(nal.subarray(1));
  const profileIdc = r.u(8);
  const constraintFlags = r.u(8);
  const levelIdc = r.u(8);
  const spsId = ueMax(r, "seq_parameter_set_id", 31);

  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  let bitDepthLuma = 8;
  let bitDepthChroma = 8;
  if (CHROMA_INFO_PROFILES.has(profileIdc)) {
    chromaFormatIdc = ueMax(r, "chroma_format_idc", 3);
    if (chromaFormatIdc === 3) separateColourPlane = r.flag();
    bitDepthLuma = 8 + ueMax(r, "bit_depth_luma_minus8", 6);
    bitDepthChroma = 8 + ueMax(r, "bit_depth_chroma_minus8", 6);
    r.skip(1); // qpprime_y_zero_transform_bypass_flag
    if (r.flag()) {
      // seq_scaling_matrix_present_flag
      const lists = chromaFormatIdc !== 3 ? 8 : 12;
      for (let i = 0; i < lists; i++) {
        if (r.flag()) skipScalingList(r, i < 6 ? 16 : 64);
      }
    }
  }

  ueMax(r, "log2_max_frame_num_minus4", 12);
  const picOrderCntType = ueMax(r, "pic_order_cnt_type", 2);
  if (picOrderCntType === 0) {
    ueMax(r, "log2_max_pic_order_cnt_lsb_minus4", 12);
  } else if (picOrderCntType === 1) {
    r.skip(1); // delta_pic_order_always_zero_flag
    r.se(); // offset_for_non_ref_pic
    r.se(); // offset_for_top_to_bottom_field
    const cycle = ueMax(r, "num_ref_frames_in_pic_order_cnt_cycle", 255);
    for (let i = 0; i < cycle; i++) r.se(); // offset_for_ref_frame[i]
  }
  ueMax(r, "max_num_ref_frames", 16);
  r.skip(1); // gaps_in_frame_num_value_allowed_flag
  const picWidthInMbsMinus1 = r.ue();
  const picHeightInMapUnitsMinus1 = r.ue();
  const frameMbsOnly = r.flag();
  if (!frameMbsOnly) r.skip(1); // mb_adaptive_frame_field_flag
  r.skip(1); // direct_8x8_inference_flag

  let cropLeftOffset = 0;
  let cropRightOffset = 0;
  let cropTopOffset = 0;
  let cropBottomOffset = 0;
  if (r.flag()) {
    // frame_cropping_flag
    cropLeftOffset = r.ue();
    cropRightOffset = r.ue();
    cropTopOffset = r.ue();
    cropBottomOffset = r.ue();
  }

  // CropUnitX/CropUnitY per H.264 §7.4.2.1.1, SubWidthC/SubHeightC per Table 6-1.
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const fieldFactor = frameMbsOnly ? 1 : 2;
  let cropUnitX = 1;
  let cropUnitY = fieldFactor;
  if (chromaArrayType !== 0) {
    const subWidthC = chromaArrayType === 3 ? 1 : 2;
    const subHeightC = chromaArrayType === 1 ? 2 : 1;
    cropUnitX = subWidthC;
    cropUnitY = subHeightC * fieldFactor;
  }

  // Arithmetic, not bitwise: ue(v) values reach 2^32-2 and must not wrap.
  const codedWidth = (picWidthInMbsMinus1 + 1) * 16;
  const codedHeight = fieldFactor * (picHeightInMapUnitsMinus1 + 1) * 16;
  const cropLeft = cropUnitX * cropLeftOffset;
  const cropRight = cropUnitX * cropRightOffset;
  const cropTop = cropUnitY * cropTopOffset;
  const cropBottom = cropUnitY * cropBottomOffset;
  if (cropLeft + cropRight >= codedWidth || cropTop + cropBottom >= codedHeight) {
    throw bad(
      `frame cropping ${cropLeft}+${cropRight}x${cropTop}+${cropBottom} leaves nothing of ` +
        `${codedWidth}x${codedHeight} (H.264 §7.4.2.1.1)`,
    );
  }
  const width = codedWidth - cropLeft - cropRight;
  const height = codedHeight - cropTop - cropBottom;
  if (width > MAX_DIMENSION || height > MAX_DIMENSION) {
    throw bad(`picture size ${width}x${height} exceeds ${MAX_DIMENSION}x${MAX_DIMENSION}`);
  }

  return {
    profileIdc,
    constraintFlags,
    levelIdc,
    spsId,
    chromaFormatIdc,
    bitDepthLuma,
    bitDepthChroma,
    frameMbsOnly,
    width,
    height,
    cropLeft,
    cropRight,
    cropTop,
    cropBottom,
  };
}
