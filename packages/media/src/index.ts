export {
  type AudioFormat,
  AudioResampler,
  checkAudioFormat,
  SAMPLE_RATES,
} from "./audio-resampler.js";
export { MediaError, type MediaErrorCode } from "./media-error.js";
export { type NativeCounts, nativeCounts } from "./native-counts.js";
export {
  OPUS_FRAME_SAMPLES,
  OPUS_RATE,
  OpusDecoder,
  OpusEncoder,
  type OpusOptions,
} from "./opus-codec.js";
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
export { type ConvertTarget, VideoConverter } from "./video-converter.js";
export { type DecoderCodec, VideoDecoder, type VideoDecoderOptions } from "./video-decoder.js";
export {
  type EncodedVideo,
  type EncoderCodec,
  VideoEncoder,
  type VideoEncoderOptions,
} from "./video-encoder.js";
