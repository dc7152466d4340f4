/**
 * SipVideoBackend against baresip 1.0 (libavcodec H.264, libvpx VP8) with the shared scripts,
 * over UDP on 127.0.0.1:
 *  1. baresip-call.sh calls the backend (H.264 preferred): the video arrives as frames that
 *     FFmpeg decodes with 0 errors; the backend echoes each frame back with sendVideoSync and
 *     the script's tshark report shows baresip received that video RTP;
 *  2. the same with supportedVideoCodecs ["VP8"]: VP8 frames → IVF → FFmpeg, 0 errors, echoed;
 *  3. the backend calls baresip-answer.sh (`call(uri, {video: true})`): established,
 *     fixtures/test.h264 paced from us (counted on the wire by the script's report), baresip's
 *     video to us as frames, our BYE, every port back.
 * Skipped locally without baresip/tshark/ffmpeg, failing under CI=true (itWithPeers).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MediaSession, VideoFrame } from "@framewire/rtp-video";
import { ivfBytes, vp8Size } from "@framewire/test-support";
import {
  type BaresipReport,
  type FileDecode,
  ffmpegDecodeFile,
  freeUdpPorts,
  HOST,
  itWithPeers,
  killAtCleanup,
  onCleanup,
  parseBaresipReport,
  type RtpStats,
  report,
  rtpStats,
  runCleanups,
  sleep,
  startScript,
  tempDir,
  waitUntil,
  watchCounter,
  withRtpCountsFromPortRange,
} from "@framewire/test-support/peers";
import { afterEach, describe, expect } from "vitest";
import type { VideoCodecName } from "../src/sdp/sdp-types.js";
import type { SipCallMetadata, SipVideoBackend } from "../src/sip-video-backend.js";
import { startBackend } from "./backend-under-test.js";
import { callWithH264, sendTestVideo } from "./outgoing-video-call.js";

/** codecLines are baresip's own "Set audio/video encoder/decoder" lines of a report. */
const codecLines = (r: BaresipReport): string =>
  r.lines.filter((l) => /Set (audio|video) (encoder|decoder)/.test(l)).join(" | ");

const baresipTest = itWithPeers(["baresip", "tshark", "ffmpeg"]);

afterEach(async () => {
  await runCleanups();
});

/** echo sends every received frame of a session back to it (sendVideoSync), counting packets. */
function echo(backend: SipVideoBackend): { packets: () => number; frames: () => number } {
  let packets = 0;
  let frames = 0;
  onCleanup(
    backend.onVideoReceived((session, frame) => {
      if (session.state !== "active") return;
      frames++;
      packets += backend.sendVideoSync(session, {
        data: frame.data,
        keyframe: frame.keyframe,
        timestampMs: frame.timestampMs,
      });
    }),
  );
  return { packets: () => packets, frames: () => frames };
}

interface CallIn {
  readonly session: MediaSession;
  readonly frames: VideoFrame[];
  readonly report: BaresipReport;
  readonly stdout: string;
  readonly code: number | null;
  readonly pcap: string;
  readonly backend: SipVideoBackend;
  readonly echoed: { packets: number; frames: number };
  readonly maxPorts: number;
  /** videoDiag: the video session's counters when it ended (stats, transport, drops). */
  readonly videoDiag: Record<string, unknown>;
}

/** diag reads a video session's counters (for the report when frames go missing). */
function diag(session: MediaSession): { framesDropped?: number; [key: string]: unknown } {
  const v = session.video;
  if (v === undefined) return {};
  const st = v.stats();
  return {
    packets: st.packets,
    frames: st.frames,
    lost: st.lost,
    framesDropped: st.framesDropped,
    keyframeRequestsSent: st.keyframeRequestsSent,
    transport: v.transport,
    drops: Object.fromEntries(Object.entries(v.depacketizerDrops).filter(([, n]) => n > 0)),
  };
}

/** baresipCalls runs baresip-call.sh against a fresh backend for `seconds`. */
async function baresipCalls(
  codecs: readonly VideoCodecName[] | undefined,
  seconds: number,
): Promise<CallIn> {
  const { backend, port } = await startBackend(
    codecs === undefined ? {} : { supportedVideoCodecs: codecs },
    16,
  );
  const sessions: MediaSession[] = [];
  const frames: VideoFrame[] = [];
  let videoDiag: Record<string, unknown> = {};
  onCleanup(backend.onCall((s) => void sessions.push(s)));
  onCleanup(
    backend.onClientDisconnected((s) => {
      videoDiag = diag(s);
    }),
  );
  onCleanup(backend.onVideoReceived((_s, f) => void frames.push(f)));
  const echoed = echo(backend);
  const maxPorts = watchCounter(() => backend.portsInUse, 5);
  const logDir = tempDir();
  const sipPort = await freeUdpPorts(2);
  const rtpBase = await freeUdpPorts(2);
  const r = await killAtCleanup(
    startScript("baresip-call.sh", [`sip:room1@${HOST}:${port}`, String(seconds)], {
      env: {
        SIP_PORT: String(sipPort),
        LOGDIR: logDir,
        RTP_PORTS: `${rtpBase}-${rtpBase + 99}`,
      },
      timeoutMs: (seconds + 45) * 1000,
    }),
  ).done;
  await waitUntil(() => backend.sessionCount === 0 && backend.portsInUse === 0, 5_000);
  maxPorts.stop();
  const session = sessions[0];
  expect(session, r.stdout + r.stderr).toBeDefined();
  return {
    session: session!,
    frames,
    report: withRtpCountsFromPortRange(
      parseBaresipReport(r.stdout),
      r.stdout,
      rtpBase,
      rtpBase + 99,
    ),
    stdout: r.stdout + r.stderr,
    code: r.code,
    pcap: join(logDir, "capture.pcap"),
    backend,
    echoed: { packets: echoed.packets(), frames: echoed.frames() },
    maxPorts: maxPorts.max(),
    videoDiag,
  };
}

