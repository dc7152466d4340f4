import { AUDIO_SAMPLE_RATES } from "../continuity/audio-continuity.js";
import { InvalidSettingError } from "../errors.js";
import type {
  AudioData,
  PublisherSettings,
  SessionAudioSettings,
  SessionSettings,
  SessionVideoPublisherSettings,
  SubscriberSettings,
  VideoFrame,
  VideoResolution,
  VonageVideoFormat,
} from "./models.js";

/** MAX_VIDEO_PIXELS is the largest frame the connector takes: 1920x1080 (Vonage). */
export const MAX_VIDEO_PIXELS = 1920 * 1080;

/** VONAGE_VIDEO_FORMATS are the accepted frame formats. */
export const VONAGE_VIDEO_FORMATS: readonly VonageVideoFormat[] = Object.freeze([
  "YUV420P",
  "RGB24",
  "ARGB32",
]);

const LOG_LEVELS = ["ERROR", "WARN", "INFO", "DEBUG", "TRACE"];

type Obj = Record<string, unknown>;

function object(field: string, v: unknown): Obj {
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw new InvalidSettingError(field, "must be an object");
  return v as Obj;
}

function optionalBoolean(field: string, v: unknown): void {
  if (v !== undefined && typeof v !== "boolean")
    throw new InvalidSettingError(field, "must be a boolean");
}

function integerIn(field: string, v: unknown, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)
    throw new InvalidSettingError(field, `must be an integer in ${min}..${max}, got ${String(v)}`);
  return v;
}

/** checkResolution: positive integer sides, at most 1920x1080 pixels in all. */
export function checkResolution(field: string, v: unknown): VideoResolution {
  const r = object(field, v);
  const width = integerIn(`${field}.width`, r.width, 1, 1920 * 1080);
  const height = integerIn(`${field}.height`, r.height, 1, 1920 * 1080);
  if (width * height > MAX_VIDEO_PIXELS)
    throw new InvalidSettingError(
      field,
      `${width}x${height} is over 1920x1080 (${MAX_VIDEO_PIXELS} pixels)`,
    );
  return { width, height };
}

/** checkAudioSettings: a rate of `AUDIO_SAMPLE_RATES` and 1 or 2 channels. */
export function checkAudioSettings(field: string, v: unknown): SessionAudioSettings {
  const a = object(field, v);
  if (typeof a.sampleRate !== "number" || !AUDIO_SAMPLE_RATES.includes(a.sampleRate))
    throw new InvalidSettingError(
      `${field}.sampleRate`,
      `must be one of ${AUDIO_SAMPLE_RATES.join(", ")}, got ${String(a.sampleRate)}`,
    );
  integerIn(`${field}.numberOfChannels`, a.numberOfChannels, 1, 2);
  return { sampleRate: a.sampleRate, numberOfChannels: a.numberOfChannels as number };
}

function checkFormat(field: string, v: unknown): VonageVideoFormat {
  if (!VONAGE_VIDEO_FORMATS.includes(v as VonageVideoFormat))
    throw new InvalidSettingError(
      field,
      `must be one of ${VONAGE_VIDEO_FORMATS.join(", ")}, got ${String(v)}`,
    );
  return v as VonageVideoFormat;
}

/** checkVideoPublisherSettings: a resolution, 1–30 fps, a Vonage format. */
export function checkVideoPublisherSettings(
  field: string,
  v: unknown,
): SessionVideoPublisherSettings {
  const p = object(field, v);
  return {
    resolution: checkResolution(`${field}.resolution`, p.resolution),
    fps: integerIn(`${field}.fps`, p.fps, 1, 30),
    format: checkFormat(`${field}.format`, p.format),
  };
}

/** checkSessionSettings checks a `SessionSettings` (every field optional) and returns it. */
export function checkSessionSettings(v: unknown, field = "sessionSettings"): SessionSettings {
  if (v === undefined) return {};
  const s = object(field, v);
  optionalBoolean(`${field}.enableMigration`, s.enableMigration);
  if (s.logging !== undefined) {
    const level = object(`${field}.logging`, s.logging).level;
    if (!LOG_LEVELS.includes(level as string))
      throw new InvalidSettingError(
        `${field}.logging.level`,
        `must be one of ${LOG_LEVELS.join(", ")}`,
      );
  }
  if (s.av !== undefined) {
    const av = object(`${field}.av`, s.av);
    if (av.audioPublisher !== undefined)
      checkAudioSettings(`${field}.av.audioPublisher`, av.audioPublisher);
    if (av.audioSubscribersMix !== undefined)
      checkAudioSettings(`${field}.av.audioSubscribersMix`, av.audioSubscribersMix);
    if (av.videoPublisher !== undefined)
      checkVideoPublisherSettings(`${field}.av.videoPublisher`, av.videoPublisher);
  }
  return v as SessionSettings;
}

