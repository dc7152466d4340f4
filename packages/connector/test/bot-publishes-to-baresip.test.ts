/**
 * Acceptance (real media): a server-side participant publishes a synthetic pattern (raw i420,
 * encoded by @framewire/media's libx264) and a 1000 Hz tone (48 kHz PCM, paced every 20 ms) into
 * a room; a SIP caller (baresip, placing an audio+video call to the room) receives both. Checked
 * from baresip's own capture, independently of our code: GStreamer decodes the H.264 it received
 * with 0 errors, and the PCMU it received, decoded, has its dominant frequency at the tone's.
 */
import { join } from "node:path";
import { createRawVideoFrame, type RawVideoFrame } from "@framewire/media/frames";
import type { MediaSession } from "@framewire/rtp-video";
import { SipVideoBackend } from "@framewire/sip-signaling";
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
import { AudioVideoChannel, RoomKit } from "@framewire/video-bridge";
import { afterEach, describe, expect } from "vitest";
import { Connector } from "../src/core/connector.js";

const sipTest = itWithPeers(["baresip", "tshark", "gst-launch-1.0", "timeout"]);
const ROOM = "studio";
const TONE_HZ = 1000;
const W = 320;
const H = 240;

afterEach(async () => {
  await runCleanups();
});

/** pattern is frame `n` of a moving-bar test pattern (i420, tightly packed). */
function pattern(n: number): RawVideoFrame {
  const ySize = W * H;
  const data = new Uint8Array(ySize * 1.5);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      data[y * W + x] = (x + n * 4) % W < 40 ? 235 : (16 + (x * 200) / W) | 0;
  data.fill(128, ySize, ySize + ySize / 4);
  data.fill(90, ySize + ySize / 4);
  return createRawVideoFrame("i420", W, H, data);
}

describe("a server-side participant speaks and shows itself to a SIP caller (baresip)", () => {
  sipTest(
    "baresip decodes the participant's video with 0 errors and hears its tone",
    async () => {
      const rtpStart = 44_000 + 2 * Math.floor(Math.random() * 8_000);
      const backend = new SipVideoBackend({
        localSipAddr: [HOST, 0],
        localRtpIp: HOST,
        rtpPortStart: rtpStart,
        rtpPortEnd: rtpStart + 16,
      });
      const address = await backend.start();
      const kit = new RoomKit();
      kit.registerChannel(
        new AudioVideoChannel("av", { backend, bridge: true, videoBridge: true }),
      );
      const connector = new Connector(kit, { channelId: "av" });
      onCleanup(async () => {
        kit.close();
        await backend.stop();
      });
      const bot = await connector.join({ roomId: ROOM, identity: "presenter" });
      const video = await bot.publishVideo({ width: W, height: H, fps: 30, bitrate: 500_000 });
      const audio = bot.publishAudio({ sampleRate: 48000, channels: 1 });
      let n = 0;
      let phase = 0;
      const vTimer = setInterval(() => video.captureFrame(pattern(n++)), 33);
      const aTimer = setInterval(() => {
        const s = new Int16Array(960);
        for (let i = 0; i < s.length; i++)
          s[i] = Math.round(8000 * Math.sin(phase + (2 * Math.PI * TONE_HZ * i) / 48000));
        phase += (2 * Math.PI * TONE_HZ * 960) / 48000;
        audio.send(s);
      }, 20);
      onCleanup(() => {
        clearInterval(vTimer);
        clearInterval(aTimer);
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
        [`sip:${ROOM}@${HOST}:${address.port}`, String(SECONDS)],
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
        encoded: video.stats().encoded,
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
