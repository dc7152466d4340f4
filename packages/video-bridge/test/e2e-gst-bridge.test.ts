/**
 * End to end through a RoomKit with real GStreamer peers on 127.0.0.1: two RtpVideoBackend
 * sessions A and B in one room (VideoChannel, bridge: true). gst-send-h264.sh sends H.264 into A's
 * video port; gst-recv-h264.sh receives and decodes (avdec_h264) what the bridge sends to B.
 *
 *  1. B joined before the sender starts: every frame x264 encoded reaches A and is forwarded to
 *     B, GStreamer decodes as many frames as were sent with 0 errors, and the RTP leaving B (tshark
 *     on lo) has one SSRC, no sequence gap and a monotonic timestamp.
 *  2. B joins while the sender is mid-GOP: B's first frame is A's cached keyframe, sent within
 *     100 ms of `kit.join` (measured to the bridge's `forwarded$` event and to the first RTP
 *     packet captured on lo), and GStreamer decodes from that first frame on with 0 errors: the
 *     pictures GStreamer decoded (its Annex-B output, decoded again by FFmpeg) are those of the
 *     frames the bridge sent, first one included.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type MediaSession, RtpVideoBackend, type VideoFrame } from "@framewire/rtp-video";
import {
  continuity,
  ffmpegDecodeFile,
  freeUdpPorts,
  HOST,
  itWithPeers,
  onCleanup,
  parseGstRecv,
  problemLines,
  readText,
  report,
  rtpPackets,
  rtpStats,
  runCleanups,
  sleep,
  startCapture,
  startScript,
  tempDir,
  waitForText,
  waitUntil,
  x264Frames,
} from "@framewire/test-support/peers";
import { afterEach, describe, expect } from "vitest";
import { VideoChannel } from "../src/channels.js";
import { RoomKit } from "../src/room-kit.js";
import type { RoomSession } from "../src/room-session.js";
import type { ForwardedVideoFrame } from "../src/video-bridge-types.js";

const FPS = 30;
const ROOM = "room-gst";
const gstTest = itWithPeers(["gst-launch-1.0", "timeout", "tshark", "ffmpeg"]);

afterEach(async () => {
  await runCleanups();
});

interface Stamped {
  /** at: performance.now() when the bridge emitted it. */
  readonly at: number;
  readonly f: ForwardedVideoFrame<RoomSession>;
}

/** room makes a RoomKit with one VideoChannel over an RtpVideoBackend bound on 127.0.0.1. */
function room() {
  const backend = new RtpVideoBackend({ videoLocalAddr: [HOST, 0], localAddr: [HOST, 0] });
  const kit = new RoomKit();
  kit.registerChannel(new VideoChannel("video", { backend, bridge: true }));
  onCleanup(() => {
    kit.close();
    backend.close();
  });
  const bridge = kit.videoBridge("video")!;
  const forwarded: Stamped[] = [];
  const sub = bridge.forwarded$.subscribe((f) => forwarded.push({ at: performance.now(), f }));
  onCleanup(() => sub.unsubscribe());
  const received = new Map<string, VideoFrame[]>();
  onCleanup(
    backend.onVideoReceived((s, f) => {
      const list = received.get(s.id);
      if (list === undefined) received.set(s.id, [f]);
      else list.push(f);
    }),
  );
  const join = async (participantId: string, videoRemotePort: number) =>
    kit.join(ROOM, "video", {
      participantId,
      metadata: { videoRemoteAddr: [HOST, videoRemotePort] },
    });
  const framesOf = (s: RoomSession) => received.get(s.id) ?? [];
  const sentTo = (s: RoomSession) => forwarded.filter((x) => x.f.target.id === s.id);
  return { backend, kit, bridge, forwarded, join, framesOf, sentTo };
}

/**
 * startReceiver starts gst-recv-h264.sh on a fresh port for `seconds` (writing its Annex-B output
 * to `out`), plus a tshark capture of the datagrams to that port, and waits until GStreamer plays.
 */
async function startReceiver(dir: string, seconds: number) {
  const port = await freeUdpPorts(2);
  const out = join(dir, "b-out.h264");
  const capture = await startCapture(join(dir, "to-b.pcap"), `udp dst port ${port}`, seconds + 10);
  const t0 = Date.now();
  const proc = startScript("gst-recv-h264.sh", [String(port), String(seconds), out], {
    timeoutMs: (seconds + 20) * 1000,
  });
  const playing = await waitForText(`${out}.log`, "Setting pipeline to PLAYING", 10_000);
  expect(playing, `gst-recv-h264.sh did not start:\n${readText(`${out}.log`)}`).toBe(true);
  await sleep(Math.max(300, 1_500 - (Date.now() - t0)));
  return { port, out, capture, proc };
}

