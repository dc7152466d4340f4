// G.711 RTP audio read back from a pcap: tshark extracts the payloads, they are decoded here
// (./g711.ts, independent of video-bridge) and laid on the RTP timestamp timeline.
import { type G711Codec, g711Decode } from "./g711.js";
import { MediaCheckError } from "./media-check-error.js";
import { startChild } from "./processes.js";

/** RtpAudioOptions: which packets of the pcap (port, payload type, SSRC) and bounds. */
export interface RtpAudioOptions {
  /** codec is the payload's G.711 law. */
  readonly codec: G711Codec;
  /** dstPort keeps the packets sent to that UDP port (default: any, found by tshark's RTP heuristic). */
  readonly dstPort?: number;
  /** srcPort keeps the packets sent from that UDP port. */
  readonly srcPort?: number;
  /** payloadType defaults to the static one: 0 for PCMU, 8 for PCMA (RFC 3551 §6). */
  readonly payloadType?: number;
  /** ssrc picks one stream; default the SSRC with the most packets. */
  readonly ssrc?: number;
  /** maxSeconds bounds the timeline the timestamps span (default 600 s): a jump fails. */
  readonly maxSeconds?: number;
  /** timeoutMs is tshark's hard deadline (default 60 s). */
  readonly timeoutMs?: number;
}

/** RtpAudio is one G.711 RTP stream of a pcap, decoded to 8 kHz mono. */
export interface RtpAudio {
  /** samples are 16-bit linear at 8 kHz, each payload at its RTP timestamp, silence between. */
  readonly samples: Int16Array;
  readonly sampleRate: 8000;
  readonly codec: G711Codec;
  /** packets is how many packets of the chosen SSRC were decoded (duplicates included). */
  readonly packets: number;
  /** ssrc is the chosen stream's (undefined when no packet matched). */
  readonly ssrc: number | undefined;
  /** ssrcs counts the SSRCs that matched port and payload type. */
  readonly ssrcs: number;
  /** seqGaps counts sequence numbers missing between the first and the last packet. */
  readonly seqGaps: number;
  /** duplicates counts packets whose sequence number came before. */
  readonly duplicates: number;
  /** gapSamples counts the samples of the timeline no packet covered (left at 0). */
  readonly gapSamples: number;
}

interface Packet {
  readonly ssrc: number;
  readonly seq: number;
  readonly timestamp: number;
  readonly payload: Uint8Array;
}

const max = (a: number, b: number): number => Math.max(a, b);
const min = (a: number, b: number): number => Math.min(a, b);

const STATIC_PT: Readonly<Record<G711Codec, number>> = { pcmu: 0, pcma: 8 };

function checkPort(name: string, port: number | undefined): void {
  if (port !== undefined && (!Number.isSafeInteger(port) || port < 1 || port > 65535)) {
    throw new MediaCheckError("BAD_OPTION", `${name} must be a UDP port 1..65535, got ${port}`);
  }
}

/** hexBytes turns tshark's hex (with or without colons) into bytes. */
function hexBytes(hex: string): Uint8Array {
  const clean = hex.replaceAll(":", "");
  return Uint8Array.from(Buffer.from(clean, "hex"));
}

async function readPackets(pcap: string, options: RtpAudioOptions, pt: number): Promise<Packet[]> {
  const filter = ["!icmp", "rtp.version==2", `rtp.p_type==${pt}`];
  const decodeAs: string[] = [];
  if (options.dstPort !== undefined) {
    decodeAs.push("-d", `udp.port==${options.dstPort},rtp`);
    filter.push(`udp.dstport==${options.dstPort}`);
  }
  if (options.srcPort !== undefined) {
    decodeAs.push("-d", `udp.port==${options.srcPort},rtp`);
    filter.push(`udp.srcport==${options.srcPort}`);
  }
  if (decodeAs.length === 0) decodeAs.push("--enable-heuristic", "rtp_udp");
  const args = [
    ...["-r", pcap, ...decodeAs, "-Y", filter.join(" && "), "-T", "fields", "-E", "separator=,"],
    ...["-e", "rtp.ssrc", "-e", "rtp.seq", "-e", "rtp.timestamp", "-e", "rtp.payload"],
  ];
  const r = await startChild("tshark", args, { timeoutMs: options.timeoutMs ?? 60_000 }).done;
  if (r.timedOut || r.code !== 0) {
    throw new MediaCheckError(
      "DECODE_FAILED",
      `tshark ${args.join(" ")}: ${r.timedOut ? "killed after the deadline" : `exit ${r.code ?? r.signal}`}: ${r.stderr.trim()}`,
      { timedOut: r.timedOut },
    );
  }
  const packets: Packet[] = [];
  for (const line of r.stdout.split(/\r?\n/)) {
    if (line.trim() === "") continue;
    const [ssrc, seq, ts, payload] = line.split(",");
    const fields = [Number(ssrc), Number(seq), Number(ts)];
    if (fields.some((f) => !Number.isSafeInteger(f))) {
      throw new MediaCheckError("DECODE_FAILED", `tshark printed an unreadable RTP line: ${line}`);
    }
    const [s, q, t] = fields as [number, number, number];
    packets.push({ ssrc: s, seq: q, timestamp: t, payload: hexBytes(payload ?? "") });
  }
  return packets;
}

