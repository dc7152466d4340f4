/**
 * Harness of the end-to-end tests (video-bridge test/e2e-*.test.ts, apps/demo) against real third-party
 * peers: GStreamer, FFmpeg, SIPp, baresip and tshark, driven by the repository's peer scripts
 * (`tools/peers`, see its README.md); fixtures come from `fixtures/` (see ./fixtures.ts).
 *
 * - `itWithPeers(programs)` registers a test that runs when every program is on the PATH, is
 *   skipped locally when one is missing, and FAILS (naming what is missing) under CI=true, so a
 *   CI run never passes by skipping real-peer tests.
 * - Every child is spawned in a fresh process group under a hard SIGKILL deadline; killing a child
 *   reaches its whole tree (GNU `timeout`, used by the scripts, leaves the group, so descendants
 *   are found through /proc). Whatever is still running when the test process exits is killed.
 * - A per-test cleanup registry (`onCleanup` / `runCleanups`) undoes everything a test set up,
 *   newest first, whatever happened.
 * - Loopback helpers: free UDP ports, a tshark capture on `lo`, per-packet RTP fields read back
 *   from a pcap, `rtp-stats.sh`, and an independent GStreamer decode of the H.264 RTP a pcap
 *   holds for one port (`pcapparse ! rtph264depay ! avdec_h264`).
 *
 * Everything binds and talks to 127.0.0.1 only.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { it } from "vitest";
import { repoRoot } from "./fixtures.js";

export const HOST = "127.0.0.1";

// ---------------------------------------------------------------------------
// where the peers live

/** peersDir holds the peer scripts: `<repo>/tools/peers` (see its README.md). */
export function peersDir(): string {
  return join(repoRoot(), "tools", "peers");
}

// ---------------------------------------------------------------------------
// tests that need real peers

const onPathCache = new Map<string, boolean>();

function onPath(program: string): boolean {
  let known = onPathCache.get(program);
  if (known === undefined) {
    const probe = spawnSync("sh", ["-c", 'command -v "$1" >/dev/null 2>&1', "sh", program], {
      stdio: "ignore",
      timeout: 5_000,
    });
    known = probe.status === 0;
    onPathCache.set(program, known);
  }
  return known;
}

/** PeerTest has `it`'s (name, fn, timeout) shape. */
export type PeerTest = (name: string, fn: () => Promise<void> | void, timeoutMs?: number) => void;

/**
 * itWithPeers gives `it` when all `programs` are installed; otherwise, under CI=true, a test that
 * fails and names the missing ones; otherwise `it.skip` (name suffixed with what is missing).
 */
export function itWithPeers(programs: readonly string[]): PeerTest {
  const missing = programs.filter((p) => !onPath(p));
  if (missing.length === 0) return (name, fn, timeoutMs) => it(name, fn, timeoutMs);
  const what = `missing peer program(s): ${missing.join(", ")}`;
  if (process.env.CI === "true") {
    return (name, _fn, timeoutMs) =>
      it(
        name,
        () => {
          throw new Error(
            `${what}; CI requires them (tools/peers/install-peers.sh installs them; see tools/peers/README.md)`,
          );
        },
        timeoutMs,
      );
  }
  return (name, fn, timeoutMs) => it.skip(`${name} [${what}]`, fn, timeoutMs);
}

// ---------------------------------------------------------------------------
// cleanup registry

const cleanups: (() => unknown)[] = [];

/** onCleanup registers an undo step for the running test (run newest first). */
export function onCleanup(step: () => unknown): void {
  cleanups.push(step);
}

/** runCleanups runs and forgets every step; the first error is rethrown after all ran. */
export async function runCleanups(): Promise<void> {
  let first: unknown;
  let failed = false;
  for (const step of cleanups.splice(0).reverse()) {
    try {
      await step();
    } catch (e) {
      if (!failed) first = e;
      failed = true;
    }
  }
  if (failed) throw first;
}

