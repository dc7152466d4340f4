// The public boundary for VideoFrame values a caller builds: checkVideoFrame and checkVideoChunk
// reject a malformed one with a typed error naming the field; createVideoFrame builds one.
import { InvalidVideoFrameError } from "./errors.js";
import { annexBUnitBounds } from "./h264/annexb.js";
import { H264NalType } from "./h264/nal.js";
import { parseSps } from "./h264/sps.js";
import { VIDEO_CODECS, type VideoCodec, type VideoFrame } from "./video-frame.js";
import { parseVp8FrameHeader } from "./vp8/vp8-payload.js";
import { parseVp9FrameHeader } from "./vp9/vp9-header.js";

// the RTP clock of every video payload format Framewire carries: 90 kHz (RFC 6184 §5.1,
// RFC 7741 §4.1, RFC 9628 §4.1)
const VIDEO_CLOCK_RATE_KHZ = 90;
const MAX_RTP_TIMESTAMP = 0xffff_ffff;

/**
 * checkVideoFrame throws `InvalidVideoFrameError` (code `INVALID_VIDEO_FRAME`, `field` set) unless
 * `frame` is a well-formed `VideoFrame`: `data` a Uint8Array, `codec` one of `VIDEO_CODECS`,
 * `keyframe` a boolean, `timestampMs` a finite number, `rtpTimestamp` an integer in [0, 2^32),
 * `sequence` an integer >= 0, `width` and `height` integers >= 0 (0: not known). `where` names
 * the API in the message (`"VideoBridge.forward"`). It reads eight properties and allocates
 * nothing when the frame is good, so it is cheap enough for every frame of a hot path.
 */
export function checkVideoFrame(
  frame: unknown,
  where = "checkVideoFrame",
): asserts frame is VideoFrame {
  if (typeof frame !== "object" || frame === null) {
    throw invalid(where, "", "must be a VideoFrame object", frame);
  }
  const f = frame as Partial<Record<keyof VideoFrame, unknown>>;
  if (!(f.data instanceof Uint8Array)) {
    throw invalid(where, "data", "must be a Uint8Array (the encoded access unit)", f.data);
  }
  const codec = f.codec;
  if (typeof codec !== "string" || !(VIDEO_CODECS as readonly string[]).includes(codec)) {
    throw invalid(
      where,
      "codec",
      `must be one of ${VIDEO_CODECS.map((c) => `"${c}"`).join(", ")}`,
      codec,
    );
  }
  if (typeof f.keyframe !== "boolean") {
    throw invalid(where, "keyframe", "must be a boolean", f.keyframe);
  }
  if (typeof f.timestampMs !== "number" || !Number.isFinite(f.timestampMs)) {
    throw invalid(where, "timestampMs", "must be a finite number (ms)", f.timestampMs);
  }
  const ts = f.rtpTimestamp;
  if (typeof ts !== "number" || !Number.isInteger(ts) || ts < 0 || ts > MAX_RTP_TIMESTAMP) {
    throw invalid(where, "rtpTimestamp", "must be an integer in [0, 2^32) (RFC 3550 §5.1)", ts);
  }
  const seq = f.sequence;
  if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 0) {
    throw invalid(where, "sequence", "must be an integer >= 0 (the frame counter)", seq);
  }
  const w = f.width;
  if (typeof w !== "number" || !Number.isInteger(w) || w < 0) {
    throw invalid(where, "width", "must be an integer >= 0 (pixels; 0 when not known)", w);
  }
  const h = f.height;
  if (typeof h !== "number" || !Number.isInteger(h) || h < 0) {
    throw invalid(where, "height", "must be an integer >= 0 (pixels; 0 when not known)", h);
  }
}

/** VideoChunkFields are the fields of an outgoing chunk `checkVideoChunk` checks. */
export interface VideoChunkFields {
  readonly data: Uint8Array;
  readonly keyframe?: boolean;
  readonly timestampMs?: number;
}

/**
 * checkVideoChunk throws `InvalidVideoFrameError` (code `INVALID_VIDEO_FRAME`) unless `chunk` is
 * a well-formed outgoing chunk (roomkit's `VideoChunk`): `data` a Uint8Array, `keyframe` a
 * boolean and `timestampMs` a finite number when present. For the backends' `sendVideo`.
 */
export function checkVideoChunk(
  chunk: unknown,
  where = "checkVideoChunk",
): asserts chunk is VideoChunkFields {
  if (typeof chunk !== "object" || chunk === null) {
    throw invalid(where, "", "must be a Uint8Array or a VideoChunk object", chunk, "chunk");
  }
  const c = chunk as Partial<Record<keyof VideoChunkFields, unknown>>;
  if (!(c.data instanceof Uint8Array)) {
    throw invalid(where, "data", "must be a Uint8Array (the encoded access unit)", c.data, "chunk");
  }
  if (c.keyframe !== undefined && typeof c.keyframe !== "boolean") {
    throw invalid(where, "keyframe", "must be a boolean when given", c.keyframe, "chunk");
  }
  const ts = c.timestampMs;
  if (ts !== undefined && (typeof ts !== "number" || !Number.isFinite(ts))) {
    throw invalid(where, "timestampMs", "must be a finite number (ms) when given", ts, "chunk");
  }
}

