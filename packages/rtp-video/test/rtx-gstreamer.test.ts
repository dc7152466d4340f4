/**
 * RTX (RFC 4588) against a real peer, over UDP on 127.0.0.1 in real time.
 *
 * GStreamer 1.22 sends H.264 (videotestsrc → x264enc → rtph264pay pt 96) through `rtprtxsend`
 * (payload-type-map 96 → 97, its own random RTX SSRC) and a standalone `rtpsession` (AVPF),
 * which turns the NACKs we send into retransmission requests for rtprtxsend and the PLIs into
 * keyframe requests for x264enc. Its RTP goes through an ImpairProxy to a VideoRtpSession; our
 * RTCP comes back through the proxy to the rtpsession's RTCP port (`reverseRtcpTo`).
 *
 *  1. 10 % loss (seeded): the same pipeline twice in one test, the session with RTX
 *     (`rtxPayloadType: 97`) and without it (the RTX packets are then dropped as a wrong payload
 *     type: what happened before). With RTX `recovered` > 0 and fewer frames are frozen (sent but
 *     not emitted) and fewer undecodable (FFmpeg errors decoding what the session emitted).
 *  2. 80 ms of reordering jitter (netem-style independent delays), no loss: 0 NACKs. The same
 *     without the reorder window (`nackReorderFactor: 0`) shows what the old policy sent.
 *
 *  3. the other way: a VideoRtpSession with RTX sends fixtures/test.h264 through 10 % loss to a
 *     GStreamer receiver (rtpsession → rtprtxreceive → rtpjitterbuffer do-retransmission=true →
 *     rtph264depay), whose NACKs we answer on our RTX stream; FFmpeg decodes what GStreamer
 *     wrote. Against the same receiver with do-retransmission=false (no NACKs).
 *
 * The figures are printed (`[rtx-gstreamer]` lines).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { h264AccessUnits } from "@framewire/test-support";
import { fixture } from "@framewire/test-support/fixtures";
import {
  type Child,
  ffmpegDecodeFile,
  freeUdpPorts,
  itWithPeers,
  killAtCleanup,
  runCleanups,
  sleep,
  startChild,
  tempDir,
} from "@framewire/test-support/peers";
import { afterEach, describe, expect } from "vitest";
import {
  joinAnnexB,
  splitAnnexB,
  VideoRtpSession,
  type VideoSessionOptions,
  type VideoSessionStats,
} from "../src/index.js";
import { type ImpairCounts, type Impairment, ImpairProxy } from "./impair-proxy.js";

const FPS = 30;
const SECONDS = 6;
const FRAMES = FPS * SECONDS;
const MEDIA_PT = 96;
const RTX_PT = 97;

afterEach(async () => {
  await runCleanups();
});

interface RunResult {
  readonly stats: VideoSessionStats;
  readonly transport: VideoRtpSession["transport"];
  readonly proxy: ImpairCounts;
  /** framesEmitted by the session. */
  readonly framesEmitted: number;
  /** rtxIn: RTX datagrams (PT 97) the proxy received from GStreamer. */
  readonly rtxIn: number;
  /** decoded: FFmpeg's pictures and errors decoding what the session emitted. */
  readonly decoded: { frames: number; errors: number };
  readonly gstLog: string;
}

/** gstArgs is the sending pipeline: with `rtx`, rtprtxsend before the rtpsession. */
function gstArgs(rtpPort: number, rtcpPort: number, rtcpInPort: number, rtx: boolean): string[] {
  return [
    ...["rtpsession", "name=s", "rtp-profile=avpf"],
    ...["videotestsrc", "is-live=true", "pattern=zone-plate", "kt=2", "kx2=20", "ky2=20"],
    `num-buffers=${FRAMES}`,
    "!",
    `video/x-raw,format=I420,width=640,height=360,framerate=${FPS}/1`,
    ...["!", "x264enc", "tune=zerolatency", "speed-preset=veryfast", "bitrate=1000"],
    `key-int-max=${FPS * 3}`,
    ...["!", "video/x-h264,profile=constrained-baseline"],
    ...["!", "rtph264pay", `pt=${MEDIA_PT}`, "mtu=1200", "config-interval=-1"],
    ...(rtx
      ? [
          "!",
          "rtprtxsend",
          `payload-type-map=application/x-rtp-pt-map,${MEDIA_PT}=(uint)${RTX_PT}`,
          "max-size-time=1000",
          "max-size-packets=0",
        ]
      : []),
    ...["!", "s.send_rtp_sink", "s.send_rtp_src", "!"],
    ...["udpsink", "host=127.0.0.1", `port=${rtpPort}`, "sync=true"],
    ...["s.send_rtcp_src", "!", "udpsink", "host=127.0.0.1", `port=${rtcpPort}`],
    ...["sync=false", "async=false"],
    ...["udpsrc", "address=127.0.0.1", `port=${rtcpInPort}`, "!", "application/x-rtcp"],
    ...["!", "s.recv_rtcp_sink"],
  ];
}

