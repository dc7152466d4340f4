/**
 * Acceptance tests against real third-party peers (FFmpeg, GStreamer), driven by the
 * scripts in `tools/peers` (harness: @framewire/test-support/peers):
 *  - FFmpeg (libx264) sends RTP H.264 → our FrameAssembler → Annex-B file → FFmpeg decodes it;
 *  - our RtpPacketizer sends fixtures/test.h264 → GStreamer / FFmpeg receive and decode it.
 * Skipped locally when a peer is missing; failing in CI (itWithPeers).
 */
import { createSocket, type Socket } from "node:dgram";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AccessUnits, h264AccessUnits } from "@framewire/test-support";
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
import { afterEach, describe, expect, it } from "vitest";
import {
  FrameAssembler,
  H264Packetizer,
  joinAnnexB,
  RtpPacketizer,
  RtpVideoError,
  splitAnnexB,
  tryParseRtpPacket,
  type VideoFrame,
} from "../src/index.js";

afterEach(runCleanups);

// ---------------------------------------------------------------------------
// Helpers

/** accessUnitsOf returns the access units of an Annex-B file, each joined back to Annex-B. */
function accessUnitsOf(path: string): AccessUnits {
  return h264AccessUnits(readFileSync(path), { splitAnnexB, joinAnnexB });
}

const FIXED_SSRC = 0x0badcafe;
const RTP_TS_BASE = 1_234_567;
const TICKS_PER_FRAME = 3000; // 90 kHz / 30 fps

/**
 * testStreamToSend is fixtures/test.h264 (all 300 access units) as RTP datagrams (packetizeAll),
 * and a free even port pair to send them to.
 */
async function testStreamToSend(): Promise<{ datagrams: Uint8Array[][]; port: number }> {
  const { units } = accessUnitsOf(fixture("test.h264"));
  expect(units).toHaveLength(TEST_H264_FRAMES);
  return { datagrams: packetizeAll(units), port: await freeUdpPorts(2) };
}

/** packetizeAll turns access units into RTP datagrams (mode 1, mtu 1200, PT 96, fixed SSRC). */
function packetizeAll(units: readonly Uint8Array[]): Uint8Array[][] {
  const rtp = new RtpPacketizer({
    packetizer: new H264Packetizer({ mtu: 1200, packetizationMode: 1 }),
    payloadType: 96,
    ssrc: FIXED_SSRC,
  });
  return units.map((au, i) => rtp.packetizeFrame(au, RTP_TS_BASE + i * TICKS_PER_FRAME));
}

interface PacedSendResult {
  frames: number;
  packets: number;
  bytes: number;
  durationMs: number;
  /** Largest delay of a frame behind its schedule (timer jitter). */
  maxLateMs: number;
}

function sendDatagram(sock: Socket, data: Uint8Array, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    sock.send(data, port, "127.0.0.1", (err) => (err ? reject(err) : resolve()));
  });
}

/**
 * sendPaced sends frame i's datagrams to 127.0.0.1:port at t0 + i * intervalMs (drift-free:
 * each wait is computed from the schedule, not from the previous send). Bounded: one pass over
 * `frames`, and it throws once `deadlineMs` has elapsed.
 */
async function sendPaced(
  port: number,
  frames: readonly Uint8Array[][],
  intervalMs: number,
  deadlineMs: number,
): Promise<PacedSendResult> {
  const sock = createSocket({ type: "udp4" });
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once("error", reject);
      sock.bind({ port: 0, address: "127.0.0.1" }, () => {
        sock.off("error", reject);
        resolve();
      });
    });
    let packets = 0;
    let bytes = 0;
    const pacing = await paced(frames.length, intervalMs, deadlineMs, async (i) => {
      for (const d of frames[i]!) {
        await sendDatagram(sock, d, port);
        packets++;
        bytes += d.length;
      }
    });
    return {
      frames: pacing.steps,
      packets,
      bytes,
      durationMs: pacing.durationMs,
      maxLateMs: pacing.maxLateMs,
    };
  } finally {
    await new Promise<void>((resolve) => sock.close(() => resolve()));
  }
}

/** bindUdp binds a udp4 socket on 127.0.0.1:port. */
function bindUdp(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const sock = createSocket({ type: "udp4" });
    sock.once("error", (err) => {
      sock.close();
      reject(err);
    });
    sock.bind({ port, address: "127.0.0.1", exclusive: true }, () => {
      sock.removeAllListeners("error");
      sock.on("error", () => {});
      // a large receive buffer: FFmpeg sends each IDR's fragments back to back
      try {
        sock.setRecvBufferSize(4 * 1024 * 1024);
      } catch {
        // capped by net.core.rmem_max: keep the default
      }
      resolve(sock);
    });
  });
}

