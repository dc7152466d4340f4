/**
 * Acceptance (real media): a LiveKit-style bot publishes a synthetic pattern with `VideoSource`
 * (I420 `VideoFrame`s, encoded by @framewire/media's libx264) and a 1000 Hz tone with
 * `AudioSource` (48 kHz `AudioFrame`s of 20 ms, paced by the source) into a room; a SIP caller (baresip, placing an audio+video call to the room) receives both. Checked
 * from baresip's own capture, independently of our code: GStreamer decodes the H.264 it received
 * with 0 errors, and the PCMU it received, decoded, has its dominant frequency at the tone's.
 */
import { join } from "node:path";
import type { MediaSession } from "@framewire/rtp-video";
import { dominantFrequency } from "@framewire/test-support";
import {
  decodePcapH264,
  decodeRtpAudioFromPcap,
  freeUdpPorts,
  HOST,
  itWithPeers,
  onCleanup,
  parseBaresipReport,
  report,
  runCleanups,
  startScript,
  tempDir,
  waitUntil,
  withRtpCountsFromPortRange,
} from "@framewire/test-support/peers";
import { afterEach, describe, expect } from "vitest";
import {
  AudioFrame,
  AudioSource,
  LocalAudioTrack,
  LocalVideoTrack,
  Room,
  TrackPublishOptions,
  TrackSource,
  VideoBufferType,
  VideoFrame,
  VideoSource,
} from "../src/livekit/index.js";
import { sipRoom } from "./sip-room.js";

const sipTest = itWithPeers(["baresip", "tshark", "gst-launch-1.0", "timeout"]);
const ROOM = "studio";
const TONE_HZ = 1000;
const W = 320;
const H = 240;

afterEach(async () => {
  await runCleanups();
});

/** pattern is frame `n` of a moving-bar test pattern (I420, tightly packed). */
function pattern(n: number): VideoFrame {
  const ySize = W * H;
  const data = new Uint8Array(ySize * 1.5);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      data[y * W + x] = (x + n * 4) % W < 40 ? 235 : (16 + (x * 200) / W) | 0;
  data.fill(128, ySize, ySize + ySize / 4);
  data.fill(90, ySize + ySize / 4);
  return new VideoFrame(data, W, H, VideoBufferType.I420);
}

describe("a LiveKit-style bot speaks and shows itself to a SIP caller (baresip)", () => {
  sipTest(
    "baresip decodes the participant's video with 0 errors and hears its tone",
    async () => {
      const { backend, kit, connector, sipPort, token: tokenFor } = await sipRoom();
      const room = new Room();
      const token = await tokenFor(ROOM, "presenter");
      await room.connect(connector, token);
      onCleanup(() => room.disconnect());
      const videoSource = new VideoSource(W, H);
      const audioSource = new AudioSource(48000, 1, 200);
      await room.localParticipant!.publishTrack(
        LocalVideoTrack.createVideoTrack("pattern", videoSource),
        new TrackPublishOptions({ source: TrackSource.SOURCE_CAMERA }),
      );
      await room.localParticipant!.publishTrack(
        LocalAudioTrack.createAudioTrack("tone", audioSource),
        new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE }),
      );
      let n = 0;
      let phase = 0;
      let speaking = true;
      const vTimer = setInterval(() => videoSource.captureFrame(pattern(n++)), 33);
      const speak = async () => {
        // captureFrame resolves once the 20 ms frame fits in the source's 200 ms queue
        while (speaking) {
          const s = new Int16Array(960);
          for (let i = 0; i < s.length; i++)
            s[i] = Math.round(8000 * Math.sin(phase + (2 * Math.PI * TONE_HZ * i) / 48000));
          phase += (2 * Math.PI * TONE_HZ * 960) / 48000;
          await audioSource.captureFrame(new AudioFrame(s, 48000, 1, 960));
        }
      };
      const speaker = speak();
      onCleanup(async () => {
        clearInterval(vTimer);
        speaking = false;
        audioSource.clearQueue();
        await speaker;
        await audioSource.close();
      });
      const joined: MediaSession[] = [];
      onCleanup(
        backend.onCall(async (session: MediaSession) => {
          joined.push(await kit.join(session.roomId, "av", { session }));
        }),
      );
      const bDir = tempDir("framewire-connector-baresip-");
      const bSip = await freeUdpPorts(2);
      const bRtp = await freeUdpPorts(100);
      const SECONDS = 8;
      const baresip = startScript(
        "baresip-call.sh",
        [`sip:${ROOM}@${HOST}:${sipPort}`, String(SECONDS)],
        {
          env: {
            SIP_PORT: String(bSip),
            LOGDIR: bDir,
            RTP_PORTS: `${bRtp}-${bRtp + 99}`,
            VIDEO_CODECS: "H264",
            VIDSRC: "fakevideo,nil",
          },
          timeoutMs: (SECONDS + 50) * 1000,
        },
      );
      expect(await waitUntil(() => joined.length === 1, 15_000)).toBe(true);
      const session = joined[0]!;
      const bRun = await baresip.done;
      const br = withRtpCountsFromPortRange(
        parseBaresipReport(bRun.stdout),
        bRun.stdout,
        bRtp,
        bRtp + 99,
      );
      expect(br.established, bRun.stdout).toBe(true);
      expect(br.videoPort).toBeDefined();
      expect(br.audioPort).toBeDefined();
      const pcap = join(bDir, "capture.pcap");
      const pt = session.video!.payloadType;
      const decoded = await decodePcapH264(pcap, br.videoPort!, pt);
      const heard = await decodeRtpAudioFromPcap(pcap, {
        codec: session.audio.sendFormat.codec === "pcma" ? "pcma" : "pcmu",
        dstPort: br.audioPort!,
      });
      // the tone over the last seconds of the call (the first packets may precede the bridge's)
      const tail = heard.samples.subarray(Math.max(0, heard.samples.length - 4 * 8000));
      const hz = dominantFrequency(tail, 8000, { minHz: 100, maxHz: 3500 });
      report("connector: bot → baresip", {
        framesCaptured: n,
        published: room.localParticipant!.trackPublications.size,
        decodedByGstreamer: decoded.framesDecoded,
        gstErrors: decoded.errors,
        audioPackets: heard.packets,
        dominantHz: hz,
      });
      expect(decoded.errors, decoded.problems.join("\n")).toBe(0);
      expect(decoded.framesDecoded).toBeGreaterThan(100);
      expect(heard.packets).toBeGreaterThan(150);
      expect(Math.abs(hz - TONE_HZ)).toBeLessThan(5);
    },
    120_000,
  );
});
