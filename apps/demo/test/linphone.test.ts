/**
 * Linphone (Debian linphone-cli 5.1, headless linphonec, its default codecs and offer) calls the
 * demo, where one built-in caller sends the fixture clip. Linphone's default offer has H.264
 * without `packetization-mode` (mode 0) and the demo answers it; the clip's slices are larger than
 * the MTU, which mode 0 cannot carry, so the bridge sends them as FU-A (the session default
 * `h264OversizeInMode0: "fu-a"`, counted in `stats().sent.nalUnitsOutsideMode`) — Linphone's
 * depacketizer takes FU-A whatever it offered. Linphone must receive the caller's video: its RTP
 * counted on the wire (tshark on lo), rebuilt into Annex-B here (independently of our code) and
 * decoded by FFmpeg with no error.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  ffmpegDecodeFile,
  freeUdpPorts,
  HOST,
  itWithPeers,
  onCleanup,
  report,
  runCleanups,
  startCapture,
  startChild,
  startScript,
  tempDir,
} from "@framewire/test-support/peers";
import { afterEach, describe, expect } from "vitest";
import { startDemo } from "./demo-run.js";

const withLinphone = itWithPeers(["linphonec", "tshark", "ffmpeg", "timeout"]);

afterEach(runCleanups);

interface Packet {
  readonly seq: number;
  readonly marker: boolean;
  readonly payload: Uint8Array;
}

/** videoPackets reads the RTP (payload type `pt`) sent to UDP port `port` in a pcap. */
async function videoPackets(pcap: string, port: number, pt: number): Promise<Packet[]> {
  const r = await startChild(
    "tshark",
    [
      ...["-r", pcap, "-d", `udp.port==${port},rtp`, "-Y"],
      `!icmp && udp.dstport==${port} && rtp.version==2 && rtp.p_type==${pt}`,
      ...["-T", "fields", "-E", "separator=,", "-e", "rtp.seq", "-e", "rtp.marker"],
      ...["-e", "rtp.payload"],
    ],
    { timeoutMs: 60_000 },
  ).done;
  if (r.code !== 0) throw new Error(`tshark -r ${pcap} failed:\n${r.stderr}`);
  return r.stdout
    .split(/\r?\n/)
    .filter((l) => l.trim() !== "")
    .map((l) => {
      const [seq, m, hex] = l.split(",");
      return {
        seq: Number(seq),
        marker: m === "1" || m === "True",
        payload: Uint8Array.from(Buffer.from((hex ?? "").replace(/:/g, ""), "hex")),
      };
    });
}

/**
 * annexB rebuilds H.264 from RFC 6184 payloads in arrival order (loopback: no reordering): single
 * NAL units, STAP-A, FU-A. A sequence gap or a broken FU-A drops the unit it is in. Output starts
 * at the first SPS, so the decoder never sees a picture without its parameter sets.
 */
function annexB(packets: readonly Packet[]): {
  bytes: Buffer;
  single: number;
  stapA: number;
  fuA: number;
} {
  const units: Uint8Array[] = [];
  let fu: Uint8Array[] | undefined;
  let previous: number | undefined;
  let single = 0;
  let stapA = 0;
  let fuA = 0;
  for (const p of packets) {
    if (previous !== undefined && ((previous + 1) & 0xffff) !== p.seq) fu = undefined;
    previous = p.seq;
    const b = p.payload;
    if (b.length === 0) continue;
    const type = b[0]! & 0x1f;
    if (type >= 1 && type <= 23) {
      single++;
      units.push(b);
    } else if (type === 24) {
      stapA++;
      for (let o = 1; o + 2 <= b.length; ) {
        const n = (b[o]! << 8) | b[o + 1]!;
        if (o + 2 + n > b.length) break;
        units.push(b.subarray(o + 2, o + 2 + n));
        o += 2 + n;
      }
    } else if (type === 28 && b.length > 2) {
      fuA++;
      const start = (b[1]! & 0x80) !== 0;
      const end = (b[1]! & 0x40) !== 0;
      if (start) fu = [Uint8Array.of((b[0]! & 0xe0) | (b[1]! & 0x1f))];
      if (fu === undefined) continue;
      fu.push(b.subarray(2));
      if (end) {
        units.push(Buffer.concat(fu));
        fu = undefined;
      }
    }
  }
  const first = units.findIndex((u) => (u[0]! & 0x1f) === 7);
  const parts: Uint8Array[] = [];
  for (const u of first < 0 ? [] : units.slice(first)) parts.push(Uint8Array.of(0, 0, 0, 1), u);
  return { bytes: Buffer.concat(parts), single, stapA, fuA };
}

