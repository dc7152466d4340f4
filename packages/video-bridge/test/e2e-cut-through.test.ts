/**
 * The video bridge's cut-through path against a real receiver (issue 15): a RoomKit with one
 * VideoChannel (`bridge: { cutThrough: true }`) over an RtpVideoBackend on 127.0.0.1, three
 * sessions: A1 and A2 receive the fixture (fixtures/test.h264, x264, as H.264 RTP with their own
 * SSRC, sequence numbers and timestamps) from two UDP senders, interleaved at 30 fps each; B's
 * video goes to gst-recv-h264.sh, which decodes it (avdec_h264), its Annex-B copy decoded again by
 * FFmpeg against the fixture's CRCs. A1 is the speaker first, A2 from frame 140 on: B is switched
 * at A2's next IDR, decided on that packet. Every packet to B goes cut-through (none as a frame),
 * B's stream has one SSRC, and the receiver decodes every picture forwarded with 0 errors. Run
 * twice: with the sessions assembling frames beside (RoomKit forwards them to the bridge, which
 * sends none of them to B), and with `assembleVideo: false` (no frames at all).
 * Skipped locally when a peer is missing; failing in CI (itWithPeers).
 */
import { createSocket } from "node:dgram";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  H264Packetizer,
  joinAnnexB,
  RtpPacketizer,
  RtpVideoBackend,
  sequenceFrom,
  splitAnnexB,
} from "@framewire/rtp-video";
import { h264AccessUnits } from "@framewire/test-support";
import { fixture } from "@framewire/test-support/fixtures";
import {
  continuity,
  ffmpegDecodeFile,
  framecrcFileCrcs,
  freeUdpPorts,
  HOST,
  itWithPeers,
  onCleanup,
  paced,
  parseGstRecv,
  problemLines,
  readText,
  report,
  rtpPackets,
  runCleanups,
  sleep,
  startCapture,
  startScript,
  tempDir,
  waitForText,
} from "@framewire/test-support/peers";
import { afterEach, describe, expect } from "vitest";
import { VideoChannel } from "../src/channels.js";
import { RoomKit } from "../src/room-kit.js";
import type { RoomSession } from "../src/room-session.js";
import type { VideoBridgeEvent } from "../src/video-bridge-types.js";

const FRAMES = 300;
const ROOM = "room-cut";
const peerTest = itWithPeers(["gst-launch-1.0", "timeout", "tshark", "ffmpeg"]);

afterEach(async () => {
  await runCleanups();
});

