/**
 * An attacker on the same host floods every RTP/RTCP port the demo and its callers can use with
 * forged packets — in-sequence streams with a fixed SSRC per port (what a probation would accept
 * from a peer) and random-SSRC junk — starting before the callers' first packet and going on
 * while they talk. Nothing may be hijacked: both callers receive the other's clip byte for byte
 * and it decodes with 0 errors (node-av in the demo and FFmpeg's CLI), the accepted sources never
 * move, and the forged datagrams are counted and visible in `/metrics`.
 */
import { createSocket, type Socket } from "node:dgram";
import { prng } from "@framewire/test-support";
import {
  ffmpegDecodeFile,
  itWithPeers,
  onCleanup,
  runCleanups,
} from "@framewire/test-support/peers";
import { afterEach, describe, expect } from "vitest";
import { startDemo } from "./demo-run.js";

const withFfmpeg = itWithPeers(["ffmpeg"]);

afterEach(runCleanups);

const RTP_START = 24_000; // the bridge's range: RTP_START .. RTP_START + 2000
const CALLER_RANGES = [30_000, 30_400]; // the built-in callers' ranges (400 ports each)
const MAX_DATAGRAMS = 400_000;
const MAX_FLOOD_MS = 12_000;

/** forgedRtp is a plausible H.264 RTP packet: version 2, PT 96, a small IDR slice NAL unit. */
function forgedRtp(seq: number, ts: number, ssrc: number, random: () => number): Uint8Array {
  const d = new Uint8Array(12 + 40);
  const v = new DataView(d.buffer);
  d[0] = 0x80;
  d[1] = 0x80 | 96;
  v.setUint16(2, seq & 0xffff);
  v.setUint32(4, ts >>> 0);
  v.setUint32(8, ssrc >>> 0);
  d[12] = 0x65; // IDR slice
  for (let i = 13; i < d.length; i++) d[i] = (random() * 256) | 0;
  return d;
}

/** forgedRtcp is an RTCP BYE for a random SSRC (it must not end anything). */
function forgedRtcpBye(ssrc: number): Uint8Array {
  const d = new Uint8Array(8);
  const v = new DataView(d.buffer);
  d[0] = 0x81;
  d[1] = 203;
  v.setUint16(2, 1);
  v.setUint32(4, ssrc >>> 0);
  return d;
}

interface Flood {
  readonly sent: () => number;
  stop(): Promise<void>;
}

/**
 * flood sends, round after round until stopped (or the caps), to every port of `ports`: four
 * in-sequence packets of that port's own SSRC on even ports, one random-SSRC packet and one RTCP
 * BYE on the odd port after it. It yields to the event loop every 256 datagrams.
 */
function flood(sockets: readonly Socket[], ports: readonly number[], seed: number): Flood {
  const random = prng(seed);
  const ssrcOf = new Map(ports.map((p) => [p, (random() * 2 ** 32) >>> 0]));
  const started = Date.now();
  let sent = 0;
  let seq = 0;
  let stopped = false;
  const done = (async () => {
    while (!stopped && sent < MAX_DATAGRAMS && Date.now() - started < MAX_FLOOD_MS) {
      seq += 4;
      let batch = 0;
      for (const port of ports) {
        if (stopped) break;
        const sock = sockets[port % sockets.length]!;
        const ssrc = ssrcOf.get(port)!;
        for (let k = 0; k < 4; k++) {
          sock.send(forgedRtp(seq + k, (seq + k) * 3000, ssrc, random), port, "127.0.0.1");
        }
        sock.send(
          forgedRtp((random() * 65536) | 0, 0, (random() * 2 ** 32) >>> 0, random),
          port,
          "127.0.0.1",
        );
        sock.send(forgedRtcpBye((random() * 2 ** 32) >>> 0), port + 1, "127.0.0.1");
        sent += 6;
        batch += 6;
        if (batch >= 256) {
          batch = 0;
          await new Promise((r) => setImmediate(r));
        }
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    sent: () => sent,
    async stop() {
      stopped = true;
      await done;
    },
  };
}

async function bind(address: string): Promise<Socket> {
  const s = createSocket("udp4");
  s.on("error", () => {}); // ICMP unreachable for ports nobody holds: expected, ignored
  await new Promise<void>((r) => s.bind(0, address, () => r()));
  return s;
}

function metricValues(text: string, name: string): number[] {
  const re = new RegExp(`^${name}\\{[^}]*\\} (\\d+)$`, "gm");
  return [...text.matchAll(re)].map((m) => Number(m[1]));
}

describe("forged RTP floods against the demo's ports", () => {
  withFfmpeg(
    "0 hijacks: from before the first packet and during the call, every port flooded; the clips arrive intact and decode with 0 errors; the forged datagrams are in /metrics",
    async () => {
      // two attacker sockets: one on the callers' own address (127.0.0.1), one on another
      const sockets = [await bind("127.0.0.1"), await bind("127.0.0.7")];
      onCleanup(() => {
        for (const s of sockets) s.close();
      });
      const ports: number[] = [];
      for (let p = RTP_START; p < RTP_START + 2000; p += 2) ports.push(p);
      for (const start of CALLER_RANGES) for (let p = start; p < start + 400; p += 2) ports.push(p);

      const demo = startDemo(
        ["--duration", "14", "--port", "0", "--web-port", "0", "--rtp-port", String(RTP_START)],
        90_000,
      );
      onCleanup(() => demo.child.kill());
      await demo.line(/SIP bridge listening on (sip:demo@127\.0\.0\.1:\d+)/);
      // the flood starts before the callers' first RTP packet
      const attack = flood(sockets, ports, 0xf00d);
      onCleanup(() => attack.stop());
      const [, web] = await demo.line(/dashboard on (http:\/\/127\.0\.0\.1:\d+)/);
      await demo.line(/caller caller-2: in-call/, 30_000);
      await new Promise((r) => setTimeout(r, 6000));
      const metrics = await (await fetch(`${web}/metrics`)).text();
      await attack.stop();
      expect(attack.sent()).toBeGreaterThan(20_000);

      const foreign = metricValues(metrics, "framewire_participant_rtp_foreign_packets");
      expect(foreign, metrics).toHaveLength(2);
      for (const n of foreign) expect(n).toBeGreaterThan(0);
      expect(metricValues(metrics, "framewire_participant_rtp_source_changes")).toEqual([0, 0]);

      const { exit, summary } = await demo.finished();
      expect(exit.timedOut).toBe(false);
      expect(exit.code, `${exit.stdout}\n${exit.stderr}`).toBe(0);
      expect(summary).toBeDefined();
      expect(summary!.callers).toHaveLength(2);
      for (const c of summary!.callers) {
        expect(
          c.receivedRatio,
          `${c.name} received ${c.receivedFrames} of ${c.peerSentFrames}`,
        ).toBeGreaterThanOrEqual(0.9);
        // nothing forged was forwarded: every frame received is the peer's clip, byte for byte
        expect(c.receivedFromClip).toBe(c.receivedFrames);
        expect("error" in c.decode).toBe(false);
        if ("error" in c.decode) continue;
        expect(c.decode.errors, c.decode.messages.join("\n")).toBe(0);
        const ff = await ffmpegDecodeFile(c.file);
        expect(ff.errors, ff.log).toBe(0);
      }
      expect(summary!.afterStop).toEqual({ portsInUse: 0, sessions: 0 });
    },
    120_000,
  );
});