describe("Linphone's default offer (H.264 packetization-mode 0) calls the demo", () => {
  withLinphone(
    "Linphone receives the built-in caller's video; FFmpeg decodes it without error",
    async () => {
      const sipPort = await freeUdpPorts(1);
      const demo = startDemo(
        ["--callers", "1", "--port", String(sipPort), "--no-web", "--duration", "45"],
        90_000,
      );
      onCleanup(() => demo.child.kill());
      await demo.line(/SIP bridge listening on sip:demo@127\.0\.0\.1:\d+/);

      const dir = tempDir("framewire-demo-linphone-");
      const base = await freeUdpPorts(6); // SIP, audio RTP/RTCP, video RTP/RTCP
      const videoPort = base + 4;
      const SECONDS = 12;
      const capture = await startCapture(
        join(dir, "linphone.pcap"),
        `udp dst port ${videoPort} or udp port ${sipPort}`,
        SECONDS + 25,
      );
      const phone = await startScript(
        "linphone-call.sh",
        [`sip:demo@${HOST}:${sipPort}`, String(SECONDS)],
        {
          env: {
            SIP_PORT: String(base),
            AUDIO_PORT: String(base + 2),
            VIDEO_PORT: String(videoPort),
            LOGDIR: dir,
          },
          timeoutMs: (SECONDS + 40) * 1000,
        },
      ).done;
      await capture.stop();
      const out = `${phone.stdout}\n${phone.stderr}`;
      expect(phone.stdout, out).toContain("call_established=1");
      expect(phone.stdout, out).toContain("media_established=1");

      // the answer took Linphone's H.264 at mode 0 (what its default offer allows)
      const sip = await startChild(
        "tshark",
        ["-r", capture.file, "-d", `udp.port==${sipPort},sip`, "-Y", "sdp", "-T", "fields"].concat([
          "-e",
          "sip.Status-Code",
          "-e",
          "sdp.media",
          "-e",
          "sdp.media_attr",
        ]),
        { timeoutMs: 60_000 },
      ).done;
      const answer = sip.stdout.split(/\r?\n/).find((l) => l.startsWith("200"));
      expect(answer, sip.stdout).toMatch(/packetization-mode=0/);
      const pt = Number(/video \d+ RTP\/AVP (\d+)/.exec(answer ?? "")?.[1]);

      const packets = await videoPackets(capture.file, videoPort, pt);
      const rebuilt = annexB(packets);
      const file = join(dir, "received.h264");
      writeFileSync(file, rebuilt.bytes);
      const decoded = await ffmpegDecodeFile(file);
      report("Linphone (default offer, H.264 mode 0) ⇐ demo caller", {
        payloadType: pt,
        rtpPackets: packets.length,
        frames: packets.filter((p) => p.marker).length,
        singleNal: rebuilt.single,
        stapA: rebuilt.stapA,
        fuA: rebuilt.fuA,
        annexBBytes: rebuilt.bytes.length,
        ffmpegFrames: decoded.frames,
        ffmpegErrors: decoded.errors,
        linphone: phone.stdout.trim().split("\n"),
      });
      // the caller's clip at 30 fps for most of the call, several packets per frame
      expect(packets.length, out).toBeGreaterThan(300);
      expect(packets.filter((p) => p.marker).length).toBeGreaterThan(150);
      // its slices exceed the MTU: FU-A, outside mode 0 (the lenient default)
      expect(rebuilt.fuA).toBeGreaterThan(0);
      expect(decoded.errors, decoded.log).toBe(0);
      expect(decoded.frames).toBeGreaterThan(150);
      // Linphone's own decoder produced pictures of the clip's size
      expect(phone.stdout, out).toContain("video_size=640x360");

      demo.child.kill("SIGINT");
      const { exit, summary } = await demo.finished();
      expect(exit.code, exit.stdout + exit.stderr).toBe(0);
      expect(summary?.afterStop).toEqual({ portsInUse: 0, sessions: 0 });
    },
    150_000,
  );
});
