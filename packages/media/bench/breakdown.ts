// Where the time of decode + convert of the 720p30 fixture goes, stage by stage (a diagnostic,
// not part of `pnpm bench`): node-av's two decode calls timed apart (FFmpeg decodes in
// avcodec_send_packet; receive only hands the buffered picture over), the libuv threadpool round
// trip per access unit, swscale into a reused native frame, into recycled JS memory and into
// fresh JS memory (with the page faults fresh memory costs), Frame.toBuffer, and VideoDecoder
// as `pnpm bench` runs it. Milliseconds per frame of wall and of CPU time (user + system of the
// process) and minor page faults per frame, median of 3 passes after one unmeasured pass.
// Run: cd packages/media && node --import tsx --conditions=@framewire/source bench/breakdown.ts
import {
  AV_CODEC_ID_H264,
  AV_PIX_FMT_RGB24,
  AV_PIX_FMT_YUV420P,
  SWS_BILINEAR,
} from "node-av/constants";
import { Codec, CodecContext, Frame, Packet, SoftwareScaleContext } from "node-av/lib";
import { type RawVideoFrame, VideoDecoder } from "../src/index.js";
import { median } from "./common.js";
import { accessUnits, ensure720p, HEIGHT_720P, WIDTH_720P } from "./fixture-720p.js";

const units = accessUnits(await ensure720p()).map((u) => Buffer.from(u));
const N = units.length;
const W = WIDTH_720P;
const H = HEIGHT_720P;

/** measure runs `task` (over all N frames) 1 + 3 times and prints the medians of the 3. */
async function measure(what: string, task: () => Promise<void> | void): Promise<void> {
  await task();
  const wall: number[] = [];
  const cpu: number[] = [];
  const faults: number[] = [];
  for (let i = 0; i < 3; i++) {
    const c = process.cpuUsage();
    const f = process.resourceUsage().minorPageFault;
    const t = process.hrtime.bigint();
    await task();
    wall.push(Number(process.hrtime.bigint() - t) / 1e6 / N);
    const used = process.cpuUsage(c);
    cpu.push((used.user + used.system) / 1e3 / N);
    faults.push((process.resourceUsage().minorPageFault - f) / N);
  }
  const fmt = (xs: number[]): string => median(xs).toFixed(3);
  console.log(
    `  ${what.padEnd(58)} wall ${fmt(wall)}  cpu ${fmt(cpu)} ms/frame, ${median(faults).toFixed(0)} faults/frame`,
  );
}

type Calls = "sync" | "async send" | "async receive";

/** rawDecode decodes every unit with node-av; `each` sees every picture. */
async function rawDecode(calls: Calls, each?: (frame: Frame) => void): Promise<void> {
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
    if (calls === "async send") await ctx.sendPacket(pkt);
    else ctx.sendPacketSync(pkt);
    pkt.unref();
    for (let first = true; ; first = false) {
      const ret =
        calls === "async receive" && first
          ? await ctx.receiveFrame(frame)
          : ctx.receiveFrameSync(frame);
      if (ret < 0) break;
      each?.(frame);
      frame.unref();
    }
  }
  ctx.freeContext();
  pkt.free();
  frame.free();
}

/** splitDecode times node-av's two sync decode calls apart over all units. */
function splitDecode(): { send: number; receive: number } {
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
  let send = 0n;
  let receive = 0n;
  for (const u of units) {
    pkt.data = u;
    const a = process.hrtime.bigint();
    ctx.sendPacketSync(pkt);
    send += process.hrtime.bigint() - a;
    pkt.unref();
    for (;;) {
      const b = process.hrtime.bigint();
      const ret = ctx.receiveFrameSync(frame);
      receive += process.hrtime.bigint() - b;
      if (ret < 0) break;
      frame.unref();
    }
  }
  ctx.freeContext();
  pkt.free();
  frame.free();
  return { send: Number(send) / 1e6 / N, receive: Number(receive) / 1e6 / N };
}

const sws = new SoftwareScaleContext();
sws.allocContext();
sws.getContext(W, H, AV_PIX_FMT_YUV420P, W, H, AV_PIX_FMT_RGB24, SWS_BILINEAR);
const dst = new Frame();
dst.alloc();
dst.width = W;
dst.height = H;
dst.format = AV_PIX_FMT_RGB24;
dst.getBuffer(0);
const recycled = Buffer.allocUnsafeSlow(W * H * 3);

const intoNative = (f: Frame): void => {
  sws.scaleFrameSync(dst, f);
};
const intoJs =
  (fresh: boolean) =>
  (f: Frame): void => {
    const out = fresh ? Buffer.allocUnsafeSlow(W * H * 3) : recycled;
    sws.scaleSync(f.data!, f.linesize.slice(0, 3), 0, H, [out], [W * 3]);
  };
const intoNativeThenToBuffer = (f: Frame): void => {
  sws.scaleFrameSync(dst, f);
  dst.toBuffer();
};

async function ours(blocking: boolean): Promise<void> {
  const d = new VideoDecoder({ codec: "h264", output: { format: "rgb24" }, blocking });
  const take = (ps: readonly RawVideoFrame[]): void => {
    if (blocking) for (const p of ps) d.recycle(p);
  };
  for (const u of units) take(await d.decode(u));
  take(await d.flush());
  await d.close();
}

console.log(`720p30 fixture, ${N} frames, ${W}x${H}, decode + convert to rgb24`);
const split = splitDecode();
console.log(
  `  node-av sync calls timed apart: sendPacketSync ${split.send.toFixed(3)} ms/frame (the decode), receiveFrameSync ${split.receive.toFixed(3)} ms/frame`,
);
await measure("decode, sync calls", () => rawDecode("sync"));
await measure("decode, await sendPacket (one threadpool round trip)", () =>
  rawDecode("async send"),
);
await measure("decode, sync send + await receiveFrame (an empty round trip)", () =>
  rawDecode("async receive"),
);
await measure("decode (sync) + swscale into a reused native frame", () =>
  rawDecode("sync", intoNative),
);
await measure("decode (sync) + swscale into recycled JS memory", () =>
  rawDecode("sync", intoJs(false)),
);
await measure("decode (sync) + swscale into fresh JS memory", () =>
  rawDecode("sync", intoJs(true)),
);
await measure("decode (sync) + swscale into native + Frame.toBuffer", () =>
  rawDecode("sync", intoNativeThenToBuffer),
);
await measure("VideoDecoder rgb24, blocking, frames recycled", () => ours(true));
await measure("VideoDecoder rgb24, defaults (threadpool, fresh frames)", () => ours(false));
sws.freeContext();
dst.free();
void recycled.byteLength;