/**
 * decodeRtpAudioFromPcap reads the G.711 RTP audio of one stream in `pcap`, independently of our
 * code: tshark (under a deadline) gives each packet's SSRC, sequence number, timestamp and
 * payload for the chosen UDP ports and payload type; the payloads are expanded with ./g711.ts
 * and placed at their RTP timestamps (8 kHz clock, RFC 3551 §4.5.14; 32-bit wrap handled), so a
 * lost or late packet leaves silence in its place and not a shift. A tshark failure or a
 * timeline longer than `maxSeconds` rejects with MediaCheckError `DECODE_FAILED`.
 */
export async function decodeRtpAudioFromPcap(
  pcap: string,
  options: RtpAudioOptions,
): Promise<RtpAudio> {
  const { codec } = options;
  if (codec !== "pcmu" && codec !== "pcma") {
    throw new MediaCheckError("BAD_OPTION", `codec must be pcmu or pcma, got ${String(codec)}`);
  }
  checkPort("dstPort", options.dstPort);
  checkPort("srcPort", options.srcPort);
  const pt = options.payloadType ?? STATIC_PT[codec];
  if (!Number.isSafeInteger(pt) || pt < 0 || pt > 127) {
    throw new MediaCheckError("BAD_OPTION", `payloadType must be 0..127, got ${pt}`);
  }
  const all = await readPackets(pcap, options, pt);
  const bySsrc = new Map<number, Packet[]>();
  for (const p of all) {
    const list = bySsrc.get(p.ssrc);
    if (list === undefined) bySsrc.set(p.ssrc, [p]);
    else list.push(p);
  }
  let ssrc = options.ssrc;
  if (ssrc === undefined) {
    let most = 0;
    for (const [s, list] of bySsrc) {
      if (list.length > most) [ssrc, most] = [s, list.length];
    }
  }
  const packets = ssrc === undefined ? [] : (bySsrc.get(ssrc) ?? []);
  const empty = {
    sampleRate: 8000 as const,
    codec,
    ssrc: packets.length === 0 ? undefined : ssrc,
    ssrcs: bySsrc.size,
  };
  if (packets.length === 0) {
    return {
      ...empty,
      samples: new Int16Array(0),
      packets: 0,
      seqGaps: 0,
      duplicates: 0,
      gapSamples: 0,
    };
  }
  const first = packets[0]!;
  // offsets from the first packet as signed 16/32-bit differences: wraps and reordering hold
  const seqs = packets.map((p) => ((p.seq - first.seq + 0x8000) & 0xffff) - 0x8000);
  const offsets = packets.map((p) => (p.timestamp - first.timestamp) | 0);
  const seen = new Set<number>();
  let duplicates = 0;
  for (const s of seqs) {
    if (seen.has(s)) duplicates++;
    seen.add(s);
  }
  const seqGaps = seqs.reduce(max) - seqs.reduce(min) + 1 - seen.size;
  const start = offsets.reduce(min);
  const length = offsets.map((o, i) => o + packets[i]!.payload.length).reduce(max) - start;
  const maxSamples = (options.maxSeconds ?? 600) * 8000;
  if (length > maxSamples) {
    throw new MediaCheckError(
      "DECODE_FAILED",
      `the RTP timestamps of SSRC ${ssrc} span ${length / 8000} s, over maxSeconds (a timestamp jump?)`,
    );
  }
  const samples = new Int16Array(length);
  const covered = new Uint8Array(length);
  packets.forEach((p, i) => {
    const at = offsets[i]! - start;
    samples.set(g711Decode(codec, p.payload), at);
    covered.fill(1, at, at + p.payload.length);
  });
  let gapSamples = 0;
  for (const c of covered) if (c === 0) gapSamples++;
  return { ...empty, samples, packets: packets.length, seqGaps, duplicates, gapSamples };
}
