import type { TrackSource, VideoCodec } from "./enums.js";

/** VideoEncoding is LiveKit's encoding limits: the bitrate (bit/s) and frame rate the encoder is set for. */
export class VideoEncoding {
  maxBitrate?: bigint;
  maxFramerate?: number;

  constructor(data: Partial<Pick<VideoEncoding, "maxBitrate" | "maxFramerate">> = {}) {
    if (data.maxBitrate !== undefined) this.maxBitrate = data.maxBitrate;
    if (data.maxFramerate !== undefined) this.maxFramerate = data.maxFramerate;
  }
}

/** TrackPublishOptionsInit is what `new TrackPublishOptions({...})` takes. */
export interface TrackPublishOptionsInit {
  videoEncoding?: VideoEncoding | { maxBitrate?: bigint; maxFramerate?: number };
  videoCodec?: VideoCodec;
  dtx?: boolean;
  red?: boolean;
  simulcast?: boolean;
  source?: TrackSource;
  stream?: string;
}

/**
 * TrackPublishOptions is LiveKit's publish options (a message with optional fields, built empty
 * or from an object). Framewire uses `source`, `videoEncoding` (bitrate and fps of the encoder)
 * and `videoCodec` (must be the room's: H264 unless `connect` asked for VP8); `dtx`, `red`,
 * `simulcast` and `stream` are kept but change nothing.
 */
export class TrackPublishOptions {
  videoEncoding?: VideoEncoding | { maxBitrate?: bigint; maxFramerate?: number };
  videoCodec?: VideoCodec;
  dtx?: boolean;
  red?: boolean;
  simulcast?: boolean;
  source?: TrackSource;
  stream?: string;

  constructor(data: TrackPublishOptionsInit = {}) {
    Object.assign(this, data);
  }
}