/** tempDir makes a scratch folder that cleanup removes. */
export function tempDir(prefix = "framewire-e2e-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// ---------------------------------------------------------------------------
// bounded child processes

/** Finished is how a child ended and what it printed. */
export interface Finished {
  /** code is the exit status; null when a signal ended it. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** timedOut: the hard deadline fired and the tree was SIGKILLed. */
  readonly timedOut: boolean;
}

/** Child is a started process (leader of its own group). */
export interface Child {
  readonly pid: number | undefined;
  /** done settles once the child has exited; it never rejects for a non-zero status. */
  readonly done: Promise<Finished>;
  /** kill signals the child's group and every descendant (SIGKILL by default). */
  kill(signal?: NodeJS.Signals): void;
  /** output is what the child printed so far. */
  output(): { readonly stdout: string; readonly stderr: string };
}

/** ChildOptions: extra environment, working folder, hard deadline (default 60 s). */
export interface ChildOptions {
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  readonly timeoutMs?: number;
}

const leaders = new Set<number>();
let exitGuard = false;

/** treeOf lists every descendant pid of `root` (read from /proc/<pid>/stat). */
function treeOf(root: number): number[] {
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return [];
  }
  const kids = new Map<number, number[]>();
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid ...": comm may hold spaces or parentheses
    const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    const list = kids.get(parent);
    if (list === undefined) kids.set(parent, [Number(name)]);
    else list.push(Number(name));
  }
  const found: number[] = [];
  const todo = [root];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    for (const kid of kids.get(pid) ?? []) {
      found.push(kid);
      todo.push(kid);
    }
  }
  return found;
}

/** signalTree signals the group led by `leader` and each of its descendants by pid. */
function signalTree(leader: number, signal: NodeJS.Signals): void {
  const tree = treeOf(leader);
  try {
    process.kill(-leader, signal);
  } catch {
    // the group is gone
  }
  for (const pid of tree) {
    try {
      process.kill(pid, signal);
    } catch {
      // gone
    }
  }
}

/** startChild spawns `command args` as the leader of a new group, under a hard deadline. */
export function startChild(
  command: string,
  args: readonly string[],
  options: ChildOptions = {},
): Child {
  const child: ChildProcess = spawn(command, [...args], {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...options.env },
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  const pid = child.pid;
  if (pid !== undefined) {
    leaders.add(pid);
    if (!exitGuard) {
      exitGuard = true;
      process.once("exit", () => {
        for (const leader of leaders) signalTree(leader, "SIGKILL");
      });
    }
  }
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
  });
  child.stderr?.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  let over = false;
  let timedOut = false;
  const kill = (signal: NodeJS.Signals = "SIGKILL"): void => {
    if (pid !== undefined && !over) signalTree(pid, signal);
  };
  const done = new Promise<Finished>((resolveDone, rejectDone) => {
    let grace: NodeJS.Timeout | undefined;
    const deadline = setTimeout(() => {
      timedOut = true;
      kill("SIGKILL");
    }, options.timeoutMs ?? 60_000);
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (over) return;
      if (pid !== undefined) signalTree(pid, "SIGKILL"); // nothing of the group outlives it
      over = true;
      clearTimeout(deadline);
      if (grace !== undefined) clearTimeout(grace);
      if (pid !== undefined) leaders.delete(pid);
      resolveDone({ code, signal, stdout, stderr, timedOut });
    };
    child.once("error", (error) => {
      if (over) return;
      over = true;
      clearTimeout(deadline);
      if (pid !== undefined) leaders.delete(pid);
      rejectDone(new Error(`cannot run ${command}: ${error.message}`));
    });
    child.once("exit", (code, signal) => {
      // a descendant may hold the pipes open: do not wait for it for ever
      grace = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish(code, signal);
      }, 2_000);
    });
    child.once("close", (code, signal) => finish(code, signal));
  });
  return { pid, done, kill, output: () => ({ stdout, stderr }) };
}

/** startScript runs `bash <peers>/<script> args` (not waited for), killed at cleanup. */
export function startScript(
  script: string,
  args: readonly string[],
  options: ChildOptions = {},
): Child {
  const path = isAbsolute(script) ? script : join(peersDir(), script);
  const child = startChild("bash", [path, ...args], options);
  onCleanup(() => child.kill());
  return child;
}

