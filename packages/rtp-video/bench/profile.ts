// Profiling driver: runs one of the benchmark's own tasks in a loop, for a CPU profiler.
//   node --import tsx --conditions=@framewire/source --cpu-prof --cpu-prof-dir=/tmp/prof \
//     bench/profile.ts depay|pay|parse [iterations]
//   tsx bench/profile.ts summary /tmp/prof/<file>.cpuprofile   (self time by function, hot lines)
// Line numbers are exact when the JS runs directly: tsc -p tsconfig.json --noEmit false
//   --outDir /tmp/fwbuild, then node --cpu-prof /tmp/fwbuild/bench/profile.js depay 30
import { readFileSync } from "node:fs";
import {
  FrameAssembler,
  H264Packetizer,
  RtpPacketizer,
  sequenceFrom,
  tryParseRtpPacket,
} from "../src/index.js";
import { loadStream } from "./stream.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
  positionTicks?: { line: number; ticks: number }[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function summary(file: string): void {
  const prof = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    const n = byId.get(prof.samples[i]!);
    const dt = prof.timeDeltas[i] ?? 0;
    if (n === undefined) continue;
    const f = n.callFrame;
    const where = f.url.replace(/^.*\/(src|bench|node_modules)\//, "$1/");
    const key = `${f.functionName || "(anonymous)"} ${where}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  }
  // hot lines (exact for JS run directly, e.g. a `tsc --outDir` build of src and bench)
  const lines = new Map<string, number>();
  let ticks = 0;
  for (const n of prof.nodes) {
    for (const t of n.positionTicks ?? []) {
      const key = `${n.callFrame.url}:${t.line}`;
      lines.set(key, (lines.get(key) ?? 0) + t.ticks);
      ticks += t.ticks;
    }
  }
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25);
  console.log(`total ${(total / 1000).toFixed(0)} ms sampled; self time:`);
  for (const [k, v] of rows) {
    console.log(
      `${((100 * v) / total).toFixed(1).padStart(5)}%  ${(v / 1000).toFixed(0).padStart(6)} ms  ${k}`,
    );
  }
  if (ticks === 0) return;
  console.log("hot lines (share of line-attributed samples):");
  for (const [k, v] of [...lines.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
    const at = k.lastIndexOf(":");
    const url = k.slice(0, at);
    const line = Number(k.slice(at + 1));
    let text = "";
    try {
      text = readFileSync(new URL(url), "utf8").split("\n")[line - 1]?.trim() ?? "";
    } catch {
      // not a file URL
    }
    const where = url.replace(/^.*\/(src|bench)\//, "$1/");
    console.log(
      `${((100 * v) / ticks).toFixed(1).padStart(5)}%  ${where}:${line}  ${text.slice(0, 90)}`,
    );
  }
}

function run(task: string, iterations: number): void {
  const { units } = loadStream(4500, process.env.BENCH_SYNTHETIC === "1");
  const newPacketizer = (): RtpPacketizer =>
    new RtpPacketizer({
      packetizer: new H264Packetizer({ mtu: 1200 }),
      payloadType: 96,
      ssrc: 1,
      sequence: sequenceFrom(0xfff0),
    });
  const datagrams: Uint8Array[] = [];
  const p0 = newPacketizer();
  units.forEach((u, i) => {
    datagrams.push(...p0.packetizeFrame(u.data, i * 3000));
  });
  let sink = 0;
  const t0 = performance.now();
  for (let it = 0; it < iterations; it++) {
    if (task === "depay") {
      let frames = 0;
      const a = new FrameAssembler({
        frame: (f) => {
          frames++;
          sink += f.data.length;
        },
      });
      for (const d of datagrams) {
        const p = tryParseRtpPacket(d);
        if (typeof p === "string") throw new Error(p);
        a.push(p);
      }
      a.flush();
      if (frames !== units.length) throw new Error(`${frames} frames`);
    } else if (task === "pay") {
      const p = newPacketizer();
      units.forEach((u, i) => {
        sink += p.packetizeFrame(u.data, i * 3000).length;
      });
    } else if (task === "parse") {
      for (const d of datagrams) {
        const p = tryParseRtpPacket(d);
        if (typeof p === "string") throw new Error(p);
        sink += p.sequenceNumber;
      }
    } else {
      throw new Error(`unknown task ${task}`);
    }
  }
  const ms = performance.now() - t0;
  const pps = (datagrams.length * iterations) / (ms / 1000);
  console.log(
    `${task}: ${iterations} x ${datagrams.length} packets in ${ms.toFixed(0)} ms = ${(pps / 1e6).toFixed(3)} M pkt/s (sink ${sink % 7})`,
  );
}

const [cmd = "depay", arg] = process.argv.slice(2);
if (cmd === "summary") summary(arg ?? "");
else run(cmd, Number(arg ?? 20));
