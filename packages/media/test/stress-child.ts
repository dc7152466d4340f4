// The stress workload, run in its own node process with --expose-gc (see stress.test.ts):
// decode, convert and encode calls with global.gc() forced between them, bounded in time. It
// prints one JSON line of counts; a native crash shows as a signal or a non-zero exit.
import { readFileSync } from "node:fs";
import { joinAnnexB, splitAnnexB } from "@framewire/rtp-video";
import { h264AccessUnits } from "@framewire/test-support";
import { fixture } from "@framewire/test-support/fixtures";
import {
  AudioResampler,
  createRawVideoFrame,
  nativeCounts,
  OpusDecoder,
  OpusEncoder,
  VideoConverter,
  VideoDecoder,
  VideoEncoder,
} from "../src/index.js";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --expose-gc");
const budgetMs = Number(process.argv[2] ?? 20_000);
const deadline = Date.now() + budgetMs;
const units = h264AccessUnits(new Uint8Array(readFileSync(fixture("test.h264"))), {
  splitAnnexB,
  joinAnnexB,
}).units;
const counts = { decodes: 0, converts: 0, encodes: 0, resamples: 0, opus: 0, opened: 0, gcs: 0 };

while (Date.now() < deadline) {
  // a fresh decoder, converter and encoders per round: open/close churn too
  const decoder = new VideoDecoder({ codec: "h264" });
  // and one that converts as it decodes (VideoDecoderOptions.output)
  const direct = new VideoDecoder({
    codec: "h264",
    output: { format: "bgra", width: 320, height: 180 },
  });
  // blocking (sync node-av calls) with every picture recycled: swscale writes rgb24 straight
  // into recycled memory; and a blocking i420 one whose planes are copied out through views
  const blockingRgb = new VideoDecoder({
    codec: "h264",
    blocking: true,
    output: { format: "rgb24" },
  });
  const blockingI420 = new VideoDecoder({ codec: "h264", blocking: true });
  const converter = new VideoConverter();
  const h264 = await VideoEncoder.create({ codec: "h264", width: 320, height: 180, fps: 30 });
  const vp8 = await VideoEncoder.create({ codec: "vp8", width: 320, height: 180, fps: 30 });
  const h264Blocking = await VideoEncoder.create({
    codec: "h264",
    width: 320,
    height: 180,
    fps: 30,
    blocking: true,
  });
  const vp8Blocking = await VideoEncoder.create({
    codec: "vp8",
    width: 320,
    height: 180,
    fps: 30,
    blocking: true,
  });
  const resampler = new AudioResampler(
    { sampleRate: 48000, channels: 2 },
    { sampleRate: 8000, channels: 1 },
  );
  const opusEnc = await OpusEncoder.create({ channels: 2 });
  const opusDec = await OpusDecoder.create({ channels: 2 });
  counts.opened += 12;
  for (const [i, unit] of units.entries()) {
    if (Date.now() >= deadline) break;
    // a temporary copy that nothing else references after the call starts
    counts.decodes += (await direct.decode(unit.slice())).length;
    for (const f of await blockingRgb.decode(unit.slice())) {
      counts.decodes++;
      blockingRgb.recycle(f);
    }
    for (const f of await blockingI420.decode(unit.slice())) {
      counts.decodes++;
      // queued encodes (the second waits with a copy of its own) from a temporary frame
      const small = converter.convert(f, { format: "i420", width: 320, height: 180 });
      const both = [h264Blocking.encode(small), vp8Blocking.encode(small)];
      small.data.fill(0); // the caller reuses its bytes at once
      await Promise.all(both);
      counts.encodes += 2;
      if (i % 2 === 0) blockingI420.recycle(f);
    }
    for (const frame of await decoder.decode(unit.slice())) {
      counts.decodes++;
      converter.convert(frame, { format: i % 2 === 0 ? "rgb24" : "bgra" });
      const small = converter.convert(frame, { format: "i420", width: 320, height: 180 });
      counts.converts += 2;
      if (i % 3 === 0) {
        if (i % 30 === 0) h264.requestKeyframe();
        await h264.encode(small);
        await vp8.encode(createRawVideoFrame("i420", 320, 180, small.data.slice()));
        counts.encodes += 2;
        resampler.convert(new Int16Array(1920).fill(i));
        counts.resamples++;
        for (const p of await opusEnc.encode(new Int16Array(1920).fill(i * 7))) {
          await opusDec.decode(p.slice());
          counts.opus += 2;
        }
      }
    }
    if (i % 5 === 0) {
      gc();
      counts.gcs++;
    }
  }
  await decoder.flush();
  await decoder.close();
  await direct.close();
  await blockingRgb.close();
  await blockingI420.close();
  await h264Blocking.close();
  await vp8Blocking.close();
  converter.close();
  resampler.close();
  await opusEnc.close();
  await opusDec.close();
  await h264.flush();
  await h264.close();
  await vp8.close();
  gc();
}
const live = nativeCounts();
console.log(JSON.stringify({ ...counts, live }));
process.exitCode = Object.values(live).every((n) => n === 0) ? 0 : 3;
