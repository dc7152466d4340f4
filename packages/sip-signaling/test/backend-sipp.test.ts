/**
 * SipVideoBackend against SIPp (3.6.1) with the shared scripts, over UDP on 127.0.0.1:
 *  1. sipp-av-call.sh calls the backend: the call completes (sipp_rc=0), the fixture video
 *     pcap (300 H.264 frames, 10 s) arrives as frames that FFmpeg decodes with 0 errors,
 *     PCMU arrives for the hold time, onCall sees the caller, Call-ID and H264, and after
 *     the BYE every RTP port is back and no session is left;
 *  2. the backend calls sipp-av-uas.sh (`call(uri, {video: true})`): established, video both
 *     ways (fixtures/test.h264 paced from us, counted on the wire by tshark; SIPp's pcap from
 *     them, as frames), our BYE ends it (rc=0), ports back.
 * Skipped locally without sipp/tshark/ffmpeg, failing under CI=true (itWithPeers).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AudioFrame, MediaSession, VideoFrame } from "@framewire/rtp-video";
import {
  ffmpegDecodeFile,
  freeUdpPorts,
  HOST,
  itWithPeers,
  killAtCleanup,
  onCleanup,
  readText,
  report,
  rtpMarkersBefore,
  rtpStats,
  runCleanups,
  sipRequestCapturedAt,
  sleep,
  startChild,
  startScript,
  tempDir,
  waitUntil,
  watchCounter,
} from "@framewire/test-support/peers";
import { afterEach, describe, expect } from "vitest";
import type { SipCallMetadata } from "../src/sip-video-backend.js";
import { startBackend } from "./backend-under-test.js";
import { callWithH264, sendTestVideo } from "./outgoing-video-call.js";
import { sippMessages } from "./sipp.js";

const sippAv = itWithPeers(["sipp", "tshark", "ffmpeg"]);
/** The fixture pcap: 300 H.264 frames (markers), 1253 packets, played over 10 s. */
const PCAP_FRAMES = 300;
const PCAP_PACKETS = 1253;
/** The RTP timestamp of the pcap's first frame (fixtures/MANIFEST.txt). */
const PCAP_FIRST_RTP_TIMESTAMP = 42411254;

afterEach(async () => {
  await runCleanups();
});

