/**
 * `--no-callers` with real softphones: two baresip-call.sh (baresip re-encoding fixtures/test.mp4
 * with libx264, plus a 440 Hz PCMU tone) dial sip:demo@127.0.0.1:PORT. Each baresip must receive
 * the other's video and audio, counted on the wire by the script's tshark report.
 */
import {
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
import { startDemo } from "./demo-run.js";

const withBaresip = itWithPeers(["baresip", "tshark", "timeout"]);

afterEach(runCleanups);

interface StateJson {
  rooms: {
    id: string;
    participants: {
      caller: string;
      codec: string;
      framesIn: number;
      delivered: number;
      audioPacketsIn: number;
      thumbnails: number;
    }[];
  }[];
}

describe.each([
  { codec: "H264", shown: "H264" },
  { codec: "VP8", shown: "VP8" },
])(
  "npm run demo -- --no-callers, two baresip softphones dial in with $codec",
  ({ codec, shown }) => {
    withBaresip(
      "each baresip receives the other's video and audio through the bridge; thumbnails appear",
      async () => {
        const sipPort = await freeUdpPorts(1);
        const demo = startDemo(
          ["--no-callers", "--port", String(sipPort), "--web-port", "0", "--duration", "40"],
          90_000,
        );
        onCleanup(() => demo.child.kill());
        await demo.line(/SIP bridge listening on sip:demo@127\.0\.0\.1:\d+/);
        const [, web] = await demo.line(/dashboard on (http:\/\/127\.0\.0\.1:\d+)/);

        const SECONDS = 15;
        const rtpRanges: [number, number][] = [];
        const phones = await Promise.all(
          [0, 1].map(async (i) => {
            const dir = tempDir(`framewire-demo-baresip-${i}-`);
            const sip = await freeUdpPorts(2);
            const rtp = await freeUdpPorts(100);
            rtpRanges[i] = [rtp, rtp + 99];
            return startScript(
              "baresip-call.sh",
              [`sip:demo@${HOST}:${sipPort}`, String(SECONDS)],
              {
                env: {
                  SIP_PORT: String(sip),
                  LOGDIR: dir,
                  RTP_PORTS: `${rtp}-${rtp + 99}`,
                  VIDEO_CODECS: codec,
                },
                timeoutMs: (SECONDS + 60) * 1000,
              },
            );
          }),
        );

        // mid-call, the bridge shows both phones sending and receiving
        let state: StateJson | undefined;
        const bothFlowing = await waitUntil(
          () => {
            void fetch(`${web}/api/state`)
              .then((r) => r.json())
              .then((j) => {
                state = j as StateJson;
              })
              .catch(() => {});
            const ps = state?.rooms.find((r) => r.id === "demo")?.participants ?? [];
            return (
              ps.length === 2 &&
              ps.every(
                (p) =>
                  p.codec === shown &&
                  p.framesIn > 30 &&
                  p.delivered > 30 &&
                  p.audioPacketsIn > 50 &&
                  p.thumbnails > 0,
              )
            );
          },
          25_000,
          250,
        );
        expect(bothFlowing, JSON.stringify(state)).toBe(true);

        const reports = (await Promise.all(phones.map((p) => p.done))).map((r, i) => {
          // a capture that came up after the INVITE has no SDP naming the phone's ports: count
          // the same capture by the phone's RTP port range instead
          const [lo, hi] = rtpRanges[i]!;
          const report = withRtpCountsFromPortRange(parseBaresipReport(r.stdout), r.stdout, lo, hi);
          return { report, out: r.stdout + r.stderr };
        });
        report(`demo --no-callers ⇄ 2 baresip (${codec})`, {
          baresip: reports.map(({ report: r }) => ({
            videoSent: r.videoSent,
            videoRecv: r.videoRecv,
            audioSent: r.audioSent,
            audioRecv: r.audioRecv,
            ...(r.countedByPortRange ? { countedByPortRange: true } : {}),
          })),
        });
        for (const [i, { report, out }] of reports.entries()) {
          expect(report.established, `baresip ${i}:\n${out}`).toBe(true);
          // the other phone's video: ~30 fps for most of the call, several packets per frame
          expect(report.videoRecv, `baresip ${i} video packets received:\n${out}`).toBeGreaterThan(
            150,
          );
          // the other phone's tone: 50 packets/s
          expect(report.audioRecv, `baresip ${i} audio packets received:\n${out}`).toBeGreaterThan(
            250,
          );
        }
        // the demo hangs up nothing itself here; stop it early with SIGINT, as a user would
        demo.child.kill("SIGINT");
        const { exit, summary } = await demo.finished();
        expect(exit.code, exit.stdout + exit.stderr).toBe(0);
        expect(summary?.afterStop).toEqual({ portsInUse: 0, sessions: 0 });
      },
      120_000,
    );
  },
);
