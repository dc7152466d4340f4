/**
 * End to end: two real SIP callers into one SipVideoBackend, bridged by a RoomKit through an
 * AudioVideoChannel (bridge: true, videoBridge: { cutThrough: true }), over UDP on 127.0.0.1.
 *
 *  - baresip (baresip-call.sh: libx264 re-encode of fixtures/test.mp4 + a 440 Hz PCMU tone) and
 *  - SIPp (sipp-av-call.sh: the fixture H.264 pcap, 300 frames over 10 s, + a PCMU tone)
 *
 * both call sip:room1@<backend>; `onCall` joins each session to room "room1". Each caller must
 * receive the other's video and audio:
 *  - on the wire, from the scripts' own tshark reports (sipp-av-call.sh: rtp-stats.sh line for
 *    the packets we sent to its video port, and the audio packets to its audio port;
 *    baresip-report.sh: packets received on baresip's video and audio ports), compared with what
 *    the backend says it sent to each session;
 *  - decoded: the H.264 RTP each caller received, taken from that script's own capture, is
 *    decoded by GStreamer (pcapparse ! rtph264depay ! avdec_h264) with 0 errors and as many
 *    pictures as the bridge forwarded; baresip's log shows its decoder received video.
 */
import { join } from "node:path";
import type { AudioFrame, MediaSession } from "@framewire/rtp-video";
import { SipVideoBackend } from "@framewire/sip-signaling";
import {
  decodePcapH264,
  freeUdpPorts,
  HOST,
  itWithPeers,
  kv,
  onCleanup,
  parseBaresipReport,
  report,
  runCleanups,
  sleep,
  startScript,
  tempDir,
  waitUntil,
  withRtpCountsFromPortRange,
} from "@framewire/test-support/peers";
import { afterEach, describe, expect } from "vitest";
import { AudioVideoChannel } from "../src/channels.js";
import { RoomKit } from "../src/room-kit.js";
import type { RoomSession } from "../src/room-session.js";
import type { ForwardedVideoFrame } from "../src/video-bridge-types.js";

const sipTest = itWithPeers(["sipp", "baresip", "tshark", "gst-launch-1.0", "timeout"]);
const ROOM = "room1";

afterEach(async () => {
  await runCleanups();
});

/** Ended is what a session's counters said when it ended. */
interface Ended {
  readonly videoSent: { readonly frames: number; readonly packets: number };
  readonly audioSent: number;
  readonly videoIn: {
    readonly packets: number;
    readonly frames: number;
    readonly framesDropped: number;
    readonly keyframeRequestsSent: number;
  };
  readonly depacketizerDrops: Record<string, number>;
}

/** sippWire reads sipp-av-call.sh's report lines. */
function sippWire(out: string) {
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? Number.NaN);
  const videoRecvLine = /video_recv: (.*)$/m.exec(out)?.[1] ?? "";
  return {
    rc: num(/sipp_rc=(-?\d+)/),
    videoSent: num(/video_sent: (\d+)/),
    audioSent: num(/audio_sent: (\d+)/),
    videoRecv: Object.fromEntries(
      Object.entries(kv(videoRecvLine)).map(([k, v]) => [k, Number(v)]),
    ),
    audioRecv: num(/audio_recv: (\d+)/),
  };
}

