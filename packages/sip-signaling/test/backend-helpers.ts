/**
 * Helpers of the SipVideoBackend acceptance tests (test/backend-*.test.ts): starting a backend
 * on 127.0.0.1 with a private RTP port range, a cleanup registry, H.264 access units, IVF
 * writing, an FFmpeg decode check, the shared peer scripts' reports (rtp-stats.sh,
 * baresip-report.sh, SIPp -trace_msg logs), a drift-free pacer, a ports watcher and a raw
 * UDP SIP peer for hand-written requests. Process handling comes from ./peers.js.
 */
import { createSocket, type Socket } from "node:dgram";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { joinAnnexB, splitAnnexB } from "@framewire/rtp-video";
import { SipVideoBackend, type SipVideoBackendOptions } from "../src/sip-video-backend.js";
import {
  freeUdpPorts,
  type ProcessResult,
  scenarioPath,
  sleep,
  startProcess,
  startScript,
} from "./peers.js";

export const HOST = "127.0.0.1";

// ---------------------------------------------------------------------------
// cleanup registry (run in reverse order by the test files' afterEach)

const cleanups: Array<() => Promise<void> | void> = [];

/** onCleanup registers a teardown step for the current test. */
export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

/** runCleanups runs and forgets every registered step, newest first; errors are collected. */
export async function runCleanups(): Promise<void> {
  const errors: unknown[] = [];
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      await fn();
    } catch (e) {
      errors.push(e);
    }
  }
  if (errors.length > 0) throw errors[0];
}

/** tempDir makes a scratch folder removed at cleanup. */
export function tempDir(prefix = "framewire-backend-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export { fixture } from "@framewire/test-support/fixtures";

// ---------------------------------------------------------------------------
// the backend under test

/**
 * startBackend starts a SipVideoBackend on 127.0.0.1 (any free SIP port) with a private RTP
 * range of `pairs` even/odd pairs picked at random in 40000..60000, stopped at cleanup.
 */
export async function startBackend(
  options: SipVideoBackendOptions = {},
  pairs = 64,
): Promise<{ backend: SipVideoBackend; port: number; rtpStart: number; rtpEnd: number }> {
  const rtpStart = 40_000 + 2 * Math.floor(Math.random() * ((20_000 - 2 * pairs) / 2));
  const rtpEnd = rtpStart + 2 * pairs;
  const backend = new SipVideoBackend({
    localSipAddr: [HOST, 0],
    localRtpIp: HOST,
    rtpPortStart: rtpStart,
    rtpPortEnd: rtpEnd,
    ...options,
  });
  const address = await backend.start();
  onCleanup(() => backend.stop());
  return { backend, port: address.port, rtpStart, rtpEnd };
}

/** waitUntil polls `check` every `stepMs` until it holds or `timeoutMs` passes; returns it. */
export async function waitUntil(
  check: () => boolean,
  timeoutMs: number,
  stepMs = 20,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(stepMs);
  }
}

/** PortsWatcher samples a counter every few ms and keeps its maximum. */
export interface PortsWatcher {
  readonly max: () => number;
  readonly samples: () => number;
  readonly stop: () => void;
}

/** watchCounter samples `read()` every `everyMs` until stopped (or cleanup). */
export function watchCounter(read: () => number, everyMs = 2): PortsWatcher {
  let max = read();
  let samples = 1;
  const timer = setInterval(() => {
    max = Math.max(max, read());
    samples++;
  }, everyMs);
  const stop = (): void => clearInterval(timer);
  onCleanup(stop);
  return { max: () => max, samples: () => samples, stop };
}

// ---------------------------------------------------------------------------
// key=value reports of the peer scripts

/** kv reads the `key=value` pairs of one report line. */
export function kv(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of line.matchAll(/([A-Za-z_][\w-]*)=(\S*)/g)) out[m[1]!] = m[2]!;
  return out;
}

/** lineWith returns the first line of `text` that contains `needle`. */
export function lineWith(text: string, needle: string): string | undefined {
  return text.split(/\r?\n/).find((l) => l.includes(needle));
}

