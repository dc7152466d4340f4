// pnpm bench: H.264 RTP depacketize/packetize throughput, ours vs werift-rtp 0.8.9, side by side,
// against the GStreamer anchors and the targets. `pnpm bench` compiles src and bench with tsc
// (tsconfig.bench.json, into .bench-build/) and runs the JavaScript, as users run the package's
// dist; `tsx --conditions=@framewire/source bench/run.ts` runs the TypeScript directly (tsx's
// transform keeps function names with wrappers: measured slower, see BENCHMARKS.md).
//
// Env: BENCH_QUICK=1 short smoke run (300 frames, 200 ms per task); BENCH_DIR cache directory
// (default <tmpdir>/framewire-bench); BENCH_FRAMES frames to use (default 4500);
// BENCH_TIME_MS time per task (default 2000); BENCH_SYNTHETIC=1 skip ffmpeg;
// BENCH_JSON=<file> also write the results as JSON; BENCH_GST_RUNS runs of each GStreamer anchor
// pipeline measured in this run (default 5; 0 skips; bench/gst-anchor.ts); BENCH_ONLY=key,key runs only those tasks
// (diagnostics: no summary, no results file); BENCH_GST_DEPAY_PPS / BENCH_GST_PAY_PPS add this
// machine's GStreamer anchors (packets/s, "depay alone" / "pay alone" of tools/peers/bench-depay.sh
// at the repository root). The rows of the summary go to .bench-results/run.json (@framewire/test-support/bench-results).
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import {
  type BenchRow,
  envPrefix,
  packageDir,
  passFail,
  writeResults,
} from "@framewire/test-support/bench-results";
import { Bench, type FnOptions, type Task } from "tinybench";
import { dePacketizeRtpPackets, H264RtpPayload, RtpPacket as WeriftRtpPacket } from "werift-rtp";
import {
  FrameAssembler,
  H264Packetizer,
  type RtpPacket,
  RtpPacketizer,
  sequenceFrom,
  serializeRtpPacket,
  splitAnnexB,
  tryParseRtpPacket,
  type VideoFrame,
  writeRtpHeader,
} from "../src/index.js";
import { type GstAnchor, hasGstreamer, measureGstAnchor } from "./gst-anchor.js";
import { type AccessUnit, benchDir, FPS, HEIGHT, loadStream, WIDTH } from "./stream.js";

const QUICK = process.env.BENCH_QUICK === "1";
const FRAMES = envNumber("BENCH_FRAMES", QUICK ? 300 : 4500);
const TIME_MS = envNumber("BENCH_TIME_MS", QUICK ? 200 : 2000);
const MTU = 1200;
const PAYLOAD_TYPE = 96;
const SSRC = 0x5eed1234;
const SEQ0 = 0xfff0; // wraps early: the 16-bit wrap is on the measured path
const TS0 = 0xfffe0000; // the 32-bit timestamp wraps too
const TICKS_PER_FRAME = 90000 / FPS;
// when one werift pass over the whole array takes longer than this, werift runs on a fixed prefix
// of the stream, the first WERIFT_PREFIX_FRAMES frames (whole GOPs); rates are per packet
const WERIFT_MAX_ITERATION_MS = 1000;
const WERIFT_PREFIX_FRAMES = 1500;

// GStreamer anchors and targets (packets/s)
const ISSUE_GST_DEPAY = 1.66e6;
const ISSUE_GST_PAY = 0.71e6;
// this machine's figures, from tools/peers/bench-depay.sh ("depay alone", "pay alone")
const MACHINE_GST_DEPAY = envNumber("BENCH_GST_DEPAY_PPS", 0);
const MACHINE_GST_PAY = envNumber("BENCH_GST_PAY_PPS", 0);
const TARGET_DEPAY = 2.0e6;
const TARGET_PAY = 1.0e6;

// global.gc without a node flag (the bench runs as plain `node` or `tsx`)
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

function envNumber(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!(n > 0)) throw new Error(`${name} must be a positive number, got ${v}`);
  return n;
}

