// Connector benchmark: how many 720p30 frames a server-side participant takes as rgb24 (decoded
// and converted by @framewire/media, through the bridge's per-source subscription and the
// stream's queue), with 1 and 2 callers subscribed at once, and the CPU each subscribed stream
// costs; side by side in the same run with the ffmpeg CLI doing the decode + convert of the same
// clip on one thread. The callers are in-process (the fixture's access units pushed as fast as the
// participant takes them): the figure is the participant's own cost, not the network's.
// BENCH_CONNECTOR_RUNS alternating runs (default 5), medians; writes
// .bench-results/connector-participant.json for BENCHMARKS.md.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { splitAccessUnits, type VideoFrame } from "@framewire/rtp-video";
import {
  envPrefix,
  headRevision,
  packageDir,
  passFail,
  writeResults,
} from "@framewire/test-support/bench-results";
import { ensureFixture } from "@framewire/test-support/fixtures";
import type { RoomSession } from "@framewire/video-bridge";
import { Connector } from "../src/core/connector.js";
import { h264, phoneSession, room } from "../test/fake-phones.js";

const RUNS = Number(process.env.BENCH_CONNECTOR_RUNS ?? 5);
const file = await ensureFixture("test-720p30.h264");
const units = splitAccessUnits(readFileSync(file));
const frames: VideoFrame[] = units.map((u, i) => ({
  ...h264(u.keyframe, 0, Math.round((i * 1000) / 30)),
  data: u.data,
  rtpTimestamp: i * 3000,
  width: 1280,
  height: 720,
}));

const median = (xs: number[]) => {
  const v = [...xs].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 === 1 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
};

interface Run {
  readonly wallS: number;
  readonly cpuS: number;
  readonly frames: number;
}

/** ours: `callers` in-process callers send the clip; one participant takes each as rgb24. */
async function ours(callers: number): Promise<Run> {
  const { kit, phones } = room("forward");
  const sessions: RoomSession[] = [];
  for (let i = 0; i < callers; i++)
    sessions.push(await kit.join("r", "av", { session: phoneSession(`caller${i}`) }));
  const connector = new Connector(kit, { channelId: "av" });
  const bot = await connector.join({ roomId: "r", identity: "bench" });
  const streams = sessions.map((s) =>
    bot.subscribeVideo(s.id, { format: "rgb24", capacity: frames.length + 1 }),
  );
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (const f of frames) for (const s of sessions) phones.video.next({ session: s, frame: f });
  let got = 0;
  await Promise.all(
    streams.map(async (st) => {
      for (let i = 0; i < frames.length; i++) {
        const r = await st.next();
        if (r.done) break;
        got++;
      }
    }),
  );
  const wallS = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  await bot.leave();
  kit.close();
  if (got !== frames.length * callers)
    throw new Error(`took ${got} of ${frames.length * callers} frames`);
  return { wallS, cpuS: (used.user + used.system) / 1e6, frames: got };
}

const FFMPEG_ARGS = [
  "-threads",
  "1",
  "-i",
  file,
  "-threads",
  "1",
  "-pix_fmt",
  "rgb24",
  "-f",
  "rawvideo",
  "-y",
  "/dev/null",
];

/** anchor: the ffmpeg CLI decodes and converts the clip on one thread (its -benchmark times). */
function anchor(): Run {
  const r = spawnSync(
    "ffmpeg",
    ["-hide_banner", "-nostdin", "-nostats", "-benchmark", ...FFMPEG_ARGS],
    {
      encoding: "utf8",
    },
  );
  const m = /bench: utime=([\d.]+)s stime=([\d.]+)s rtime=([\d.]+)s/.exec(r.stderr ?? "");
  if (r.status !== 0 || m === null) throw new Error(`ffmpeg failed: ${r.stderr}`);
  return { wallS: Number(m[3]), cpuS: Number(m[1]) + Number(m[2]), frames: frames.length };
}

const one: Run[] = [];
const two: Run[] = [];
const ref: Run[] = [];
for (let i = 0; i < RUNS; i++) {
  one.push(await ours(1));
  two.push(await ours(2));
  ref.push(anchor());
}
const fps = (rs: Run[]) => median(rs.map((r) => r.frames / r.wallS));
const cpuMs = (rs: Run[]) => median(rs.map((r) => (1000 * r.cpuS) / r.frames));
const oneFps = fps(one);
const twoFps = fps(two);
const refFps = fps(ref);
const ratio = oneFps / refFps;
console.log(
  `participant 720p -> rgb24: 1 stream ${oneFps.toFixed(0)} frames/s (${cpuMs(one).toFixed(2)} ms CPU/frame), 2 streams ${twoFps.toFixed(0)} frames/s total (${cpuMs(two).toFixed(2)} ms CPU/frame), ffmpeg ${refFps.toFixed(0)} frames/s (${cpuMs(ref).toFixed(2)} ms CPU/frame): ${ratio.toFixed(2)}x`,
);
const dir = packageDir(import.meta.dirname);
const command = `cd packages/connector && ${envPrefix()}pnpm bench`;
writeResults(dir, {
  bench: "connector-participant",
  order: 60,
  packageName: "@framewire/connector",
  revision: headRevision(dir),
  notes: [
    "connector: in-process callers push the 720p30 fixture's 300 access units at once; a 720p30 caller needs 30 frames/s, so frames/s ÷ 30 is how many such callers one participant keeps up with.",
  ],
  rows: [
    {
      what: "Participant takes one 720p30 caller as rgb24 (bridge subscription + queue + node-av decode + convert)",
      ours: { value: oneFps, unit: "frames/s", note: `${cpuMs(one).toFixed(2)} ms CPU per frame` },
      anchor: {
        name: `ffmpeg CLI decode + convert, 1 thread (-benchmark rtime), medians of ${RUNS}`,
        value: refFps,
        unit: "frames/s",
      },
      ratio,
      target: "≥ 30 frames/s (one 720p30 caller in real time)",
      verdict: passFail(oneFps >= 30),
      command,
    },
    {
      what: "Participant takes two 720p30 callers as rgb24 at once (total)",
      ours: {
        value: twoFps,
        unit: "frames/s",
        note: `${cpuMs(two).toFixed(2)} ms CPU per frame per subscribed stream`,
      },
      anchor: null,
      ratio: null,
      target: "≥ 60 frames/s",
      verdict: passFail(twoFps >= 60),
      command,
    },
  ],
});