/** checkPublisherSettings: a non-empty name (≤ 256 characters), at least one of audio and video. */
export function checkPublisherSettings(v: unknown, field = "publisherSettings"): PublisherSettings {
  const p = object(field, v);
  if (typeof p.name !== "string" || p.name.length === 0 || p.name.length > 256)
    throw new InvalidSettingError(`${field}.name`, "must be a string of 1 to 256 characters");
  optionalBoolean(`${field}.hasAudio`, p.hasAudio);
  optionalBoolean(`${field}.hasVideo`, p.hasVideo);
  if (p.hasAudio === false && p.hasVideo === false)
    throw new InvalidSettingError(field, "at least one of hasAudio and hasVideo must be true");
  if (p.audioSettings !== undefined) {
    const a = object(`${field}.audioSettings`, p.audioSettings);
    optionalBoolean(`${field}.audioSettings.enableStereoMode`, a.enableStereoMode);
    optionalBoolean(`${field}.audioSettings.enableOpusDtx`, a.enableOpusDtx);
  }
  return v as PublisherSettings;
}

/** checkSubscriberSettings: at least one of audio and video; a preferred framerate of 1–30. */
export function checkSubscriberSettings(
  v: unknown,
  field = "subscriberSettings",
): SubscriberSettings {
  if (v === undefined) return {};
  const s = object(field, v);
  optionalBoolean(`${field}.subscribeToAudio`, s.subscribeToAudio);
  optionalBoolean(`${field}.subscribeToVideo`, s.subscribeToVideo);
  if (s.subscribeToAudio === false && s.subscribeToVideo === false)
    throw new InvalidSettingError(
      field,
      "at least one of subscribeToAudio and subscribeToVideo must be true",
    );
  if (s.videoSettings !== undefined) {
    const vs = object(`${field}.videoSettings`, s.videoSettings);
    if (vs.preferredResolution !== undefined)
      checkResolution(`${field}.videoSettings.preferredResolution`, vs.preferredResolution);
    if (vs.preferredFramerate !== undefined)
      integerIn(`${field}.videoSettings.preferredFramerate`, vs.preferredFramerate, 1, 30);
    if (vs.format !== undefined) checkFormat(`${field}.videoSettings.format`, vs.format);
  }
  return v as SubscriberSettings;
}

/** videoFrameBytes is the byte size of a tightly packed frame: I420 rounds chroma up on odd sides. */
export function videoFrameBytes(format: VonageVideoFormat, width: number, height: number): number {
  if (format === "YUV420P")
    return width * height + 2 * Math.ceil(width / 2) * Math.ceil(height / 2);
  return width * height * (format === "RGB24" ? 3 : 4);
}

/** checkAudioData: Int16 samples, a valid format, and a buffer of exactly frames × channels. */
export function checkAudioData(
  v: unknown,
  expected?: SessionAudioSettings,
  field = "audioData",
): AudioData {
  const a = object(field, v);
  if (!(a.sampleBuffer instanceof Int16Array))
    throw new InvalidSettingError(`${field}.sampleBuffer`, "must be an Int16Array of 16-bit PCM");
  const format = checkAudioSettings(field, a);
  const frames = integerIn(`${field}.numberOfFrames`, a.numberOfFrames, 1, format.sampleRate);
  if (a.sampleBuffer.length !== frames * format.numberOfChannels)
    throw new InvalidSettingError(
      `${field}.sampleBuffer`,
      `holds ${a.sampleBuffer.length} samples, not numberOfFrames × numberOfChannels = ${frames * format.numberOfChannels}`,
    );
  if (
    expected !== undefined &&
    (expected.sampleRate !== format.sampleRate ||
      expected.numberOfChannels !== format.numberOfChannels)
  )
    throw new InvalidSettingError(
      field,
      `is ${format.sampleRate} Hz × ${format.numberOfChannels}, the publisher was set up for ${expected.sampleRate} Hz × ${expected.numberOfChannels}`,
    );
  return v as AudioData;
}

/** checkVideoFrame: bytes, a resolution up to 1920x1080, a format, and exactly the bytes it needs. */
export function checkVideoFrame(v: unknown, field = "videoFrame"): VideoFrame {
  const f = object(field, v);
  if (!(f.frameBuffer instanceof Uint8Array))
    throw new InvalidSettingError(`${field}.frameBuffer`, "must be a Uint8Array");
  const { width, height } = checkResolution(`${field}.resolution`, f.resolution);
  const format = checkFormat(`${field}.format`, f.format);
  const need = videoFrameBytes(format, width, height);
  if (f.frameBuffer.byteLength !== need)
    throw new InvalidSettingError(
      `${field}.frameBuffer`,
      `holds ${f.frameBuffer.byteLength} bytes, ${format} ${width}x${height} needs ${need}`,
    );
  return v as VideoFrame;
}