describe("SIPp calls the backend (sipp-av-call.sh)", () => {
  sippAv(
    "A/V call: 300 video frames decoded with 0 errors, PCMU for the hold time, metadata, ports back after BYE",
    async () => {
      const HOLD = 11; // > the pcap's 10 s: SIPp plays all of it before its BYE
      const { backend, port } = await startBackend({}, 16);
      const sessions: MediaSession[] = [];
      const videoFrames: VideoFrame[] = [];
      const audioFrames: AudioFrame[] = [];
      const maxPorts = watchCounter(() => backend.portsInUse, 5);
      onCleanup(backend.onCall((s) => void sessions.push(s)));
      onCleanup(backend.onVideoReceived((_s, f) => void videoFrames.push(f)));
      onCleanup(backend.onAudioReceived((_s, f) => void audioFrames.push(f)));
      const ended: MediaSession[] = [];
      onCleanup(backend.onClientDisconnected((s) => void ended.push(s)));

      const logDir = tempDir();
      const sipPort = await freeUdpPorts(1);
      const mediaPort = await freeUdpPorts(4);
      const t0 = Date.now();
      const run = killAtCleanup(
        startScript("sipp-av-call.sh", [String(port), String(HOLD)], {
          env: {
            SERVICE: "room1",
            SIP_PORT: String(sipPort),
            MEDIA_PORT: String(mediaPort),
            LOGDIR: logDir,
          },
          timeoutMs: 80_000,
        }),
      );
      // while the call is up: one session, two port pairs
      await waitUntil(() => sessions.length > 0, 10_000);
      const during = { ports: backend.portsInUse, sessions: backend.sessionCount };
      const result = await run.done;
      const callMs = Date.now() - t0;
      const out = result.stdout + result.stderr;
      await waitUntil(() => backend.sessionCount === 0 && backend.portsInUse === 0, 3_000);
      maxPorts.stop();

      const session = sessions[0];
      expect(session, out).toBeDefined();
      const ourVideoPort = session!.video?.localPort ?? 0;
      const ourAudioPort = session!.audio.localPort;
      const wire = await rtpStats(join(logDir, "capture.pcap"), ourVideoPort, 96);
      const audioSent = Number(/audio_sent: (\d+)/.exec(out)?.[1] ?? -1);
      const videoSent = Number(/video_sent: (\d+)/.exec(out)?.[1] ?? -1);
      const invite = sippMessages(readText(join(logDir, "messages.log"))).find(
        (m) => m.direction === "sent" && m.startLine.startsWith("INVITE"),
      );
      const sippCallId = /^Call-ID:\s*(.+)$/im.exec(invite?.text ?? "")?.[1]?.trim();

      const file = join(logDir, "received.h264");
      writeFileSync(file, Buffer.concat(videoFrames.map((f) => f.data)));
      const decoded = await ffmpegDecodeFile(file);
      const pcmu = audioFrames.filter((f) => f.codec === "pcmu");
      report("sipp-av-call.sh → backend", {
        hold: HOLD,
        callMs,
        sipp: out.split(/\r?\n/).find((l) => l.includes("sipp_rc=")),
        videoPacketsOnWire: wire.packets,
        videoMarkersOnWire: wire.markers,
        videoSentBySipp: videoSent,
        framesReceived: videoFrames.length,
        keyframes: videoFrames.filter((f) => f.keyframe).length,
        decodedFrames: decoded.frames,
        decodeErrors: decoded.errors,
        pcmuFrames: pcmu.length,
        audioSentBySipp: audioSent,
        portsDuring: during.ports,
        maxPortsInUse: maxPorts.max(),
        portsAfter: backend.portsInUse,
        sessionsAfter: backend.sessionCount,
        metadata: session!.metadata,
        ourVideoPort,
        ourAudioPort,
      });

      expect(result.code, out).toBe(0);
      expect(out).toMatch(/sipp_rc=0/);
      // onCall metadata
      const meta = session!.metadata as SipCallMetadata;
      expect(meta).toMatchObject({
        caller: `sip:sipp@${HOST}:${sipPort}`,
        callId: sippCallId,
        hasVideo: true,
        videoCodec: "h264",
        direction: "incoming",
      });
      expect(session!.roomId).toBe("room1");
      expect(session!.videoCodec).toBe("h264");
      // video: what SIPp sent (on the wire) came out as frames, all of them, decodable
      expect(wire.packets).toBe(PCAP_PACKETS);
      expect(wire.markers).toBe(PCAP_FRAMES);
      expect(wire.seq_gaps).toBe(0);
      expect(videoFrames.length).toBe(wire.markers);
      expect(videoFrames.map((f) => f.sequence)).toEqual([...videoFrames.keys()]);
      expect(videoFrames[0]?.keyframe).toBe(true);
      expect(videoFrames.filter((f) => f.keyframe)).toHaveLength(10);
      expect(videoFrames.every((f) => f.width === 640 && f.height === 360)).toBe(true);
      expect(decoded.errors, decoded.log).toBe(0);
      expect(decoded.frames).toBe(PCAP_FRAMES);
      // the Annex-B we wrote holds the fixture's NAL units: same bytes as test.h264
      expect(Buffer.concat(videoFrames.map((f) => f.data)).length).toBeGreaterThan(0);
      // audio: 20 ms packets for the hold time (SIPp's rtp_stream, looped until BYE)
      expect(pcmu.length).toBeGreaterThanOrEqual(Math.floor(HOLD * 50 * 0.95));
      expect(pcmu.length).toBeLessThanOrEqual(audioSent);
      expect(pcmu.every((f) => f.data.length === 160)).toBe(true);
      // teardown: two pairs during the call, none after; the session ended once
      expect(during).toEqual({ ports: 2, sessions: 1 });
      expect(maxPorts.max()).toBe(2);
      expect(backend.portsInUse).toBe(0);
      expect(backend.sessionCount).toBe(0);
      expect(ended.map((s) => s.id)).toEqual([session!.id]);
      expect(backend.userAgentStats.activeCalls).toBe(0);
    },
    90_000,
  );
});

