import {
  AV_PIX_FMT_ABGR,
  AV_PIX_FMT_ARGB,
  AV_PIX_FMT_BGR24,
  AV_PIX_FMT_BGRA,
  AV_PIX_FMT_NV12,
  AV_PIX_FMT_RGB24,
  AV_PIX_FMT_RGBA,
  AV_PIX_FMT_YUV420P,
  AV_PIX_FMT_YUVJ420P,
  type AVPixelFormat,
} from "node-av/constants";
import type { PixelFormat } from "./pixel-format.js";

/** AV_PIXEL_FORMAT is FFmpeg's format of each {@link PixelFormat} (FFmpeg names byte order too). */
export const AV_PIXEL_FORMAT: Readonly<Record<PixelFormat, AVPixelFormat>> = {
  i420: AV_PIX_FMT_YUV420P,
  nv12: AV_PIX_FMT_NV12,
  rgb24: AV_PIX_FMT_RGB24,
  bgr24: AV_PIX_FMT_BGR24,
  rgba: AV_PIX_FMT_RGBA,
  bgra: AV_PIX_FMT_BGRA,
  argb: AV_PIX_FMT_ARGB,
  abgr: AV_PIX_FMT_ABGR,
};

/** pixelFormatOfAv is our format of an FFmpeg format (full-range yuvj420p counts as i420). */
export function pixelFormatOfAv(format: number): PixelFormat | undefined {
  if (format === AV_PIX_FMT_YUVJ420P) return "i420";
  for (const [name, av] of Object.entries(AV_PIXEL_FORMAT)) {
    if (av === format) return name as PixelFormat;
  }
  return undefined;
}
