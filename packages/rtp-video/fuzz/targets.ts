// The fuzz targets of @framewire/rtp-video, in process: RTP parse → depacketizer (H.264, VP8,
// VP9) → frame assembler; RTCP parse; and the receive path of a live VideoRtpSession and
// AudioRtpSession, fed datagrams by emitting them on the session's own bound sockets (no packet
// goes through the kernel: the sessions have no public way to take a datagram, so the fuzzer
// reaches their private UDP pair by a cast; what they send goes to a local sink socket).
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import type { EventEmitter } from "node:events";
import type { FuzzTarget } from "@framewire/test-support";
import {
  AudioRtpSession,
  type Depacketizer,
  FrameAssembler,
  H264Depacketizer,
  joinAnnexB,
  parseRtcp,
  type RtcpParseErrorCode,
  type RtpParseErrorCode,
  splitAnnexB,
  type TransportStats,
  tryParseRtpPacket,
  type VideoFrame,
  VideoRtpSession,
  Vp8Depacketizer,
  Vp9Depacketizer,
} from "../src/index.js";
import { h264Corpus, pcmuCorpus, type StreamCorpus, vp8Corpus, vp9Corpus } from "./corpus.js";
import { rtcpMutator } from "./rtcp-mutator.js";
import { rtpMutator } from "./rtp-mutator.js";

const STREAM_SSRC = 0x5eed0001;
const REORDER_WINDOW = 64;
const MAX_FRAME_BYTES = 1 << 20;

type Counters = Readonly<Record<string, number | undefined>>;

/** risen returns the first key whose counter is higher in `after` than in `before`. */
function risen(before: Counters, after: Counters): string | undefined {
  for (const k in after) if ((after[k] ?? 0) > (before[k] ?? 0)) return k;
  return undefined;
}

/** risenOf returns the first of `keys` whose counter is higher in `after` than in `before`. */
function risenOf(keys: readonly string[], before: Counters, after: Counters): string | undefined {
  for (const k of keys) if ((after[k] ?? 0) > (before[k] ?? 0)) return k;
  return undefined;
}

/** h264Canonical: Annex-B in canonical form, every NAL unit non-empty, F = 0, type 1..23. */
function h264Canonical(data: Uint8Array): boolean {
  const units = splitAnnexB(data);
  if (units.length === 0) return false;
  for (const u of units) {
    const h = u[0]!;
    if (h & 0x80 || (h & 0x1f) === 0 || (h & 0x1f) > 23) return false;
  }
  const canonical = joinAnnexB(units);
  return canonical.length === data.length && Buffer.compare(canonical, data) === 0;
}

const ASSEMBLER_DROPS = [
  "duplicates",
  "late",
  "outOfWindow",
  "framesDroppedCorrupt",
  "framesDroppedLoss",
  "framesDroppedTooLarge",
  "framesDroppedWaiting",
] as const;

function dropStats(a: FrameAssembler): Record<string, number> {
  const s = a.stats;
  const out: Record<string, number> = {};
  for (const k of ASSEMBLER_DROPS) out[k] = s[k];
  return out;
}

/** assemblerTarget: RTP parse → `depacketizer` → FrameAssembler, one stream, state kept. */
function assemblerTarget(
  name: string,
  corpus: StreamCorpus,
  depacketizer: () => Depacketizer,
): FuzzTarget {
  const mutate = rtpMutator({ corpus, payloadType: 96, ssrc: STREAM_SSRC });
  let emitted = 0;
  let badFrames = 0;
  let maxHeld = 0;
  let lastFrame = "";
  const onFrame = (f: VideoFrame): void => {
    emitted++;
    const bad =
      f.data.length === 0 ||
      f.data.length > MAX_FRAME_BYTES ||
      f.codec !== corpus.codec ||
      (corpus.codec === "h264" && !h264Canonical(f.data));
    if (bad) {
      badFrames++;
      lastFrame = Buffer.from(f.data.subarray(0, 64)).toString("hex");
    }
  };
  const a: FrameAssembler = new FrameAssembler(
    { frame: onFrame },
    { depacketizer: depacketizer(), reorderWindow: REORDER_WINDOW, maxFrameBytes: MAX_FRAME_BYTES },
  );
  return {
    name,
    input: (seed, index) => mutate(seed, index).bytes,
    run(input) {
      const p = tryParseRtpPacket(input);
      if (typeof p === "string") return `rejected:${p}`;
      const frames = emitted;
      const drops = { ...a.depacketizerDrops };
      const stats = dropStats(a);
      a.push(p);
      if (a.heldPackets > maxHeld) maxHeld = a.heldPackets;
      if (emitted > frames) return "accepted:frame";
      const reason =
        risen(drops, a.depacketizerDrops) ?? risenOf(ASSEMBLER_DROPS, stats, dropStats(a));
      return reason === undefined ? "accepted:held" : `dropped:${reason}`;
    },
    check() {
      a.flush();
      const out: string[] = [];
      if (badFrames > 0) out.push(`${badFrames} malformed frames emitted (last: ${lastFrame})`);
      if (maxHeld > REORDER_WINDOW + 1)
        out.push(`held ${maxHeld} packets (window ${REORDER_WINDOW})`);
      if (a.frameBufferBytes > MAX_FRAME_BYTES) out.push(`frame buffer ${a.frameBufferBytes} B`);
      if (emitted === 0) out.push("no frame was ever assembled");
      return out;
    },
  };
}