// ---------------------------------------------------------------------------
// time

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** waitUntil polls `check` until it holds (true) or `timeoutMs` passed (false). */
export async function waitUntil(
  check: () => boolean,
  timeoutMs: number,
  stepMs = 10,
): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (check()) return true;
    if (Date.now() >= end) return false;
    await sleep(stepMs);
  }
}

/** waitForText polls a file until it contains `text` (true) or `timeoutMs` passed (false). */
export async function waitForText(path: string, text: string, timeoutMs: number): Promise<boolean> {
  return waitUntil(() => readText(path).includes(text), timeoutMs, 50);
}

/** readText reads a file; "" when it does not exist (yet). */
export function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/**
 * paced calls step(i) at t0 + i·intervalMs for i in [0, count) without drift (each wait comes
 * from the schedule, not from the previous step); throws past deadlineMs.
 */
export async function paced(
  count: number,
  intervalMs: number,
  deadlineMs: number,
  step: (i: number) => void,
): Promise<{ durationMs: number; maxLateMs: number }> {
  const t0 = performance.now();
  let maxLateMs = 0;
  for (let i = 0; i < count; i++) {
    const due = t0 + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const now = performance.now();
    if (now - t0 > deadlineMs) throw new Error(`paced: past ${deadlineMs} ms at step ${i}`);
    maxLateMs = Math.max(maxLateMs, now - due);
    step(i);
  }
  return { durationMs: performance.now() - t0, maxLateMs };
}

// ---------------------------------------------------------------------------
// ports

function probe(port: number): Promise<Socket | undefined> {
  return new Promise((r) => {
    const s = createSocket("udp4");
    s.once("error", () => {
      s.close();
      r(undefined);
    });
    s.bind({ port, address: HOST, exclusive: true }, () => r(s));
  });
}

/**
 * freeUdpPorts finds `count` consecutive UDP ports on 127.0.0.1, starting at an even port in
 * [20000, 40000), that could all be bound (they are released again before it returns).
 */
export async function freeUdpPorts(count = 1, attempts = 60): Promise<number> {
  for (let i = 0; i < attempts; i++) {
    const base = 20_000 + 2 * Math.floor(Math.random() * (10_000 - count));
    const sockets = await Promise.all(Array.from({ length: count }, (_, k) => probe(base + k)));
    await Promise.all(
      sockets.map((s) => (s === undefined ? undefined : new Promise<void>((r) => s.close(r)))),
    );
    if (sockets.every((s) => s !== undefined)) return base;
  }
  throw new Error(`no ${count} consecutive free UDP ports on ${HOST}`);
}

// ---------------------------------------------------------------------------
// reports of the scripts

/** kv reads every `key=value` of a line. */
export function kv(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of line.matchAll(/([A-Za-z_][\w-]*)=(\S*)/g)) out[m[1]!] = m[2]!;
  return out;
}

/** lastKvLine is the `key=value` pairs of the last line of `text` holding `key=`. */
export function lastKvLine(text: string, key: string): Record<string, string> | undefined {
  const line = text
    .split(/\r?\n/)
    .filter((l) => l.includes(`${key}=`))
    .at(-1);
  return line === undefined ? undefined : kv(line);
}

/** GstDecode is gst-recv-h264.sh's summary line. */
export interface GstDecode {
  readonly framesDecoded: number;
  readonly warnings: number;
  readonly errors: number;
  readonly outBytes: number;
}

/** parseGstRecv reads `frames_decoded= warnings= errors= out_bytes=` (throws when absent). */
export function parseGstRecv(stdout: string): GstDecode {
  const s = lastKvLine(stdout, "frames_decoded");
  if (s === undefined) throw new Error(`no gst-recv summary in:\n${stdout}`);
  return {
    framesDecoded: Number(s.frames_decoded),
    warnings: Number(s.warnings),
    errors: Number(s.errors),
    outBytes: Number(s.out_bytes ?? 0),
  };
}

