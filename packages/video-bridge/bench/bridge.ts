// Video bridge benchmarks.
//
// Part 1, forwarding cost per frame (custom loop, one process): a plain callback relay (a function
// that calls backend.sendVideoSync on the peer directly) side by side with VideoBridge.forward on
// its fast path (no hook) and with one BEFORE_BRIDGE_VIDEO hook (allow), each twice:
//   - into a null backend (sendVideoSync only counts): the bridge's own overhead;
//   - into RtpVideoBackend sessions (H.264 packetizing + UDP sends to a sink in a child process):
//     what forwarding costs in practice. The ≤ 1.2× target is judged here.
// Frames cycle through a GOP of 30 access units: one ~30 kB keyframe (SPS, PPS, IDR) and 29
// ~8 kB deltas (720p30-like sizes, synthetic slice bytes). Rounds alternate the variants (order
// rotated, event loop run in between), so each round is a paired comparison on a noisy machine.
//
// Part 2, 50 rooms × 2 participants over loopback UDP: 100 RtpVideoBackend sessions (real
// sockets) in this process; 100 "phones" (VideoRtpSession) in a child process, each sending
// 30 fps (keyframe every 30 frames, staggered starts) to its session and receiving its peer's
// video. Modes: "relay" (plain callback relay), "bridge" (RoomKit + VideoChannel, fast path,
// frames: `cutThrough: false`), "bridge-cut" (`cutThrough: true`: each packet forwarded as it
// arrives, frames assembled beside), "bridge-packets" (cut-through with the backend's
// `assembleVideo: false`: no frames at all) and "bridge+hook" (one global BEFORE_BRIDGE_VIDEO hook, which
// keeps the room on frames). Per mode, over the measured window:
//   - added latency: from the moment the source session hands the frame out (its backend's
//     onVideoReceived, a callback registered before the relay/kit's) to the moment the frame's
//     packets left the target's socket (node:dgram sends on the next tick: a process.nextTick
//     queued right after the target's sendVideoSync runs after them): send-side timing,
//     p50/p99/p99.9/max; also the time to sendVideoSync's return;
//   - CPU of this process (process.cpuUsage): % of one core, µs per forwarded frame, and µs per
//     RTP packet the target sessions sent (the one figure comparable between frames and packets);
//     bridge-cut has no added-latency samples (it sends through forwardPacket): compare e2e;
//   - end to end phone → phone (measured in the child, one clock): context only.
//
// Part 3, capacity (run first): how many such two-party rooms one core sustains — the largest
// count whose end-to-end p99 phone → phone stays < 50 ms with ≥ 99 % of the frames delivered,
// phones in their own process (its CPU is printed: when it nears 100 %, the phones are the
// limit, not the bridge). Found per mode (relay, then bridge) by doubling from
// BENCH_CAPACITY_START (8) rooms, then bisecting to BENCH_CAPACITY_STEP (4) rooms; each probe is
// a 2 s warm-up + BENCH_CAPACITY_SECONDS (5) measured. Part 2 then runs at BENCH_ROOMS, by default
// 80 % of the smaller capacity (a load the plain relay itself sustains, so that its latency and
// CPU are a baseline and not a queue).
//
// Run: pnpm --filter @framewire/video-bridge bench (after bench/audio.ts), or
//   tsx --conditions=@framewire/source bench/bridge.ts
// Knobs: BENCH_ROOMS (80 % of the capacity found), BENCH_SECONDS (10, measured), BENCH_WARMUP_S (3),
// BENCH_ROUNDS (400, part 1), BENCH_MODES (relay,bridge,bridge-cut,bridge-packets,bridge+hook),
// BENCH_CAPACITY_MODES (relay,bridge,bridge-cut), BENCH_PART (1|2|3|all;
// default all), BENCH_CAPACITY_START, BENCH_CAPACITY_STEP, BENCH_CAPACITY_SECONDS,
// BENCH_CAPACITY_MAX (256).
// The rows of the summary table go to .bench-results/bridge.json (@framewire/test-support/bench-results).
import { type ChildProcess, fork } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { type HookEventMap, HookRegistry, HookResult, HookTrigger } from "@framewire/hooks";
import {
  type AudioFrame,
  joinAnnexB,
  type MediaSession,
  type RtpMediaSession,
  RtpVideoBackend,
  type VideoCodec,
  type VideoFrame,
  VideoRtpSession,
} from "@framewire/rtp-video";
import {
  type BenchRow,
  envPrefix,
  headRevision,
  packageDir,
  passFail,
  writeResults,
} from "@framewire/test-support/bench-results";
import { RoomKit, VideoBridge, VideoChannel } from "../src/index.js";
import { X264_PPS as PPS, X264_SPS_640X360 as SPS } from "../test/video-fakes.js";

const HOST = "127.0.0.1";
/** part2Rooms is the room count part 2 ran with (for its rows). */
let part2Rooms = 0;
const FPS = 30;
const GOP = 30;
const KEY_BYTES = 30_000;
const DELTA_BYTES = 8_000;
const ID_BYTES = 6;

const env = (name: string, fallback: number): number => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v > 0 ? v : fallback;
};

// ---------------------------------------------------------------------------
// synthetic H.264 access units

// SPS/PPS of an x264 constrained-baseline stream (the parameter sets only matter to depacketizers)

/** slice is a NAL unit of `size` bytes whose body holds no zero byte (no start code emulation). */
function slice(idr: boolean, size: number, seed: number): Uint8Array {
  const n = new Uint8Array(size);
  let x = seed * 2654435761 + 1;
  for (let i = 2; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    n[i] = 1 + ((x >>> 16) % 255);
  }
  n[0] = idr ? 0x65 : 0x41;
  n[1] = 0x88; // first_mb_in_slice = 0
  return n;
}

