// @framewire/media: explicit public API. The pure part (types, pixel formats, plane arithmetic)
// is also its own entry, `@framewire/media/frames`, which never loads node-av.

export {
  type AudioFormat,
  AudioResampler,
  checkAudioFormat,
  SAMPLE_RATES,
} from "./audio-resampler.js";
export * from "./frames.js";
export { type NativeCounts, nativeCounts } from "./native-counts.js";
export {
  OPUS_FRAME_SAMPLES,
  OPUS_RATE,
  OpusDecoder,
  OpusEncoder,
  type OpusOptions,
} from "./opus-codec.js";
export { type ConvertTarget, VideoConverter } from "./video-converter.js";
export { type DecoderCodec, VideoDecoder, type VideoDecoderOptions } from "./video-decoder.js";
export {
  type EncodedVideo,
  type EncoderCodec,
  VideoEncoder,
  type VideoEncoderOptions,
} from "./video-encoder.js";