/** RtpStats is rtp-stats.sh's one-line summary, as numbers. */
export type RtpStats = Record<
  | "packets"
  | "payload_bytes"
  | "markers"
  | "seq_gaps"
  | "ssrcs"
  | "max_udp_payload"
  | "min_udp_payload",
  number
> &
  Record<string, number>;

/** rtpStats runs the shared rtp-stats.sh on a pcap for packets to `port` with payload `pt`. */
export async function rtpStats(
  pcap: string,
  port: number,
  codec: "h264" | "vp8",
  pt: number,
): Promise<RtpStats> {
  const r = await startScript("rtp-stats.sh", [pcap, String(port), codec, String(pt)], {
    timeoutMs: 30_000,
  }).done;
  const line = lineWith(r.stdout, "packets=");
  if (line === undefined) throw new Error(`rtp-stats.sh said nothing:\n${r.stdout}${r.stderr}`);
  return Object.fromEntries(Object.entries(kv(line)).map(([k, v]) => [k, Number(v)])) as RtpStats;
}

/**
 * rtpMarkersBefore counts the RTP packets with the marker bit (= frames) sent to `port` in a
 * pcap up to `epochMs` (wall clock), with tshark.
 */
export async function rtpMarkersBefore(
  pcap: string,
  port: number,
  epochMs: number,
): Promise<number> {
  const r = await startProcess(
    "tshark",
    [
      ...["-r", pcap, "-d", `udp.port==${port},rtp`],
      ...[
        "-Y",
        `!icmp && udp.dstport==${port} && rtp.marker==1 && frame.time_epoch <= ${(epochMs / 1000).toFixed(6)}`,
      ],
      ...["-T", "fields", "-e", "rtp.seq"],
    ],
    { timeoutMs: 30_000 },
  ).done;
  return r.stdout.split(/\r?\n/).filter((l) => l.trim() !== "").length;
}

/** sipRequestCapturedAt is the capture time (epoch ms) of the first `method` request sent to `port`. */
export async function sipRequestCapturedAt(
  pcap: string,
  method: string,
  port: number,
): Promise<number | undefined> {
  const r = await startProcess(
    "tshark",
    [
      ...["-r", pcap, "-d", `udp.port==${port},sip`],
      ...["-Y", `udp.dstport==${port} && sip.Method == "${method}"`],
      ...["-T", "fields", "-e", "frame.time_epoch"],
    ],
    { timeoutMs: 30_000 },
  ).done;
  const first = r.stdout.split(/\r?\n/).find((l) => l.trim() !== "");
  return first === undefined ? undefined : Number(first) * 1000;
}

/** SippMessage is one message of a SIPp -trace_msg log. */
export interface SippMessage {
  readonly direction: "sent" | "received";
  readonly text: string;
  readonly startLine: string;
}

/** sippMessages splits a SIPp -trace_msg log into its messages (CRLF line ends restored). */
export function sippMessages(log: string): SippMessage[] {
  const out: SippMessage[] = [];
  for (const block of log.split(/^-{5,} [^\n]*\n/m)) {
    const m = /^\s*UDP message (sent|received)[^\n]*\n\n?([\s\S]*)$/.exec(block);
    if (m === null) continue;
    const body = m[2]!.replace(/\r?\n/g, "\r\n").replace(/(\r\n)+$/, "\r\n");
    const [head = "", ...rest] = body.split("\r\n\r\n");
    const content = rest.join("\r\n\r\n");
    const text = `${head}\r\n\r\n${content}`;
    out.push({
      direction: m[1] === "sent" ? "sent" : "received",
      text,
      startLine: head.split("\r\n")[0]!.trim(),
    });
  }
  return out;
}

/** readText reads a file, "" when absent. */
export function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** SippRun is a finished SIPp run with its -trace_msg and -trace_err logs. */
export interface SippRun extends ProcessResult {
  readonly messages: SippMessage[];
  readonly errors: string;
}