/** VideoFrameInit is what `createVideoFrame` takes: `data`, and any field to set explicitly. */
export interface VideoFrameInit {
  /** data is the encoded access unit (Annex-B for H.264). */
  readonly data: Uint8Array;
  /** codec of `data`; default "h264". */
  readonly codec?: VideoCodec;
  /** keyframe; default: what `data` says (an IDR slice for H.264, the key frame flag for VP8/VP9). */
  readonly keyframe?: boolean;
  /** timestampMs; default 0. */
  readonly timestampMs?: number;
  /** rtpTimestamp; default `timestampMs` on the 90 kHz video clock, modulo 2^32. */
  readonly rtpTimestamp?: number;
  /** sequence; default 0. */
  readonly sequence?: number;
  /** width; default: from `data` when it carries the size (H.264 SPS, VP8/VP9 key frame), else 0. */
  readonly width?: number;
  /** height; default as `width`. */
  readonly height?: number;
}

/**
 * createVideoFrame builds a well-formed `VideoFrame` from `data` and the fields given, filling
 * the others (see `VideoFrameInit`), and checks it with `checkVideoFrame`: a wrong field throws
 * `InvalidVideoFrameError` naming it.
 */
export function createVideoFrame(init: VideoFrameInit): VideoFrame {
  if (typeof init !== "object" || init === null) {
    throw invalid("createVideoFrame", "", "takes an object with at least `data`", init, "init");
  }
  const data: unknown = init.data;
  if (!(data instanceof Uint8Array)) {
    throw invalid(
      "createVideoFrame",
      "data",
      "must be a Uint8Array (the encoded access unit)",
      data,
    );
  }
  const codec = init.codec ?? "h264";
  const known = typeof codec === "string" && (VIDEO_CODECS as readonly string[]).includes(codec);
  const info =
    known && (init.keyframe === undefined || init.width === undefined || init.height === undefined)
      ? describeData(codec, data)
      : NOTHING_KNOWN;
  const timestampMs = init.timestampMs ?? 0;
  const frame = {
    codec,
    data,
    keyframe: init.keyframe ?? info.keyframe,
    timestampMs,
    rtpTimestamp:
      init.rtpTimestamp ??
      (Number.isFinite(timestampMs)
        ? Math.round(timestampMs * VIDEO_CLOCK_RATE_KHZ) >>> 0
        : Number.NaN),
    sequence: init.sequence ?? 0,
    width: init.width ?? info.width,
    height: init.height ?? info.height,
  };
  checkVideoFrame(frame, "createVideoFrame");
  return frame;
}

interface DataInfo {
  readonly keyframe: boolean;
  readonly width: number;
  readonly height: number;
}

const NOTHING_KNOWN: DataInfo = { keyframe: false, width: 0, height: 0 };

/** describeData reads what an access unit says about itself: keyframe, and size when coded. */
function describeData(codec: VideoCodec, data: Uint8Array): DataInfo {
  switch (codec) {
    case "h264": {
      const bounds: number[] = [];
      const n = annexBUnitBounds(data, bounds);
      let keyframe = false;
      let width = 0;
      let height = 0;
      for (let k = 0; k < n; k++) {
        const unit = data.subarray(bounds[2 * k]!, bounds[2 * k + 1]!);
        const type = unit[0]! & 0x1f;
        if (type === H264NalType.IDR) keyframe = true;
        else if (type === H264NalType.SPS && width === 0) {
          try {
            const sps = parseSps(unit);
            width = sps.width;
            height = sps.height;
          } catch {
            // a damaged SPS tells no size; the frame is still built
          }
        }
      }
      return { keyframe, width, height };
    }
    case "vp8": {
      const h = parseVp8FrameHeader(data);
      return h === undefined ? NOTHING_KNOWN : h;
    }
    case "vp9": {
      const h = parseVp9FrameHeader(data);
      return h === undefined
        ? NOTHING_KNOWN
        : { keyframe: h.keyframe, width: h.width, height: h.height };
    }
    default:
      return NOTHING_KNOWN;
  }
}

function invalid(
  where: string,
  field: string,
  rule: string,
  value: unknown,
  subject = "frame",
): InvalidVideoFrameError {
  const name = field === "" ? subject : `${subject}.${field}`;
  return new InvalidVideoFrameError(field, `${where}: ${name} ${rule}, got ${show(value)}`);
}

/** show renders a wrong value for a message, briefly. */
function show(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "undefined":
      return "undefined";
    case "string":
      return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    case "number":
    case "boolean":
    case "bigint":
      return String(value);
    case "object": {
      const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
      return typeof name === "string" && name !== "" ? article(name) : "an object";
    }
    default:
      return article(typeof value);
  }
}

function article(noun: string): string {
  return /^[aeiou]/i.test(noun) ? `an ${noun}` : `a ${noun}`;
}
