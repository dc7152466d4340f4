// @framewire/test-support: helpers shared by the packages' tests that need no peer and no I/O:
// virtual time, promise flushing, a seeded PRNG, H.264 access units of a test stream, IVF files,
// and the pure media checks: PSNR of 8-bit pictures, tones in audio samples, G.711 (no
// third-party peer).

export { flushPromises } from "./flush-promises.js";
export {
  BYTE_MUTATIONS,
  type ByteMutation,
  concat,
  MAX_FUZZ_INPUT_BYTES,
  mutateByteOnce,
  mutateBytes,
} from "./fuzz-bytes.js";
export { FUZZ_HEAP_BOUND_BYTES, fuzzMain } from "./fuzz-main.js";
export { FuzzRandom, fuzzInputSeed, fuzzRandom } from "./fuzz-random.js";
export {
  errorOutcome,
  exposedGc,
  type FuzzFailure,
  type FuzzOptions,
  type FuzzReport,
  type FuzzTarget,
  formatFuzzReport,
  runFuzz,
  toHex,
} from "./fuzz-run.js";
export { type G711Codec, g711Decode, g711Encode } from "./g711.js";
export {
  type AccessUnits,
  type AnnexB,
  groupAccessUnits,
  h264AccessUnits,
} from "./h264-access-units.js";
export { type IvfFile, ivfBytes, readIvf, vp8Size } from "./ivf.js";
export { ManualScheduler } from "./manual-scheduler.js";
export { MediaCheckError, type MediaCheckErrorCode } from "./media-check-error.js";
export { prng } from "./prng.js";
export { type PlanePsnr, psnr, psnrI420 } from "./psnr.js";
export {
  type AudioSamples,
  dominantFrequency,
  type FrequencyBand,
  rmsDbfs,
  sineTone,
  toneLevels,
} from "./tone.js";