/**
 * runSipp runs test/sipp/<scenario> as a UAC against 127.0.0.1:port (-m 1, -nr, UDP, bounded
 * by -timeout and a hard deadline) with `extra` options, and returns its logs.
 */
export async function runSipp(
  scenario: string,
  port: number,
  extra: readonly string[] = [],
  service = "room1",
): Promise<SippRun> {
  const dir = tempDir("framewire-backend-sipp-");
  const sipPort = await freeUdpPorts(1);
  const media = await freeUdpPorts(4);
  const proc = startProcess(
    "sipp",
    [
      `${HOST}:${port}`,
      ...["-sf", scenarioPath(scenario), "-s", service],
      ...["-i", HOST, "-p", String(sipPort), "-mi", HOST, "-mp", String(media), "-t", "u1"],
      ...["-m", "1", "-l", "1", "-nr", "-recv_timeout", "10000", "-timeout", "30s"],
      ...["-timeout_error", "-nostdin", "-trace_msg", "-message_file", join(dir, "m.log")],
      ...["-trace_err", "-error_file", join(dir, "e.log")],
      ...extra,
    ],
    { timeoutMs: 40_000, cwd: dir },
  );
  onCleanup(() => proc.kill());
  const r = await proc.done;
  return {
    ...r,
    messages: sippMessages(readText(join(dir, "m.log"))),
    errors: readText(join(dir, "e.log")),
  };
}

// ---------------------------------------------------------------------------
// media files

/**
 * accessUnits cuts an Annex-B H.264 stream into access units (H.264 §7.4.1.2.3 as x264
 * writes it): an SEI/SPS/PPS/AUD, or a slice whose first_mb_in_slice is 0 (the first bit of
 * the slice header is 1), starts a new unit once the current one has a slice.
 */
export function accessUnits(stream: Uint8Array): { units: Uint8Array[]; keyframe: boolean[] } {
  const groups: Uint8Array[][] = [];
  let current: Uint8Array[] = [];
  let haveSlice = false;
  for (const nal of splitAnnexB(stream)) {
    const type = nal[0]! & 0x1f;
    const isSlice = type === 1 || type === 5;
    const starts = isSlice ? (nal[1] ?? 0) >= 0x80 : type >= 6 && type <= 9;
    if (starts && haveSlice) {
      groups.push(current);
      current = [];
      haveSlice = false;
    }
    current.push(nal);
    if (isSlice) haveSlice = true;
  }
  if (current.length > 0) groups.push(current);
  return {
    units: groups.map((g) => joinAnnexB(g)),
    keyframe: groups.map((g) => g.some((n) => (n[0]! & 0x1f) === 5)),
  };
}

/** ivf writes VP8 frames into an IVF file (32-byte header, 12-byte frame headers, 1/1000 s). */
export function ivf(
  width: number,
  height: number,
  frames: readonly { readonly data: Uint8Array; readonly ms: number }[],
): Buffer {
  const head = Buffer.alloc(32);
  head.write("DKIF", 0, "latin1");
  head.writeUInt16LE(0, 4);
  head.writeUInt16LE(32, 6);
  head.write("VP80", 8, "latin1");
  head.writeUInt16LE(width, 12);
  head.writeUInt16LE(height, 14);
  head.writeUInt32LE(1000, 16);
  head.writeUInt32LE(1, 20);
  head.writeUInt32LE(frames.length, 24);
  const parts: Buffer[] = [head];
  let last = -1;
  for (const f of frames) {
    // IVF wants increasing pts: nudge equal ones
    const pts = Math.max(Math.round(f.ms), last + 1);
    last = pts;
    const fh = Buffer.alloc(12);
    fh.writeUInt32LE(f.data.length, 0);
    fh.writeBigUInt64LE(BigInt(pts), 4);
    parts.push(fh, Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength));
  }
  return Buffer.concat(parts);
}

/** Decoded is what `ffmpeg -f framecrc` made of a file. */
export interface Decoded {
  readonly frames: number;
  readonly errors: number;
  readonly log: string;
}

