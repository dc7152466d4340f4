/**
 * Cut-through forwarding against real peers (issue 15): a sender → VideoRtpSession A →
 * `onPacket` → RtpRewriter → `forwardPacket` on VideoRtpSession B → GStreamer receives, decodes,
 * and its Annex-B copy is decoded by FFmpeg, picture by picture against the fixture's CRCs.
 *  1. GStreamer replays fixtures/test-rtp.pcap (test.h264 as RTP) → A → B → gst-recv-h264.sh:
 *     all 300 pictures, 0 errors; A's frames$ assembles the 300 frames beside the forwarding.
 *  2. A source switch at a keyframe: the fixture sent twice (own SSRC, sequence and timestamps),
 *     interleaved, into A1 and A2; the rewriter forwards A1, is told to switch to A2 mid-stream
 *     and does so at A2's next IDR: the receiver decodes every picture with 0 errors.
 * Skipped locally when a peer is missing; failing in CI (itWithPeers).
 */
import { createSocket } from "node:dgram";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { h264AccessUnits } from "@framewire/test-support";
import { fixture } from "@framewire/test-support/fixtures";
import {
  ffmpegDecodeFile,
  framecrcFileCrcs,
  freeUdpPorts,
  itWithPeers,
  lastKvLine,
  paced,
  report,
  runCleanups,
  runScript,
  sleep,
  startScript,
  waitForText,
} from "@framewire/test-support/peers";
import { afterEach, describe, expect } from "vitest";
import {
  H264Packetizer,
  joinAnnexB,
  RtpPacketizer,
  RtpRewriter,
  sequenceFrom,
  splitAnnexB,
  type VideoFrame,
  VideoRtpSession,
} from "../src/index.js";

const sessions: VideoRtpSession[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) s.close();
  await runCleanups();
});

async function open(options: Parameters<typeof VideoRtpSession.open>[0] = {}) {
  const s = await VideoRtpSession.open({ localAddr: ["127.0.0.1", 0], ...options });
  sessions.push(s);
  return s;
}

const FRAMES = 300;

/** startReceiver starts gst-recv-h264.sh on a free port and waits until it listens. */
async function startReceiver(dir: string, seconds: number) {
  const port = await freeUdpPorts(2);
  const out = join(dir, "gst-out.h264");
  const receiver = startScript("gst-recv-h264.sh", [String(port), String(seconds), out], {
    timeoutMs: (seconds + 25) * 1000,
  });
  const ready = await waitForText(`${out}.log`, "Setting pipeline to PLAYING", 10_000);
  expect(ready, "gst-recv-h264.sh did not start listening").toBe(true);
  await sleep(500);
  return { port, out, receiver };
}

async function finish(r: Awaited<ReturnType<typeof startReceiver>>) {
  const done = await r.receiver.done;
  const summary = lastKvLine(done.stdout, "frames_decoded");
  expect(summary, `receiver printed no summary:\n${done.stdout}\n${done.stderr}`).toBeDefined();
  const decoded = await ffmpegDecodeFile(r.out, { timeoutMs: 20_000 });
  return { done, summary: summary!, decoded };
}