function closeUdp(sock: Socket | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (sock === undefined) {
      resolve();
      return;
    }
    try {
      sock.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });
}

/** The CRCs of the 300 pictures of fixtures/test.h264 (FFmpeg's reference decode). */
function fixtureCrcs(): string[] {
  return framecrcFileCrcs(fixture("test.framecrc"));
}

const TEST_H264_FRAMES = 300;
const FRAME_INTERVAL_MS = 1000 / 30;

// ---------------------------------------------------------------------------
// Unit checks of the helpers and of packetization-mode 0 (no peers needed)

describe("fixtures/test.h264 split into access units", () => {
  it("gives 300 access units, 10 of them IDR, re-joined byte-identically", () => {
    const data = readFileSync(fixture("test.h264"));
    const { units, idr } = accessUnitsOf(fixture("test.h264"));
    expect(units).toHaveLength(TEST_H264_FRAMES);
    expect(idr.filter(Boolean)).toHaveLength(10);
    expect(idr[0]).toBe(true);
    // test.h264 uses §B.1.2 start codes, so joining the access units gives the file back
    expect(Buffer.concat(units).equals(data)).toBe(true);
  });

  it("packetization-mode 0 refuses the first IDR access unit: H264_NAL_TOO_LARGE", () => {
    const { units, idr } = accessUnitsOf(fixture("test.h264"));
    const firstIdr = idr.indexOf(true);
    expect(firstIdr).toBeGreaterThanOrEqual(0);
    const au = units[firstIdr]!;
    const largest = Math.max(...splitAnnexB(au).map((n) => n.length));
    expect(largest).toBeGreaterThan(1200);
    const packetizer = new H264Packetizer({ packetizationMode: 0, mtu: 1200 });
    let payloads = 0;
    let caught: unknown;
    try {
      packetizer.packetize(au, () => {
        payloads++;
      });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RtpVideoError);
    expect((caught as RtpVideoError).code).toBe("H264_NAL_TOO_LARGE");
    // nothing of the refused access unit was emitted
    expect(payloads).toBe(0);
    // the RTP layer surfaces the same error
    const rtp = new RtpPacketizer({ packetizer, payloadType: 96, ssrc: FIXED_SSRC });
    expect(() => rtp.packetizeFrame(au, RTP_TS_BASE)).toThrow(
      expect.objectContaining({ code: "H264_NAL_TOO_LARGE" }),
    );
  });
});

// ---------------------------------------------------------------------------
// FFmpeg (libx264) → our depacketizer