/** ffmpegDecode decodes a file to framecrc: frames = crc lines, errors = stderr lines at -v error. */
export async function ffmpegDecode(file: string, timeoutMs = 30_000): Promise<Decoded> {
  const r = await startProcess(
    "ffmpeg",
    ["-hide_banner", "-nostdin", "-v", "error", "-i", file, "-f", "framecrc", "-"],
    { timeoutMs },
  ).done;
  const frames = r.stdout.split(/\r?\n/).filter((l) => l.trim() !== "" && !l.startsWith("#"));
  const errs = r.stderr.split(/\r?\n/).filter((l) => l.trim() !== "");
  const errors = errs.length + (r.code !== 0 && errs.length === 0 ? 1 : 0);
  return { frames: frames.length, errors, log: r.stderr };
}

/** vp8Size reads width/height of a VP8 keyframe (RFC 6386 §9.1), undefined otherwise. */
export function vp8Size(frame: Uint8Array): { width: number; height: number } | undefined {
  if (frame.length < 10 || (frame[0]! & 1) !== 0) return undefined;
  if (frame[3] !== 0x9d || frame[4] !== 0x01 || frame[5] !== 0x2a) return undefined;
  return {
    width: (frame[6]! | (frame[7]! << 8)) & 0x3fff,
    height: (frame[8]! | (frame[9]! << 8)) & 0x3fff,
  };
}

// ---------------------------------------------------------------------------
// pacing

/** pace runs step(i) at t0 + i·intervalMs (drift-free), bounded by deadlineMs. */
export async function pace(
  count: number,
  intervalMs: number,
  deadlineMs: number,
  step: (i: number) => unknown,
): Promise<{ steps: number; ms: number }> {
  const t0 = performance.now();
  let i = 0;
  for (; i < count; i++) {
    const wait = t0 + i * intervalMs - performance.now();
    if (wait > 0) await sleep(wait);
    if (performance.now() - t0 > deadlineMs) break;
    if (step(i) === false) break;
  }
  return { steps: i, ms: performance.now() - t0 };
}

// ---------------------------------------------------------------------------
// raw SIP over UDP

/** SipMessage is a received SIP message, parsed just enough for these tests. */
export interface SipMessage {
  readonly raw: string;
  readonly startLine: string;
  /** status is the response code, undefined for a request. */
  readonly status: number | undefined;
  readonly method: string | undefined;
  readonly headers: ReadonlyMap<string, readonly string[]>;
  readonly body: string;
  /** header returns the first value of a header (case-insensitive, compact forms folded). */
  header(name: string): string | undefined;
}

const COMPACT: Record<string, string> = {
  v: "via",
  f: "from",
  t: "to",
  i: "call-id",
  m: "contact",
  l: "content-length",
  c: "content-type",
};

/** parseSipText parses a SIP message (start line, headers, body). */
export function parseSipText(raw: string): SipMessage {
  const end = raw.indexOf("\r\n\r\n");
  const head = end < 0 ? raw : raw.slice(0, end);
  const body = end < 0 ? "" : raw.slice(end + 4);
  const lines = head.split("\r\n");
  const startLine = lines[0] ?? "";
  const headers = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    let name = line.slice(0, colon).trim().toLowerCase();
    name = COMPACT[name] ?? name;
    const list = headers.get(name) ?? [];
    list.push(line.slice(colon + 1).trim());
    headers.set(name, list);
  }
  const status = /^SIP\/2\.0 (\d{3})/.exec(startLine);
  return {
    raw,
    startLine,
    status: status === null ? undefined : Number(status[1]),
    method: status === null ? startLine.split(" ")[0] : undefined,
    headers,
    body,
    header: (name) => headers.get(name.toLowerCase())?.[0],
  };
}

/** tagOf returns the tag parameter of a From/To value. */
export function tagOf(value: string | undefined): string | undefined {
  return /;\s*tag=([^;\s>]+)/i.exec(value ?? "")?.[1];
}