/** rtcpTarget: parseRtcp on compound packets; it never throws and moves ≥ 4 bytes a packet. */
function rtcpTarget(): FuzzTarget {
  const mutate = rtcpMutator({ mediaSsrcs: [STREAM_SSRC], senderSsrc: 0x5eed0002 });
  const broken: string[] = [];
  return {
    name: "rtcp",
    input: (seed, index) => mutate(seed, index).bytes,
    run(input, index) {
      const { packets, errors } = parseRtcp(input);
      if (packets.length > Math.floor(input.length / 4) && broken.length < 5) {
        broken.push(`input ${index}: ${packets.length} packets from ${input.length} bytes`);
      }
      if (errors.length === 0) return "accepted";
      return `${packets.length > 0 ? "partial" : "rejected"}:${errors[0]}`;
    },
    check: () => broken,
  };
}

interface SessionPair {
  readonly rtp: EventEmitter;
  readonly rtcp: EventEmitter | undefined;
}

function bindSink(): Promise<Socket> {
  return new Promise((resolve) => {
    const s = createSocket("udp4");
    s.on("message", () => {});
    s.bind(0, "127.0.0.1", () => resolve(s));
  });
}

function rinfo(port: number, size: number): RemoteInfo {
  return { address: "127.0.0.1", family: "IPv4", port, size };
}

function sumOf(o: Counters): number {
  let n = 0;
  for (const k in o) n += o[k] ?? 0;
  return n;
}

/** transportOutcome names what a datagram did to a session's transport counters. */
function transportOutcome(
  t: TransportStats,
  before: { rtp: number; rtcp: number; foreign: number; pt: number; rtcpPackets: number },
  rtpCodes: Partial<Record<RtpParseErrorCode, number>>,
  rtcpCodes: Partial<Record<RtcpParseErrorCode, number>>,
): string | undefined {
  if (sumOf(t.malformedRtp) > before.rtp) return `rejected:${risen(rtpCodes, t.malformedRtp)}`;
  if (t.foreignSource > before.foreign) return "dropped:foreign-source";
  if (t.wrongPayloadType > before.pt) return "dropped:wrong-payload-type";
  if (sumOf(t.malformedRtcp) > before.rtcp) {
    const code = risen(rtcpCodes, t.malformedRtcp);
    return `${t.rtcpPackets > before.rtcpPackets ? "partial" : "rejected"}:${code}`;
  }
  return undefined;
}

/**
 * sessionTarget: a live session on 127.0.0.1 receiving mutated RTP (from the latched source,
 * 5 % from a foreign port) on its RTP socket and mutated RTCP on its RTCP socket (1 input in 4).
 */
