// Where the time of decode + convert of the 720p30 fixture goes, stage by stage (a diagnostic,
// not part of `pnpm bench`): node-av's decoder alone (sync and async calls, no copy out),
// VideoDecoder.decode (plus the copy of each picture into memory of its own), swscale alone on
// one frame, Frame.toBuffer (the copy out of a converted frame) and VideoConverter.convert.
// node-av decode + swscale + one copy out in a row (the least a decode to rgb24 must do).
// Milliseconds per frame, median of 3 passes over the 300 frames after one unmeasured pass.
// Run: cd packages/media && node --import tsx --conditions=@framewire/source bench/breakdown.ts
import {
  AV_CODEC_ID_H264,
  AV_PIX_FMT_RGB24,
  AV_PIX_FMT_YUV420P,
  SWS_BILINEAR,
} from "node-av/constants";
import { Codec, CodecContext, Frame, Packet, SoftwareScaleContext } from "node-av/lib";
import { type RawVideoFrame, VideoConverter, VideoDecoder } from "../src/index.js";
import { median } from "./common.js";
import { accessUnits, ensure720p, HEIGHT_720P, WIDTH_720P } from "./fixture-720p.js";

const units = accessUnits(await ensure720p()).map((u) => Buffer.from(u));
const N = units.length;

async function msPerFrame(task: () => Promise<void> | void): Promise<string> {
  await task();
  const xs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = process.hrtime.bigint();
    await task();
    xs.push(Number(process.hrtime.bigint() - t) / 1e6 / N);
  }
  return `${median(xs).toFixed(3)} ms/frame`;
}

/** rawDecode decodes every unit; `each` sees every picture (sync or async node-av calls). */
async function rawDecode(sync: boolean, each?: (frame: Frame) => void): Promise<void> {
  const codec = Codec.findDecoder(AV_CODEC_ID_H264);
  if (codec === null) throw new Error("no h264 decoder");
  const ctx = new CodecContext();
  ctx.allocContext3(codec);
  ctx.threadCount = 1;
  ctx.open2Sync(codec, null);
  const pkt = new Packet();
  pkt.alloc();
  const frame = new Frame();
  frame.alloc();
  for (const u of units) {
    pkt.data = u;
    if (sync) {
      ctx.sendPacketSync(pkt);
      pkt.unref();
      while (ctx.receiveFrameSync(frame) >= 0) {
        each?.(frame);
        frame.unref();
      }
    } else {
      await ctx.sendPacket(pkt);
      pkt.unref();
      while ((await ctx.receiveFrame(frame)) >= 0) {
        each?.(frame);
        frame.unref();
      }
    }
  }
  ctx.freeContext();
  pkt.free();
  frame.free();
}

let decoded: RawVideoFrame[] = [];
async function ourDecode(): Promise<void> {
  const d = new VideoDecoder({ codec: "h264", threads: 1 });
  const out: RawVideoFrame[] = [];
  for (const u of units) out.push(...(await d.decode(u)));
  out.push(...(await d.flush()));
  await d.close();
  decoded = out;
}

console.log(`720p30 fixture, ${N} frames, ${WIDTH_720P}x${HEIGHT_720P}`);
console.log(`  node-av decode, sync calls:        ${await msPerFrame(() => rawDecode(true))}`);
console.log(`  node-av decode, async calls:       ${await msPerFrame(() => rawDecode(false))}`);
console.log(`  VideoDecoder.decode (+ copy out):  ${await msPerFrame(ourDecode)}`);
const sws = new SoftwareScaleContext();
sws.allocContext();
sws.getContext(
  WIDTH_720P,
  HEIGHT_720P,
  AV_PIX_FMT_YUV420P,
  WIDTH_720P,
  HEIGHT_720P,
  AV_PIX_FMT_RGB24,
  SWS_BILINEAR,
);
const src = new Frame();
src.alloc();
src.width = WIDTH_720P;
src.height = HEIGHT_720P;
src.format = AV_PIX_FMT_YUV420P;
src.getBuffer(0);
const first = Buffer.from(decoded[0]!.data);
src.fromBuffer(first);
const dst = new Frame();
dst.alloc();
dst.width = WIDTH_720P;
dst.height = HEIGHT_720P;
dst.format = AV_PIX_FMT_RGB24;
dst.getBuffer(0);
console.log(
  `  swscale i420 -> rgb24 alone:       ${await msPerFrame(() => {
    for (let i = 0; i < N; i++) sws.scaleFrameSync(dst, src);
  })}`,
);
console.log(
  `  Frame.toBuffer of an rgb24 frame:  ${await msPerFrame(() => {
    for (let i = 0; i < N; i++) dst.toBuffer();
  })}`,
);
const scaleAndCopy = (f: Frame): void => {
  sws.scaleFrameSync(dst, f);
  dst.toBuffer();
};
for (const sync of [true, false]) {
  const figure = await msPerFrame(() => rawDecode(sync, scaleAndCopy));
  console.log(`  node-av decode (${sync ? "sync" : "async"}) + swscale + one copy out: ${figure}`);
}
const c = new VideoConverter();
console.log(
  `  VideoConverter.convert -> rgb24:   ${await msPerFrame(() => {
    for (const f of decoded) c.convert(f, { format: "rgb24" });
  })}`,
);
console.log(
  `  VideoConverter.convert -> bgra:    ${await msPerFrame(() => {
    for (const f of decoded) c.convert(f, { format: "bgra" });
  })}`,
);
c.close();
sws.freeContext();
src.free();
dst.free();
void first.byteLength;