/** warnLines are the WARN/ERROR lines of a GStreamer log (for failure messages). */
export function problemLines(log: string): string[] {
  return log
    .split(/\r?\n/)
    .filter((l) => / (WARN|ERROR) /.test(l) || /^(WARNING|ERROR)/.test(l))
    .slice(0, 30);
}

/** x264Frames reads libx264's end-of-encode summary ("frame I:n", "frame P:n"). */
export function x264Frames(log: string): { i: number; p: number } | undefined {
  const i = /frame I:\s*(\d+)/.exec(log);
  if (i === null) return undefined;
  const p = /frame P:\s*(\d+)/.exec(log);
  return { i: Number(i[1]), p: p === null ? 0 : Number(p[1]) };
}

/** BaresipReport is what baresip-report.sh printed (through baresip-call.sh). */
export interface BaresipReport {
  readonly established: boolean;
  readonly videoPort: number | undefined;
  readonly videoSent: number;
  readonly videoRecv: number;
  readonly audioPort: number | undefined;
  readonly audioSent: number;
  readonly audioRecv: number;
  readonly recvPayloadTypes: string;
  /** lines: baresip's own log lines the report quotes (codecs, "receiving with resolution"). */
  readonly lines: string[];
}

export function parseBaresipReport(stdout: string): BaresipReport {
  const v = /video port (\d+): sent=(\d+) recv=(\d+) packets/.exec(stdout);
  const a = /audio port (\d+): sent=(\d+) recv=(\d+) packets/.exec(stdout);
  return {
    established: /call_established=1/.test(stdout),
    videoPort: v === null ? undefined : Number(v[1]),
    videoSent: v === null ? 0 : Number(v[2]),
    videoRecv: v === null ? 0 : Number(v[3]),
    audioPort: a === null ? undefined : Number(a[1]),
    audioSent: a === null ? 0 : Number(a[2]),
    audioRecv: a === null ? 0 : Number(a[3]),
    recvPayloadTypes: /recv payload types:(.*)/.exec(stdout)?.[1]?.trim() ?? "",
    lines: stdout
      .split(/\r?\n/)
      .filter((l) => l.startsWith("  baresip:"))
      .map((l) => l.slice("  baresip:".length).trim()),
  };
}

/**
 * withRtpCountsFromPortRange completes a baresip report whose capture missed the SDP that names
 * baresip's media ports (tshark came up after the INVITE, as on a loaded machine): it counts the
 * RTP packets of the same capture sent from / received on baresip's whole RTP port range
 * (`RTP_PORTS` lo-hi), audio being PCMU/PCMA (payload types 0, 8) and video the dynamic types;
 * RTCP on the range's odd ports is left out. A report that has its ports is returned as it is.
 */
export function withRtpCountsFromPortRange<
  R extends { readonly videoPort: number | undefined; readonly audioPort?: number | undefined },
>(r: R, stdout: string, lo: number, hi: number): R & { readonly countedByPortRange: boolean } {
  const pcap = /pcap=(\S+)/.exec(stdout)?.[1];
  if (r.videoPort !== undefined || r.audioPort !== undefined || pcap === undefined) {
    return { ...r, countedByPortRange: false };
  }
  const inRange = (f: string) => `(${f}>=${lo} && ${f}<=${hi})`;
  const out = spawnSync(
    "tshark",
    [
      ...["-r", pcap, "-d", `udp.port==${lo}-${hi},rtp`],
      "-Y",
      `!icmp && rtp.version==2 && !(rtp.p_type>=72 && rtp.p_type<=76) && (${inRange("udp.srcport")} || ${inRange("udp.dstport")})`,
      ...["-T", "fields", "-e", "udp.srcport", "-e", "udp.dstport", "-e", "rtp.p_type"],
    ],
    { encoding: "utf8", timeout: 60_000 },
  );
  const counts = { videoSent: 0, videoRecv: 0, audioSent: 0, audioRecv: 0 };
  for (const line of (out.stdout ?? "").split("\n")) {
    const [src, dst, pt] = line.split("\t").map(Number);
    if (src === undefined || dst === undefined || pt === undefined || Number.isNaN(pt)) continue;
    const kind = pt === 0 || pt === 8 ? "audio" : pt >= 96 ? "video" : undefined;
    if (kind === undefined) continue;
    if (src >= lo && src <= hi) counts[`${kind}Sent`]++;
    if (dst >= lo && dst <= hi) counts[`${kind}Recv`]++;
  }
  return { ...r, ...counts, countedByPortRange: true };
}