/** callInFigures are the figures reported for a baresip-call.sh run (`size` of the first frame). */
function callInFigures(
  call: CallIn,
  wire: RtpStats,
  decoded: FileDecode,
  size: { readonly width?: number | undefined; readonly height?: number | undefined },
): Record<string, unknown> {
  const frames = call.frames;
  return {
    established: call.report.established,
    payloadType: call.session.video?.payloadType ?? -1,
    markersOnWire: wire.markers,
    packetsOnWire: wire.packets,
    seqGaps: wire.seq_gaps,
    framesReceived: frames.length,
    keyframes: frames.filter((f) => f.keyframe).length,
    size: `${size.width}x${size.height}`,
    decodedFrames: decoded.frames,
    decodeErrors: decoded.errors,
    echoedFrames: call.echoed.frames,
    echoedPackets: call.echoed.packets,
    baresipVideoRecv: call.report.videoRecv,
    baresipVideoSent: call.report.videoSent,
    baresipRecvPts: call.report.recvPayloadTypes,
    baresipAudioRecv: call.report.audioRecv,
    codecLines: codecLines(call.report),
    maxPortsInUse: call.maxPorts,
    videoSession: call.videoDiag,
    portsAfter: call.backend.portsInUse,
    sessionsAfter: call.backend.sessionCount,
  };
}

describe("baresip calls the backend (baresip-call.sh)", () => {
  baresipTest(
    "H.264: frames decode with 0 errors; echoed back, baresip receives video RTP",
    async () => {
      const call = await baresipCalls(undefined, 8);
      const { session, frames } = call;
      const meta = session.metadata as SipCallMetadata;
      const pt = session.video?.payloadType ?? -1;
      const ourVideoPort = session.video?.localPort ?? 0;
      const wire = await rtpStats(call.pcap, ourVideoPort, pt);
      const file = join(tempDir(), "from-baresip.h264");
      writeFileSync(file, Buffer.concat(frames.map((f) => f.data)));
      const decoded = await ffmpegDecodeFile(file);
      report(
        "baresip-call.sh H.264 → backend",
        callInFigures(call, wire, decoded, frames[0] ?? {}),
      );
      expect(call.code, call.stdout).toBe(0);
      expect(call.report.established).toBe(true);
      expect(meta).toMatchObject({ hasVideo: true, videoCodec: "h264", direction: "incoming" });
      expect(meta.caller).toMatch(/^sip:caller@127\.0\.0\.1/);
      // every frame baresip put on the wire came out of the backend, and decodes cleanly
      expect(wire.seq_gaps).toBe(0);
      expect(frames.length).toBeGreaterThan(100);
      expect(frames.length).toBeGreaterThanOrEqual(wire.markers - 2);
      expect(frames.length).toBeLessThanOrEqual(wire.markers);
      expect(frames[0]?.keyframe).toBe(true);
      expect(frames.every((f) => f.codec === "h264")).toBe(true);
      expect(decoded.errors, decoded.log).toBe(0);
      expect(decoded.frames).toBe(frames.length);
      // the echo reached baresip's video port (tshark count in the script's report)
      expect(call.echoed.packets).toBeGreaterThan(0);
      expect(call.report.videoRecv).toBeGreaterThanOrEqual(Math.floor(call.echoed.packets * 0.95));
      expect(call.report.videoRecv).toBeLessThanOrEqual(call.echoed.packets);
      expect(call.report.recvPayloadTypes).toContain(String(pt));
      // teardown
      expect(call.maxPorts).toBe(2);
      expect(call.backend.portsInUse).toBe(0);
      expect(call.backend.sessionCount).toBe(0);
    },
    90_000,
  );

  baresipTest(
    "VP8 (supportedVideoCodecs [VP8]): frames → IVF decode with 0 errors; echoed back",
    async () => {
      const call = await baresipCalls(["VP8"], 8);
      const { session, frames } = call;
      const meta = session.metadata as SipCallMetadata;
      const pt = session.video?.payloadType ?? -1;
      const ourVideoPort = session.video?.localPort ?? 0;
      const wire = await rtpStats(call.pcap, ourVideoPort, pt, "vp8");
      const size = frames.map((f) => vp8Size(f.data)).find((s) => s !== undefined);
      const file = join(tempDir(), "from-baresip.ivf");
      writeFileSync(
        file,
        ivfBytes(
          "VP80",
          size?.width ?? 0,
          size?.height ?? 0,
          frames.map((f) => ({ data: f.data, ptsMs: f.timestampMs })),
        ),
      );
      const decoded = await ffmpegDecodeFile(file);
      report("baresip-call.sh VP8 → backend", callInFigures(call, wire, decoded, size ?? {}));
      expect(call.code, call.stdout).toBe(0);
      expect(meta).toMatchObject({ hasVideo: true, videoCodec: "vp8" });
      expect(session.videoCodec).toBe("vp8");
      expect(wire.seq_gaps).toBe(0);
      expect(frames.length).toBeGreaterThan(100);
      expect(frames.length).toBeGreaterThanOrEqual(wire.markers - 2);
      expect(frames.length).toBeLessThanOrEqual(wire.markers);
      expect(frames[0]?.keyframe).toBe(true);
      expect(size).toEqual({ width: 640, height: 360 });
      expect(decoded.errors, decoded.log).toBe(0);
      expect(decoded.frames).toBe(frames.length);
      expect(call.report.videoRecv).toBeGreaterThanOrEqual(Math.floor(call.echoed.packets * 0.95));
      expect(call.report.videoRecv).toBeGreaterThan(0);
      expect(call.report.recvPayloadTypes).toContain(String(pt));
      expect(call.backend.portsInUse).toBe(0);
      expect(call.backend.sessionCount).toBe(0);
    },
    90_000,
  );
});

