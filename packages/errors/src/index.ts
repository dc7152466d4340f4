export {
  FramewireError,
  type FramewireErrorOptions,
  isFramewireError,
} from "./framewire-error.js";
export { SHARED_ERROR_CODES, type SharedErrorCode } from "./shared-error-code.js";