/** report prints one `[e2e] name: k=v ...` line (the figures of a run). */
export function report(name: string, figures: Record<string, unknown>): void {
  const text = Object.entries(figures)
    .map(([k, v]) => {
      if (typeof v === "number" && !Number.isInteger(v)) return `${k}=${v.toFixed(2)}`;
      if (typeof v === "object" && v !== null) return `${k}=${JSON.stringify(v)}`;
      return `${k}=${String(v)}`;
    })
    .join(" ");
  console.info(`[e2e] ${name}: ${text}`);
}

// ---------------------------------------------------------------------------
// capture on lo, and what a pcap holds

/** Capture is a running tshark capture on `lo`. */
export interface Capture {
  readonly file: string;
  /** stop ends the capture (SIGINT, tshark flushes the file) and waits for it. */
  stop(): Promise<void>;
}

/**
 * startCapture runs tshark on `lo` writing classic pcap to `file` with a BPF `filter` (e.g.
 * "udp dst port 5004"), and resolves once tshark says it is capturing. Stopped at cleanup.
 */
export async function startCapture(
  file: string,
  filter: string,
  maxSeconds: number,
): Promise<Capture> {
  const child = startChild(
    "tshark",
    ["-q", "-i", "lo", "-F", "pcap", "-w", file, "-f", filter, "-a", `duration:${maxSeconds}`],
    { timeoutMs: (maxSeconds + 15) * 1000 },
  );
  onCleanup(() => child.kill());
  // tshark (dumpcap) creates the file once it captures: wait for it (bounded)
  const started = await waitUntil(() => existsSync(file), 10_000, 20);
  if (!started) {
    child.kill();
    throw new Error(`tshark did not start capturing:\n${(await child.done).stderr}`);
  }
  await sleep(300); // the file exists a moment before the BPF program is attached
  return {
    file,
    stop: async () => {
      child.kill("SIGINT");
      const r = await Promise.race([child.done, sleep(8_000).then(() => undefined)]);
      if (r === undefined) child.kill();
      await child.done;
    },
  };
}

/** RtpOnWire is one RTP packet read back from a pcap. */
export interface RtpOnWire {
  /** epochMs is the capture time (kernel timestamp), ms since 1970. */
  readonly epochMs: number;
  readonly seq: number;
  readonly timestamp: number;
  readonly marker: boolean;
  readonly ssrc: number;
  readonly payloadType: number;
  readonly srcPort: number;
}

/** rtpPackets reads the RTP packets a pcap holds for UDP destination port `port`, in order. */
export async function rtpPackets(pcap: string, port: number): Promise<RtpOnWire[]> {
  const r = await startChild(
    "tshark",
    [
      ...["-r", pcap, "-d", `udp.port==${port},rtp`],
      ...["-Y", `!icmp && udp.dstport==${port} && rtp.version==2`, "-T", "fields"],
      ...["-E", "separator=,", "-e", "frame.time_epoch", "-e", "rtp.seq", "-e", "rtp.timestamp"],
      ...["-e", "rtp.marker", "-e", "rtp.ssrc", "-e", "rtp.p_type", "-e", "udp.srcport"],
    ],
    { timeoutMs: 60_000 },
  ).done;
  if (r.code !== 0) throw new Error(`tshark -r ${pcap} failed:\n${r.stderr}`);
  return r.stdout
    .split(/\r?\n/)
    .filter((l) => l.trim() !== "")
    .map((l) => {
      const [t, seq, ts, m, ssrc, pt, src] = l.split(",");
      return {
        epochMs: Number(t) * 1000,
        seq: Number(seq),
        timestamp: Number(ts),
        marker: m === "1" || m === "True",
        ssrc: Number(ssrc),
        payloadType: Number(pt),
        srcPort: Number(src),
      };
    });
}

