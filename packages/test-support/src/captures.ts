// Captures on lo with tshark, and what a pcap holds: RTP packets and their continuity,
// rtp-stats.sh's figures, the capture time of SIP requests and RTP frame ends.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { onCleanup } from "./cleanup.js";
import { peersDir } from "./peer-test.js";
import { startChild } from "./processes.js";
import { lastKvLine } from "./report-parsers.js";
import { sleep, waitUntil } from "./waiting.js";

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
export type RtpStats = Readonly<
  Record<
    | "packets"
    | "payload_bytes"
    | "markers"
    | "seq_gaps"
    | "ssrcs"
    | "max_udp_payload"
    | "min_udp_payload",
    number
  > &
    Record<string, number>
>;

/** rtpStats runs `rtp-stats.sh PCAP PORT CODEC PT` (the RTP sent to UDP port `port`). */
export async function rtpStats(
  pcap: string,
  port: number,
  pt: number,
  codec: "h264" | "vp8" = "h264",
): Promise<RtpStats> {
  const r = await startChild(
    "bash",
    [join(peersDir(), "rtp-stats.sh"), pcap, String(port), codec, String(pt)],
    { timeoutMs: 60_000 },
  ).done;
  const s = lastKvLine(r.stdout, "packets");
  if (s === undefined) throw new Error(`rtp-stats.sh printed nothing:\n${r.stdout}${r.stderr}`);
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Number(v)])) as RtpStats;
}

/**
 * rtpMarkersBefore counts the RTP packets with the marker bit (= frames) sent to `port` in a
 * pcap up to `epochMs` (capture time), with tshark.
 */
export async function rtpMarkersBefore(
  pcap: string,
  port: number,
  epochMs: number,
): Promise<number> {
  const r = await startChild(
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
  const r = await startChild(
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
  const found = { seqGaps: 0, backwardSteps: 0, sameTsAcrossFrames: 0, maxFrameGapMs: 0 };
  let lastMarkerMs: number | undefined;
  packets.forEach((p, i) => {
    const q = packets[i - 1];
    if (q !== undefined) {
      if (((p.seq - q.seq + 0x10000) & 0xffff) !== 1) found.seqGaps++;
      // signed 32-bit difference: negative means the clock went back
      if (((p.timestamp - q.timestamp) | 0) < 0) found.backwardSteps++;
      if (q.marker && p.timestamp === q.timestamp) found.sameTsAcrossFrames++;
    }
    if (p.marker) {
      if (lastMarkerMs !== undefined) {
        found.maxFrameGapMs = Math.max(found.maxFrameGapMs, p.epochMs - lastMarkerMs);
      }
      lastMarkerMs = p.epochMs;
    }
  });
  return {
    packets: packets.length,
    frames: packets.filter((p) => p.marker).length,
    ssrcs: new Set(packets.map((p) => p.ssrc)).size,
    ...found,
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