describe("RoomKit cutThrough: two senders → A1, A2 → bridge → B → gst-recv-h264", () => {
  for (const [what, assemble] of [
    ["frames assembled beside", true],
    ["assembleVideo: false, no frames at all", false],
  ] as const) {
    peerTest(
      `switch A1 → A2 at A2's IDR: every packet cut-through, one SSRC, every picture decoded, 0 errors (${what})`,
      async () => {
        const dir = tempDir();
        const units = h264AccessUnits(readFileSync(fixture("test.h264")), {
          splitAnnexB,
          joinAnnexB,
        }).units;
        expect(units).toHaveLength(FRAMES);
        const keyframes = units.flatMap((u, i) =>
          splitAnnexB(u).some((n) => (n[0]! & 0x1f) === 5) ? [i] : [],
        );
        const streams = [0x1111, 0x2222].map((ssrc, k) => {
          const rtp = new RtpPacketizer({
            packetizer: new H264Packetizer({ mtu: 1200 }),
            payloadType: 96,
            ssrc,
            sequence: sequenceFrom(k === 0 ? 65000 : 123),
          });
          const base = k === 0 ? 4_000_000_000 : 77;
          return units.map((u, i) => rtp.packetizeFrame(u, (base + i * 3000) >>> 0));
        });
        const senders = [createSocket("udp4"), createSocket("udp4")];
        onCleanup(() => {
          for (const s of senders) s.close();
        });
        await Promise.all(senders.map((s) => new Promise<void>((r) => s.bind(0, HOST, () => r()))));

        const backend = new RtpVideoBackend({
          videoLocalAddr: [HOST, 0],
          localAddr: [HOST, 0],
          assembleVideo: assemble,
        });
        const kit = new RoomKit();
        kit.registerChannel(new VideoChannel("video", { backend, bridge: { cutThrough: true } }));
        onCleanup(() => {
          kit.close();
          backend.close();
        });
        const bridge = kit.videoBridge("video")!;
        const events: VideoBridgeEvent<RoomSession>[] = [];
        const forwardedToB: number[] = [];
        // frames the frame path sends (through sendVideoSync), by target id
        const framePath: string[] = [];
        const sendVideoSync = backend.sendVideoSync.bind(backend);
        backend.sendVideoSync = (s, c) => {
          framePath.push(s.id);
          return sendVideoSync(s, c);
        };
        bridge.events$.subscribe((e) => events.push(e));

        const port = await freeUdpPorts(2);
        const out = join(dir, "b-out.h264");
        const capture = await startCapture(join(dir, "to-b.pcap"), `udp dst port ${port}`, 26);
        const rx = startScript("gst-recv-h264.sh", [String(port), "16", out], {
          timeoutMs: 40_000,
        });
        const playing = await waitForText(`${out}.log`, "Setting pipeline to PLAYING", 10_000);
        expect(playing, `gst-recv-h264.sh did not start:\n${readText(`${out}.log`)}`).toBe(true);
        await sleep(500);

        const unused = await freeUdpPorts(4);
        const sources = await Promise.all(
          [0, 1].map((k) =>
            kit.join(ROOM, "video", {
              participantId: `a${k + 1}`,
              metadata: {
                videoRemoteAddr: [HOST, unused + 2 * k],
                videoExpectedSource: [HOST, senders[k]!.address().port],
              },
            }),
          ),
        );
        const a1 = sources[0]!;
        const a2 = sources[1]!;
        const b = await kit.join(ROOM, "video", {
          participantId: "b",
          metadata: { videoRemoteAddr: [HOST, port] },
        });
        bridge.forwarded$.subscribe((f) => {
          if (f.target.id === b.id) forwardedToB.push(1);
        });
        bridge.setActiveSpeaker(ROOM, a1.id);
        const bVideo = backend.getVideoSession(b.id)!.video;
        const targets = sources.map((s) => backend.getVideoSession(s.id)!.video.localPort);

        // sender 1 sends frame i at i × 33 ms, sender 2 its frame i 16.7 ms later
        const switchAsked = 140;
        const switchAt = keyframes.find((k) => k > switchAsked)!;
        await paced(2 * FRAMES, 1000 / 60, 25_000, async (step) => {
          const k = step % 2;
          const i = Math.floor(step / 2);
          if (k === 0 && i === switchAsked) bridge.setActiveSpeaker(ROOM, a2.id);
          for (const d of streams[k]![i]!)
            await new Promise<void>((r) => senders[k]!.send(d, targets[k]!, HOST, () => r()));
        });
        await sleep(500);
        const done = await rx.done;
        await capture.stop();
        const gst = parseGstRecv(done.stdout);
        const decoded = await ffmpegDecodeFile(out, { timeoutMs: 20_000 });
        const cont = continuity(await rtpPackets(capture.file, port));
        const cut = bridge.getCutThroughStats(b)!;
        const stats = bridge.stats();
        const switches = events.flatMap((e) =>
          e.type === "source-switched" && e.target.id === b.id ? [e.to.id] : [],
        );
        report("cut-through bridge: A1 → A2 → B → gst-recv", {
          switchAt,
          cut,
          bSent: bVideo.stats().sent,
          packetsCutThrough: stats.packetsCutThrough,
          framesIn: stats.framesIn,
          forwardedToB: forwardedToB.length,
          framesSentByFramePath: framePath.length,
          switches,
          gstFramesDecoded: gst.framesDecoded,
          gstErrors: gst.errors,
          ffmpegFrames: decoded.frames,
          ffmpegErrors: decoded.errors,
          continuity: cont,
        });
        // A1's frames up to and with switchAt, then A2's from its IDR switchAt on
        const want = switchAt + 1 + (FRAMES - switchAt);
        expect(switches).toEqual([a1.id, a2.id]);
        expect(stats.framesIn).toBe(assemble ? 2 * FRAMES : 0);
        expect(framePath).toEqual([]);
        // forwarded$ reports the frames whose packets went, when frames are assembled beside
        expect(forwardedToB).toHaveLength(assemble ? want : 0);
        expect(cut.packets).toBe(bVideo.stats().sent.packets);
        expect(cut.packets).toBe(
          streams[0]!.slice(0, switchAt + 1).flat().length +
            streams[1]!.slice(switchAt).flat().length,
        );
        expect(cont).toMatchObject({ ssrcs: 1, seqGaps: 0, backwardSteps: 0 });
        expect(gst.errors, problemLines(readText(`${out}.log`)).join("\n")).toBe(0);
        expect(gst.framesDecoded).toBe(want);
        expect(done.code).toBe(0);
        expect(decoded.errors, decoded.log).toBe(0);
        const crcs = framecrcFileCrcs(fixture("test.framecrc"));
        const expected = [...crcs.slice(0, switchAt + 1), ...crcs.slice(switchAt)];
        // avdec_h264 decoding every picture is the check above; the Annex-B file copy that FFmpeg
        // decodes again may miss a few access units at its tail when gst-launch stops (EOS on
        // SIGINT: seen 0 to 5 here, 2 in rtp-video's peer tests), so its CRCs are a prefix check
        expect(decoded.frames).toBeGreaterThanOrEqual(want - 8);
        expect(decoded.crcs).toEqual(expected.slice(0, decoded.frames));
      },
      90_000,
    );
  }
});