/** RtpStats is rtp-stats.sh's one line, as numbers. */
export type RtpStats = Readonly<Record<string, number>>;

/** rtpStats runs `rtp-stats.sh PCAP PORT h264 PT`. */
export async function rtpStats(pcap: string, port: number, pt: number): Promise<RtpStats> {
  const r = await startChild(
    "bash",
    [join(peersDir(), "rtp-stats.sh"), pcap, String(port), "h264", String(pt)],
    { timeoutMs: 60_000 },
  ).done;
  const s = lastKvLine(r.stdout, "packets");
  if (s === undefined) throw new Error(`rtp-stats.sh printed nothing:\n${r.stdout}${r.stderr}`);
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Number(v)]));
}

/** PcapDecode is what GStreamer decoded of the H.264 RTP one port received in a pcap. */
export interface PcapDecode {
  readonly framesDecoded: number;
  readonly warnings: number;
  readonly errors: number;
  readonly problems: string[];
}

/**
 * decodePcapH264 decodes, with GStreamer and independently of our code, the H.264 RTP that a pcap
 * holds for UDP destination port `port` and payload type `pt`: filesrc ! pcapparse !
 * rtpjitterbuffer ! rtph264depay ! h264parse ! avdec_h264 ! fakesink, counting the frames the
 * decoder hands out and the WARN/ERROR lines (GST_DEBUG=*:2), as gst-recv-h264.sh does.
 */
export async function decodePcapH264(pcap: string, port: number, pt: number): Promise<PcapDecode> {
  const caps = `application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=${pt}`;
  const r = await startChild(
    "gst-launch-1.0",
    [
      ...["-e", "-v", "filesrc", `location=${pcap}`, "!", "pcapparse", `dst-port=${port}`],
      ...["!", caps, "!", "rtpjitterbuffer", "latency=200", "!", "rtph264depay"],
      ...["!", "h264parse", "!", "avdec_h264", "!", "fakesink", "name=frames", "silent=false"],
      "sync=false",
    ],
    { timeoutMs: 60_000, env: { GST_DEBUG: "*:2", GST_DEBUG_NO_COLOR: "1" } },
  ).done;
  const log = r.stdout + r.stderr;
  const lines = log.split(/\r?\n/);
  return {
    framesDecoded: lines.filter((l) => l.includes("frames: last-message = chain")).length,
    warnings: lines.filter((l) => l.includes(" WARN ") || l.startsWith("WARNING")).length,
    errors:
      lines.filter((l) => l.includes(" ERROR ") || l.startsWith("ERROR")).length +
      (r.code === 0 ? 0 : 1),
    problems: problemLines(log),
  };
}

/** RtpContinuity summarizes one outbound RTP stream as captured. */
export interface RtpContinuity {
  readonly packets: number;
  readonly frames: number;
  readonly ssrcs: number;
  readonly seqGaps: number;
  /** backwardSteps counts packets whose (unwrapped) RTP timestamp is below the previous one. */
  readonly backwardSteps: number;
  /** sameTsAcrossFrames counts frames that start with the previous frame's timestamp. */
  readonly sameTsAcrossFrames: number;
  /** maxFrameGapMs is the largest wall-clock gap between two consecutive frame ends (markers). */
  readonly maxFrameGapMs: number;
}

/** continuity checks the sequence numbers and the RTP timestamps of one stream, in order. */
export function continuity(packets: readonly RtpOnWire[]): RtpContinuity {
  let seqGaps = 0;
  let backwardSteps = 0;
  let sameTsAcrossFrames = 0;
  let maxFrameGapMs = 0;
  let lastMarkerMs: number | undefined;
  let prevTs = 0;
  let prevMarker = false;
  for (let i = 0; i < packets.length; i++) {
    const p = packets[i]!;
    if (i > 0) {
      const q = packets[i - 1]!;
      if (((p.seq - q.seq + 0x10000) & 0xffff) !== 1) seqGaps++;
      // signed 32-bit difference: negative means the clock went back
      const d = (p.timestamp - q.timestamp) | 0;
      if (d < 0) backwardSteps++;
      if (prevMarker && p.timestamp === prevTs) sameTsAcrossFrames++;
    }
    if (p.marker) {
      if (lastMarkerMs !== undefined)
        maxFrameGapMs = Math.max(maxFrameGapMs, p.epochMs - lastMarkerMs);
      lastMarkerMs = p.epochMs;
    }
    prevTs = p.timestamp;
    prevMarker = p.marker;
  }
  return {
    packets: packets.length,
    frames: packets.filter((p) => p.marker).length,
    ssrcs: new Set(packets.map((p) => p.ssrc)).size,
    seqGaps,
    backwardSteps,
    sameTsAcrossFrames,
    maxFrameGapMs,
  };
}

