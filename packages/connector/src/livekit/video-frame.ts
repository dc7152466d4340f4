import {
  createRawVideoFrame,
  frameLayout,
  LIVEKIT_BUFFER_TYPES,
  type LiveKitBufferType,
  type PixelFormat,
  type RawVideoFrame,
  tightStrides,
} from "@framewire/media/frames";
import type { MediaModule } from "../core/media-loader.js";
import { requireLoadedMedia } from "../core/media-loader.js";
import { ConnectorError } from "../errors.js";
import { VideoBufferType } from "./enums.js";

interface Plane {
  readonly offset: number;
  readonly size: number;
  readonly stride: number;
  readonly rows: number;
}

/** pixelFormatOf is the `@framewire/media` format of a buffer type, or undefined (I420A, I422…). */
export function pixelFormatOf(type: VideoBufferType): PixelFormat | undefined {
  const name = VideoBufferType[type] as LiveKitBufferType | undefined;
  if (name === undefined) return undefined;
  return (LIVEKIT_BUFFER_TYPES as Record<string, PixelFormat | undefined>)[name];
}

/** bufferTypeOf is the buffer type of a `@framewire/media` pixel format, or undefined (bgr24). */
export function bufferTypeOf(format: PixelFormat): VideoBufferType | undefined {
  for (const [name, f] of Object.entries(LIVEKIT_BUFFER_TYPES))
    if (f === format) return VideoBufferType[name as LiveKitBufferType];
  return undefined;
}

/** requirePixelFormat is the pixel format of `type`, or BAD_OPTION naming what needed it. */
export function requirePixelFormat(type: VideoBufferType, what: string): PixelFormat {
  const f = pixelFormatOf(type);
  if (f === undefined)
    throw new ConnectorError(
      "BAD_OPTION",
      `${what}: VideoBufferType ${VideoBufferType[type] ?? String(type)} is not supported (RGBA, ABGR, ARGB, BGRA, RGB24, I420, NV12)`,
    );
  return f;
}

/** planesOf is the tight plane layout LiveKit uses for every buffer type. */
function planesOf(type: VideoBufferType, width: number, height: number): Plane[] {
  const format = pixelFormatOf(type);
  if (format !== undefined)
    return frameLayout(format, width, height).planes.map((p) => ({
      offset: p.offset,
      size: p.size,
      stride: p.stride,
      rows: p.height,
    }));
  const cw = Math.ceil(width / 2);
  const ch = Math.ceil(height / 2);
  const dims: [number, number][] =
    type === VideoBufferType.I420A
      ? [
          [width, height],
          [cw, ch],
          [cw, ch],
          [width, height],
        ]
      : type === VideoBufferType.I422
        ? [
            [width, height],
            [cw, height],
            [cw, height],
          ]
        : type === VideoBufferType.I444
          ? [
              [width, height],
              [width, height],
              [width, height],
            ]
          : type === VideoBufferType.I010
            ? [
                [2 * width, height],
                [2 * cw, ch],
                [2 * cw, ch],
              ]
            : [];
  if (dims.length === 0)
    throw new ConnectorError("BAD_OPTION", `unknown VideoBufferType ${String(type)}`);
  let offset = 0;
  return dims.map(([stride, rows]) => {
    const p = { offset, size: stride * rows, stride, rows };
    offset += p.size;
    return p;
  });
}

let sharedConverter: InstanceType<MediaModule["VideoConverter"]> | undefined;

/** converter is one VideoConverter for every `VideoFrame.convert` (swscale contexts cached by size and format pair). */
function converter(): InstanceType<MediaModule["VideoConverter"]> {
  sharedConverter ??= new (requireLoadedMedia("VideoFrame.convert").VideoConverter)();
  return sharedConverter;
}

/** releaseConverter frees the converter `convert` shares (a later `convert` makes a new one). */
export function releaseConverter(): void {
  sharedConverter?.close();
  sharedConverter = undefined;
}

/**
 * VideoFrame is LiveKit's raw video frame: `data` holds the planes of `type` one after another
 * with no row padding (LiveKit's layout), `width` by `height` pixels. The constructor checks
 * that `data` is large enough (LiveKit's does not). `convert` uses `@framewire/media` (loaded by
 * `room.connect`, or `await loadMedia()` first).
 */
export class VideoFrame {
  data: Uint8Array;
  width: number;
  height: number;
  type: VideoBufferType;