describe("real peers: ffmpeg-send-h264.sh → FrameAssembler", () => {
  for (const mode of ["normal", "bigidr", "pkt1200"] as const) {
    itWithPeers(["ffmpeg", "timeout"])(
      `${mode}: 4 s at 30 fps reassemble into frames FFmpeg decodes without error`,
      async () => {
        const dir = mkdtempSync(join(tmpdir(), "framewire-real-peers-"));
        let rtpSock: Socket | undefined;
        let rtcpSock: Socket | undefined;
        try {
          const port = await freeUdpPorts(2);
          rtpSock = await bindUdp(port);
          rtcpSock = await bindUdp(port + 1); // RTCP sender reports: received and ignored

          const frames: VideoFrame[] = [];
          const assembler = new FrameAssembler({ frame: (f) => frames.push(f) });
          let datagrams = 0;
          const parseErrors: string[] = [];
          const payloadTypes = new Set<number>();
          let maxDatagram = 0;
          rtpSock.on("message", (msg: Buffer) => {
            datagrams++;
            maxDatagram = Math.max(maxDatagram, msg.length);
            const p = tryParseRtpPacket(msg);
            if (typeof p === "string") {
              parseErrors.push(p);
              return;
            }
            payloadTypes.add(p.payloadType);
            assembler.push(p);
          });

          const sdp = join(dir, "send.sdp");
          const t0 = Date.now();
          const sender = await runScript(
            "ffmpeg-send-h264.sh",
            [String(port), "4", "640x360", mode, sdp],
            { timeoutMs: 30_000 },
          );
          const sendMs = Date.now() - t0;
          expect(sender.code, sender.stderr).toBe(0);
          // let the last datagrams reach the socket (bounded)
          for (let i = 0; i < 20 && Date.now() - t0 < sendMs + 2_000; i++) {
            const before = datagrams;
            await sleep(50);
            if (datagrams === before && i >= 4) break;
          }
          assembler.flush();

          const file = join(dir, `recv-${mode}.h264`);
          writeFileSync(file, Buffer.concat(frames.map((f) => f.data)));
          const decoded = await ffmpegDecodeFile(file, { timeoutMs: 20_000 });

          const keyframes = frames.filter((f) => f.keyframe);
          const maxIdr = Math.max(0, ...keyframes.map((f) => f.data.length));
          report(`ffmpeg-send ${mode}`, {
            datagrams,
            maxDatagram,
            frames: frames.length,
            keyframes: keyframes.length,
            maxIdrBytes: maxIdr,
            fileBytes: statSync(file).size,
            decodedFrames: decoded.frames,
            decodeErrors: decoded.errors,
            lost: assembler.stats.lost,
            sendMs,
          });

          expect(parseErrors).toEqual([]);
          expect([...payloadTypes]).toEqual([96]);
          expect(assembler.stats.lost).toBe(0);
          expect(assembler.stats).toMatchObject({
            duplicates: 0,
            late: 0,
            outOfWindow: 0,
            resyncs: 0,
            framesDroppedLoss: 0,
            framesDroppedCorrupt: 0,
            framesDroppedTooLarge: 0,
            framesDroppedWaiting: 0,
          });
          const drops = assembler.depacketizerDrops;
          expect(drops).toEqual(Object.fromEntries(Object.keys(drops).map((k) => [k, 0])));
          expect(frames.length).toBeGreaterThanOrEqual(115);
          expect(frames.length).toBeLessThanOrEqual(120);
          expect(frames.map((f) => f.sequence)).toEqual([...frames.keys()]);
          expect(frames.every((f) => f.width === 640 && f.height === 360)).toBe(true);
          expect(frames[0]!.keyframe).toBe(true);
          expect(keyframes.length).toBeGreaterThanOrEqual(4);
          if (mode === "bigidr") expect(maxIdr).toBeGreaterThan(100_000);
          if (mode === "pkt1200") expect(maxDatagram).toBeLessThanOrEqual(1200);
          expect(decoded.errors, decoded.log).toBe(0);
          expect(decoded.frames).toBe(frames.length);
        } finally {
          await closeUdp(rtpSock);
          await closeUdp(rtcpSock);
          rmSync(dir, { recursive: true, force: true });
        }
      },
      60_000,
    );
  }
});

// ---------------------------------------------------------------------------
// Our packetizer → GStreamer / FFmpeg

