import { RtpVideoError } from "../errors.js";
import { findStartCodeEmulation } from "./emulation-scan.js";
import { H264NalType } from "./nal.js";
import { parseSps } from "./sps.js";

/**
 * H264_PARAMETER_SET_LIMITS bound the out-of-band parameter sets a receiver takes (what an SDP
 * `sprop-parameter-sets` hands it, RFC 6184 §8.1): H.264 allows 32 SPS and 256 PPS ids, but a
 * stream declares a handful, and every IDR access unit that lacks them gets a copy.
 */
export const H264_PARAMETER_SET_LIMITS = {
  /** maxUnits is the most parameter-set NAL units taken. */
  maxUnits: 32,
  /** maxUnitBytes is the largest parameter-set NAL unit taken, header included. */
  maxUnitBytes: 4096,
} as const;

/** H264ParameterSets are checked out-of-band SPS and PPS NAL units (no start codes), in order. */
export interface H264ParameterSets {
  /** sps are the sequence parameter sets (NAL type 7), in the order given. */
  readonly sps: readonly Uint8Array[];
  /** pps are the picture parameter sets (NAL type 8), in the order given. */
  readonly pps: readonly Uint8Array[];
}

/** NO_PARAMETER_SETS is the empty set (no out-of-band parameter sets). */
export const NO_PARAMETER_SETS: H264ParameterSets = { sps: [], pps: [] };

const bad = (message: string): RtpVideoError => new RtpVideoError("BAD_OPTION", message);

/**
 * checkH264ParameterSets validates out-of-band parameter sets and returns copies, split into SPS
 * and PPS. Each unit is one NAL unit without a start code: forbidden_zero_bit 0, type 7 (SPS,
 * which must parse, H.264 §7.3.2.1.1) or 8 (PPS), no start-code emulation and no trailing zero
 * byte (H.264 §7.4.1), so it can be written into an Annex-B access unit as it is. Anything else,
 * or more than `H264_PARAMETER_SET_LIMITS`, throws `BAD_OPTION`.
 */
export function checkH264ParameterSets(units: readonly Uint8Array[]): H264ParameterSets {
  if (!Array.isArray(units)) throw bad("h264ParameterSets must be an array of NAL units");
  if (units.length > H264_PARAMETER_SET_LIMITS.maxUnits) {
    throw bad(
      `h264ParameterSets holds ${units.length} NAL units, more than ${H264_PARAMETER_SET_LIMITS.maxUnits}`,
    );
  }
  const sps: Uint8Array[] = [];
  const pps: Uint8Array[] = [];
  for (let i = 0; i < units.length; i++) {
    const unit: unknown = units[i];
    const what = `h264ParameterSets[${i}]`;
    if (!(unit instanceof Uint8Array)) throw bad(`${what} must be a Uint8Array (one NAL unit)`);
    if (unit.length < 2 || unit.length > H264_PARAMETER_SET_LIMITS.maxUnitBytes) {
      throw bad(
        `${what} is ${unit.length} bytes; a parameter set NAL unit is 2..${H264_PARAMETER_SET_LIMITS.maxUnitBytes} bytes`,
      );
    }
    const header = unit[0]!;
    const type = header & 0x1f;
    if ((header & 0x80) !== 0 || (type !== H264NalType.SPS && type !== H264NalType.PPS)) {
      throw bad(
        `${what} is NAL type ${type}${header & 0x80 ? " with forbidden_zero_bit set" : ""}; ` +
          "sprop-parameter-sets carry SPS (7) and PPS (8) NAL units without start codes (RFC 6184 §8.1)",
      );
    }
    if (findStartCodeEmulation(unit, 0, unit.length) >= 0 || unit[unit.length - 1] === 0) {
      throw bad(
        `${what} holds a start code emulation or a trailing zero byte (H.264 §7.4.1): pass the NAL unit without its start code`,
      );
    }
    if (type === H264NalType.SPS) {
      try {
        parseSps(unit);
      } catch (e) {
        throw bad(`${what}: ${(e as Error).message}`);
      }
      sps.push(unit.slice());
    } else {
      pps.push(unit.slice());
    }
  }
  return { sps, pps };
}
