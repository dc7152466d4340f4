import { MediaError } from "./media-error.js";

/**
 * PIXEL_FORMATS lists the raw video formats, each named by its memory order: `rgb24` is the
 * bytes R, G, B of each pixel in that order; `bgra` is B, G, R, A. `i420` is planar Y, U, V with
 * chroma at half width and height (rounded up); `nv12` is Y then interleaved UV.
 */
export const PIXEL_FORMATS = [
  "i420",
  "nv12",
  "rgb24",
  "bgr24",
  "rgba",
  "bgra",
  "argb",
  "abgr",
] as const;

/** PixelFormat is one raw video format, named by memory order (see {@link PIXEL_FORMATS}). */
export type PixelFormat = (typeof PIXEL_FORMATS)[number];

/**
 * VONAGE_FORMATS maps the Vonage Video Connector's names to memory order. Vonage names packed
 * RGB formats by a little-endian word: `RGB24` is B, G, R in memory and `ARGB32` is B, G, R, A.
 */
export const VONAGE_FORMATS = {
  YUV420P: "i420",
  RGB24: "bgr24",
  ARGB32: "bgra",
} as const satisfies Record<string, PixelFormat>;

/** VonageFormat is a Vonage Video Connector format name (`YUV420P`, `RGB24`, `ARGB32`). */
export type VonageFormat = keyof typeof VONAGE_FORMATS;

/**
 * LIVEKIT_BUFFER_TYPES maps the names of LiveKit's `VideoBufferType` (rtc-node) to memory order.
 * LiveKit names RGBA-family formats by memory order already; `I420A`, `I422`, `I444`, `I010`
 * have no Framewire format and are left out.
 */
export const LIVEKIT_BUFFER_TYPES = {
  RGBA: "rgba",
  ABGR: "abgr",
  ARGB: "argb",
  BGRA: "bgra",
  RGB24: "rgb24",
  I420: "i420",
  NV12: "nv12",
} as const satisfies Record<string, PixelFormat>;

/** LiveKitBufferType is a LiveKit `VideoBufferType` name that maps to a {@link PixelFormat}. */
export type LiveKitBufferType = keyof typeof LIVEKIT_BUFFER_TYPES;

/** isPixelFormat tells whether `value` is a {@link PixelFormat}. */
export function isPixelFormat(value: unknown): value is PixelFormat {
  return typeof value === "string" && (PIXEL_FORMATS as readonly string[]).includes(value);
}

/** pixelFormatOfVonage is the memory-order format of a Vonage format name. */
export function pixelFormatOfVonage(name: VonageFormat): PixelFormat {
  const f = (VONAGE_FORMATS as Record<string, PixelFormat | undefined>)[name];
  if (f === undefined) throw new MediaError("BAD_OPTION", `unknown Vonage format ${String(name)}`);
  return f;
}

/** pixelFormatOfLiveKit is the memory-order format of a LiveKit `VideoBufferType` name. */
export function pixelFormatOfLiveKit(name: LiveKitBufferType): PixelFormat {
  const f = (LIVEKIT_BUFFER_TYPES as Record<string, PixelFormat | undefined>)[name];
  if (f === undefined) {
    throw new MediaError("BAD_OPTION", `unsupported LiveKit VideoBufferType ${String(name)}`);
  }
  return f;
}
