// @framewire/test-support: helpers shared by the packages' tests that need no peer and no I/O:
// virtual time, promise flushing, a seeded PRNG, H.264 access units of a test stream, IVF files
// (no third-party peer).

export { flushPromises } from "./flush-promises.js";
export {
  type AccessUnits,
  type AnnexB,
  groupAccessUnits,
  h264AccessUnits,
} from "./h264-access-units.js";
export { type IvfFile, ivfBytes, readIvf, vp8Size } from "./ivf.js";
export { ManualScheduler } from "./manual-scheduler.js";
export { prng } from "./prng.js";
