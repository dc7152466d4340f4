/** VIDEO_CODECS lists every `VideoCodec`, in the order Framewire prefers them. */
export const VIDEO_CODECS = ["h264", "vp8", "vp9"] as const;

/** VideoCodec names the video codecs Framewire carries. */
export type VideoCodec = (typeof VIDEO_CODECS)[number];

/**
 * VideoFrame is one encoded access unit, the unit every Framewire package exchanges
 * (roomkit's `VideoFrame`): all codec data of one RTP timestamp. Build one with
 * `createVideoFrame` (it fills the optional fields); a frame handed to a Framewire API is checked
 * with `checkVideoFrame` first.
 */
export interface VideoFrame {
  /** codec of `data`. */
  readonly codec: VideoCodec;
  /**
   * data is the whole access unit; Annex-B byte stream (start codes) for H.264. Frames from a
   * `FrameAssembler` are views of a slab shared with neighbouring frames of the same stream
   * (never written again): read `data`, not `data.buffer`, and `slice()` it before
   * transferring its buffer to a worker.
   */
  readonly data: Uint8Array;
  /** keyframe is true when the access unit can be decoded on its own (an IDR slice for H.264). */
  readonly keyframe: boolean;
  /** timestampMs is the presentation time relative to the stream's first frame, in ms. */
  readonly timestampMs: number;
  /** rtpTimestamp is the 32-bit RTP timestamp the frame was carried with. */
  readonly rtpTimestamp: number;
  /** sequence counts the frames of a stream: +1 per frame emitted, starting at 0. */
  readonly sequence: number;
  /** width in pixels from the stream's latest SPS (0 until one was seen). */
  readonly width: number;
  /** height in pixels from the stream's latest SPS (0 until one was seen). */
  readonly height: number;
}