async function run(
  label: string,
  rtx: boolean,
  session: VideoSessionOptions,
  impairment: Partial<Impairment>,
  jitterReorders: boolean,
): Promise<RunResult> {
  const dir = tempDir("rtx-gst-");
  const b = await VideoRtpSession.open({
    localAddr: ["127.0.0.1", 0],
    rtcpIntervalMs: 500,
    ...session,
  });
  const frames: Uint8Array[] = [];
  b.frames$.subscribe((f) => frames.push(f.data.slice()));
  const rtcpIn = await freeUdpPorts(1);
  let rtxIn = 0;
  const proxy = await ImpairProxy.open({
    target: ["127.0.0.1", b.localPort],
    seed: 0x4588,
    impairment,
    jitterReorders,
    reverseRtcpTo: ["127.0.0.1", rtcpIn],
    tap: (e) => {
      if (e.leg === "rtp" && e.direction === "forward" && (e.data[1]! & 0x7f) === RTX_PT) rtxIn++;
    },
  });
  // the proxy is the remote: its RTP is accepted at once (reordered packets would keep a
  // learned source on probation, which wants packets in sequence), our RTCP goes to it
  b.setRemoteAddr(["127.0.0.1", proxy.bPort]);
  let gst: Child | undefined;
  try {
    gst = killAtCleanup(
      startChild("gst-launch-1.0", gstArgs(proxy.aPort, proxy.aPort + 1, rtcpIn, rtx), {
        timeoutMs: (SECONDS + 30) * 1000,
        env: { GST_DEBUG: "*:2", GST_DEBUG_NO_COLOR: "1" },
      }),
    );
    const done = await gst.done;
    // what is still in the proxy's queues and the session's jitter buffer
    await new Promise((r) => setTimeout(r, 800));
    const file = join(dir, `${label}.h264`);
    writeFileSync(file, joinFrames(frames));
    const decoded = await ffmpegDecodeFile(file);
    const result: RunResult = {
      stats: b.stats(),
      transport: { ...b.transport },
      proxy: { ...proxy.counts },
      framesEmitted: frames.length,
      rtxIn,
      decoded: { frames: decoded.frames, errors: decoded.errors },
      gstLog: `${done.stdout}${done.stderr}`,
    };
    const s = result.stats;
    console.log(
      `[rtx-gstreamer] ${label}: sent ${FRAMES} frames, emitted ${frames.length}, ` +
        `decoded ${decoded.frames} (${decoded.errors} FFmpeg errors); proxy in ${proxy.counts.rtpIn} ` +
        `dropped ${proxy.counts.dropped} rtxIn ${rtxIn}; lost ${s.lost} recovered ${s.recovered} ` +
        `nacksSent ${s.nacksSent} retransmissions received ${s.retransmissionsReceived} useful ` +
        `${s.retransmissionsUseful} duplicate ${s.duplicateRetransmissions} late ` +
        `${s.lateRetransmissions} rtxUnassociated ${s.rtxUnassociated} wrongPayloadType ` +
        `${result.transport.wrongPayloadType} framesDropped ${s.framesDropped} keyframeRequests ` +
        `${s.keyframeRequestsSent} reorderWindowMs ${s.reorderWindowMs.toFixed(1)}`,
    );
    return result;
  } finally {
    gst?.kill();
    b.close();
    await proxy.close();
  }
}