describe("RoomKit + VideoChannel: gst-send-h264 → A → bridge → B → gst-recv-h264", () => {
  gstTest(
    "B joined first: frames decoded = frames sent, 0 decode errors, continuous RTP out of B",
    async () => {
      const SECONDS = 5;
      const dir = tempDir();
      const r = room();
      const rx = await startReceiver(dir, SECONDS + 5);
      const unused = await freeUdpPorts(2);
      const a = await r.join("a", unused); // latches onto the sender once its RTP arrives
      const b = await r.join("b", rx.port);

      const send = await startScript(
        "gst-send-h264.sh",
        [String(a.video!.localPort), String(SECONDS), "640x360", join(dir, "send.sdp")],
        { timeoutMs: 40_000, env: { GST_DEBUG: "x264enc:4", GST_DEBUG_NO_COLOR: "1" } },
      ).done;
      expect(send.code, send.stderr).toBe(0);
      const encoded = x264Frames(send.stderr);
      expect(encoded, `no x264 summary:\n${send.stderr}`).toBeDefined();
      const sentBySender = encoded!.i + encoded!.p;
      await waitUntil(() => r.sentTo(b).length >= sentBySender, 3_000);
      await sleep(300);
      const recv = await rx.proc.done;
      await rx.capture.stop();

      const gst = parseGstRecv(recv.stdout);
      const toB = r.sentTo(b);
      const wire = await rtpStats(rx.capture.file, rx.port, 96);
      const packets = await rtpPackets(rx.capture.file, rx.port);
      const cont = continuity(packets);
      const stats = r.bridge.stats();
      const sentStats = b.video!.stats().sent;
      report("gst → A → bridge → B → gst (B first)", {
        x264: `I:${encoded!.i}+P:${encoded!.p}`,
        framesIntoA: r.framesOf(a).length,
        framesForwardedToB: toB.length,
        keyframesToB: toB.filter((x) => x.f.frame.keyframe).length,
        bSent: sentStats,
        wire,
        gstFramesDecoded: gst.framesDecoded,
        gstWarnings: gst.warnings,
        gstErrors: gst.errors,
        decodedVsSent: `${gst.framesDecoded}/${sentBySender}`,
        rtpBackwardSteps: cont.backwardSteps,
        maxFrameGapMs: cont.maxFrameGapMs,
        bridge: {
          framesIn: stats.framesIn,
          framesSent: stats.framesSent,
          droppedGated: stats.droppedGated,
          keyframeRequests: stats.keyframeRequests,
        },
      });
      const log = readText(`${rx.out}.log`);
      expect(sentBySender).toBe(SECONDS * FPS);
      expect(r.framesOf(a).length).toBe(sentBySender);
      expect(toB.length).toBe(sentBySender);
      expect(toB.every((x) => x.f.source.id === a.id && !x.f.cached)).toBe(true);
      expect(toB[0]!.f.frame.keyframe).toBe(true);
      expect(sentStats.frames).toBe(sentBySender);
      expect(wire.packets).toBe(sentStats.packets);
      expect(wire.markers).toBe(sentBySender);
      expect(wire.seq_gaps).toBe(0);
      expect(cont).toMatchObject({ ssrcs: 1, seqGaps: 0, backwardSteps: 0, sameTsAcrossFrames: 0 });
      expect(gst.errors, problemLines(log).join("\n")).toBe(0);
      expect(gst.framesDecoded).toBe(sentBySender);
      expect(recv.code).toBe(0);
    },
    90_000,
  );

  gstTest(
    "B joins mid-stream: cached keyframe within 100 ms of kit.join, decoded from the first frame, 0 errors",
    async () => {
      const SECONDS = 6;
      const dir = tempDir();
      const r = room();
      const rx = await startReceiver(dir, SECONDS + 4);
      const unused = await freeUdpPorts(2);
      const a = await r.join("a", unused);
      const sender = startScript(
        "gst-send-h264.sh",
        [String(a.video!.localPort), String(SECONDS), "640x360", join(dir, "send.sdp")],
        { timeoutMs: 40_000, env: { GST_DEBUG: "x264enc:4", GST_DEBUG_NO_COLOR: "1" } },
      );
      // join mid-GOP: past the second keyframe (frame 30) and 15 deltas after it, so the cached
      // keyframe is not the newest frame (the gate then waits for the next live keyframe)
      const midGop = await waitUntil(() => r.framesOf(a).length >= 45, 10_000, 2);
      expect(midGop, "A received too few frames").toBe(true);
      const framesBeforeJoin = r.framesOf(a).length;
      const t0 = performance.now();
      const wall0 = performance.timeOrigin + t0;
      const b = await r.join("b", rx.port);
      const joinReturnedMs = performance.now() - t0;
      const gotFirst = await waitUntil(() => r.sentTo(b).length > 0, 1_000, 1);
      expect(gotFirst, "nothing forwarded to B").toBe(true);
      const first = r.sentTo(b)[0]!;
      const joinToFirstMs = first.at - t0;

      const send = await sender.done;
      expect(send.code, send.stderr).toBe(0);
      const encoded = x264Frames(send.stderr);
      const sentBySender = encoded === undefined ? Number.NaN : encoded.i + encoded.p;
      await waitUntil(() => r.framesOf(a).length >= sentBySender, 3_000);
      await sleep(300);
      const recv = await rx.proc.done;
      await rx.capture.stop();

      const gst = parseGstRecv(recv.stdout);
      const toB = r.sentTo(b);
      const packets = await rtpPackets(rx.capture.file, rx.port);
      const cont = continuity(packets);
      const joinToFirstPacketMs = (packets[0]?.epochMs ?? Number.NaN) - wall0;
      // what GStreamer decoded (its byte-stream output, decoded by FFmpeg) against what the
      // bridge sent (the access units, concatenated, decoded by FFmpeg): same pictures, in order
      const ours = join(dir, "sent-to-b.h264");
      writeFileSync(ours, Buffer.concat(toB.map((x) => x.f.frame.data)));
      const decodedOurs = await ffmpegDecodeFile(ours);
      const decodedGst = await ffmpegDecodeFile(rx.out);
      const firstLive = toB.findIndex((x) => !x.f.cached);
      const stats = r.bridge.stats();
      report("gst → A → bridge → B → gst (late join)", {
        x264: encoded === undefined ? "none" : `I:${encoded.i}+P:${encoded.p}`,
        framesIntoA: r.framesOf(a).length,
        framesBeforeJoin,
        joinReturnedMs,
        joinToFirstForwardedMs: joinToFirstMs,
        joinToFirstPacketOnWireMs: joinToFirstPacketMs,
        firstCached: first.f.cached,
        firstKeyframe: first.f.frame.keyframe,
        firstBytes: first.f.frame.data.length,
        firstLiveAfterMs: firstLive < 0 ? "none" : toB[firstLive]!.at - t0,
        framesForwardedToB: toB.length,
        cachedToB: toB.filter((x) => x.f.cached).length,
        gstFramesDecoded: gst.framesDecoded,
        gstWarnings: gst.warnings,
        gstErrors: gst.errors,
        decodedVsSent: `${gst.framesDecoded}/${toB.length}`,
        gstOutputPictures: decodedGst.crcs.length,
        gstOutputErrors: decodedGst.errors,
        firstPictureMatches: decodedGst.crcs[0] === decodedOurs.crcs[0],
        rtp: cont,
        bridge: {
          droppedGated: stats.droppedGated,
          cachedKeyframesSent: stats.cachedKeyframesSent,
          keyframeRequests: stats.keyframeRequests,
        },
      });
      const log = readText(`${rx.out}.log`);
      expect(first.f.cached).toBe(true);
      expect(first.f.frame.keyframe).toBe(true);
      expect(first.f.source.id).toBe(a.id);
      expect(joinToFirstMs).toBeLessThan(100);
      expect(joinToFirstPacketMs).toBeLessThan(100);
      expect(joinToFirstPacketMs).toBeGreaterThanOrEqual(0);
      // the cached keyframe is followed by live frames from the next live keyframe on
      expect(firstLive).toBe(1);
      expect(toB[1]!.f.frame.keyframe).toBe(true);
      expect(toB.slice(1).every((x) => !x.f.cached)).toBe(true);
      expect(cont).toMatchObject({ ssrcs: 1, seqGaps: 0, backwardSteps: 0 });
      expect(cont.frames).toBe(toB.length);
      expect(gst.errors, problemLines(log).join("\n")).toBe(0);
      expect(gst.framesDecoded).toBe(toB.length);
      expect(decodedOurs.errors, decodedOurs.log).toBe(0);
      expect(decodedOurs.crcs).toHaveLength(toB.length);
      expect(decodedGst.errors, decodedGst.log).toBe(0);
      // GStreamer decoded from the very first frame (the cached keyframe) on; its file may miss
      // the last ≤ 2 pictures when gst-launch is stopped during EOS
      expect(decodedGst.crcs.length).toBeGreaterThanOrEqual(toB.length - 2);
      expect(decodedGst.crcs).toEqual(decodedOurs.crcs.slice(0, decodedGst.crcs.length));
      expect(recv.code).toBe(0);
    },
    90_000,
  );
});