describe("SipVideoBackend + RoomKit + AudioVideoChannel: baresip ⇄ bridge ⇄ SIPp", () => {
  sipTest(
    "each caller receives the other's video (on the wire, decodable, 0 errors) and audio",
    async () => {
      const rtpStart = 40_000 + 2 * Math.floor(Math.random() * 9_000);
      const backend = new SipVideoBackend({
        localSipAddr: [HOST, 0],
        localRtpIp: HOST,
        rtpPortStart: rtpStart,
        rtpPortEnd: rtpStart + 32,
      });
      const address = await backend.start();
      const kit = new RoomKit();
      kit.registerChannel(
        // cut-through (opt-in) between SIPp and baresip: the demo's tests cover the frame path
        new AudioVideoChannel("av", { backend, bridge: true, videoBridge: { cutThrough: true } }),
      );
      onCleanup(async () => {
        kit.close();
        await backend.stop();
      });
      const bridge = kit.videoBridge("av")!;
      const audioBridge = kit.audioBridge("av")!;
      const forwarded: ForwardedVideoFrame<RoomSession>[] = [];
      const fsub = bridge.forwarded$.subscribe((f) => forwarded.push(f));
      onCleanup(() => fsub.unsubscribe());
      const audioIn = new Map<string, number>();
      onCleanup(
        backend.onAudioReceived((s: MediaSession, _f: AudioFrame) => {
          audioIn.set(s.id, (audioIn.get(s.id) ?? 0) + 1);
        }),
      );
      const joined: MediaSession[] = [];
      const joinErrors: unknown[] = [];
      onCleanup(
        backend.onCall(async (session) => {
          try {
            joined.push(await kit.join(session.roomId, "av", { session }));
          } catch (e) {
            joinErrors.push(e);
          }
        }),
      );
      // each session's counters, read when it ends (they go with it)
      const ended = new Map<string, Ended>();
      onCleanup(
        backend.onClientDisconnected((s) => {
          const v = s.video?.stats();
          ended.set(s.id, {
            videoSent: { frames: v?.sent.frames ?? 0, packets: v?.sent.packets ?? 0 },
            audioSent: s.audio.stats().sent.packets,
            videoIn: {
              packets: v?.packets ?? 0,
              frames: v?.frames ?? 0,
              framesDropped: v?.framesDropped ?? 0,
              keyframeRequestsSent: v?.keyframeRequestsSent ?? 0,
            },
            depacketizerDrops: Object.fromEntries(
              Object.entries(s.video?.depacketizerDrops ?? {}).filter(([, n]) => n > 0),
            ),
          });
        }),
      );

      // baresip first: it runs 16 s; SIPp joins once baresip is in the room and stays 11 s
      const bDir = tempDir("framewire-e2e-baresip-");
      const bSip = await freeUdpPorts(2);
      const bRtp = await freeUdpPorts(100);
      const BARESIP_SECONDS = 16;
      const baresip = startScript(
        "baresip-call.sh",
        [`sip:${ROOM}@${HOST}:${address.port}`, String(BARESIP_SECONDS)],
        {
          env: { SIP_PORT: String(bSip), LOGDIR: bDir, RTP_PORTS: `${bRtp}-${bRtp + 99}` },
          timeoutMs: (BARESIP_SECONDS + 50) * 1000,
        },
      );
      const baresipIn = await waitUntil(() => joined.length === 1, 15_000);
      expect(baresipIn, `baresip did not join; join errors: ${String(joinErrors)}`).toBe(true);
      const bSession = joined[0]!;
      // let baresip's video start flowing, so SIPp joins a room where a source sends
      await waitUntil(() => forwarded.length > 0 || bSession.video!.stats().frames > 30, 5_000);

      const sDir = tempDir("framewire-e2e-sipp-");
      const sSip = await freeUdpPorts(1);
      const sMedia = await freeUdpPorts(4);
      const HOLD = 11;
      const sipp = startScript("sipp-av-call.sh", [String(address.port), String(HOLD)], {
        env: {
          SERVICE: ROOM,
          SIP_PORT: String(sSip),
          MEDIA_PORT: String(sMedia),
          LOGDIR: sDir,
        },
        timeoutMs: 80_000,
      });
      const sippIn = await waitUntil(() => joined.length === 2, 15_000);
      expect(sippIn, `SIPp did not join; join errors: ${String(joinErrors)}`).toBe(true);
      const sSession = joined[1]!;
      expect(kit.getSessions(ROOM).map((s) => s.id)).toEqual([bSession.id, sSession.id]);
      const sRun = await sipp.done;
      const bRun = await baresip.done;
      await waitUntil(() => backend.sessionCount === 0, 5_000);
      await sleep(200);

      const sOut = sRun.stdout + sRun.stderr;
      const sw = sippWire(sOut);
      const br = withRtpCountsFromPortRange(
        parseBaresipReport(bRun.stdout),
        bRun.stdout,
        bRtp,
        bRtp + 99,
      );
      const toSipp = forwarded.filter((f) => f.target.id === sSession.id);
      const toBaresip = forwarded.filter((f) => f.target.id === bSession.id);
      const sippVideoPort = sMedia + 2;
      const sippPt = sSession.video!.payloadType;
      const bPt = bSession.video!.payloadType;
      const decodedAtSipp = await decodePcapH264(join(sDir, "capture.pcap"), sippVideoPort, sippPt);
      const decodedAtBaresip =
        br.videoPort === undefined
          ? undefined
          : await decodePcapH264(join(bDir, "capture.pcap"), br.videoPort, bPt);
      const vs = bridge.stats();
      const as = audioBridge.stats();
      report("baresip ⇄ bridge ⇄ sipp", {
        sipp: {
          rc: sw.rc,
          videoSentBySipp: sw.videoSent,
          audioSentBySipp: sw.audioSent,
          videoRecvOnWire: sw.videoRecv,
          audioRecvOnWire: sw.audioRecv,
        },
        toSipp: {
          framesForwarded: toSipp.length,
          cached: toSipp.filter((f) => f.cached).length,
          keyframes: toSipp.filter((f) => f.frame.keyframe).length,
          session: ended.get(sSession.id),
        },
        decodedAtSipp,
        baresip: {
          established: br.established,
          videoPort: br.videoPort,
          videoSentByBaresip: br.videoSent,
          videoRecvOnWire: br.videoRecv,
          recvPayloadTypes: br.recvPayloadTypes,
          audioSentByBaresip: br.audioSent,
          audioRecvOnWire: br.audioRecv,
          log: br.lines,
        },
        toBaresip: {
          framesForwarded: toBaresip.length,
          cached: toBaresip.filter((f) => f.cached).length,
          keyframes: toBaresip.filter((f) => f.frame.keyframe).length,
          session: ended.get(bSession.id),
        },
        decodedAtBaresip,
        audioInFromSipp: audioIn.get(sSession.id),
        audioInFromBaresip: audioIn.get(bSession.id),
        videoBridge: {
          framesIn: vs.framesIn,
          framesSent: vs.framesSent,
          packetsCutThrough: vs.packetsCutThrough,
          cutThroughToSipp: bridge.getCutThroughStats(sSession),
          cutThroughToBaresip: bridge.getCutThroughStats(bSession),
          cachedKeyframesSent: vs.cachedKeyframesSent,
          droppedGated: vs.droppedGated,
          keyframeRequests: vs.keyframeRequests,
          pliReceived: vs.pliReceived,
          codecMismatch: vs.codecMismatch,
          targetErrors: vs.targetErrors,
        },
        audioBridge: {
          framesIn: as.framesIn,
          forwarded: as.forwarded,
          transcoded: as.transcoded,
          notSent: as.notSent,
        },
        codecs: `${bSession.videoCodec}/${bPt} ${sSession.videoCodec}/${sippPt}`,
        portsAfter: backend.portsInUse,
      });

      expect(joinErrors).toEqual([]);
      expect(sw.rc, sOut).toBe(0);
      expect(br.established, bRun.stdout).toBe(true);
      expect(bSession.videoCodec).toBe("h264");
      expect(sSession.videoCodec).toBe("h264");

      const sEnded = ended.get(sSession.id)!;
      const bEnded = ended.get(bSession.id)!;
      // the backend took both callers' video in as frames
      expect(sEnded.videoIn.frames).toBe(300);
      expect(
        bEnded.depacketizerDrops,
        "baresip's H.264 dropped by H264Depacketizer (every SPS ends in 0x00, see the report)",
      ).toEqual({});
      expect(bEnded.videoIn.frames).toBeGreaterThan(200);
      // SIPp received baresip's video: every packet we sent to its video port is on the wire
      const sVideo = sEnded.videoSent;
      expect(toSipp.length).toBeGreaterThan(100);
      expect(sVideo.frames).toBe(toSipp.length);
      expect(sw.videoRecv.packets).toBe(sVideo.packets);
      expect(sw.videoRecv.markers).toBe(toSipp.length);
      expect(sw.videoRecv.seq_gaps).toBe(0);
      expect(sw.videoRecv.ssrcs).toBe(1);
      expect(decodedAtSipp.errors, decodedAtSipp.problems.join("\n")).toBe(0);
      expect(decodedAtSipp.framesDecoded).toBe(toSipp.length);
      // baresip received SIPp's video (the fixture pcap's 300 frames, from its first keyframe on)
      const bVideo = bEnded.videoSent;
      expect(toBaresip.length).toBeGreaterThan(200);
      expect(bVideo.frames).toBe(toBaresip.length);
      expect(br.videoRecv).toBe(bVideo.packets);
      expect(br.recvPayloadTypes).toContain(String(bPt));
      expect(decodedAtBaresip, "baresip's video port unknown").toBeDefined();
      expect(decodedAtBaresip!.errors, decodedAtBaresip!.problems.join("\n")).toBe(0);
      expect(decodedAtBaresip!.framesDecoded).toBe(toBaresip.length);
      // audio both ways, counted on the wire by each script
      expect(audioIn.get(sSession.id) ?? 0).toBeGreaterThan(100);
      expect(audioIn.get(bSession.id) ?? 0).toBeGreaterThan(100);
      expect(sw.audioRecv).toBeGreaterThan(100);
      expect(sw.audioRecv).toBe(sEnded.audioSent);
      expect(br.audioRecv).toBeGreaterThan(100);
      expect(br.audioRecv).toBe(bEnded.audioSent);
      // nothing left behind
      expect(vs.codecMismatch).toBe(0);
      expect(vs.targetErrors).toBe(0);
      expect(backend.portsInUse).toBe(0);
      expect(kit.getSessions(ROOM)).toEqual([]);
    },
    90_000,
  );
});