describe("real peers: cut-through A → RtpRewriter → B", () => {
  itWithPeers(["gst-launch-1.0", "ffmpeg", "timeout"])(
    "pcap-replay.sh (test.h264) → A → B → gst-recv-h264.sh: 300 pictures, 0 errors; A assembles beside",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "framewire-cut-through-"));
      try {
        const rx = await startReceiver(dir, 16);
        try {
          const b = await open({ remoteAddr: ["127.0.0.1", rx.port], symmetric: false });
          const a = await open();
          const rewriter = new RtpRewriter({ ssrc: b.ssrc, payloadType: b.payloadType });
          a.onPacket((packet, datagram) => {
            const out = rewriter.rewrite(packet, datagram);
            if (out !== undefined) b.forwardPacket(out);
          });
          const atA: VideoFrame[] = [];
          a.frames$.subscribe((f) => atA.push(f));
          // the pcap's packets go to 127.0.0.1:5004; replayed with their captured timing (10 s)
          const replay = await runScript(
            "pcap-replay.sh",
            [fixture("test-rtp.pcap"), String(a.localPort)],
            {
              timeoutMs: 40_000,
            },
          );
          expect(replay.code, replay.stderr).toBe(0);
          const { done, summary, decoded } = await finish(rx);
          report("cut-through pcap-replay → gst-recv", {
            forwarded: rewriter.stats.forwarded,
            gated: rewriter.stats.gated,
            bSent: b.stats().sent.packets,
            aFrames: atA.length,
            frames_decoded: summary.frames_decoded,
            errors: summary.errors,
            ffmpegFrames: decoded.frames,
            ffmpegErrors: decoded.errors,
          });
          expect(rewriter.stats).toMatchObject({ gated: 0, switches: 1, dropped: 0 });
          expect(b.stats().sent.packets).toBe(rewriter.stats.forwarded);
          expect(atA).toHaveLength(FRAMES);
          expect(summary.frames_decoded).toBe(String(FRAMES));
          expect(summary.errors).toBe("0");
          expect(done.code).toBe(0);
          // see real-peers.test.ts: gst-launch may lose the last 2 access units of its file copy
          expect(decoded.errors, decoded.log).toBe(0);
          expect(decoded.frames).toBeGreaterThanOrEqual(FRAMES - 2);
          expect(decoded.crcs).toEqual(
            framecrcFileCrcs(fixture("test.framecrc")).slice(0, decoded.frames),
          );
        } finally {
          rx.receiver.kill();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    90_000,
  );

  itWithPeers(["gst-launch-1.0", "ffmpeg", "timeout"])(
    "two senders, a switch at the second one's keyframe → gst-recv-h264.sh decodes every picture, 0 errors",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "framewire-cut-through-"));
      try {
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
        const rx = await startReceiver(dir, 16);
        try {
          const b = await open({ remoteAddr: ["127.0.0.1", rx.port], symmetric: false });
          const a1 = await open({ assemble: false });
          const a2 = await open({ assemble: false });
          const rewriter = new RtpRewriter({ ssrc: b.ssrc, payloadType: b.payloadType });
          rewriter.select(1);
          for (const [source, a] of [
            [1, a1],
            [2, a2],
          ] as const) {
            a.onPacket((packet, datagram) => {
              const out = rewriter.rewrite(packet, datagram, source);
              if (out !== undefined) b.forwardPacket(out);
            });
          }
          const senders = [createSocket("udp4"), createSocket("udp4")];
          await Promise.all(
            senders.map((s) => new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()))),
          );
          const targets = [a1.localPort, a2.localPort];
          // sender 1 sends frame i at i × 33 ms, sender 2 its frame i 16.7 ms later
          const switchAsked = 140;
          const switchAt = keyframes.find((k) => k > switchAsked)!;
          let sendsDone = 0;
          await paced(2 * FRAMES, 1000 / 60, 25_000, async (step) => {
            const k = step % 2;
            const i = Math.floor(step / 2);
            if (k === 0 && i === switchAsked) rewriter.select(2);
            for (const d of streams[k]![i]!)
              await new Promise<void>((r) =>
                senders[k]!.send(d, targets[k]!, "127.0.0.1", () => r()),
              );
            sendsDone++;
          });
          for (const s of senders) s.close();
          expect(sendsDone).toBe(2 * FRAMES);
          const { done, summary, decoded } = await finish(rx);
          report("cut-through switch → gst-recv", {
            switchAt,
            ...rewriter.stats,
            frames_decoded: summary.frames_decoded,
            errors: summary.errors,
            ffmpegFrames: decoded.frames,
            ffmpegErrors: decoded.errors,
          });
          expect(rewriter.stats.switches).toBe(2);
          expect(rewriter.source).toBe(2);
          // source 1 up to and with frame switchAt, then source 2 from its IDR switchAt on
          const want = switchAt + 1 + (FRAMES - switchAt);
          expect(summary.errors).toBe("0");
          expect(summary.frames_decoded).toBe(String(want));
          expect(done.code).toBe(0);
          expect(decoded.errors, decoded.log).toBe(0);
          const crcs = framecrcFileCrcs(fixture("test.framecrc"));
          const expected = [...crcs.slice(0, switchAt + 1), ...crcs.slice(switchAt)];
          expect(decoded.frames).toBeGreaterThanOrEqual(want - 2);
          expect(decoded.crcs).toEqual(expected.slice(0, decoded.frames));
        } finally {
          rx.receiver.kill();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    90_000,
  );
});