function envCount(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a count, got ${v}`);
  return n;
}

function fail(message: string): never {
  throw new Error(`bench check failed: ${message}`);
}

// ---------------------------------------------------------------------------------------------
// Input (untimed): access units -> our RtpPacketizer -> datagrams
// ---------------------------------------------------------------------------------------------

const t0 = performance.now();
const REVISION = gitRevision(); // read before the modules run, close to when they were loaded
const stream = loadStream(FRAMES, process.env.BENCH_SYNTHETIC === "1");
const units: readonly AccessUnit[] = stream.units;

function newRtpPacketizer(): RtpPacketizer {
  return new RtpPacketizer({
    packetizer: new H264Packetizer({ mtu: MTU }),
    payloadType: PAYLOAD_TYPE,
    ssrc: SSRC,
    sequence: sequenceFrom(SEQ0),
  });
}

// The datagrams live in one slab, as in a receive ring, and each task makes its view of a
// datagram as it reads it, as a socket hands out a new Buffer per datagram. 130k ArrayBuffers, or
// 130k views, kept alive for the whole run would be marked by every full GC during every task:
// the frames' allocations trigger such GCs, and the harness's heap would be measured, not ours.
let SLAB: Uint8Array;
let OFFSETS: Int32Array; // datagram i is SLAB[OFFSETS[i], OFFSETS[i + 1])
{
  const packetizer = newRtpPacketizer();
  const made: Uint8Array[] = [];
  for (let i = 0; i < units.length; i++) {
    made.push(...packetizer.packetizeFrame(units[i]!.data, TS0 + i * TICKS_PER_FRAME));
  }
  SLAB = new Uint8Array(made.reduce((s, d) => s + d.length, 0));
  OFFSETS = new Int32Array(made.length + 1);
  let o = 0;
  made.forEach((d, i) => {
    SLAB.set(d, o);
    o += d.length;
    OFFSETS[i + 1] = o;
  });
}
const PACKETS = OFFSETS.length - 1;
const DATAGRAM_BYTES = SLAB.length;
/** datagram i, as our receive path gets it (a view of the receive slab). */
function datagram(i: number): Uint8Array {
  return SLAB.subarray(OFFSETS[i]!, OFFSETS[i + 1]!);
}
/** datagram i as werift takes it: a Buffer over the same memory. */
function buffer(i: number): Buffer {
  return Buffer.from(SLAB.buffer, SLAB.byteOffset + OFFSETS[i]!, OFFSETS[i + 1]! - OFFSETS[i]!);
}
const AU_BYTES = units.reduce((s, u) => s + u.data.length, 0);
const KEYFRAMES = units.filter((u) => u.keyframe).length;

// ---------------------------------------------------------------------------------------------
// Checks (untimed): both depacketizers give back the access units that went in
// ---------------------------------------------------------------------------------------------

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function checkInput(): void {
  for (let i = 0; i < PACKETS; i++) {
    const n = datagram(i).length - 12;
    if (n > MTU) fail(`payload of ${n} > mtu`);
  }
  const frames: VideoFrame[] = [];
  const assembler = new FrameAssembler({ frame: (f) => frames.push(f) });
  for (let i = 0; i < PACKETS; i++) {
    const p = tryParseRtpPacket(datagram(i));
    if (typeof p === "string") fail(`our parser rejected a datagram: ${p}`);
    assembler.push(p);
  }
  assembler.flush();
  if (frames.length !== units.length)
    fail(`ours gave ${frames.length} frames, not ${units.length}`);
  for (let i = 0; i < units.length; i++) {
    const f = frames[i]!;
    const u = units[i]!;
    if (!sameBytes(f.data, u.data)) fail(`ours: frame ${i} differs from the access unit sent`);
    if (f.keyframe !== u.keyframe) fail(`ours: frame ${i} keyframe flag ${f.keyframe}`);
    if (f.width !== WIDTH || f.height !== HEIGHT)
      fail(`ours: frame ${i} is ${f.width}x${f.height}`);
    if (f.rtpTimestamp !== (TS0 + i * TICKS_PER_FRAME) >>> 0) fail(`ours: frame ${i} timestamp`);
  }
  const s = assembler.stats;
  if (s.lost + s.duplicates + s.reordered + s.framesDroppedCorrupt !== 0) {
    fail(`ours: unexpected stats ${JSON.stringify(s)}`);
  }
  const drops = Object.entries(assembler.depacketizerDrops).filter(([, n]) => n > 0);
  if (drops.length > 0) fail(`ours: depacketizer drops ${JSON.stringify(drops)}`);

  // werift: compare NAL units (it writes 4-byte start codes everywhere)
  const wf = weriftFrames(PACKETS);
  if (wf.length !== units.length) fail(`werift gave ${wf.length} frames, not ${units.length}`);
  for (let i = 0; i < units.length; i++) {
    const got = splitAnnexB(wf[i]!);
    const want = units[i]!.nals;
    if (got.length !== want.length || !got.every((n, k) => sameBytes(n, want[k]!))) {
      fail(`werift: frame ${i} NAL units differ from the access unit sent`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Tasks. Each processes the whole packet array (werift: maybe a prefix, see below).
// ---------------------------------------------------------------------------------------------

let sink = 0; // results flow here so nothing is optimised away

// a) ours: datagram -> tryParseRtpPacket -> FrameAssembler.push -> frames
let oursFrames = 0;
let oursFrameBytes = 0;
const oursSink = {
  frame(f: VideoFrame): void {
    oursFrames++;
    oursFrameBytes += f.data.length;
  },
};
function oursDepacketize(): void {
  oursFrames = 0;
  oursFrameBytes = 0;
  const assembler = new FrameAssembler(oursSink);
  for (let i = 0; i < PACKETS; i++) {
    const p = tryParseRtpPacket(datagram(i));
    if (typeof p === "string") fail(p);
    assembler.push(p);
  }
  assembler.flush();
  if (oursFrames !== units.length || oursFrameBytes !== AU_BYTES) {
    fail(`ours: ${oursFrames} frames / ${oursFrameBytes} bytes in an iteration`);
  }
  sink += oursFrameBytes;
}

// b) werift-rtp: RtpPacket.deSerialize, packets collected until the marker
// (H264RtpPayload.isDetectedFinalPacketInSequence), then its dePacketizeRtpPackets helper, which
// runs H264RtpPayload.deSerialize(payload, fragment) over them with FU-A fragment chaining and
// Buffer.concat()s the payloads into the frame: what its DepacketizeBase does per frame.
function weriftDepacketize(count: number, onFrame: (data: Buffer) => void): void {
  let pending: WeriftRtpPacket[] = [];
  for (let i = 0; i < count; i++) {
    const rtp = WeriftRtpPacket.deSerialize(buffer(i));
    pending.push(rtp);
    if (H264RtpPayload.isDetectedFinalPacketInSequence(rtp.header)) {
      // DepacketizeBase clears frameFragmentBuffer after every frame: each frame starts fresh
      const { data } = dePacketizeRtpPackets("MPEG4/ISO/AVC", pending, undefined);
      onFrame(data);
      pending = [];
    }
  }
}
function weriftFrames(count: number): Buffer[] {
  const out: Buffer[] = [];
  weriftDepacketize(count, (d) => out.push(d));
  return out;
}

// b') werift-rtp, streaming: the same calls without keeping the RtpPackets, one payload at a time
// (H264RtpPayload.deSerialize with the fragment carried from packet to packet)
function weriftStreaming(count: number, onFrame: (data: Buffer) => void): void {
  let parts: Buffer[] = [];
  let fragment: Buffer | undefined;
  for (let i = 0; i < count; i++) {
    const rtp = WeriftRtpPacket.deSerialize(buffer(i));
    const h = H264RtpPayload.deSerialize(rtp.payload, fragment);
    if (h.fragment) fragment = h.fragment;
    else if (h.payload) fragment = undefined;
    if (h.payload) parts.push(h.payload);
    if (H264RtpPayload.isDetectedFinalPacketInSequence(rtp.header)) {
      onFrame(Buffer.concat(parts));
      parts = [];
      fragment = undefined;
    }
  }
}

// werift's prefix: whole frames only, so the frame count can be checked
let weriftPackets = PACKETS;
let weriftFramesExpected = units.length;
let weriftBytes = DATAGRAM_BYTES;
let weriftGotFrames = 0;
const countWeriftFrame = (d: Buffer): void => {
  weriftGotFrames++;
  sink += d.length;
};
function checkWeriftFrames(): void {
  if (weriftGotFrames !== weriftFramesExpected) {
    fail(`werift: ${weriftGotFrames} frames in an iteration, not ${weriftFramesExpected}`);
  }
}
function weriftTask(): void {
  weriftGotFrames = 0;
  weriftDepacketize(weriftPackets, countWeriftFrame);
  checkWeriftFrames();
}
function weriftStreamingTask(): void {
  weriftGotFrames = 0;
  weriftStreaming(weriftPackets, countWeriftFrame);
  checkWeriftFrames();
}

// c) ours packetize: access units -> RtpPacketizer.packetizeFrame -> datagrams
function oursPacketize(): void {
  const packetizer = newRtpPacketizer();
  let count = 0;
  let bytes = 0;
  for (let i = 0; i < units.length; i++) {
    const out = packetizer.packetizeFrame(units[i]!.data, TS0 + i * TICKS_PER_FRAME);
    count += out.length;
    bytes += out[out.length - 1]!.length;
  }
  if (count !== PACKETS) fail(`packetize: ${count} packets, not ${PACKETS}`);
  sink += bytes;
}

// d) RTP header only
// parsed packets for the serialize tasks: made before those tasks run, dropped after them
let oursPackets: RtpPacket[] = [];
let weriftRtpPackets: WeriftRtpPacket[] = [];
const withParsedPackets = {
  beforeAll(): void {
    oursPackets = Array.from({ length: PACKETS }, (_, i) => {
      const p = tryParseRtpPacket(datagram(i));
      if (typeof p === "string") fail(p);
      return p;
    });
    weriftRtpPackets = Array.from({ length: PACKETS }, (_, i) =>
      WeriftRtpPacket.deSerialize(buffer(i)),
    );
  },
  afterAll(): void {
    oursPackets = [];
    weriftRtpPackets = [];
  },
};
const headerScratch = new Uint8Array(12);

function oursParse(): void {
  let acc = 0;
  for (let i = 0; i < PACKETS; i++) {
    const p = tryParseRtpPacket(datagram(i));
    if (typeof p === "string") fail(p);
    acc += p.sequenceNumber + p.payload.length;
  }
  sink += acc;
}
function weriftParse(): void {
  let acc = 0;
  for (let i = 0; i < PACKETS; i++) {
    const p = WeriftRtpPacket.deSerialize(buffer(i));
    acc += p.header.sequenceNumber + p.payload.length;
  }
  sink += acc;
}
function oursSerialize(): void {
  let acc = 0;
  for (let i = 0; i < oursPackets.length; i++) acc += serializeRtpPacket(oursPackets[i]!).length;
  sink += acc;
}
function weriftSerialize(): void {
  let acc = 0;
  for (let i = 0; i < weriftRtpPackets.length; i++) acc += weriftRtpPackets[i]!.serialize().length;
  sink += acc;
}
function oursWriteHeader(): void {
  let acc = 0;
  for (let i = 0; i < oursPackets.length; i++) {
    acc += writeRtpHeader(headerScratch, 0, oursPackets[i]!);
  }
  sink += acc + headerScratch[3]!;
}
function weriftHeaderSerialize(): void {
  let acc = 0;
  for (let i = 0; i < weriftRtpPackets.length; i++) {
    acc += weriftRtpPackets[i]!.header.serialize(12).length;
  }
  sink += acc;
}

// ---------------------------------------------------------------------------------------------
// Run
// ---------------------------------------------------------------------------------------------

interface Row {
  key: string;
  name: string;
  /** packets and datagram bytes one iteration handles */
  packets: number;
  bytes: number;
  note?: string;
}

interface Result extends Row {
  medianMs: number;
  minMs: number;
  samples: number;
  rme: number;
  pps: number;
  mbps: number;
}

/** gitRevision names the code measured: HEAD, plus "+dirty" when src/ has uncommitted changes. */
function gitRevision(): string {
  const git = (...args: string[]): string | undefined => {
    const r = spawnSync("git", args, { cwd: import.meta.dirname, encoding: "utf8" });
    return r.status === 0 ? r.stdout.trim() : undefined;
  };
  const head = git("rev-parse", "--short", "HEAD");
  if (head === undefined) return "unknown";
  // bench/ next to src/, or .bench-build/bench/ under the package
  const src = import.meta.url.endsWith(".ts") ? "../src" : "../../src";
  const dirty = git("status", "--porcelain", "--untracked-files=no", "--", src);
  return dirty ? `${head}+dirty src` : head;
}

function cpuModel(): string {
  return cpus()[0]?.model ?? "unknown";
}

function fmtRate(pps: number): string {
  return `${(pps / 1e6).toFixed(3)} M`;
}

async function main(): Promise<void> {
  checkInput();
  // time one werift pass; if too slow for the whole array per iteration, use a prefix of frames
  let t = performance.now();
  weriftTask();
  const weriftFullMs = performance.now() - t;
  let weriftNote: string | undefined;
  if (weriftFullMs > WERIFT_MAX_ITERATION_MS && units.length > WERIFT_PREFIX_FRAMES) {
    let frames = WERIFT_PREFIX_FRAMES;
    let packets = 0;
    let count = 0;
    for (let i = 0; i < PACKETS && count < frames; i++) {
      packets++;
      if ((datagram(i)[1]! & 0x80) !== 0) count++; // marker bit
    }
    frames = count;
    weriftPackets = packets;
    weriftFramesExpected = frames;
    weriftBytes = OFFSETS[packets]!;
    weriftNote = `prefix of ${frames} frames / ${packets} packets (whole array took ${weriftFullMs.toFixed(0)} ms)`;
  }
  const prepMs = performance.now() - t0;

  console.log("framewire rtp-video benchmark");
  console.log(`  node ${process.version}, ${cpus().length} CPUs, ${cpuModel()}`);
  console.log(
    `  code: ${REVISION}, ${import.meta.url.endsWith(".ts") ? "TypeScript through tsx" : "tsc build (.bench-build)"}`,
  );
  console.log(`  input: ${stream.source}`);
  if (stream.synthetic)
    console.log("  NOTE: SYNTHETIC INPUT (no ffmpeg/libx264): figures are indicative");
  console.log(
    `  ${units.length} access units (${KEYFRAMES} keyframes), ${(AU_BYTES / 1e6).toFixed(1)} MB; ` +
      `${PACKETS} RTP packets, mtu ${MTU}, ${(DATAGRAM_BYTES / 1e6).toFixed(1)} MB of datagrams, ` +
      `${((AU_BYTES * 8 * FPS) / units.length / 1e6).toFixed(2)} Mbit/s`,
  );
  if (!QUICK && PACKETS < 100_000)
    console.log(`  WARNING: fewer than 100 000 packets (${PACKETS})`);
  console.log(
    `  checked (untimed): ours and werift give back the ${units.length} access units sent; ` +
      `prep ${(prepMs / 1000).toFixed(1)} s`,
  );
  console.log(
    `  tinybench: ${TIME_MS} ms per task${QUICK ? " (BENCH_QUICK)" : ""}; rates from the median iteration`,
  );
  if (weriftNote) console.log(`  werift runs on a ${weriftNote}`);
  console.log();

  const all = { packets: PACKETS, bytes: DATAGRAM_BYTES };
  const wer = {
    packets: weriftPackets,
    bytes: weriftBytes,
    ...(weriftNote === undefined ? {} : { note: weriftNote }),
  };
  const rows: [Row, () => void, FnOptions?][] = [
    [{ key: "oursDepay", name: "a  ours depacketize+assemble", ...all }, oursDepacketize],
    [
      { key: "weriftDepay", name: "b  werift depacketize (DepacketizeBase way)", ...wer },
      weriftTask,
    ],
    [
      { key: "weriftDepayStream", name: "b' werift depacketize (streaming loop)", ...wer },
      weriftStreamingTask,
    ],
    [{ key: "oursPay", name: "c  ours packetize (packetizeFrame)", ...all }, oursPacketize],
    [{ key: "oursParse", name: "d  ours tryParseRtpPacket", ...all }, oursParse],
    [{ key: "weriftParse", name: "d  werift RtpPacket.deSerialize", ...all }, weriftParse],
    [
      { key: "oursSerialize", name: "d  ours serializeRtpPacket", ...all },
      oursSerialize,
      withParsedPackets,
    ],
    [
      { key: "weriftSerialize", name: "d  werift RtpPacket.serialize", ...all },
      weriftSerialize,
      withParsedPackets,
    ],
    [
      { key: "oursWriteHeader", name: "d  ours writeRtpHeader (hdr only)", ...all },
      oursWriteHeader,
      withParsedPackets,
    ],
    [
      { key: "weriftHeaderSerialize", name: "d  werift RtpHeader.serialize (hdr only)", ...all },
      weriftHeaderSerialize,
      withParsedPackets,
    ],
  ];

  const bench = new Bench({
    time: TIME_MS,
    iterations: QUICK ? 3 : 10,
    warmupTime: QUICK ? 50 : 500,
    warmupIterations: QUICK ? 1 : 3,
    throws: true,
    // a full GC before each task (untimed), so no task pays for the garbage of the one before
    setup: () => gc(),
  });
  const only = process.env.BENCH_ONLY?.split(",").filter((k) => k !== "");
  const selected = only === undefined ? rows : rows.filter(([row]) => only.includes(row.key));
  for (const [row, fn, options] of selected) bench.add(row.key, fn, options);
  bench.addEventListener("cycle", (e) => {
    const task = (e as Event & { task?: Task }).task;
    if (task) process.stderr.write(`  done ${task.name} (${task.runs} iterations)\n`);
  });
  t = performance.now();
  await bench.run();
  const benchMs = performance.now() - t;
  // GStreamer on the same packets, right after ours (same time of day on a shared machine)
  const gstRuns = envCount("BENCH_GST_RUNS", QUICK ? 1 : 5);
  let gst: GstAnchor | undefined;
  // why the same-run anchor is missing, for the results file
  let gstMissing = gstRuns > 0 ? "" : "BENCH_GST_RUNS=0";
  if (only === undefined && gstRuns > 0) {
    if (hasGstreamer()) {
      const annexB = new Uint8Array(AU_BYTES);
      let at = 0;
      for (const u of units) {
        annexB.set(u.data, at);
        at += u.data.length;
      }
      gst = measureGstAnchor(benchDir(), PACKETS, datagram, annexB, gstRuns);
    } else {
      console.log("  GStreamer (gst-launch-1.0 with rtph264depay) not found: no same-run anchor");
      gstMissing = "gst-launch-1.0 not installed";
    }
  }

  const results: Result[] = selected.map(([row]) => {
    const r = bench.getTask(row.key)?.result;
    if (r === undefined || r.error !== undefined) fail(`task ${row.key}: ${r?.error?.message}`);
    const medianMs = r.latency.p50 ?? r.latency.mean;
    return {
      ...row,
      medianMs,
      minMs: r.latency.min,
      samples: r.latency.samples.length,
      rme: r.latency.rme,
      pps: row.packets / (medianMs / 1000),
      mbps: row.bytes / 1e6 / (medianMs / 1000),
    };
  });

  console.table(
    results.map((r) => ({
      task: r.name,
      "median ms": Number(r.medianMs.toFixed(2)),
      "min ms": Number(r.minMs.toFixed(2)),
      "±rme %": Number(r.rme.toFixed(1)),
      samples: r.samples,
      packets: r.packets,
      "pkt/s": fmtRate(r.pps),
      "MB/s": Number(r.mbps.toFixed(1)),
      "ns/pkt": Number(((r.medianMs * 1e6) / r.packets).toFixed(1)),
    })),
  );

  if (only !== undefined) {
    console.log("BENCH_ONLY: a subset of the tasks ran, no summary");
    return;
  }
  const by = (k: string): Result => results.find((r) => r.key === k) ?? fail(k);
  const depay = by("oursDepay");
  const wdepay = by("weriftDepay");
  const wdepayS = by("weriftDepayStream");
  const pay = by("oursPay");
  const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;
  const verdict = (v: number, target: number): string => (v >= target ? "PASS" : "FAIL");
  console.log("\nSummary (packets/s from median iteration times)");
  console.log(
    `  depacketize+assemble  ours ${fmtRate(depay.pps)} pkt/s (${depay.mbps.toFixed(0)} MB/s)` +
      ` vs werift ${fmtRate(wdepay.pps)} pkt/s: ours/werift = ${ratio(depay.pps, wdepay.pps)}` +
      ` (vs werift streaming loop ${fmtRate(wdepayS.pps)}: ${ratio(depay.pps, wdepayS.pps)})`,
  );
  console.log(
    `  header parse          ours/werift = ${ratio(by("oursParse").pps, by("weriftParse").pps)};` +
      ` serialize (full packet) ours/werift = ${ratio(by("oursSerialize").pps, by("weriftSerialize").pps)};` +
      ` header only ours/werift = ${ratio(by("oursWriteHeader").pps, by("weriftHeaderSerialize").pps)}`,
  );
  const anchors: [string, number, number][] = [];
  if (gst !== undefined && !(gst.depayPps > 0 && gst.payPps > 0)) {
    console.log(
      `  GStreamer (this run): the pipelines with and without the element took too alike a time ` +
        `in ${gst.runs} run(s) to tell its cost (raise BENCH_GST_RUNS)`,
    );
  } else if (gst !== undefined) {
    anchors.push([`this run, same packets, medians of ${gst.runs}`, gst.depayPps, gst.payPps]);
  }
  anchors.push(["from the issue", ISSUE_GST_DEPAY, ISSUE_GST_PAY]);
  if (MACHINE_GST_DEPAY > 0 && MACHINE_GST_PAY > 0) {
    anchors.push(["this machine, bench-depay.sh", MACHINE_GST_DEPAY, MACHINE_GST_PAY]);
  }
  for (const [label, gstDepay, gstPay] of anchors) {
    console.log(
      `  GStreamer (${label}): rtph264depay ${fmtRate(gstDepay)} pkt/s -> ours/gst = ${ratio(depay.pps, gstDepay)};` +
        ` rtph264pay ${fmtRate(gstPay)} pkt/s -> ours/gst = ${ratio(pay.pps, gstPay)}`,
    );
  }
  const depayVerdict = verdict(depay.pps, TARGET_DEPAY);
  const payVerdict = verdict(pay.pps, TARGET_PAY);
  console.log(
    `  target depacketize+assemble >= ${fmtRate(TARGET_DEPAY)} pkt/s: ${depayVerdict} (${fmtRate(depay.pps)})`,
  );
  console.log(
    `  target packetize            >= ${fmtRate(TARGET_PAY)} pkt/s: ${payVerdict} (${fmtRate(pay.pps)})`,
  );
  if (QUICK) console.log("  (BENCH_QUICK: short smoke run; figures are not representative)");
  if (stream.synthetic) console.log("  (SYNTHETIC input: ffmpeg/libx264 was not used)");
  console.log(`  bench time ${(benchMs / 1000).toFixed(1)} s (sink ${sink % 997})`);

  // the rows of the summary table (scripts/bench-table.mjs prints them as BENCHMARKS.md's table)
  const command = import.meta.url.endsWith(".ts")
    ? `cd packages/rtp-video && ${envPrefix()}pnpm exec tsx --conditions=@framewire/source bench/run.ts`
    : `cd packages/rtp-video && pnpm exec tsc -p tsconfig.bench.json && ${envPrefix()}node .bench-build/bench/run.js`;
  const gstFigure = (
    pps: number | undefined,
  ): { value: number | null; note?: string; missing?: string } =>
    pps !== undefined && pps > 0
      ? { value: pps, note: `median of ${gst?.runs} runs` }
      : {
          value: null,
          missing: gst === undefined ? gstMissing : `noise hid it in ${gst.runs} runs`,
        };
  const gstDepay = gstFigure(gst?.depayPps);
  const gstPay = gstFigure(gst?.payPps);
  const over = (a: number, b: number | null): number | null => (b === null ? null : a / b);
  const weriftPrefix =
    weriftNote === undefined ? {} : { note: `on the first ${weriftFramesExpected} frames` };
  const millions = (pps: number): string => `${(pps / 1e6).toFixed(1)} M pkt/s`;
  const vsWerift = (what: string, ours: Result, theirs: Result, note = {}): BenchRow => ({
    what,
    ours: { value: ours.pps, unit: "pkt/s" },
    anchor: { name: "werift-rtp", value: theirs.pps, unit: "pkt/s", ...note },
    ratio: ours.pps / theirs.pps,
    target: null,
    verdict: "—",
    command,
  });
  const tableRows: BenchRow[] = [
    {
      what: "H.264 depacketize+assemble (RTP → access units)",
      ours: { value: depay.pps, unit: "pkt/s" },
      anchor: { name: "GStreamer rtph264depay", unit: "pkt/s", ...gstDepay },
      ratio: over(depay.pps, gstDepay.value),
      target: `≥ ${millions(TARGET_DEPAY)}`,
      verdict: passFail(depay.pps >= TARGET_DEPAY),
      command,
    },
    vsWerift("H.264 depacketize+assemble (RTP → access units)", depay, wdepay, weriftPrefix),
    {
      what: "H.264 packetize (access units → RTP, MTU 1200)",
      ours: { value: pay.pps, unit: "pkt/s" },
      anchor: { name: "GStreamer rtph264pay", unit: "pkt/s", ...gstPay },
      ratio: over(pay.pps, gstPay.value),
      target: `≥ ${millions(TARGET_PAY)}`,
      verdict: passFail(pay.pps >= TARGET_PAY),
      command,
    },
    vsWerift("RTP header parse", by("oursParse"), by("weriftParse")),
    vsWerift("RTP packet serialize", by("oursSerialize"), by("weriftSerialize")),
  ];
  writeResults(packageDir(import.meta.dirname), {
    bench: "run",
    order: 10,
    packageName: "@framewire/rtp-video",
    revision: REVISION,
    notes: [
      ...(QUICK
        ? ["rtp-video run.js: BENCH_QUICK short smoke run, figures not representative"]
        : []),
      ...(stream.synthetic
        ? ["rtp-video run.js: SYNTHETIC input (ffmpeg/libx264 not used), figures indicative"]
        : []),
    ],
    rows: tableRows,
  });

  const json = process.env.BENCH_JSON;
  if (json !== undefined && json !== "") {
    writeFileSync(
      json,
      `${JSON.stringify(
        {
          date: new Date().toISOString(),
          node: process.version,
          cpus: cpus().length,
          cpu: cpuModel(),
          revision: REVISION,
          quick: QUICK,
          synthetic: stream.synthetic,
          source: stream.source,
          frames: units.length,
          packets: PACKETS,
          datagramBytes: DATAGRAM_BYTES,
          timeMs: TIME_MS,
          results,
          gst: anchors.map(([source, depay, pay]) => ({ source, depay, pay })),
          gstSameRun: gst ?? null,
          targets: {
            depay: { min: TARGET_DEPAY, verdict: depayVerdict },
            pay: { min: TARGET_PAY, verdict: payVerdict },
          },
        },
        null,
        2,
      )}\n`,
    );
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