/** accessUnit is frame `i` of a GOP: keyframe (SPS, PPS, ~30 kB IDR) or ~8 kB delta. */
function accessUnit(i: number, seed: number): Uint8Array {
  return i % GOP === 0
    ? joinAnnexB([SPS, PPS, slice(true, KEY_BYTES - SPS.length - PPS.length - 12, seed)])
    : joinAnnexB([slice(false, DELTA_BYTES - 4, seed + i)]);
}

/** stamp writes `id` into the last ID_BYTES bytes as base-255 digits 1..255 (never zero). */
function stamp(data: Uint8Array, id: number): void {
  let v = id;
  for (let k = data.length - 1; k >= data.length - ID_BYTES; k--) {
    data[k] = 1 + (v % 255);
    v = Math.floor(v / 255);
  }
}

function readStamp(data: Uint8Array): number {
  let v = 0;
  for (let k = data.length - ID_BYTES; k < data.length; k++) v = v * 255 + (data[k]! - 1);
  return v;
}

// ---------------------------------------------------------------------------
// statistics

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** Samples keeps up to `cap` values (latencies, ms). */
class Samples {
  private values: Float64Array;
  n = 0;
  constructor(cap: number) {
    this.values = new Float64Array(cap);
  }
  add(v: number): void {
    if (this.n < this.values.length) this.values[this.n++] = v;
  }
  summary(): { n: number; p50: number; p99: number; p999: number; max: number; mean: number } {
    const s = this.values.slice(0, this.n).sort();
    let sum = 0;
    for (const v of s) sum += v;
    return {
      n: this.n,
      p50: percentile(s, 50),
      p99: percentile(s, 99),
      p999: percentile(s, 99.9),
      max: s.length === 0 ? Number.NaN : s[s.length - 1]!,
      mean: this.n === 0 ? Number.NaN : sum / this.n,
    };
  }
}

const us = (ms: number) => Math.round(ms * 1000 * 10) / 10;

// ---------------------------------------------------------------------------
// child processes: a UDP sink, and the phones

type ToChild = { type: "start"; targets: number[]; warmupMs: number; measureMs: number };
type FromChild =
  | { type: "ports"; ports: number[] }
  | {
      type: "done";
      sent: number;
      received: number;
      e2e: { n: number; p50: number; p99: number; max: number };
      cpuPct: number;
      badIds: number;
    };

/** sinkMain binds `count` UDP sockets that only drain what they receive. */
async function sinkMain(count: number): Promise<void> {
  const sockets: Socket[] = [];
  for (let i = 0; i < count; i++) {
    const s = createSocket("udp4");
    await new Promise<void>((r) => s.bind({ port: 0, address: HOST }, () => r()));
    s.setRecvBufferSize(8 << 20);
    s.on("message", () => {});
    sockets.push(s);
  }
  process.send!({ type: "ports", ports: sockets.map((s) => s.address().port) } as FromChild);
  process.on("disconnect", () => process.exit(0));
}

/**
 * phonesMain opens `count` phones (VideoRtpSession on 127.0.0.1); on "start", phone k sends 30 fps
 * to targets[k] (from a random moment of the first second on, keyframe first) for warmup +
 * measure, and times every frame it receives (its id is stamped in the frame's last bytes)
 * against when its sender sent it.
 */
async function phonesMain(count: number): Promise<void> {
  const phones = await Promise.all(
    Array.from({ length: count }, () => VideoRtpSession.open({ localAddr: [HOST, 0] })),
  );
  const sentAt = new Map<number, number>();
  const e2e = new Samples(2_000_000);
  let received = 0;
  let badIds = 0;
  let measuring = false;
  phones.forEach((p) => {
    p.frames$.subscribe((f) => {
      received++;
      const t = sentAt.get(readStamp(f.data));
      if (t === undefined) {
        badIds++;
        return;
      }
      if (measuring) e2e.add(performance.now() - t);
    });
  });
  process.send!({ type: "ports", ports: phones.map((p) => p.localPort) } as FromChild);
  const go = await new Promise<ToChild>((r) => process.once("message", (m) => r(m as ToChild)));
  phones.forEach((p, k) => {
    p.setRemoteAddr([HOST, go.targets[k]!]);
  });
  const frameMs = 1000 / FPS;
  const t0 = performance.now() + 50;
  // each phone starts at a random moment of the first second, with a keyframe: keyframes of
  // different phones do not line up
  const phase = phones.map(() => Math.random() * 1000);
  const next = phones.map(() => 0);
  const base = phones.map((_, k) => [accessUnit(0, k), accessUnit(1, k)] as const);
  const totalMs = go.warmupMs + go.measureMs;
  let sent = 0;
  let cpu0 = process.cpuUsage();
  let wall0 = performance.now();
  setTimeout(() => {
    measuring = true;
    cpu0 = process.cpuUsage();
    wall0 = performance.now();
  }, go.warmupMs + 50);
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      if (now - t0 > totalMs) {
        resolve();
        return;
      }
      for (let k = 0; k < phones.length; k++) {
        while (t0 + phase[k]! + next[k]! * frameMs <= now) {
          const n = next[k]!++;
          const key = n % GOP === 0;
          const src = key ? base[k]![0] : base[k]![1];
          const data = new Uint8Array(src);
          const id = k * 10_000_000 + n;
          stamp(data, id);
          sentAt.set(id, performance.now());
          phones[k]!.sendFrame({ data, keyframe: key, timestampMs: n * frameMs });
          sent++;
        }
      }
      setTimeout(tick, 1);
    };
    tick();
  });
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - wall0;
  measuring = false;
  await new Promise((r) => setTimeout(r, 300));
  const s = e2e.summary();
  process.send!({
    type: "done",
    sent,
    received,
    e2e: { n: s.n, p50: s.p50, p99: s.p99, max: s.max },
    cpuPct: ((cpu.user + cpu.system) / 1000 / wall) * 100,
    badIds,
  } as FromChild);
  for (const p of phones) p.close();
  process.on("disconnect", () => process.exit(0));
}

