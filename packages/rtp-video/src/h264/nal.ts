/** H264NalType lists the NAL unit types Framewire acts on (H.264 Table 7-1, RFC 6184 Table 1). */
export const H264NalType = {
  /** NON_IDR is a coded slice of a non-IDR picture. */
  NON_IDR: 1,
  /** IDR is a coded slice of an IDR picture: the access unit is a keyframe. */
  IDR: 5,
  /** SEI is supplemental enhancement information. */
  SEI: 6,
  /** SPS is a sequence parameter set. */
  SPS: 7,
  /** PPS is a picture parameter set. */
  PPS: 8,
  /** AUD is an access unit delimiter. */
  AUD: 9,
  /** STAP_A is RFC 6184 §5.7.1 single-time aggregation without DON. */
  STAP_A: 24,
  /** STAP_B is RFC 6184 §5.7.1 single-time aggregation with DON (interleaved mode only). */
  STAP_B: 25,
  /** MTAP16 is RFC 6184 §5.7.2 multi-time aggregation, 16-bit offsets (interleaved mode only). */
  MTAP16: 26,
  /** MTAP24 is RFC 6184 §5.7.2 multi-time aggregation, 24-bit offsets (interleaved mode only). */
  MTAP24: 27,
  /** FU_A is RFC 6184 §5.8 fragmentation unit without DON. */
  FU_A: 28,
  /** FU_B is RFC 6184 §5.8 fragmentation unit with DON (interleaved mode only). */
  FU_B: 29,
} as const;

/** nalType returns the 5-bit nal_unit_type of a NAL header byte. */
export function nalType(headerByte: number): number {
  return headerByte & 0x1f;
}
