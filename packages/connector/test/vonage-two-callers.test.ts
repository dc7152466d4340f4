/**
 * Acceptance (real media), the Vonage-style client with two real SIP callers: baresip (its
 * pattern video, an 880 Hz tone) and SIPp (the fixture clip, a 440 Hz PCMU tone) call a room;
 * the client connects, is told of both connections and streams, subscribes to both (frames at the
 * preferred 320x180 in RGB24 per subscriber), gets one mixed audio stream at 16 kHz mono that
 * holds both tones, publishes a pattern and a 1000 Hz tone with addVideo / addAudio (pinned for
 * both callers, who decode it: baresip's capture decoded by GStreamer with 0 errors, SIPp's
 * capture counted), then unpublishes and disconnects. Every callback of the seed fires, in order,
 * and nothing is left: no participant, no session, no native decoder, encoder or scaler.
 */
import { join } from "node:path";
import { nativeCounts } from "@framewire/media";
import type { MediaSession } from "@framewire/rtp-video";
import { toneLevels } from "@framewire/test-support";
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
  startScript,
  tempDir,
  waitUntil,
  withRtpCountsFromPortRange,
} from "@framewire/test-support/peers";
import { afterEach, describe, expect } from "vitest";
import type { Stream, Subscriber } from "../src/vonage/models.js";
import { VonageVideoClient } from "../src/vonage/vonage-video-client.js";
import { SECRET, sipRoom } from "./sip-room.js";

const peerTest = itWithPeers(["sipp", "baresip", "tshark", "gst-launch-1.0", "timeout"]);
const ROOM = "vonage-room";
const APP = "framewire-app";
const W = 320;
const H = 240;

afterEach(async () => {
  await runCleanups();
});

function yuvPattern(n: number): Uint8Array {
  const data = new Uint8Array(W * H * 1.5);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) data[y * W + x] = (x + n * 3) % 64 < 32 ? 40 : 200;
  data.fill(128, W * H);
  return data;
}

