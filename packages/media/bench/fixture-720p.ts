// The 720p30 input of the media benchmarks: fixtures/test.h264 (640x360, 300 frames) decoded,
// scaled to 1280x720 and encoded again, all by this package (VideoDecoder, VideoConverter,
// VideoEncoder: libx264 constrained baseline, zerolatency, 2.5 Mbit/s, IDR every 30 frames),
// into fixtures/generated/test-720p30.h264 (git-ignored) on first use, like the repository's
// other generated fixtures: written to a temporary file and renamed, so a concurrent reader never
// sees a partial one. Delete the file to make it again.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { joinAnnexB, splitAnnexB } from "@framewire/rtp-video";
import { h264AccessUnits } from "@framewire/test-support";
import { fixture, generatedFixturesDir } from "@framewire/test-support/fixtures";
import { VideoConverter, VideoDecoder, VideoEncoder } from "../src/index.js";

export const FIXTURE_720P = "test-720p30.h264";
export const WIDTH_720P = 1280;
export const HEIGHT_720P = 720;
const BITRATE = 2_500_000;

/** accessUnits are the Annex-B access units of an H.264 file. */
export function accessUnits(file: string): Uint8Array[] {
  return h264AccessUnits(new Uint8Array(readFileSync(file)), { splitAnnexB, joinAnnexB }).units;
}

/** ensure720p returns the path of the 720p30 fixture, making it first when it is missing. */
export async function ensure720p(): Promise<string> {
  const dir = generatedFixturesDir();
  const out = join(dir, FIXTURE_720P);
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true });
  const tmp = `${out}.${process.pid}.${Date.now()}.tmp`;
  const decoder = new VideoDecoder({ codec: "h264", threads: 1 });
  const converter = new VideoConverter();
  const encoder = await VideoEncoder.create({
    codec: "h264",
    width: WIDTH_720P,
    height: HEIGHT_720P,
    fps: 30,
    bitrate: BITRATE,
    keyframeInterval: 30,
  });
  const chunks: Uint8Array[] = [];
  try {
    const pictures = [];
    for (const unit of accessUnits(fixture("test.h264"))) {
      pictures.push(...(await decoder.decode(unit)));
    }
    pictures.push(...(await decoder.flush()));
    for (const picture of pictures) {
      const big = converter.convert(picture, {
        format: "i420",
        width: WIDTH_720P,
        height: HEIGHT_720P,
      });
      for (const p of await encoder.encode(big)) chunks.push(p.data);
    }
    for (const p of await encoder.flush()) chunks.push(p.data);
    writeFileSync(tmp, Buffer.concat(chunks));
    renameSync(tmp, out);
  } finally {
    rmSync(tmp, { force: true });
    await decoder.close();
    converter.close();
    await encoder.close();
  }
  console.log(`  made ${out} (${chunks.length} access units, by this package's own code)`);
  return out;
}
