/**
 * remuxH264ToMp4: an Annex-B H.264 file into MP4 without re-encoding, with FFmpeg's own demuxer
 * and muxer in-process (node-av), i.e. what
 * `ffmpeg -framerate FPS -i IN.h264 -c:v copy -movflags +faststart OUT.mp4` does.
 *
 * node-av is used the way that stays clear of its known native crashes: the async API only,
 * every native object freed explicitly, no Frame or Packet built over a JavaScript buffer
 * (FFmpeg owns every packet's memory here).
 */
import { AV_LOG_ERROR, AVERROR_EOF, AVMEDIA_TYPE_VIDEO } from "node-av/constants";
import {
  Dictionary,
  FFmpegError,
  FormatContext,
  InputFormat,
  Log,
  Packet,
  Rational,
} from "node-av/lib";

/** remuxH264ToMp4 writes `out` (MP4, one H.264 track, FPS timestamps) from Annex-B `input`. */
export async function remuxH264ToMp4(input: string, out: string, fps: number): Promise<void> {
  Log.setLevel(AV_LOG_ERROR);
  const h264 = InputFormat.findInputFormat("h264");
  if (h264 === null) throw new Error("node-av: no h264 demuxer");
  const inCtx = new FormatContext();
  const outCtx = new FormatContext();
  const packet = new Packet();
  packet.alloc();
  let inOpen = false;
  let outOpen = false;
  try {
    using inOptions = Dictionary.fromObject({ framerate: String(fps) });
    FFmpegError.throwIfError(await inCtx.openInput(input, h264, inOptions), `open ${input}`);
    inOpen = true;
    FFmpegError.throwIfError(await inCtx.findStreamInfo(null), "find stream info");
    const inStream = inCtx.streams.find((s) => s.codecpar.codecType === AVMEDIA_TYPE_VIDEO);
    if (inStream === undefined) throw new Error(`${input}: no video stream`);

    FFmpegError.throwIfError(outCtx.allocOutputContext2(null, "mp4", out), "alloc mp4 output");
    const outStream = outCtx.newStream(null);
    FFmpegError.throwIfError(inStream.codecpar.copy(outStream.codecpar), "copy codec parameters");
    outStream.codecpar.codecTag = 0;
    outStream.timeBase = new Rational(1, fps * 512);
    FFmpegError.throwIfError(await outCtx.openOutput(), `open ${out}`);
    outOpen = true;
    using muxOptions = Dictionary.fromObject({ movflags: "+faststart" });
    FFmpegError.throwIfError(await outCtx.writeHeader(muxOptions), "write mp4 header");

    // FFmpeg's raw H.264 demuxer gives packets a duration but no timestamps (the CLI fills them
    // in); the file has no B-frames, so presentation = decoding order, one frame each.
    const tb = inStream.timeBase;
    const ticksPerFrame = BigInt(Math.round(tb.den / (tb.num * fps)));
    let frames = 0n;
    for (;;) {
      const ret = await inCtx.readFrame(packet);
      if (ret === AVERROR_EOF) break;
      FFmpegError.throwIfError(ret, "read packet");
      if (packet.streamIndex === inStream.index) {
        packet.pts = frames * ticksPerFrame;
        packet.dts = packet.pts;
        packet.duration = ticksPerFrame;
        frames++;
        packet.rescaleTs(inStream.timeBase, outStream.timeBase);
        packet.streamIndex = outStream.index;
        packet.pos = -1n;
        FFmpegError.throwIfError(await outCtx.interleavedWriteFrame(packet), "write packet");
      }
      packet.unref();
    }
    FFmpegError.throwIfError(await outCtx.writeTrailer(), "write mp4 trailer");
  } finally {
    packet.free();
    if (outOpen) await outCtx.closeOutput();
    outCtx.freeContext();
    if (inOpen) await inCtx.closeInput();
    else inCtx.freeContext();
  }
}