describe("the Vonage-style client with two SIP callers (baresip + SIPp)", () => {
  peerTest(
    "connections, streams, per-subscriber frames, the mixed tones, publishing to both callers, a clean disconnect",
    async () => {
      const native0 = nativeCounts();
      const {
        backend,
        kit,
        connector,
        sipPort,
        token: tokenFor,
      } = await sipRoom({
        ports: 32,
        tokens: { secret: SECRET, applicationId: APP },
      });
      const client = new VonageVideoClient(connector);
      const log: string[] = [];
      const frames = new Map<string, { n: number; sizes: Set<string> }>();
      const mix: Int16Array[] = [];
      let mixFormat = "";
      let timer: NodeJS.Timeout | undefined;
      onCleanup(() => clearInterval(timer));
      let tick = 0;
      const subscribe = (stream: Stream) =>
        client.subscribe(
          stream,
          {
            subscribeToAudio: true,
            subscribeToVideo: true,
            videoSettings: { preferredResolution: { width: 320, height: 180 }, format: "RGB24" },
          },
          {
            onConnected: (s: Subscriber) => log.push(`subscriber-connected:${s.stream.id}`),
            onDisconnected: (s: Subscriber) => log.push(`subscriber-disconnected:${s.stream.id}`),
            onError: (_s, d) => log.push(`subscriber-error:${d}`),
            onRenderFrame: (s, f) => {
              const e = frames.get(s.stream.id) ?? { n: 0, sizes: new Set<string>() };
              e.n++;
              e.sizes.add(
                `${f.resolution.width}x${f.resolution.height}:${f.format}:${f.frameBuffer.length}`,
              );
              frames.set(s.stream.id, e);
            },
          },
        );
      const token = await tokenFor(ROOM, "vonage-bot", APP);
      await client.connect(
        APP,
        ROOM,
        token,
        {
          av: {
            audioSubscribersMix: { sampleRate: 16000, numberOfChannels: 1 },
            audioPublisher: { sampleRate: 48000, numberOfChannels: 1 },
            videoPublisher: { resolution: { width: W, height: H }, fps: 15, format: "YUV420P" },
          },
        },
        {
          onConnected: () => log.push("connected"),
          onDisconnected: () => log.push("disconnected"),
          onError: (_s, d) => log.push(`error:${d}`),
          onConnectionCreated: (_s, c) => log.push(`connection-created:${c.id}`),
          onConnectionDropped: (_s, c) => log.push(`connection-dropped:${c.id}`),
          onStreamReceived: (_s, stream) => {
            log.push(`stream-received:${stream.id}`);
            void subscribe(stream);
          },
          onStreamDropped: (_s, stream) => log.push(`stream-dropped:${stream.id}`),
          onAudioData: (_s, a) => {
            mixFormat = `${a.sampleRate}/${a.numberOfChannels}/${a.numberOfFrames}`;
            mix.push(a.sampleBuffer.slice());
          },
          onReadyForAudio: () => {
            log.push("ready-for-audio");
            timer = setInterval(() => {
              const s = new Int16Array(960);
              for (let i = 0; i < 960; i++)
                s[i] = Math.round(6000 * Math.sin((2 * Math.PI * 1000 * (tick * 960 + i)) / 48000));
              client.addAudio({
                sampleBuffer: s,
                sampleRate: 48000,
                numberOfChannels: 1,
                numberOfFrames: 960,
              });
              if (tick % 3 === 0)
                client.addVideo({
                  frameBuffer: yuvPattern(tick),
                  resolution: { width: W, height: H },
                  format: "YUV420P",
                });
              tick++;
            }, 20);
          },
        },
      );
      await client.publish(
        { name: "vonage bot", hasAudio: true, hasVideo: true },
        {
          onStreamCreated: (p) => log.push(`stream-created:${p.stream.id}`),
          onStreamDestroyed: (p) => log.push(`stream-destroyed:${p.stream.id}`),
          onError: (_p, d) => log.push(`publisher-error:${d}`),
        },
      );
      expect(client.isConnected()).toBe(true);
      expect(client.isPublishing()).toBe(true);
      const bot = kit.getSessions(ROOM).find((s) => s.participantId === "vonage-bot")!;
      const callers: MediaSession[] = [];
      onCleanup(
        backend.onCall(async (session: MediaSession) => {
          await kit.join(session.roomId, "av", { session });
          kit.videoBridge("av")!.pin(session, bot); // the callers watch the bot
          callers.push(session);
        }),
      );
      const bDir = tempDir("framewire-vonage-baresip-");
      const bSip = await freeUdpPorts(2);
      const bRtp = await freeUdpPorts(100);
      const baresip = startScript("baresip-call.sh", [`sip:${ROOM}@${HOST}:${sipPort}`, "15"], {
        env: {
          SIP_PORT: String(bSip),
          LOGDIR: bDir,
          RTP_PORTS: `${bRtp}-${bRtp + 99}`,
          VIDEO_CODECS: "H264",
          VIDSRC: "fakevideo,nil",
          TONE_HZ: "880",
        },
        timeoutMs: 70_000,
      });
      expect(await waitUntil(() => callers.length === 1, 15_000)).toBe(true);
      const sDir = tempDir("framewire-vonage-sipp-");
      const sSip = await freeUdpPorts(1);
      const sMedia = await freeUdpPorts(4);
      const sipp = startScript("sipp-av-call.sh", [String(sipPort), "10"], {
        env: { SERVICE: ROOM, SIP_PORT: String(sSip), MEDIA_PORT: String(sMedia), LOGDIR: sDir },
        timeoutMs: 80_000,
      });
      expect(await waitUntil(() => callers.length === 2, 15_000)).toBe(true);
      // the mix while both callers talk: from 2 s after SIPp joined, for 4 s
      const mixStart = mix.length + 100;
      await waitUntil(() => mix.length >= mixStart + 200, 20_000);
      const both = mix.slice(mixStart, mixStart + 200);
      const sRun = await sipp.done;
      const bRun = await baresip.done;
      await waitUntil(() => backend.sessionCount === 0, 10_000);
      await client.unpublish();
      await client.disconnect();
      clearInterval(timer);
      await waitUntil(() => log.includes("disconnected"), 5_000);

      // what the mix held
      const samples = new Int16Array(both.reduce((n, x) => n + x.length, 0));
      let o = 0;
      for (const x of both) {
        samples.set(x, o);
        o += x.length;
      }
      const [l440, l880, l660] = toneLevels(samples, 16000, [440, 880, 660]);
      // what the callers received of the bot
      const br = withRtpCountsFromPortRange(
        parseBaresipReport(bRun.stdout),
        bRun.stdout,
        bRtp,
        bRtp + 99,
      );
      const bSession = callers[0]!;
      const atBaresip = await decodePcapH264(
        join(bDir, "capture.pcap"),
        br.videoPort!,
        bSession.video!.payloadType,
      );
      const sippOut = sRun.stdout + sRun.stderr;
      const sippVideo = kv(/video_recv: (.*)$/m.exec(sippOut)?.[1] ?? "");
      const ids = [...frames.keys()];
      report("connector: Vonage client, two SIP callers", {
        log: log.filter((l) => !l.startsWith("subscriber-error")).length,
        subscribers: ids.length,
        frames: ids
          .map((id) => `${frames.get(id)!.n} ${[...frames.get(id)!.sizes].join(",")}`)
          .join(" | "),
        mixFormat,
        tonesDb: `440:${l440!.toFixed(1)} 880:${l880!.toFixed(1)} 660:${l660!.toFixed(1)}`,
        baresipDecoded: atBaresip.framesDecoded,
        baresipErrors: atBaresip.errors,
        sippVideoPackets: sippVideo.packets ?? "?",
        native: nativeCounts(),
      });
      // the callbacks, in order
      const connections = log
        .filter((l) => l.startsWith("connection-created:"))
        .map((l) => l.split(":")[1]);
      expect(log[0]).toBe("connected");
      expect(log.indexOf("ready-for-audio")).toBeGreaterThan(0);
      expect(log.findIndex((l) => l.startsWith("stream-created:"))).toBeGreaterThan(0);
      expect(connections.length).toBe(2);
      for (const c of connections) {
        const order = [
          `connection-created:${c}`,
          `stream-received:${c}/stream`,
          `subscriber-connected:${c}/stream`,
          `stream-dropped:${c}/stream`,
          `subscriber-disconnected:${c}/stream`,
          `connection-dropped:${c}`,
        ].map((l) => log.indexOf(l));
        expect(
          order.every((i) => i >= 0),
          `${c}: ${log.join(" ")}`,
        ).toBe(true);
        expect([...order].sort((a, b) => a - b)).toEqual(
          order.slice(0, 3).concat([...order.slice(3)].sort((a, b) => a - b)),
        );
        expect(Math.max(...order.slice(0, 3))).toBeLessThan(Math.min(...order.slice(3)));
      }
      const destroyed = log.findIndex((l) => l.startsWith("stream-destroyed:"));
      expect(destroyed).toBeGreaterThan(
        log.lastIndexOf(`connection-dropped:${connections[1]}`) - 1,
      );
      expect(log.at(-1)).toBe("disconnected");
      expect(log.filter((l) => l.includes("error"))).toEqual([]);
      // frames per subscriber at the preferred resolution and format
      expect(ids.length).toBe(2);
      for (const id of ids) {
        expect(frames.get(id)!.n, id).toBeGreaterThan(100);
        expect([...frames.get(id)!.sizes]).toEqual([`320x180:RGB24:${320 * 180 * 3}`]);
      }
      // one mixed stream at the configured format, with both callers' tones
      expect(mixFormat).toBe("16000/1/320");
      expect(l440! - l660!).toBeGreaterThan(20);
      expect(l880! - l660!).toBeGreaterThan(20);
      // the callers received the bot
      expect(atBaresip.errors, atBaresip.problems.join("\n")).toBe(0);
      expect(atBaresip.framesDecoded).toBeGreaterThan(50);
      expect(Number(sippVideo.packets ?? 0)).toBeGreaterThan(50);
      // nothing left
      expect(client.isConnected()).toBe(false);
      expect(connector.participants()).toEqual([]);
      expect(connector.backend.sessions).toBe(0);
      expect(kit.getSessions(ROOM)).toEqual([]);
      await waitUntil(
        () =>
          nativeCounts().encoders === native0.encoders &&
          nativeCounts().decoders === native0.decoders,
        5_000,
      );
      expect(nativeCounts()).toEqual(native0);
    },
    150_000,
  );
});