/** uriOf returns the URI inside <...> of a name-addr (or the value up to ';'). */
export function uriOf(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const inner = /<([^>]+)>/.exec(value);
  return inner !== null ? inner[1] : value.split(";")[0]?.trim();
}

let counter = 0;
/** token returns a fresh random token (Call-IDs, tags, branches). */
export function token(prefix = ""): string {
  counter++;
  return `${prefix}${Date.now().toString(36)}${counter.toString(36)}${Math.random().toString(36).slice(2, 10)}`;
}

/** RawInviteOptions are the parts of a hand-written INVITE. */
export interface RawInviteOptions {
  readonly callId?: string;
  readonly fromTag?: string;
  readonly branch?: string;
  readonly cseq?: number;
  readonly user?: string;
  readonly sdp: string;
}

/** Dialog is what a raw peer knows of one INVITE it sent. */
export interface RawDialog {
  readonly callId: string;
  readonly fromTag: string;
  readonly branch: string;
  readonly cseq: number;
  readonly requestUri: string;
  /** final is the final response, once received. */
  final: SipMessage | undefined;
  readonly responses: SipMessage[];
}

/**
 * RawSipPeer is a SIP endpoint on a bare UDP socket: it writes INVITE/ACK/BYE/CANCEL by hand
 * (RFC 3261 §8.1.1), collects every message it receives, answers in-dialog BYEs with 200, and
 * ACKs non-2xx final responses to its INVITEs (§17.1.1.3) so the far end stops retransmitting.
 */
export class RawSipPeer {
  readonly received: SipMessage[] = [];
  private readonly socket: Socket;
  private readonly target: { host: string; port: number };
  private readonly dialogs = new Map<string, RawDialog>();
  private readonly waiters = new Set<() => void>();
  private closed = false;

  private constructor(socket: Socket, target: { host: string; port: number }) {
    this.socket = socket;
    this.target = target;
    socket.on("message", (data) => this.receive(parseSipText(data.toString("latin1"))));
  }