  constructor(data: Uint8Array, width: number, height: number, type: VideoBufferType) {
    if (!(data instanceof Uint8Array))
      throw new ConnectorError("BAD_OPTION", "VideoFrame data must be a Uint8Array");
    for (const [k, v] of [
      ["width", width],
      ["height", height],
    ] as const)
      if (!Number.isInteger(v) || v < 1 || v > 16384)
        throw new ConnectorError(
          "BAD_OPTION",
          `VideoFrame ${k} must be an integer 1..16384, got ${v}`,
        );
    const planes = planesOf(type, width, height);
    const need = planes.reduce((n, p) => n + p.size, 0);
    if (data.byteLength < need)
      throw new ConnectorError(
        "BAD_OPTION",
        `VideoFrame ${VideoBufferType[type]} ${width}x${height} needs ${need} bytes, got ${data.byteLength}`,
      );
    this.data = data;
    this.width = width;
    this.height = height;
    this.type = type;
  }

  /** getPlane is plane `planeNth` of the frame (a view, no copy), or undefined past the last. */
  // biome-ignore lint/suspicious/noConfusingVoidType: LiveKit's signature
  getPlane(planeNth: number): Uint8Array | void {
    const p = planesOf(this.type, this.width, this.height)[planeNth];
    if (p === undefined) return undefined;
    return this.data.subarray(p.offset, p.offset + p.size);
  }

  /**
   * convert returns the frame as `dstType` (a new frame; swscale through `@framewire/media`),
   * flipped upside down when `flipY`. INVALID_STATE until media is loaded; BAD_OPTION for a type
   * that cannot be converted.
   */
  convert(dstType: VideoBufferType, flipY = false): VideoFrame {
    const from = requirePixelFormat(this.type, "VideoFrame.convert");
    const to = requirePixelFormat(dstType, "VideoFrame.convert");
    const out =
      from === to
        ? new VideoFrame(this.data.slice(0, byteLength(this)), this.width, this.height, dstType)
        : fromRawVideoFrame(converter().convert(toRawVideoFrame(this), { format: to }));
    if (flipY) flipRows(out);
    return out;
  }
}

function byteLength(frame: VideoFrame): number {
  return planesOf(frame.type, frame.width, frame.height).reduce((n, p) => n + p.size, 0);
}

function flipRows(frame: VideoFrame): void {
  for (const p of planesOf(frame.type, frame.width, frame.height)) {
    const row = new Uint8Array(p.stride);
    for (let top = 0, bottom = p.rows - 1; top < bottom; top++, bottom--) {
      const a = frame.data.subarray(p.offset + top * p.stride, p.offset + (top + 1) * p.stride);
      const b = frame.data.subarray(
        p.offset + bottom * p.stride,
        p.offset + (bottom + 1) * p.stride,
      );
      row.set(a);
      a.set(b);
      b.set(row);
    }
  }
}

/** toRawVideoFrame is a VideoFrame as `@framewire/media`'s RawVideoFrame (no copy). */
export function toRawVideoFrame(frame: VideoFrame): RawVideoFrame {
  const format = requirePixelFormat(frame.type, "VideoFrame");
  return createRawVideoFrame(format, frame.width, frame.height, frame.data);
}

/**
 * fromRawVideoFrame is a RawVideoFrame as a VideoFrame: its bytes when they are already tight
 * (what the decoder and converter produce), else a tight copy. BAD_OPTION for bgr24 (no LiveKit type).
 */
export function fromRawVideoFrame(raw: RawVideoFrame): VideoFrame {
  const type = bufferTypeOf(raw.format);
  if (type === undefined)
    throw new ConnectorError("BAD_OPTION", `${raw.format} has no LiveKit VideoBufferType`);
  const tight = frameLayout(raw.format, raw.width, raw.height, tightStrides(raw.format, raw.width));
  const isTight = raw.planes.every(
    (p, i) => p.stride === tight.planes[i]!.stride && p.offset === tight.planes[i]!.offset,
  );
  if (isTight)
    return new VideoFrame(raw.data.subarray(0, tight.byteLength), raw.width, raw.height, type);
  const out = new Uint8Array(tight.byteLength);
  raw.planes.forEach((p, i) => {
    const t = tight.planes[i]!;
    for (let y = 0; y < p.height; y++)
      out.set(
        raw.data.subarray(p.offset + y * p.stride, p.offset + y * p.stride + t.stride),
        t.offset + y * t.stride,
      );
  });
  return new VideoFrame(out, raw.width, raw.height, type);
}
