// Decoding and JPEG encoding with node-av (FFmpeg in-process): thumbnails of keyframes, and the
// end-of-run decode check of each caller's recording.
import { readFile } from "node:fs/promises";
import type { VideoCodec } from "@framewire/rtp-video";
import { splitAccessUnits } from "@framewire/rtp-video";
import {
  AV_CODEC_ID_H264,
  AV_CODEC_ID_MJPEG,
  AV_CODEC_ID_VP8,
  AV_CODEC_ID_VP9,
  AV_LOG_ERROR,
  AV_LOG_QUIET,
  AV_PIX_FMT_YUVJ420P,
  type AVCodecID,
  AVERROR_EAGAIN,
  AVERROR_EOF,
  SWS_BILINEAR,
} from "node-av/constants";
import {
  Codec,
  CodecContext,
  Frame,
  Log,
  Packet,
  Rational,
  SoftwareScaleContext,
} from "node-av/lib";

// FFmpeg writes decoder complaints to stderr by default: the terminal view owns the screen.
Log.setLevel(AV_LOG_QUIET);

const CODEC_IDS: Partial<Record<VideoCodec, AVCodecID>> = {
  h264: AV_CODEC_ID_H264,
  vp8: AV_CODEC_ID_VP8,
  vp9: AV_CODEC_ID_VP9,
};

/** AvError is a failure of the in-process FFmpeg (codec missing, open or encode failed). */
export class AvError extends Error {
  override readonly name = "AvError";
  constructor(
    readonly code: "AV_CODEC_UNSUPPORTED" | "AV_OPEN_FAILED" | "AV_ENCODE_FAILED",
    message: string,
  ) {
    super(message);
  }
}

function openDecoder(codec: VideoCodec): CodecContext {
  const id = CODEC_IDS[codec];
  const decoder = id === undefined ? null : Codec.findDecoder(id);
  if (decoder === null) throw new AvError("AV_CODEC_UNSUPPORTED", `no decoder for ${codec}`);
  const ctx = new CodecContext();
  ctx.allocContext3(decoder);
  ctx.threadCount = 1;
  const ret = ctx.open2Sync(decoder, null);
  if (ret < 0) {
    ctx.freeContext();
    throw new AvError("AV_OPEN_FAILED", `cannot open the ${codec} decoder (${ret})`);
  }
  return ctx;
}

/**
 * keyframeToJpeg decodes one keyframe (an access unit that decodes on its own) and returns a
 * JPEG of it scaled to `width` (height kept in proportion, even); undefined when it does not
 * decode.
 */
export async function keyframeToJpeg(
  codec: VideoCodec,
  data: Uint8Array,
  width = 320,
): Promise<Buffer | undefined> {
  using decoder = openDecoder(codec);
  using packet = new Packet();
  packet.alloc();
  packet.data = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  using picture = new Frame();
  picture.alloc();
  if ((await decoder.sendPacket(packet)) < 0) return undefined;
  await decoder.sendPacket(null);
  if ((await decoder.receiveFrame(picture)) < 0 || picture.width === 0) return undefined;
  const w = Math.min(width, picture.width) & ~1;
  const h = Math.max(2, Math.round((picture.height * w) / picture.width) & ~1);
  using scaler = new SoftwareScaleContext();
  scaler.getContext(
    picture.width,
    picture.height,
    picture.format as never,
    w,
    h,
    AV_PIX_FMT_YUVJ420P,
    SWS_BILINEAR,
  );
  using small = new Frame();
  small.alloc();
  small.width = w;
  small.height = h;
  small.format = AV_PIX_FMT_YUVJ420P;
  if (small.getBuffer(0) < 0 || (await scaler.scaleFrame(small, picture)) < 0) return undefined;
  const jpeg = Codec.findEncoder(AV_CODEC_ID_MJPEG);
  if (jpeg === null) throw new AvError("AV_CODEC_UNSUPPORTED", "no MJPEG encoder");
  using encoder = new CodecContext();
  encoder.allocContext3(jpeg);
  encoder.width = w;
  encoder.height = h;
  encoder.pixelFormat = AV_PIX_FMT_YUVJ420P;
  encoder.timeBase = new Rational(1, 30);
  if ((await encoder.open2(jpeg, null)) < 0)
    throw new AvError("AV_OPEN_FAILED", "cannot open MJPEG");
  if ((await encoder.sendFrame(small)) < 0) throw new AvError("AV_ENCODE_FAILED", "MJPEG send");
  using out = new Packet();
  out.alloc();
  if ((await encoder.receivePacket(out)) < 0 || out.data === null)
    throw new AvError("AV_ENCODE_FAILED", "MJPEG receive");
  return Buffer.from(out.data);
}

/** DecodeResult is what decoding a recording gave. */
export interface DecodeResult {
  readonly accessUnits: number;
  readonly framesDecoded: number;
  /** errors counts packets refused, frames flagged corrupt and FFmpeg error messages. */
  readonly errors: number;
  readonly width: number;
  readonly height: number;
  /** messages are the first FFmpeg error messages (at most 10). */
  readonly messages: readonly string[];
}

/** decodeH264File decodes an Annex-B H.264 file access unit by access unit. */
export async function decodeH264File(path: string): Promise<DecodeResult> {
  const units = splitAccessUnits(new Uint8Array(await readFile(path)));
  const messages: string[] = [];
  let logged = 0;
  Log.setLevel(AV_LOG_ERROR);
  Log.setCallback(
    (_level, message) => {
      logged++;
      if (messages.length < 10) messages.push(message.trim());
    },
    { maxLevel: AV_LOG_ERROR },
  );
  let framesDecoded = 0;
  let refused = 0;
  let corrupt = 0;
  let width = 0;
  let height = 0;
  try {
    using decoder = openDecoder("h264");
    using packet = new Packet();
    packet.alloc();
    using picture = new Frame();
    picture.alloc();
    const drain = async () => {
      for (;;) {
        const ret = await decoder.receiveFrame(picture);
        if (ret === AVERROR_EAGAIN || ret === AVERROR_EOF) return;
        if (ret < 0) {
          refused++;
          return;
        }
        framesDecoded++;
        if (picture.decodeErrorFlags !== 0) corrupt++;
        width = picture.width;
        height = picture.height;
        picture.unref();
      }
    };
    for (const unit of units) {
      packet.data = Buffer.from(unit.data.buffer, unit.data.byteOffset, unit.data.byteLength);
      if ((await decoder.sendPacket(packet)) < 0) refused++;
      await drain();
    }
    await decoder.sendPacket(null);
    await drain();
  } finally {
    Log.setCallback(null);
    Log.setLevel(AV_LOG_QUIET);
  }
  return {
    accessUnits: units.length,
    framesDecoded,
    errors: refused + corrupt + logged,
    width,
    height,
    messages,
  };
}