describe("the backend calls baresip (baresip-answer.sh)", () => {
  baresipTest(
    "call(uri, {video: true}): established, test.h264 out (on the wire), baresip video in, our BYE, ports back",
    async () => {
      const { backend } = await startBackend({}, 16);
      const bPort = await freeUdpPorts(2);
      const rtpBase = await freeUdpPorts(2);
      const SECONDS = 14;
      const answer = killAtCleanup(
        startScript("baresip-answer.sh", [String(bPort), String(SECONDS)], {
          env: { LOGDIR: tempDir(), RTP_PORTS: `${rtpBase}-${rtpBase + 99}` },
          timeoutMs: (SECONDS + 90) * 1000, // the script waits for tshark, slow on a loaded machine
        }),
      );
      await sleep(1_500); // baresip loads its modules; Timer A covers the rest
      const frames: VideoFrame[] = [];
      onCleanup(backend.onVideoReceived((_s, f) => void frames.push(f)));
      const { session, setupMs } = await callWithH264(backend, `sip:bridge@${HOST}:${bPort}`);

      const SEND = 150; // 5 s at 30 fps
      const { packets, pacing } = await sendTestVideo(backend, session, SEND);
      await sleep(500);
      const sent = backend.videoStats(session)!.sent;
      const framesBeforeBye = frames.length;
      const videoSession = diag(session);
      backend.disconnect(session);
      const portsAfterBye = backend.portsInUse;
      const r = await answer.done;
      const rep = withRtpCountsFromPortRange(
        parseBaresipReport(r.stdout),
        r.stdout,
        rtpBase,
        rtpBase + 99,
      );
      const file = join(tempDir(), "from-baresip-answer.h264");
      writeFileSync(file, Buffer.concat(frames.map((f) => f.data)));
      const decoded = await ffmpegDecodeFile(file);
      report("backend → baresip-answer.sh", {
        setupMs,
        framesSent: sent.frames,
        packetsSent: packets,
        pacingMs: pacing.durationMs,
        baresipVideoRecv: rep.videoRecv,
        baresipVideoSent: rep.videoSent,
        baresipRecvPts: rep.recvPayloadTypes,
        framesFromBaresip: framesBeforeBye,
        decodedFrames: decoded.frames,
        decodeErrors: decoded.errors,
        codecLines: codecLines(rep),
        portsAfterBye,
        videoSession,
        exit: r.code,
      });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(rep.established).toBe(true);
      expect(r.stdout).toMatch(/terminated|session closed/i);
      expect(sent.frames).toBe(SEND);
      // every packet we sent was seen arriving at baresip's video port
      expect(rep.videoRecv).toBe(packets);
      expect(rep.recvPayloadTypes).toContain(String(session.video?.payloadType));
      // from baresip's first frame on (it sends right after its 200 OK): nothing dropped
      expect(frames.length).toBeGreaterThan(60);
      expect(frames[0]?.keyframe).toBe(true);
      expect(videoSession.framesDropped).toBe(0);
      expect(decoded.errors, decoded.log).toBe(0);
      expect(decoded.frames).toBe(frames.length);
      expect(portsAfterBye).toBe(0);
      expect(backend.sessionCount).toBe(0);
      await waitUntil(() => backend.userAgentStats.activeCalls === 0, 3_000);
      expect(backend.userAgentStats.activeCalls).toBe(0);
    },
    150_000,
  );
});
