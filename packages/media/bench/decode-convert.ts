// Decode + convert of fixtures/test.h264 (640x360, 300 frames) to rgb24 and to bgra, ours beside
// the ffmpeg CLI doing the same work on the same frames (rawvideo to /dev/null), single thread
// on both sides; prints frames/s and our/ffmpeg ratio. Run: pnpm bench (once; the machine is shared).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { joinAnnexB, splitAnnexB } from "@framewire/rtp-video";
import { h264AccessUnits } from "@framewire/test-support";
import { fixture } from "@framewire/test-support/fixtures";
import { type PixelFormat, VideoConverter, VideoDecoder } from "../src/index.js";

const file = fixture("test.h264");
const units = h264AccessUnits(new Uint8Array(readFileSync(file)), {
  splitAnnexB,
  joinAnnexB,
}).units;

async function ours(format: PixelFormat): Promise<number> {
  const decoder = new VideoDecoder({ codec: "h264", threads: 1 });
  const converter = new VideoConverter();
  const start = process.hrtime.bigint();
  let frames = 0;
  for (const unit of units) {
    for (const f of await decoder.decode(unit)) {
      converter.convert(f, { format });
      frames++;
    }
  }
  for (const f of await decoder.flush()) {
    converter.convert(f, { format });
    frames++;
  }
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  await decoder.close();
  converter.close();
  return frames / s;
}

function ffmpeg(pixFmt: string): number {
  const args = ["-hide_banner", "-nostdin", "-v", "error", "-threads", "1", "-filter_threads", "1"];
  const start = process.hrtime.bigint();
  const r = spawnSync(
    "ffmpeg",
    [...args, "-i", file, "-f", "rawvideo", "-pix_fmt", pixFmt, "-y", "/dev/null"],
    { stdio: "inherit" },
  );
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`ffmpeg exited ${r.status}`);
  return units.length / s;
}

for (const [format, pixFmt] of [
  ["rgb24", "rgb24"],
  ["bgra", "bgra"],
] as const) {
  const a = await ours(format);
  const b = ffmpeg(pixFmt);
  console.log(
    `decode+convert 640x360 -> ${format}: ours ${a.toFixed(0)} fps, ffmpeg CLI ${b.toFixed(0)} fps, ratio ${(a / b).toFixed(2)}`,
  );
}
