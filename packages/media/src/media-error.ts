import { FramewireError } from "@framewire/errors";

/** MediaErrorCode names the failures `@framewire/media` reports. */
export type MediaErrorCode =
  | "BAD_OPTION"
  | "CODEC_UNSUPPORTED"
  | "CODEC_OPEN_FAILED"
  | "DECODE_FAILED"
  | "CONVERT_FAILED"
  | "ENCODE_FAILED"
  | "INVALID_STATE";

/** MediaError is the typed error of `@framewire/media`; switch on `code`, not on the message. */
export class MediaError extends FramewireError<MediaErrorCode> {}