describe("real peers: RtpPacketizer(test.h264) → receivers", () => {
  itWithPeers(["gst-launch-1.0", "ffmpeg", "timeout"])(
    "gst-recv-h264.sh decodes all 300 frames, 0 errors; its Annex-B output decodes cleanly",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "framewire-real-peers-"));
      try {
        const { datagrams, port } = await testStreamToSend();
        const out = join(dir, "gst-out.h264");
        const receiver = startScript("gst-recv-h264.sh", [String(port), "14", out], {
          timeoutMs: 40_000,
        });
        try {
          const t0 = Date.now();
          const ready = await waitForText(`${out}.log`, "Setting pipeline to PLAYING", 10_000);
          expect(ready, "gst-recv-h264.sh did not start listening").toBe(true);
          await sleep(Math.max(300, 1_500 - (Date.now() - t0)));

          const sent = await sendPaced(port, datagrams, FRAME_INTERVAL_MS, 13_000);
          const r = await receiver.done;
          const summary = lastKvLine(r.stdout, "frames_decoded");
          expect(summary, `receiver printed no summary:\n${r.stdout}\n${r.stderr}`).toBeDefined();
          const decoded = await ffmpegDecodeFile(out, { timeoutMs: 20_000 });
          report("gst-recv", {
            ...sent,
            frames_decoded: summary!.frames_decoded,
            warnings: summary!.warnings,
            errors: summary!.errors,
            out_bytes: summary!.out_bytes,
            ffmpegFrames: decoded.frames,
            ffmpegErrors: decoded.errors,
            receiverMs: Date.now() - t0,
          });
          expect(sent.frames).toBe(TEST_H264_FRAMES);
          expect(summary!.frames_decoded).toBe("300");
          expect(summary!.errors).toBe("0");
          expect(r.code).toBe(0);
          // The file branch is exact (300) unless gst-launch-1.0 dies of a second SIGINT during
          // its forced EOS (a race in the script's `timeout -s INT`: coreutils timeout signals
          // the child, then its process group, and gst-launch's SIGINT handler is one-shot):
          // then the last 2 access units never reach the file. Seen with pcap-replay.sh too.
          expect(decoded.errors, decoded.log).toBe(0);
          expect(decoded.frames).toBeGreaterThanOrEqual(TEST_H264_FRAMES - 2);
          expect(decoded.frames).toBeLessThanOrEqual(TEST_H264_FRAMES);
          // the very pictures of the fixture, in order
          expect(decoded.crcs).toEqual(fixtureCrcs().slice(0, decoded.frames));
        } finally {
          receiver.kill();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    60_000,
  );

  itWithPeers(["ffmpeg", "timeout"])(
    "ffmpeg-recv-h264.sh decodes ≥ 297 frames (all but the ≤ 3 it holds at stop), 0 errors, no lost packets",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "framewire-real-peers-"));
      try {
        const { datagrams, port } = await testStreamToSend();
        const sdp = join(dir, "recv.sdp");
        writeFileSync(
          sdp,
          [
            "v=0",
            "o=- 0 0 IN IP4 127.0.0.1",
            "s=framewire rtp-video",
            "c=IN IP4 127.0.0.1",
            "t=0 0",
            `m=video ${port} RTP/AVP 96`,
            "a=rtpmap:96 H264/90000",
            "a=fmtp:96 packetization-mode=1; profile-level-id=42C01F",
            "",
          ].join("\r\n"),
        );
        const out = join(dir, "ffmpeg-out.h264");
        const receiver = startScript("ffmpeg-recv-h264.sh", [sdp, "14", out], {
          timeoutMs: 40_000,
        });
        try {
          const t0 = Date.now();
          // FFmpeg logs nothing when it starts listening (level warning): give it 1.5 s
          await sleep(1_500);
          const sent = await sendPaced(port, datagrams, FRAME_INTERVAL_MS, 13_000);
          const r = await receiver.done;
          const summary = lastKvLine(r.stdout, "frames_decoded");
          expect(summary, `receiver printed no summary:\n${r.stdout}\n${r.stderr}`).toBeDefined();
          const decoded = await ffmpegDecodeFile(out, { timeoutMs: 20_000 });
          report("ffmpeg-recv", {
            ...sent,
            frames_decoded: summary!.frames_decoded,
            warnings: summary!.warnings,
            errors: summary!.errors,
            lost_packet_msgs: summary!.lost_packet_msgs,
            out_bytes: summary!.out_bytes,
            ffmpegFrames: decoded.frames,
            ffmpegErrors: decoded.errors,
            receiverMs: Date.now() - t0,
          });
          let log = "";
          try {
            log = readFileSync(`${out}.log`, "utf8");
          } catch {
            // no log
          }
          expect(sent.frames).toBe(TEST_H264_FRAMES);
          expect(summary!.errors, log).toBe("0");
          expect(summary!.lost_packet_msgs, log).toBe("0");
          // ffmpeg-recv-h264.sh's stop (two SIGINTs: "Immediate exit requested") discards the
          // last 2-3 pictures whatever the sender: 297 of 300 for the fixture's own pcap replayed
          // by pcap-replay.sh, 117 of 120 for ffmpeg-send-h264.sh. They are held, not lost.
          const decodedFrames = Number(summary!.frames_decoded);
          expect(decodedFrames).toBeGreaterThanOrEqual(TEST_H264_FRAMES - 3);
          expect(decodedFrames).toBeLessThanOrEqual(TEST_H264_FRAMES);
          expect(r.code).toBe(0);
          // what it decoded live is the fixture's pictures, in order
          const fixture300 = fixtureCrcs();
          expect(framecrcFileCrcs(`${out}.framecrc`)).toEqual(fixture300.slice(0, decodedFrames));
          // its stream copy holds all but the last access unit (kept by its H.264 parser)
          expect(decoded.errors, decoded.log).toBe(0);
          expect(decoded.frames).toBeGreaterThanOrEqual(TEST_H264_FRAMES - 1);
          expect(decoded.crcs).toEqual(fixture300.slice(0, decoded.frames));
        } finally {
          receiver.kill();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