interface ChildHandle {
  readonly child: ChildProcess;
  readonly ports: number[];
  next(): Promise<FromChild>;
  stop(): void;
}

async function startChild(mode: "--sink" | "--phones", count: number): Promise<ChildHandle> {
  const child = fork(fileURLToPath(import.meta.url), [mode, String(count)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const queue: FromChild[] = [];
  const waiters: ((m: FromChild) => void)[] = [];
  child.on("message", (m) => {
    const w = waiters.shift();
    if (w !== undefined) w(m as FromChild);
    else queue.push(m as FromChild);
  });
  const next = (): Promise<FromChild> =>
    new Promise((r, j) => {
      const q = queue.shift();
      if (q !== undefined) r(q);
      else {
        waiters.push(r);
        child.once("exit", (code) => j(new Error(`child ${mode} exited (${code})`)));
      }
    });
  const first = await next();
  if (first.type !== "ports") throw new Error("child did not report its ports");
  const stop = () => {
    if (child.connected) child.disconnect();
    if (child.exitCode === null) child.kill();
  };
  process.once("exit", stop);
  return { child, ports: first.ports, next, stop };
}

// ---------------------------------------------------------------------------
// part 1: forwarding cost per frame

interface FakeSession {
  readonly id: string;
  readonly videoCodec: VideoCodec;
}

/** Variant is one way of forwarding a frame: sync (fast paths) or async (hook path: awaits the send). */
interface Variant {
  readonly name: string;
  readonly group: "null" | "udp";
  readonly run: (frame: VideoFrame) => void | Promise<void>;
}

interface VariantStats {
  /** perFrameUs: per-frame cost of each round (µs), in round order. */
  readonly perFrameUs: number[];
}

/**
 * rounds runs `roundsCount` rounds; in each, every variant forwards `perRound` frames (a whole
 * number of GOPs, starting at a keyframe) back to back, timed with hrtime until the datagrams
 * were handed to the kernel (the next tick, see below). The order of the
 * variants rotates from round to round and the event loop runs between variants (I/O, timers),
 * so slow drifts of the machine (other processes, the UDP sink) hit all variants alike and each
 * round gives a paired comparison.
 */
async function rounds(
  variants: readonly Variant[],
  frames: readonly VideoFrame[],
  perRound: number,
  roundsCount: number,
): Promise<Map<string, VariantStats>> {
  const out = new Map<string, VariantStats>(variants.map((v) => [v.name, { perFrameUs: [] }]));
  const ts = new Map<string, number>(variants.map((v) => [v.name, 0]));
  for (let r = 0; r < roundsCount; r++) {
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(r + k) % variants.length]!;
      let t = ts.get(v.name)!;
      const batch: VideoFrame[] = [];
      for (let i = 0; i < perRound; i++) {
        t += 1000 / FPS;
        batch.push({ ...frames[i % GOP]!, timestampMs: t });
      }
      ts.set(v.name, t);
      const t0 = process.hrtime.bigint();
      for (const f of batch) {
        const p = v.run(f);
        if (p !== undefined) await p;
      }
      // node:dgram hands a datagram to the kernel in a process.nextTick (its address goes through
      // dns.lookup, which answers an IP literal on the next tick): wait for those sends, FIFO
      await new Promise<void>((resolve) => process.nextTick(resolve));
      const ns = Number(process.hrtime.bigint() - t0);
      out.get(v.name)!.perFrameUs.push(ns / 1000 / perRound);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  return out;
}

function quantile(values: readonly number[], q: number): number {
  const s = [...values].sort((x, y) => x - y);
  return s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

/** Part1Figure is one variant of part 1 for the results file: its median and its relay's. */
interface Part1Figure {
  readonly medianUs: number;
  readonly relayMedianUs: number;
  /** paired: median over rounds of (this variant's round / its relay's round) */
  readonly paired: number;
}

async function part1(): Promise<{
  ratio: number;
  ratioNull: number;
  figures: Map<string, Part1Figure>;
}> {
  const roundsCount = env("BENCH_ROUNDS", 400);
  const frames: VideoFrame[] = Array.from({ length: GOP }, (_, i) => ({
    codec: "h264",
    data: accessUnit(i, 7),
    keyframe: i === 0,
    timestampMs: 0,
    rtpTimestamp: 0,
    sequence: i,
    width: 1280,
    height: 720,
  }));

  // null backend: sendVideoSync only counts, and wakes an awaiting hook-path frame
  let bytes = 0;
  let wake: (() => void) | undefined;
  const awaitSend = (forward: () => void): Promise<void> => {
    const p = new Promise<void>((r) => {
      wake = r;
    });
    forward();
    return p;
  };
  const woke = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const nullBackend = {
    sendVideoSync(
      _s: FakeSession,
      chunk: { data: Uint8Array; keyframe?: boolean; timestampMs?: number },
    ): number {
      bytes += chunk.data.length;
      woke();
      return 1;
    },
    requestKeyframe(): void {},
  };
  const a: FakeSession = { id: "a", videoCodec: "h264" };
  const b: FakeSession = { id: "b", videoCodec: "h264" };
  const plainBridge = new VideoBridge<FakeSession>();
  plainBridge.addSession(a, "r", nullBackend);
  plainBridge.addSession(b, "r", nullBackend);
  const registry = new HookRegistry<HookEventMap<FakeSession, VideoFrame, AudioFrame>>();
  registry.hook(HookTrigger.BEFORE_BRIDGE_VIDEO, () => HookResult.allow(), { name: "allow" });
  const hookedBridge = new VideoBridge<FakeSession>({ hooks: registry });
  hookedBridge.addSession(a, "r", nullBackend);
  hookedBridge.addSession(b, "r", nullBackend);

  // real backends: sessions whose video goes to a sink process (which only drains)
  const sink = await startChild("--sink", 2);
  const pair = async (hooked: boolean) => {
    const backend = new RtpVideoBackend({ videoLocalAddr: [HOST, 0], localAddr: [HOST, 0] });
    const sa = (await backend.connect("r", "a", "v", {
      videoRemoteAddr: [HOST, sink.ports[0]!],
    })) as RtpMediaSession;
    const sb = (await backend.connect("r", "b", "v", {
      videoRemoteAddr: [HOST, sink.ports[1]!],
    })) as RtpMediaSession;
    const kit = new RoomKit();
    // frames handed to forward() by hand: the frame path (cut-through forwards packets, part 2)
    kit.registerChannel(new VideoChannel("v", { backend, bridge: { cutThrough: false } }));
    if (hooked)
      kit.hook(HookTrigger.BEFORE_BRIDGE_VIDEO, () => HookResult.allow(), { name: "allow" });
    await kit.join("r", "v", { session: sa });
    await kit.join("r", "v", { session: sb });
    const send = backend.sendVideoSync.bind(backend);
    backend.sendVideoSync = (s, c) => {
      const n = send(s, c);
      woke();
      return n;
    };
    return { backend, kit, sa, sb, bridge: kit.videoBridge("v")! };
  };
  const relayPair = await pair(false);
  const bridgePair = await pair(false);
  const hookPair = await pair(true);

  const variants: Variant[] = [
    {
      name: "relay → null backend",
      group: "null",
      run: (f) => {
        nullBackend.sendVideoSync(b, {
          data: f.data,
          keyframe: f.keyframe,
          timestampMs: f.timestampMs,
        });
      },
    },
    {
      name: "bridge, no hook → null backend",
      group: "null",
      run: (f) => plainBridge.forward(a, f),
    },
    {
      name: "bridge, 1 hook → null backend",
      group: "null",
      run: (f) => awaitSend(() => hookedBridge.forward(a, f)),
    },
    {
      name: "relay → RtpVideoBackend (UDP)",
      group: "udp",
      run: (f) => {
        relayPair.backend.sendVideoSync(relayPair.sb, {
          data: f.data,
          keyframe: f.keyframe,
          timestampMs: f.timestampMs,
        });
      },
    },
    {
      name: "bridge, no hook → RtpVideoBackend (UDP)",
      group: "udp",
      run: (f) => bridgePair.bridge.forward(bridgePair.sa, f),
    },
    {
      name: "bridge, 1 hook → RtpVideoBackend (UDP)",
      group: "udp",
      run: (f) => awaitSend(() => hookPair.bridge.forward(hookPair.sa, f)),
    },
  ];
  // warm-up (JIT, socket buffers), then the measured rounds
  await rounds(
    variants.filter((v) => v.group === "null"),
    frames,
    GOP * 10,
    30,
  );
  await rounds(
    variants.filter((v) => v.group === "udp"),
    frames,
    GOP,
    30,
  );
  const nullStats = await rounds(
    variants.filter((v) => v.group === "null"),
    frames,
    GOP * 10,
    roundsCount,
  );
  const udpStats = await rounds(
    variants.filter((v) => v.group === "udp"),
    frames,
    GOP,
    roundsCount,
  );
  const counters = [plainBridge, hookedBridge, bridgePair.bridge, hookPair.bridge].map((x) => {
    const st = x.stats();
    return `${st.framesSent}/${st.framesIn}`;
  });
  const relaySent = relayPair.sb.video.stats().sent.frames;
  plainBridge.close();
  hookedBridge.close();
  for (const p of [relayPair, bridgePair, hookPair]) {
    p.kit.close();
    p.backend.close();
  }
  sink.stop();

  const all = new Map([...nullStats, ...udpStats]);
  const relayOf = (v: Variant) =>
    all.get(v.group === "udp" ? "relay → RtpVideoBackend (UDP)" : "relay → null backend")!;
  const pairedRatio = (v: Variant) => {
    const mine = all.get(v.name)!.perFrameUs;
    const theirs = relayOf(v).perFrameUs;
    return quantile(
      mine.map((x, i) => x / theirs[i]!),
      0.5,
    );
  };
  const rows = variants.map((v) => {
    const st = all.get(v.name)!.perFrameUs;
    const med = quantile(st, 0.5);
    const relayMed = quantile(relayOf(v).perFrameUs, 0.5);
    return {
      variant: v.name,
      "median µs/frame": Number(med.toFixed(3)),
      "p10 µs": Number(quantile(st, 0.1).toFixed(3)),
      "p90 µs": Number(quantile(st, 0.9).toFixed(3)),
      "× relay (medians)": Number((med / relayMed).toFixed(2)),
      "× relay (paired rounds, median)": Number(pairedRatio(v).toFixed(2)),
      "+µs vs relay": Number((med - relayMed).toFixed(3)),
    };
  });
  console.log(
    `\nPart 1: forwarding cost per frame. GOP of ${GOP}: 1 × ${KEY_BYTES / 1000} kB keyframe + ${GOP - 1} × ${DELTA_BYTES / 1000} kB deltas. ` +
      `${roundsCount} rounds; per round each variant forwards ${GOP * 10} frames (null backend) or ${GOP} frames (UDP), order rotated; per-frame cost = round time / frames`,
  );
  console.table(rows);
  console.log(
    `  frames sent/in: null bridge ${counters[0]}, null hooked ${counters[1]}, UDP bridge ${counters[2]}, UDP hooked ${counters[3]}; UDP relay sent ${relaySent}; null bytes ${bytes}`,
  );
  const figures = new Map(
    variants.map((v) => [
      v.name,
      {
        medianUs: quantile(all.get(v.name)!.perFrameUs, 0.5),
        relayMedianUs: quantile(relayOf(v).perFrameUs, 0.5),
        paired: pairedRatio(v),
      },
    ]),
  );
  return {
    ratio: pairedRatio(variants[4]!),
    ratioNull: pairedRatio(variants[1]!),
    figures,
  };
}

// ---------------------------------------------------------------------------
// part 2: 50 rooms × 2 participants over loopback UDP

/**
 * Mode is what forwards in part 2 and 3: "relay" (plain callback relay of frames), "bridge" (the
 * bridge's frame path: `cutThrough: false`), "bridge-cut" (`cutThrough: true`: packets
 * cut-through, frames assembled beside), "bridge-packets" (cut-through, `assembleVideo: false`:
 * no frames at all), "bridge+hook" (one deciding hook: frames).
 */
type Mode = "relay" | "bridge" | "bridge-cut" | "bridge-packets" | "bridge+hook";

interface LoadResult {
  readonly mode: Mode;
  readonly forwarded: number;
  readonly latency: ReturnType<Samples["summary"]>;
  /** returned: arrival → sendVideoSync returned (packetized, sends queued for the next tick). */
  readonly returned: ReturnType<Samples["summary"]>;
  readonly cpuPct: number;
  readonly cpuUsPerFrame: number;
  /** packetsOut: RTP packets the target sessions sent in the measured window. */
  readonly packetsOut: number;
  readonly cpuUsPerPacket: number;
  readonly e2e: { n: number; p50: number; p99: number; max: number };
  readonly phonesSent: number;
  readonly phonesReceived: number;
  readonly phonesCpuPct: number;
  readonly badIds: number;
  readonly inLost: number;
  readonly framesDropped: number;
  readonly keyframeRequests: number;
  /** requestsBy: the bridge's keyframe requests in the measured window, by reason. */
  readonly requestsBy: string;
}

async function load(mode: Mode, rooms: number, warmupMs: number, measureMs: number) {
  const phones = await startChild("--phones", rooms * 2);
  const backend = new RtpVideoBackend({
    videoLocalAddr: [HOST, 0],
    localAddr: [HOST, 0],
    assembleVideo: mode !== "bridge-packets",
  });
  // arrival: when the source session hands a frame out (registered before the relay or the kit)
  const arrival = new WeakMap<Uint8Array, number>();
  backend.onVideoReceived((_s, f) => {
    arrival.set(f.data, performance.now());
  });
  const latency = new Samples(4_000_000);
  const returned = new Samples(4_000_000);
  let measuring = false;
  let forwarded = 0;
  const send = backend.sendVideoSync.bind(backend);
  backend.sendVideoSync = (s, c) => {
    const r = send(s, c);
    if (measuring) {
      const t = c instanceof Uint8Array ? undefined : arrival.get(c.data);
      forwarded++;
      if (t !== undefined) {
        returned.add(performance.now() - t);
        // the frame's datagrams reach the kernel in process.nextTick callbacks queued by
        // sendVideoSync (node:dgram looks the address up on the next tick): this one runs after
        // them, when the packets have left the target's socket
        process.nextTick(() => latency.add(performance.now() - t));
      }
    }
    return r;
  };
  const sessions: MediaSession[] = [];
  let kit: RoomKit | undefined;
  if (mode === "relay") {
    for (let i = 0; i < rooms * 2; i++) {
      sessions.push(
        await backend.connect(`room-${i >> 1}`, `p${i}`, "v", {
          videoRemoteAddr: [HOST, phones.ports[i]!],
        }),
      );
    }
    const peer = new Map<string, MediaSession>();
    for (let i = 0; i < sessions.length; i += 2) {
      peer.set(sessions[i]!.id, sessions[i + 1]!);
      peer.set(sessions[i + 1]!.id, sessions[i]!);
    }
    backend.onVideoReceived((s, f) => {
      const to = peer.get(s.id);
      if (to !== undefined) {
        backend.sendVideoSync(to, {
          data: f.data,
          keyframe: f.keyframe,
          timestampMs: f.timestampMs,
        });
      }
    });
  } else {
    kit = new RoomKit();
    kit.registerChannel(
      new VideoChannel("v", {
        backend,
        bridge: mode === "bridge" ? { cutThrough: false } : { cutThrough: true },
      }),
    );
    if (mode === "bridge+hook") {
      kit.hook(HookTrigger.BEFORE_BRIDGE_VIDEO, () => HookResult.allow(), { name: "allow" });
    }
    for (let i = 0; i < rooms * 2; i++) {
      sessions.push(
        await kit.join(`room-${i >> 1}`, "v", {
          participantId: `p${i}`,
          metadata: { videoRemoteAddr: [HOST, phones.ports[i]!] },
        }),
      );
    }
  }
  const reasons = new Map<string, number>();
  kit?.videoBridge("v")?.events$.subscribe((e) => {
    if (e.type === "keyframe-requested" && measuring)
      reasons.set(e.reason, (reasons.get(e.reason) ?? 0) + 1);
  });
  phones.child.send({
    type: "start",
    targets: sessions.map((s) => s.video!.localPort),
    warmupMs,
    measureMs,
  } satisfies ToChild);
  await new Promise((r) => setTimeout(r, warmupMs + 50));
  const packetsSent = () => sessions.reduce((n, s) => n + s.video!.stats().sent.packets, 0);
  const framesSent = () => kit?.videoBridge("v")?.stats().framesSent ?? 0;
  const packets0 = packetsSent();
  const frames0 = framesSent();
  measuring = true;
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  await new Promise((r) => setTimeout(r, measureMs));
  measuring = false;
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - wall0;
  const packetsOut = packetsSent() - packets0;
  // cut-through sends no frame through sendVideoSync: its frames are counted at their last packet
  if (mode === "bridge-cut" || mode === "bridge-packets") forwarded = framesSent() - frames0;
  const done = await phones.next();
  if (done.type !== "done") throw new Error("phones did not report");
  let inLost = 0;
  let framesDropped = 0;
  let keyframeRequests = 0;
  for (const s of sessions) {
    const st = s.video!.stats();
    inLost += st.lost;
    framesDropped += st.framesDropped;
    keyframeRequests += st.keyframeRequestsSent;
  }
  kit?.close();
  backend.close();
  phones.stop();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return {
    mode,
    forwarded,
    latency: latency.summary(),
    returned: returned.summary(),
    cpuPct: (cpuMs / wall) * 100,
    cpuUsPerFrame: (cpuMs * 1000) / Math.max(1, forwarded),
    packetsOut,
    cpuUsPerPacket: (cpuMs * 1000) / Math.max(1, packetsOut),
    e2e: done.e2e,
    phonesSent: done.sent,
    phonesReceived: done.received,
    phonesCpuPct: done.cpuPct,
    badIds: done.badIds,
    inLost,
    framesDropped,
    keyframeRequests,
    requestsBy: [...reasons].map(([k, v]) => `${k}:${v}`).join(" "),
  } satisfies LoadResult;
}

// ---------------------------------------------------------------------------
// part 3: capacity — two-party rooms one core sustains with e2e p99 < 50 ms

const CAPACITY_E2E_P99_MS = 50;
const CAPACITY_DELIVERED = 0.99;

interface Probe {
  readonly rooms: number;
  readonly ok: boolean;
  readonly e2eP99: number;
  readonly delivered: number;
  readonly cpuPct: number;
  readonly phonesCpuPct: number;
}

interface Capacity {
  readonly mode: Mode;
  /** rooms: the largest count that passed (0 when even the first probe failed). */
  readonly rooms: number;
  /** at: the passing probe at `rooms` (undefined when none passed). */
  readonly at: Probe | undefined;
  /** capped: every probe passed up to BENCH_CAPACITY_MAX (the capacity is at least `rooms`). */
  readonly capped: boolean;
  /** limitedByPhones: the phones' process was near a full core at the first failing probe. */
  readonly limitedByPhones: boolean;
  readonly probes: readonly Probe[];
}

async function probe(mode: Mode, rooms: number, measureMs: number): Promise<Probe> {
  const r = await load(mode, rooms, 2000, measureMs);
  const delivered = r.phonesSent === 0 ? 0 : r.phonesReceived / r.phonesSent;
  const ok = r.e2e.p99 < CAPACITY_E2E_P99_MS && delivered >= CAPACITY_DELIVERED;
  const p: Probe = {
    rooms,
    ok,
    e2eP99: r.e2e.p99,
    delivered,
    cpuPct: r.cpuPct,
    phonesCpuPct: r.phonesCpuPct,
  };
  console.log(
    `  ${mode} ${rooms} rooms: e2e p99 ${r.e2e.p99.toFixed(1)} ms, ${(delivered * 100).toFixed(2)} % delivered, CPU ${r.cpuPct.toFixed(0)} % (phones ${r.phonesCpuPct.toFixed(0)} %) → ${ok ? "sustained" : "not sustained"}`,
  );
  await new Promise((res) => setTimeout(res, 300));
  return p;
}

async function capacity(mode: Mode): Promise<Capacity> {
  const start = env("BENCH_CAPACITY_START", 8);
  const step = env("BENCH_CAPACITY_STEP", 4);
  const max = env("BENCH_CAPACITY_MAX", 256);
  const measureMs = env("BENCH_CAPACITY_SECONDS", 5) * 1000;
  const probes: Probe[] = [];
  let pass: Probe | undefined;
  let fail: Probe | undefined;
  // doubling until a probe fails (or the cap), then bisection to `step` rooms
  for (let n = start; n <= max; n *= 2) {
    const p = await probe(mode, n, measureMs);
    probes.push(p);
    if (!p.ok) {
      fail = p;
      break;
    }
    pass = p;
  }
  while (fail !== undefined && fail.rooms - (pass?.rooms ?? 0) > step) {
    const lo = pass?.rooms ?? 0;
    const mid = Math.max(1, Math.round((lo + fail.rooms) / 2));
    if (mid === lo || mid === fail.rooms) break;
    const p = await probe(mode, mid, measureMs);
    probes.push(p);
    if (p.ok) pass = p;
    else fail = p;
  }
  return {
    mode,
    rooms: pass?.rooms ?? 0,
    at: pass,
    capped: fail === undefined,
    limitedByPhones: fail !== undefined && fail.phonesCpuPct >= 90,
    probes,
  };
}

async function part3(): Promise<Capacity[]> {
  console.log(
    `\nPart 3: capacity — two-party rooms (720p30-like: ${KEY_BYTES / 1000} kB keyframe every ${GOP} frames, ${DELTA_BYTES / 1000} kB deltas, 30 fps each way) sustained with e2e p99 < ${CAPACITY_E2E_P99_MS} ms and ≥ ${CAPACITY_DELIVERED * 100} % delivered, phones in a child process`,
  );
  const out: Capacity[] = [];
  const modes = (process.env.BENCH_CAPACITY_MODES ?? "relay,bridge,bridge-cut").split(
    ",",
  ) as Mode[];
  for (const mode of modes) out.push(await capacity(mode));
  console.table(
    out.map((c) => ({
      mode: c.mode,
      "rooms sustained": c.rooms,
      "e2e p99 ms": c.at === undefined ? "-" : Number(c.at.e2eP99.toFixed(1)),
      "CPU %": c.at === undefined ? "-" : Number(c.at.cpuPct.toFixed(0)),
      "phones CPU %": c.at === undefined ? "-" : Number(c.at.phonesCpuPct.toFixed(0)),
      "limited by the phones": c.limitedByPhones ? "yes" : "no",
      probes: c.probes.map((p) => `${p.rooms}${p.ok ? "✓" : "✗"}`).join(" "),
    })),
  );
  return out;
}

async function part2(capacities: readonly Capacity[]): Promise<LoadResult[]> {
  const found = capacities.map((c) => c.rooms).filter((n) => n > 0);
  const rooms = env(
    "BENCH_ROOMS",
    found.length === 0 ? 50 : Math.max(2, Math.floor(0.8 * Math.min(...found))),
  );
  part2Rooms = rooms;
  const measureMs = env("BENCH_SECONDS", 10) * 1000;
  const warmupMs = env("BENCH_WARMUP_S", 3) * 1000;
  const modes = (
    process.env.BENCH_MODES ?? "relay,bridge,bridge-cut,bridge-packets,bridge+hook"
  ).split(",") as Mode[];
  const results: LoadResult[] = [];
  for (const mode of modes) {
    results.push(await load(mode, rooms, warmupMs, measureMs));
    await new Promise((r) => setTimeout(r, 500));
  }
  const relay = results.find((r) => r.mode === "relay");
  console.log(
    `\nPart 2: ${rooms} rooms × 2 participants, 30 fps each (${KEY_BYTES / 1000} kB keyframe every ${GOP} frames, ${DELTA_BYTES / 1000} kB deltas), loopback UDP, ${warmupMs / 1000} s warm-up + ${measureMs / 1000} s measured per mode`,
  );
  console.table(
    results.map((r) => ({
      mode: r.mode,
      "frames fwd": r.forwarded,
      "added p50 µs": us(r.latency.p50),
      "added p99 µs": us(r.latency.p99),
      "added p99.9 µs": us(r.latency.p999),
      "added max µs": us(r.latency.max),
      "to send() return p50/p99 µs": `${us(r.returned.p50)}/${us(r.returned.p99)}`,
      "p99 × relay":
        relay === undefined ? "-" : Number((r.latency.p99 / relay.latency.p99).toFixed(2)),
      "CPU %": Number(r.cpuPct.toFixed(1)),
      "CPU µs/frame": Number(r.cpuUsPerFrame.toFixed(1)),
      "CPU × relay":
        relay === undefined ? "-" : Number((r.cpuUsPerFrame / relay.cpuUsPerFrame).toFixed(2)),
      "pkts out": r.packetsOut,
      "CPU µs/pkt": Number(r.cpuUsPerPacket.toFixed(2)),
      "e2e p50 ms": Number(r.e2e.p50.toFixed(2)),
      "e2e p99 ms": Number(r.e2e.p99.toFixed(2)),
    })),
  );
  console.table(
    results.map((r) => ({
      mode: r.mode,
      "phones sent": r.phonesSent,
      "phones received": r.phonesReceived,
      "phones CPU %": Number(r.phonesCpuPct.toFixed(1)),
      "lost pkts (in)": r.inLost,
      "frames dropped (in)": r.framesDropped,
      "PLI sent": r.keyframeRequests,
      "bridge requests (measured)": r.requestsBy,
      "unknown ids": r.badIds,
      "latency samples": r.latency.n,
    })),
  );
  return results;
}

// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  const part = process.env.BENCH_PART ?? "all";
  const all = part === "all" || part === "both";
  console.log(
    `video bridge bench: node ${process.version}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
  );
  let ratios: Awaited<ReturnType<typeof part1>> | undefined;
  let results: LoadResult[] = [];
  let capacities: Capacity[] = [];
  if (part === "1" || all) ratios = await part1();
  if (part === "3" || all) capacities = await part3();
  if (part === "2" || all) results = await part2(capacities);
  console.log("\nTargets:");
  if (ratios !== undefined) {
    console.log(
      `  no-hook bridge ≤ 1.2× plain relay, into RtpVideoBackend (paired rounds, median): ${ratios.ratio.toFixed(2)}× → ${ratios.ratio <= 1.2 ? "met" : "NOT met"}` +
        ` (null backend, the bridge's own overhead against a bare function call: ${ratios.ratioNull.toFixed(2)}×)`,
    );
  }
  const relay = results.find((r) => r.mode === "relay");
  const bridged = results.find((r) => r.mode === "bridge");
  if (relay !== undefined && bridged !== undefined) {
    const cpu = bridged.cpuUsPerFrame / relay.cpuUsPerFrame;
    console.log(
      `  no-hook bridge ≤ 1.2× plain relay, whole process under load (CPU µs per forwarded frame): ${cpu.toFixed(2)}× → ${cpu <= 1.2 ? "met" : "NOT met"}`,
    );
  }
  for (const cut of results.filter((r) => r.mode === "bridge-cut" || r.mode === "bridge-packets")) {
    if (bridged === undefined) break;
    console.log(
      `  ${cut.mode} vs the frame path (bridge): CPU µs per packet out ${cut.cpuUsPerPacket.toFixed(2)} vs ${bridged.cpuUsPerPacket.toFixed(2)} (${(cut.cpuUsPerPacket / bridged.cpuUsPerPacket).toFixed(2)}×), e2e p50/p99 ${cut.e2e.p50.toFixed(2)}/${cut.e2e.p99.toFixed(2)} ms vs ${bridged.e2e.p50.toFixed(2)}/${bridged.e2e.p99.toFixed(2)} ms`,
    );
  }
  for (const r of results) {
    // bridge-cut sends through forwardPacket, not sendVideoSync: no added-latency samples
    if (r.mode === "relay" || r.mode === "bridge-cut" || r.mode === "bridge-packets") continue;
    const p99 = r.latency.p99;
    console.log(
      `  ${r.mode}: added latency p99 ${us(p99)} µs < 1000 µs → ${p99 < 1 ? "met" : "NOT met"}`,
    );
  }
  writeResults(packageDir(import.meta.dirname), {
    bench: "bridge",
    order: 30,
    packageName: "@framewire/video-bridge",
    revision: headRevision(packageDir(import.meta.dirname)),
    notes: [],
    rows: summaryRows(ratios?.figures, results, capacities),
  });
}

/** summaryRows are the rows of the summary table (BENCHMARKS.md), from what ran. */
function summaryRows(
  figures: Map<string, Part1Figure> | undefined,
  results: readonly LoadResult[],
  capacities: readonly Capacity[],
): BenchRow[] {
  const command = `cd packages/video-bridge && ${envPrefix()}pnpm exec tsx --conditions=@framewire/source bench/bridge.ts`;
  const rows: BenchRow[] = [];
  const perFrame = (what: string, variant: string, relay: string, target: boolean): void => {
    const f = figures?.get(variant);
    if (f === undefined) return;
    rows.push({
      what,
      ours: { value: f.medianUs, unit: "µs" },
      anchor: { name: relay, value: f.relayMedianUs, unit: "µs" },
      ratio: f.paired,
      target: target ? "≤ 1.2×" : null,
      verdict: target ? passFail(f.paired <= 1.2) : "—",
      command,
    });
  };
  const udpRelay = "plain callback relay → RtpVideoBackend";
  perFrame(
    "Bridge forward per frame, no hook → RtpVideoBackend (UDP)",
    "bridge, no hook → RtpVideoBackend (UDP)",
    udpRelay,
    true,
  );
  perFrame(
    "Bridge forward per frame, 1 hook → RtpVideoBackend (UDP)",
    "bridge, 1 hook → RtpVideoBackend (UDP)",
    udpRelay,
    false,
  );
  perFrame(
    "Bridge forward per frame, no hook → null backend (own overhead)",
    "bridge, no hook → null backend",
    "plain callback relay → null backend",
    false,
  );
  const capRelay = capacities.find((c) => c.mode === "relay");
  for (const capBridge of capacities.filter((c) => c.mode !== "relay")) {
    const note = (c: Capacity): string =>
      c.at === undefined
        ? "none sustained"
        : `${c.capped ? "at least (every probe passed), " : ""}e2e p99 ${c.at.e2eP99.toFixed(1)} ms, CPU ${c.at.cpuPct.toFixed(0)} %, phones ${c.at.phonesCpuPct.toFixed(0)} %${c.limitedByPhones ? "; limited by the phones' process" : ""}`;
    rows.push({
      what: `Two-party 720p30-like rooms one core sustains (e2e p99 < ${CAPACITY_E2E_P99_MS} ms, ≥ ${CAPACITY_DELIVERED * 100} % delivered), ${capBridge.mode === "bridge-cut" ? "bridge, cut-through (cutThrough: true)" : "bridge, frame path (the default)"}, phones in a child process`,
      ours: { value: capBridge.rooms, unit: "rooms", note: note(capBridge) },
      anchor:
        capRelay === undefined
          ? null
          : {
              name: "plain callback relay",
              value: capRelay.rooms,
              unit: "rooms",
              note: note(capRelay),
            },
      ratio:
        capRelay === undefined || capRelay.rooms === 0 ? null : capBridge.rooms / capRelay.rooms,
      target: null,
      verdict: "—",
      command,
    });
  }
  const relay = results.find((r) => r.mode === "relay");
  const rooms = part2Rooms;
  const under = (
    what: string,
    mode: Mode,
    pick: (r: LoadResult) => number,
    unit: "µs" | "ms",
    // ok: the verdict, or undefined when it cannot be told (a ratio target without the relay)
    target?: { text: string; ok: (v: number, relayValue: number | null) => boolean | undefined },
  ): void => {
    const r = results.find((x) => x.mode === mode);
    if (r === undefined) return;
    const v = pick(r);
    const a = relay === undefined ? null : pick(relay);
    const ok = target?.ok(v, a);
    rows.push({
      what: `${rooms} rooms × 2, ${what}, ${mode}`,
      ours: { value: v, unit },
      anchor:
        a === null
          ? { name: "plain callback relay", value: null, unit, missing: "relay mode not run" }
          : { name: "plain callback relay", value: a, unit },
      ratio: a === null ? null : v / a,
      target: target?.text ?? null,
      verdict: ok === undefined ? "—" : passFail(ok),
      command,
    });
  };
  const p99 = { text: "< 1000 µs", ok: (v: number) => v < 1000 };
  under("added latency p99", "bridge", (r) => r.latency.p99 * 1000, "µs", p99);
  under("added latency p99", "bridge+hook", (r) => r.latency.p99 * 1000, "µs", p99);
  under("CPU per forwarded frame", "bridge", (r) => r.cpuUsPerFrame, "µs", {
    text: "≤ 1.2×",
    ok: (v, a) => (a === null ? undefined : v / a <= 1.2),
  });
  under("end-to-end p99 phone → phone", "bridge", (r) => r.e2e.p99, "ms");
  under("CPU per packet out", "bridge", (r) => r.cpuUsPerPacket, "µs");
  under("CPU per packet out", "bridge-cut", (r) => r.cpuUsPerPacket, "µs");
  under("CPU per packet out", "bridge-packets", (r) => r.cpuUsPerPacket, "µs");
  under("end-to-end p50 phone → phone", "bridge", (r) => r.e2e.p50, "ms");
  under("end-to-end p50 phone → phone", "bridge-cut", (r) => r.e2e.p50, "ms");
  under("end-to-end p99 phone → phone", "bridge-cut", (r) => r.e2e.p99, "ms");
  under("end-to-end p50 phone → phone", "bridge-packets", (r) => r.e2e.p50, "ms");
  under("end-to-end p99 phone → phone", "bridge-packets", (r) => r.e2e.p99, "ms");
  return rows;
}

const [mode, count] = [process.argv[2], Number(process.argv[3])];
if (mode === "--sink") await sinkMain(count);
else if (mode === "--phones") await phonesMain(count);
else {
  await main();
  process.exit(0);
}
