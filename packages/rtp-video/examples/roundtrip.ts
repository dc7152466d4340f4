// Round trip of a real H.264 stream through Framewire's RTP core over UDP on 127.0.0.1:
//   test.h264 → access units → RtpPacketizer (RFC 6184, MTU 1200) → node:dgram
//   → tryParseRtpPacket → FrameAssembler → frames → out.h264 (and a decode check with ffmpeg)
// Usage: pnpm --filter @framewire/rtp-video example [input.h264] [fps]
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createSocket } from "node:dgram";
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  FrameAssembler,
  H264Packetizer,
  RtpPacketizer,
  splitAccessUnits,
  tryParseRtpPacket,
  type VideoFrame,
} from "@framewire/rtp-video";

const input =
  process.argv[2] ?? fileURLToPath(new URL("../../../fixtures/test.h264", import.meta.url)); // the repository's fixture
const fps = Number(process.argv[3] ?? 120);

const aus = splitAccessUnits(readFileSync(input)).map((au) => au.data);
const receiver = createSocket("udp4");
const sender = createSocket("udp4");
const frames: VideoFrame[] = [];
let keyframeRequests = 0;
const assembler = new FrameAssembler({
  frame: (f) => frames.push(f),
  keyframeNeeded: () => keyframeRequests++,
});
receiver.on("message", (msg) => {
  const packet = tryParseRtpPacket(msg);
  if (typeof packet !== "string") assembler.push(packet);
});
await new Promise<void>((resolve) => receiver.bind(0, "127.0.0.1", resolve));
const port = receiver.address().port;
const rtp = new RtpPacketizer({
  packetizer: new H264Packetizer({ mtu: 1200 }),
  payloadType: 96,
  ssrc: 0x46574952,
});

console.log(`sending ${aus.length} access units from ${input} to 127.0.0.1:${port} at ${fps} fps`);
const started = performance.now();
let packets = 0;
for (let i = 0; i < aus.length; i++) {
  for (const datagram of rtp.packetizeFrame(aus[i]!, i * (90000 / 30))) {
    sender.send(datagram, port, "127.0.0.1");
    packets++;
  }
  const due = started + ((i + 1) * 1000) / fps;
  await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
  if (i % 30 === 29) {
    const s = assembler.stats;
    process.stdout.write(
      `${process.stdout.isTTY ? "\r" : "\n"}  sent ${i + 1}/${aus.length} frames, ${packets} packets | received ${s.frames} frames, ` +
        `${s.keyframes} keyframes, ${s.lost} lost, ${frames.at(-1)?.width ?? 0}x${frames.at(-1)?.height ?? 0}`,
    );
  }
}
await new Promise((r) => setTimeout(r, 200));
assembler.flush();
sender.close();
receiver.close();

const out = join(tmpdir(), "framewire-roundtrip.h264");
const joined = Buffer.concat(frames.map((f) => f.data));
writeFileSync(out, joined);
const same =
  createHash("sha256").update(joined).digest("hex") ===
  createHash("sha256").update(readFileSync(input)).digest("hex");
console.log(
  `\nreceived ${frames.length}/${aus.length} frames (${frames.filter((f) => f.keyframe).length} keyframes), ` +
    `${assembler.stats.packets}/${packets} packets, keyframe requests ${keyframeRequests}`,
);
console.log(`output ${out}: ${joined.length} bytes, byte-identical to the input: ${same}`);
try {
  const log = execFileSync(
    "ffmpeg",
    ["-hide_banner", "-v", "error", "-i", out, "-f", "null", "-"],
    {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  console.log(`ffmpeg decode: ${log.trim() === "" ? "0 errors" : log.trim()}`);
} catch (e) {
  console.log(`ffmpeg decode check not run: ${(e as Error).message.split("\n")[0]}`);
}
process.exitCode = frames.length === aus.length && same ? 0 : 1;
