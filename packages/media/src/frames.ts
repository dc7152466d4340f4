// @framewire/media/frames: the pure part of the raw-media vocabulary (no native code is loaded):
// raw frame types, pixel format names and plane arithmetic. Importing it never loads node-av.

export { MediaError, type MediaErrorCode } from "./media-error.js";
export {
  isPixelFormat,
  LIVEKIT_BUFFER_TYPES,
  type LiveKitBufferType,
  PIXEL_FORMATS,
  type PixelFormat,
  pixelFormatOfLiveKit,
  pixelFormatOfVonage,
  VONAGE_FORMATS,
  type VonageFormat,
} from "./pixel-format.js";
export {
  bytesPerPixel,
  type FrameLayout,
  frameLayout,
  type PlaneLayout,
  tightStrides,
} from "./plane-layout.js";
export { createRawVideoFrame, planeBytes, type RawVideoFrame } from "./raw-video-frame.js";