/** joinFrames concatenates Annex-B access units into one elementary stream. */
function joinFrames(frames: readonly Uint8Array[]): Uint8Array {
  const total = frames.reduce((n, f) => n + f.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const f of frames) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

const withGst = itWithPeers(["gst-launch-1.0", "ffmpeg"]);

describe("RTX with GStreamer rtprtxsend (real peer, real time)", () => {
  withGst(
    "10 % loss: with RTX, recovered > 0 and fewer frozen and undecodable frames than without (same seed)",
    async () => {
      const loss = { loss: 0.1 };
      const withRtx = await run("loss-rtx", true, { rtxPayloadType: RTX_PT }, loss, false);
      const without = await run("loss-no-rtx", true, {}, loss, false);
      expect(withRtx.rtxIn).toBeGreaterThan(0);
      expect(withRtx.transport.wrongPayloadType).toBe(0);
      expect(withRtx.stats.recovered).toBeGreaterThan(0);
      expect(withRtx.stats.retransmissionsUseful).toBeGreaterThan(0);
      expect(without.stats.retransmissionsUseful).toBe(0);
      expect(without.transport.wrongPayloadType).toBeGreaterThan(0);
      const frozen = (r: RunResult) => FRAMES - r.framesEmitted;
      expect(frozen(withRtx)).toBeLessThan(frozen(without));
      expect(withRtx.decoded.frames).toBeGreaterThan(without.decoded.frames);
      expect(withRtx.decoded.errors).toBeLessThanOrEqual(without.decoded.errors);
    },
    120_000,
  );

  withGst(
    "80 ms of reordering jitter, no loss: 0 NACKs (and what the policy without a reorder window sends)",
    async () => {
      const jitter = { jitterMs: 80 };
      const r = await run("jitter-rtx", true, { rtxPayloadType: RTX_PT }, jitter, true);
      const old = await run(
        "jitter-no-window",
        true,
        { rtxPayloadType: RTX_PT, nackReorderFactor: 0 },
        jitter,
        true,
      );
      expect(r.proxy.dropped).toBe(0);
      expect(r.stats.nacksSent).toBe(0);
      expect(r.stats.lost).toBe(0);
      expect(r.rtxIn).toBe(0);
      expect(r.stats.recovered).toBeGreaterThan(0); // packets were late and arrived after all
      expect(old.stats.nacksSent).toBeGreaterThan(0);
    },
    120_000,
  );
});

const OUR_SSRC = 0x11223344;
const fixtureAus = h264AccessUnits(readFileSync(fixture("test.h264")), { splitAnnexB, joinAnnexB });

/** gstReceiverArgs: RTP on `port`, RTCP in on port + 1, RTCP out to `rtcpOut`. */
function gstReceiverArgs(
  port: number,
  rtcpOut: number,
  out: string,
  retransmit: boolean,
): string[] {
  return [
    ...["rtpsession", "name=s", "rtp-profile=avpf"],
    ...["udpsrc", "address=127.0.0.1", `port=${port}`],
    `caps=application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=${MEDIA_PT}`,
    ...["!", "s.recv_rtp_sink", "s.recv_rtp_src", "!", "rtprtxreceive"],
    `payload-type-map=application/x-rtp-pt-map,${MEDIA_PT}=(uint)${RTX_PT}`,
    // as in rtpbin: the RTX receiver before the SSRC demuxer, which puts the SSRC into the
    // jitterbuffer's retransmission requests (rtpsession turns them into NACKs for it)
    ...[
      "!",
      "rtpssrcdemux",
      "name=d",
      `d.src_${OUR_SSRC}`,
      "!",
      "rtpjitterbuffer",
      `do-retransmission=${retransmit}`,
      "latency=300",
    ],
    ...["!", "rtph264depay", "!", "h264parse", "!", "video/x-h264,stream-format=byte-stream"],
    ...["!", "filesink", `location=${out}`],
    ...["udpsrc", "address=127.0.0.1", `port=${port + 1}`, "!", "application/x-rtcp"],
    ...["!", "s.recv_rtcp_sink"],
    ...["s.send_rtcp_src", "!", "udpsink", "host=127.0.0.1", `port=${rtcpOut}`],
    ...["sync=false", "async=false"],
  ];
}

interface ToGstResult {
  readonly sent: VideoSessionStats["sent"];
  readonly proxy: ImpairCounts;
  readonly decoded: { frames: number; errors: number };
  readonly nacksFromGst: number;
}

async function sendToGst(label: string, retransmit: boolean): Promise<ToGstResult> {
  const dir = tempDir("rtx-gst-recv-");
  const out = join(dir, `${label}.h264`);
  const port = await freeUdpPorts(2);
  let nacksFromGst = 0;
  const proxy = await ImpairProxy.open({
    target: ["127.0.0.1", port],
    seed: 0x4588,
    impairment: { loss: 0.1 },
    tap: (e) => {
      if (e.leg === "rtcp" && e.direction === "reverse") {
        // RTPFB (205) FMT 1: a generic NACK somewhere in the compound
        for (let i = 0; i + 4 <= e.data.length; ) {
          if (e.data[i + 1] === 205 && (e.data[i]! & 0x1f) === 1) nacksFromGst++;
          i += 4 * (((e.data[i + 2]! << 8) | e.data[i + 3]!) + 1);
        }
      }
    },
  });
  const a = await VideoRtpSession.open({
    localAddr: ["127.0.0.1", 0],
    remoteAddr: ["127.0.0.1", proxy.aPort],
    rtcpIntervalMs: 500,
    ssrc: OUR_SSRC,
    rtxPayloadType: RTX_PT,
  });
  let gst: Child | undefined;
  try {
    gst = killAtCleanup(
      startChild(
        "gst-launch-1.0",
        ["-e", ...gstReceiverArgs(port, proxy.bPort + 1, out, retransmit)],
        {
          timeoutMs: 60_000,
          env: { GST_DEBUG: process.env.RTX_GST_DEBUG ?? "*:2", GST_DEBUG_NO_COLOR: "1" },
        },
      ),
    );
    await sleep(1500); // gst-launch up and listening
    const t0 = performance.now();
    const n = fixtureAus.units.length;
    for (let i = 0; i < n; i++) {
      await sleep(t0 + (i * 1000) / FPS - performance.now());
      a.sendFrame({
        data: fixtureAus.units[i]!,
        keyframe: fixtureAus.idr[i]!,
        timestampMs: (i * 1000) / FPS,
      });
    }
    await sleep(1000);
    gst.kill("SIGINT"); // -e: EOS, the file is finished
    const fin = await gst.done;
    // RTX_GST_DEBUG=<GST_DEBUG spec>: GStreamer's log is kept beside its output
    if (process.env.RTX_GST_DEBUG)
      writeFileSync(join(dir, `${label}.log`), fin.stdout + fin.stderr);
    const decoded = await ffmpegDecodeFile(out);
    const result: ToGstResult = {
      sent: a.stats().sent,
      proxy: { ...proxy.counts },
      decoded: { frames: decoded.frames, errors: decoded.errors },
      nacksFromGst,
    };
    console.log(
      `[rtx-gstreamer] ${label}: sent ${n} frames in ${result.sent.packets} packets, proxy dropped ` +
        `${proxy.counts.dropped}; GStreamer NACK messages ${nacksFromGst}; we retransmitted ` +
        `${result.sent.retransmitted} (RTX ${result.sent.rtxPackets}, misses ${result.sent.retransmitMisses}); ` +
        `rtcpReverse ${proxy.counts.rtcpReverse} FFmpeg decoded ${decoded.frames} pictures of GStreamer's output, ${decoded.errors} errors`,
    );
    return result;
  } finally {
    gst?.kill();
    a.close();
    await proxy.close();
  }
}

describe("our RTX to GStreamer rtprtxreceive (real peer, real time)", () => {
  withGst(
    "10 % loss: GStreamer NACKs, we answer on our RTX stream, and its output decodes better than without retransmission",
    async () => {
      const rtx = await sendToGst("to-gst-rtx", true);
      const none = await sendToGst("to-gst-no-retransmission", false);
      expect(rtx.nacksFromGst).toBeGreaterThan(0);
      expect(rtx.sent.rtxPackets).toBeGreaterThan(0);
      expect(rtx.sent.rtxPackets).toBe(rtx.sent.retransmitted);
      expect(none.sent.retransmitted).toBe(0);
      expect(rtx.decoded.frames).toBeGreaterThan(none.decoded.frames);
      expect(rtx.decoded.errors).toBeLessThanOrEqual(none.decoded.errors);
    },
    120_000,
  );
});