function sessionTarget(kind: "video" | "audio"): FuzzTarget {
  const corpus = kind === "video" ? h264Corpus() : pcmuCorpus();
  const payloadType = kind === "video" ? 96 : 0;
  const mutateRtp = rtpMutator({ corpus, payloadType, ssrc: STREAM_SSRC });
  const localSsrc = 0x5eed0003;
  const mutateRtcp = rtcpMutator({ mediaSsrcs: [localSsrc, STREAM_SSRC], senderSsrc: STREAM_SSRC });
  let session: VideoRtpSession | AudioRtpSession | undefined;
  let pair: SessionPair | undefined;
  let sinks: Socket[] = [];
  let frames = 0;
  let closedReason: string | undefined;
  let opening: Promise<void> | undefined;
  // in every 20 inputs: 5 RTCP (positions 3, 7, 11, 15, 19), 1 foreign RTP (1), 14 RTP of the
  // stream, numbered by `streamIndex` so that its sequence numbers run without gaps
  const kindOf = (index: number) =>
    index % 4 === 3 ? "rtcp" : index % 20 === 1 ? "foreign" : "rtp";
  const streamIndex = (index: number): number => {
    let n = Math.floor(index / 20) * 14;
    for (let k = 0; k < index % 20; k++) if (kindOf(k) === "rtp") n++;
    return n;
  };
  const open = async (): Promise<void> => {
    sinks = [await bindSink(), await bindSink()];
    const sinkPort = (s: Socket) => s.address().port;
    const s =
      kind === "video"
        ? await VideoRtpSession.open({
            localAddr: ["127.0.0.1", 0],
            ssrc: localSsrc,
            rtcpIntervalMs: 200,
            rtcpRemoteAddr: ["127.0.0.1", sinkPort(sinks[1]!)],
          })
        : await AudioRtpSession.open({
            localAddr: ["127.0.0.1", 0],
            ssrc: localSsrc,
            rtcpIntervalMs: 200,
            rtcpRemoteAddr: ["127.0.0.1", sinkPort(sinks[1]!)],
          });
    const count = (): void => {
      frames++;
    };
    if (s instanceof VideoRtpSession) s.frames$.subscribe(count);
    else s.frames$.subscribe(count);
    s.closed$.subscribe((reason) => {
      closedReason = reason;
    });
    // the session's UDP pair is private; its sockets are EventEmitters the session listens on
    pair = (s as unknown as { pair: SessionPair }).pair;
    session = s;
  };
  return {
    name: `${kind}-session`,
    settleEvery: 200,
    input(seed, index) {
      const k = kindOf(index);
      if (k === "rtcp") return mutateRtcp(seed, index).bytes;
      return mutateRtp(seed, k === "foreign" ? index : streamIndex(index)).bytes;
    },
    async run(input, index) {
      if (session === undefined) {
        opening ??= open();
        await opening;
      }
      const s = session!;
      const p = pair!;
      const t = s.transport;
      const before = {
        rtp: sumOf(t.malformedRtp),
        rtcp: sumOf(t.malformedRtcp),
        foreign: t.foreignSource,
        pt: t.wrongPayloadType,
        rtcpPackets: t.rtcpPackets,
      };
      const rtpCodes = { ...t.malformedRtp };
      const rtcpCodes = { ...t.malformedRtcp };
      const drops = s instanceof VideoRtpSession ? { ...s.depacketizerDrops } : {};
      const framesBefore = frames;
      const k = kindOf(index);
      const legitRtp = sinks[0]!.address().port;
      const legitRtcp = sinks[1]!.address().port;
      const msg = Buffer.from(input.buffer, input.byteOffset, input.length);
      if (k === "rtcp") {
        if (p.rtcp === undefined) throw new TypeError("session without an RTCP socket");
        p.rtcp.emit("message", msg, rinfo(legitRtcp, msg.length));
      } else {
        p.rtp.emit("message", msg, rinfo(k === "foreign" ? 9 : legitRtp, msg.length));
      }
      const outcome = transportOutcome(t, before, rtpCodes, rtcpCodes);
      if (outcome !== undefined) return outcome;
      if (k === "rtcp") return "accepted:rtcp";
      if (frames > framesBefore) return "accepted:frame";
      if (s instanceof VideoRtpSession) {
        const reason = risen(drops, s.depacketizerDrops);
        if (reason !== undefined) return `dropped:${reason}`;
      }
      return "accepted:rtp";
    },
    settle: () => new Promise((resolve) => setImmediate(resolve)),
    check() {
      const out: string[] = [];
      if (closedReason !== undefined) out.push(`session closed: ${closedReason}`);
      if (frames === 0) out.push("no frame was ever delivered");
      const t = session?.transport;
      if (t !== undefined && t.sendErrors > 0) out.push(`${t.sendErrors} send errors`);
      return out;
    },
    async close() {
      session?.close();
      for (const s of sinks) s.close();
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

/** TARGETS makes each target by name (a fresh one per run). */
export const TARGETS: Readonly<Record<string, () => FuzzTarget>> = {
  "rtp-h264": () => assemblerTarget("rtp-h264", h264Corpus(), () => new H264Depacketizer()),
  "rtp-vp8": () => assemblerTarget("rtp-vp8", vp8Corpus(), () => new Vp8Depacketizer()),
  "rtp-vp9": () => assemblerTarget("rtp-vp9", vp9Corpus(), () => new Vp9Depacketizer()),
  rtcp: rtcpTarget,
  "video-session": () => sessionTarget("video"),
  "audio-session": () => sessionTarget("audio"),
};