// ---------------------------------------------------------------------------
// FFmpeg decode of a file

/** FileDecode is what `ffmpeg -v error -i FILE -f framecrc -` made of a file. */
export interface FileDecode {
  /** crcs: one adler32 per decoded picture, in output order. */
  readonly crcs: string[];
  readonly errors: number;
  readonly log: string;
}

/** ffmpegDecodeFile decodes a file with FFmpeg (default error detection) to frame CRCs. */
export async function ffmpegDecodeFile(file: string): Promise<FileDecode> {
  const r = await startChild(
    "ffmpeg",
    ["-hide_banner", "-nostdin", "-v", "error", "-i", file, "-f", "framecrc", "-"],
    { timeoutMs: 60_000 },
  ).done;
  const crcs = r.stdout
    .split(/\r?\n/)
    .filter((l) => l.trim() !== "" && !l.startsWith("#"))
    .map((l) => l.split(",").at(-1)!.trim());
  const lines = r.stderr.split(/\r?\n/).filter((l) => l.trim() !== "");
  return {
    crcs,
    errors: lines.length + (r.code !== 0 && lines.length === 0 ? 1 : 0),
    log: r.stderr,
  };
}

// ---------------------------------------------------------------------------
// a symmetric-RTP "phone" in front of a sender and a receiver

/** RelayPhone is one endpoint's RTP socket, fed by a sender and feeding a receiver. */
export interface RelayPhone {
  /** ingress is the port a sender (gst/ffmpeg/our session) sends its RTP to. */
  readonly ingress: number;
  /** port is the phone's own RTP port: where its media comes from, where the bridge sends to. */
  readonly port: number;
  /** counters of the datagrams that passed through. */
  readonly counts: { toSession: number; toReceiver: number };
  /** attach names the bridge session's RTP port the phone sends to. */
  attach(sessionPort: number): void;
}

/**
 * relayPhone makes a phone the way a SIP/RTP endpoint is one: a single UDP socket that sends its
 * media to the bridge session and receives the session's media on the same port (symmetric RTP).
 * What a sender sends to `ingress` leaves the phone's socket unchanged, to the attached session;
 * the session's RTP to the phone goes on, unchanged, to 127.0.0.1:`receiverPort` (a decoder).
 * Closed at cleanup.
 */
export async function relayPhone(receiverPort: number): Promise<RelayPhone> {
  const bind = (): Promise<Socket> =>
    new Promise((r, j) => {
      const s = createSocket("udp4");
      s.once("error", j);
      s.bind({ port: 0, address: HOST }, () => {
        s.setRecvBufferSize(4 << 20);
        r(s);
      });
    });
  const ingress = await bind();
  const phone = await bind();
  onCleanup(() => {
    ingress.close();
    phone.close();
  });
  const counts = { toSession: 0, toReceiver: 0 };
  let session: number | undefined;
  ingress.on("message", (msg) => {
    if (session === undefined) return;
    counts.toSession++;
    phone.send(msg, session, HOST);
  });
  phone.on("message", (msg, rinfo) => {
    if (rinfo.port !== session) return; // the session's RTP only, not its RTCP
    counts.toReceiver++;
    phone.send(msg, receiverPort, HOST);
  });
  return {
    ingress: ingress.address().port,
    port: phone.address().port,
    counts,
    attach: (port) => {
      session = port;
    },
  };
}
