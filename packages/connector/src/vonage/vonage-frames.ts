import type { RawVideoFrame } from "@framewire/media/frames";
import type { MediaModule } from "../core/media-loader.js";
import type { VideoFrame, VonageVideoFormat } from "./models.js";
import { videoFrameBytes } from "./settings.js";

/**
 * rawOfVonageFrame is a Vonage `VideoFrame` as a raw frame in memory order (`RGB24` is `bgr24`,
 * `ARGB32` is `bgra`), over a copy of its bytes: the application may reuse its buffer at once,
 * and the encoder owns what it reads for the whole call.
 */
export function rawOfVonageFrame(media: MediaModule, frame: VideoFrame): RawVideoFrame {
  const { width, height } = frame.resolution;
  return media.createRawVideoFrame(
    media.pixelFormatOfVonage(frame.format),
    width,
    height,
    frame.frameBuffer.slice(),
  );
}

/**
 * vonageFrameOfRaw is a raw frame as a tightly packed Vonage `VideoFrame` of `format` (the raw
 * frame must be in that format's memory order): the frame's own bytes when they have no row
 * padding, else a packed copy.
 */
export function vonageFrameOfRaw(raw: RawVideoFrame, format: VonageVideoFormat): VideoFrame {
  const need = videoFrameBytes(format, raw.width, raw.height);
  const bpp = format === "YUV420P" ? 1 : format === "RGB24" ? 3 : 4;
  let tight = true;
  let offset = 0;
  for (const p of raw.planes) {
    if (p.offset !== offset || p.stride !== p.width * bpp) tight = false;
    offset += p.width * bpp * p.height;
  }
  let frameBuffer: Uint8Array;
  if (tight && raw.data.byteLength >= need) frameBuffer = raw.data.subarray(0, need);
  else {
    frameBuffer = new Uint8Array(need);
    let at = 0;
    for (const p of raw.planes) {
      const row = p.width * bpp;
      for (let y = 0; y < p.height; y++) {
        const from = p.offset + y * p.stride;
        frameBuffer.set(raw.data.subarray(from, from + row), at);
        at += row;
      }
    }
  }
  return { frameBuffer, resolution: { width: raw.width, height: raw.height }, format };
}

/** blackFrame is a black i420 picture (Y 16, U and V 128: limited-range black) of the given size. */
export function blackFrame(media: MediaModule, width: number, height: number): RawVideoFrame {
  const frame = media.createRawVideoFrame("i420", width, height);
  const luma = frame.planes[0]!;
  frame.data.fill(128);
  frame.data.fill(16, luma.offset, luma.offset + luma.size);
  return frame;
}