describe("the backend calls SIPp (sipp-av-uas.sh)", () => {
  sippAv(
    "call(uri, {video: true}): established, test.h264 out and pcap in, our BYE, rc=0, ports back",
    async () => {
      const { backend } = await startBackend({}, 16);
      const sippPort = await freeUdpPorts(1);
      const sippMedia = await freeUdpPorts(4);
      const logDir = tempDir();
      const capture = join(logDir, "uas.pcap");
      // tshark on sipp's media ports: what we send there is counted on the wire
      const cap = killAtCleanup(
        startChild(
          "bash",
          [
            "-c",
            'exec tshark -i lo -F pcap -w "$1" -f "$2" 2>"$1.err"',
            "bash",
            capture,
            // SIPp's SIP port too: our BYE's capture time bounds "sent before the BYE" on the
            // capture's own clock
            `udp and host ${HOST} and (port ${sippMedia} or port ${sippMedia + 2} or port ${sippPort})`,
          ],
          { timeoutMs: 70_000 },
        ),
      );
      const capReady = await waitUntil(
        () => readText(`${capture}.err`).includes("Capturing on"),
        10_000,
        100,
      );
      expect(capReady, readText(`${capture}.err`)).toBe(true);
      const uas = killAtCleanup(
        startScript("sipp-av-uas.sh", [String(sippPort), "40"], {
          env: { MEDIA_PORT: String(sippMedia), LOGDIR: join(logDir, "sipp") },
          timeoutMs: 60_000,
        }),
      );
      await sleep(500); // SIPp listening; if not, Timer A retransmits the INVITE
      const frames: VideoFrame[] = [];
      const audio: AudioFrame[] = [];
      onCleanup(backend.onVideoReceived((_s, f) => void frames.push(f)));
      onCleanup(backend.onAudioReceived((_s, f) => void audio.push(f)));
      const { session, setupMs } = await callWithH264(backend, `sip:bridge@${HOST}:${sippPort}`);
      const ourVideoPort = session.video?.localPort ?? 0;
      expect(backend.sessionCount).toBe(1);

      // send test.h264 paced at 30 fps for 5 s (150 access units)
      const SEND = 150;
      const { packets, pacing } = await sendTestVideo(backend, session, SEND);
      await sleep(300);
      const vstats = backend.videoStats(session)!;
      const sent = vstats.sent;
      const firstFrameRtp = frames[0]?.rtpTimestamp;
      const videoDiag = {
        packets: vstats.packets,
        frames: vstats.frames,
        lost: vstats.lost,
        framesDropped: vstats.framesDropped,
        keyframeRequestsSent: vstats.keyframeRequestsSent,
        firstFrameKeyframe: frames[0]?.keyframe,
        drops: Object.fromEntries(
          Object.entries(session.video?.depacketizerDrops ?? {}).filter(([, n]) => n > 0),
        ),
      };
      backend.disconnect(session); // BYE from our side
      const result = await uas.done;
      await sleep(300);
      cap.kill("SIGINT");
      await cap.done;
      const wire = await rtpStats(capture, sippMedia + 2, 96);
      const fromSipp = await rtpStats(capture, ourVideoPort, 96);
      // SIPp plays on through its 500 ms timewait after our BYE: count what it sent before, on
      // the capture's clock (Date.now() at disconnect() once miscounted a marker captured in the
      // same millisecond: 160 frames against 159 "before")
      const byeAt = await sipRequestCapturedAt(capture, "BYE", sippPort);
      expect(byeAt, "our BYE on the capture").toBeDefined();
      const framesBeforeBye = await rtpMarkersBefore(capture, ourVideoPort, byeAt!);
      const file = join(logDir, "from-sipp.h264");
      writeFileSync(file, Buffer.concat(frames.map((f) => f.data)));
      const decoded = await ffmpegDecodeFile(file);
      const sippLog = readText(join(logDir, "sipp", "messages.log"));
      const sippSaw = sippMessages(sippLog).map(
        (m) => `${m.direction[0]}:${m.startLine.split(" ").slice(0, 2).join(" ")}`,
      );
      report("backend → sipp-av-uas.sh", {
        setupMs,
        framesSent: sent.frames,
        packetsSent: packets,
        pacingMs: pacing.durationMs,
        onWireToSipp: wire.packets,
        markersOnWire: wire.markers,
        seqGaps: wire.seq_gaps,
        markersFromSippOnWire: fromSipp.markers,
        markersFromSippBeforeBye: framesBeforeBye,
        packetsFromSippOnWire: fromSipp.packets,
        framesFromSipp: frames.length,
        videoDiag,
        firstFrameRtp,
        decodedFromSipp: decoded.frames,
        decodeErrors: decoded.errors,
        audioFromSipp: audio.length,
        sippRc: result.code,
        sippSaw: sippSaw.join(","),
        portsAfter: backend.portsInUse,
      });
      expect(result.code, `${result.stderr}\n${sippLog}`).toBe(0);
      expect(sippSaw).toContain("s:SIP/2.0 200");
      expect(sippLog).toMatch(/BYE sip:/);
      // what we sent is what tshark saw arrive at SIPp's video port
      expect(sent.frames).toBe(SEND);
      expect(wire.packets).toBe(packets);
      expect(wire.markers).toBe(SEND);
      expect(wire.seq_gaps).toBe(0);
      // their video reached us as frames from its very first one (SIPp starts the pcap on our
      // ACK), decodable: every frame SIPp had sent before our BYE, but for those still in our
      // jitter buffer then (200 ms ≈ 6 frames at 30 fps)
      expect(fromSipp.seq_gaps).toBe(0);
      expect(frames[0]?.rtpTimestamp).toBe(PCAP_FIRST_RTP_TIMESTAMP);
      expect(videoDiag.framesDropped).toBe(0);
      expect(frames.length).toBeLessThanOrEqual(framesBeforeBye);
      expect(frames.length).toBeGreaterThanOrEqual(framesBeforeBye - 8);
      expect(decoded.errors, decoded.log).toBe(0);
      expect(decoded.frames).toBe(frames.length);
      expect(audio.length).toBeGreaterThan(100);
      expect(backend.portsInUse).toBe(0);
      expect(backend.sessionCount).toBe(0);
      await waitUntil(() => backend.userAgentStats.activeCalls === 0, 3_000);
      expect(backend.userAgentStats.activeCalls).toBe(0);
    },
    90_000,
  );
});