  /** open binds a peer on 127.0.0.1 (any port) talking to 127.0.0.1:targetPort; closed at cleanup. */
  static async open(targetPort: number): Promise<RawSipPeer> {
    const socket = createSocket("udp4");
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind({ address: HOST, port: 0 }, () => resolve());
    });
    socket.on("error", () => {});
    const peer = new RawSipPeer(socket, { host: HOST, port: targetPort });
    onCleanup(() => peer.close());
    return peer;
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** send writes one datagram to the target. */
  send(text: string | Uint8Array): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) return resolve();
      this.socket.send(text, this.target.port, this.target.host, () => resolve());
    });
  }

  /** invite sends an INVITE with `sdp` and returns its dialog record. */
  async invite(o: RawInviteOptions): Promise<RawDialog> {
    const d: RawDialog = {
      callId: o.callId ?? token("raw-"),
      fromTag: o.fromTag ?? token("ft"),
      branch: o.branch ?? `z9hG4bK${token()}`,
      cseq: o.cseq ?? 1,
      requestUri: `sip:${o.user ?? "room"}@${this.target.host}:${this.target.port}`,
      final: undefined,
      responses: [],
    };
    this.dialogs.set(d.branch, d);
    await this.send(
      [
        `INVITE ${d.requestUri} SIP/2.0`,
        `Via: SIP/2.0/UDP ${HOST}:${this.port};branch=${d.branch};rport`,
        "Max-Forwards: 70",
        `From: "raw" <sip:raw@${HOST}:${this.port}>;tag=${d.fromTag}`,
        `To: <${d.requestUri}>`,
        `Call-ID: ${d.callId}`,
        `CSeq: ${d.cseq} INVITE`,
        `Contact: <sip:raw@${HOST}:${this.port}>`,
        "Content-Type: application/sdp",
        `Content-Length: ${Buffer.byteLength(o.sdp, "latin1")}`,
        "",
        o.sdp,
      ].join("\r\n"),
    );
    return d;
  }

  /** final waits for the final response of `d`'s INVITE. */
  async finalResponse(d: RawDialog, timeoutMs = 10_000): Promise<SipMessage> {
    const ok = await this.waitFor(() => d.final !== undefined, timeoutMs);
    if (!ok || d.final === undefined) {
      throw new Error(
        `no final response to INVITE ${d.callId} in ${timeoutMs} ms; got: ${d.responses.map((r) => r.startLine).join(" | ")}`,
      );
    }
    return d.final;
  }

  /** ack sends the ACK of a 2xx (a new transaction to the Contact, §13.2.2.4). */
  ack(d: RawDialog): Promise<void> {
    return this.inDialog("ACK", d, d.cseq);
  }

  /** bye sends BYE in `d`'s dialog and waits for its final response. */
  async bye(d: RawDialog, timeoutMs = 5_000): Promise<SipMessage> {
    const branch = `z9hG4bK${token()}`;
    await this.inDialog("BYE", d, d.cseq + 1, branch);
    let answer: SipMessage | undefined;
    await this.waitFor(() => {
      answer = this.received.find(
        (m) =>
          m.status !== undefined && m.status >= 200 && (m.header("via") ?? "").includes(branch),
      );
      return answer !== undefined;
    }, timeoutMs);
    if (answer === undefined) throw new Error(`no answer to BYE ${d.callId}`);
    return answer;
  }

  /** cancel sends CANCEL for `d`'s INVITE (same branch, §9.1). */
  cancel(d: RawDialog): Promise<void> {
    return this.send(
      [
        `CANCEL ${d.requestUri} SIP/2.0`,
        `Via: SIP/2.0/UDP ${HOST}:${this.port};branch=${d.branch};rport`,
        "Max-Forwards: 70",
        `From: "raw" <sip:raw@${HOST}:${this.port}>;tag=${d.fromTag}`,
        `To: <${d.requestUri}>`,
        `Call-ID: ${d.callId}`,
        `CSeq: ${d.cseq} CANCEL`,
        "Content-Length: 0",
        "",
        "",
      ].join("\r\n"),
    );
  }

  /** waitFor resolves true once `check` holds after a received message (or now), false on timeout. */
  waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
    if (check()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = (): void => {
        if (!check()) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        resolve(false);
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private async inDialog(method: "ACK" | "BYE", d: RawDialog, cseq: number, branch?: string) {
    const ok = d.final;
    if (ok === undefined) throw new Error(`${method} before a final response`);
    const to = ok.header("to") ?? `<${d.requestUri}>`;
    const target = uriOf(ok.header("contact")) ?? d.requestUri;
    await this.send(
      [
        `${method} ${target} SIP/2.0`,
        `Via: SIP/2.0/UDP ${HOST}:${this.port};branch=${branch ?? `z9hG4bK${token()}`};rport`,
        "Max-Forwards: 70",
        `From: "raw" <sip:raw@${HOST}:${this.port}>;tag=${d.fromTag}`,
        `To: ${to}`,
        `Call-ID: ${d.callId}`,
        `CSeq: ${cseq} ${method}`,
        "Content-Length: 0",
        "",
        "",
      ].join("\r\n"),
    );
  }

  private receive(m: SipMessage): void {
    this.received.push(m);
    if (m.status !== undefined) {
      const branch = /branch=([^;\s,]+)/.exec(m.header("via") ?? "")?.[1];
      const d = branch === undefined ? undefined : this.dialogs.get(branch);
      if (d !== undefined && /INVITE/i.test(m.header("cseq") ?? "")) {
        d.responses.push(m);
        if (m.status >= 200 && d.final === undefined) d.final = m;
        if (m.status >= 300) {
          // ACK for a non-2xx final response: same branch, To with the tag (§17.1.1.3)
          void this.send(
            [
              `ACK ${d.requestUri} SIP/2.0`,
              `Via: SIP/2.0/UDP ${HOST}:${this.port};branch=${d.branch};rport`,
              "Max-Forwards: 70",
              `From: "raw" <sip:raw@${HOST}:${this.port}>;tag=${d.fromTag}`,
              `To: ${m.header("to") ?? ""}`,
              `Call-ID: ${d.callId}`,
              `CSeq: ${d.cseq} ACK`,
              "Content-Length: 0",
              "",
              "",
            ].join("\r\n"),
          );
        }
      }
    } else if (m.method === "BYE") {
      void this.send(responseTo(m, 200, "OK"));
    }
    for (const w of [...this.waiters]) w();
  }
}

/** responseTo writes a minimal response to a request (Via, From, To, Call-ID, CSeq echoed). */
export function responseTo(req: SipMessage, status: number, reason: string): string {
  const lines = [`SIP/2.0 ${status} ${reason}`];
  for (const v of req.headers.get("via") ?? []) lines.push(`Via: ${v}`);
  lines.push(
    `From: ${req.header("from") ?? ""}`,
    `To: ${req.header("to") ?? ""}`,
    `Call-ID: ${req.header("call-id") ?? ""}`,
    `CSeq: ${req.header("cseq") ?? ""}`,
    "Content-Length: 0",
    "",
    "",
  );
  return lines.join("\r\n");
}

/** SdpParts lists the m-sections of a hand-written offer. */
export interface OfferSpec {
  readonly audioPort: number;
  /** audio formats: rtpmap lines keyed by payload type; default PCMU. */
  readonly audio?: ReadonlyArray<readonly [number, string]>;
  readonly videoPort?: number;
  /** video formats: [pt, rtpmap, fmtp?]; default H.264 mode 1 42e01f. */
  readonly video?: ReadonlyArray<readonly [number, string, string?]>;
}

/** offerSdp writes an SDP offer by hand (RFC 4566) from `spec`. */
export function offerSdp(spec: OfferSpec): string {
  const audio = spec.audio ?? [[0, "PCMU/8000"]];
  const lines = [
    "v=0",
    `o=raw 1 1 IN IP4 ${HOST}`,
    "s=raw",
    `c=IN IP4 ${HOST}`,
    "t=0 0",
    `m=audio ${spec.audioPort} RTP/AVP ${audio.map(([pt]) => pt).join(" ")}`,
    ...audio.map(([pt, map]) => `a=rtpmap:${pt} ${map}`),
    "a=sendrecv",
  ];
  if (spec.videoPort !== undefined) {
    const video = spec.video ?? [
      [96, "H264/90000", "packetization-mode=1;profile-level-id=42e01f"],
    ];
    lines.push(`m=video ${spec.videoPort} RTP/AVP ${video.map(([pt]) => pt).join(" ")}`);
    for (const [pt, map, fmtp] of video) {
      lines.push(`a=rtpmap:${pt} ${map}`);
      if (fmtp !== undefined) lines.push(`a=fmtp:${pt} ${fmtp}`);
    }
    lines.push("a=sendrecv");
  }
  return `${lines.join("\r\n")}\r\n`;
}

/** udpCounter binds a UDP socket on 127.0.0.1:port and counts what arrives. */
export async function udpCounter(port: number): Promise<{ count: () => number }> {
  const socket = createSocket("udp4");
  let n = 0;
  socket.on("message", () => {
    n++;
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind({ address: HOST, port, exclusive: true }, () => resolve());
  });
  onCleanup(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return { count: () => n };
}

/** twoFreePorts returns a base port with `n` consecutive free UDP ports (re-exported helper). */
export const freePorts = freeUdpPorts;

/** report prints one line of figures for the lead's records. */
export function report(name: string, figures: Record<string, unknown>): void {
  const text = Object.entries(figures)
    .map(([k, v]) => {
      const shown =
        typeof v === "number" && !Number.isInteger(v)
          ? v.toFixed(2)
          : typeof v === "object"
            ? JSON.stringify(v)
            : String(v);
      return `${k}=${shown}`;
    })
    .join(" ");
  console.info(`[sip-backend] ${name}: ${text}`);
}
