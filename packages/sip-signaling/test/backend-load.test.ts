/**
 * Load: SIPp places 200 audio+video calls at 10 calls/s to a SipVideoBackend over UDP on
 * 127.0.0.1 with the shared scenario sipp-av-call.xml (PCMU + H.264 offer; after the ACK each
 * call plays the fixture video pcap and loops PCMU until its BYE), each call held LOAD_HOLD_MS
 * (default 2 s, so ~20 calls are up at once, each receiving ~60 video frames). Checks: 0 failed
 * calls (SIPp's exit status and its own counters), 200 sessions, every RTP port back in the
 * pool, no session or call left. Prints the call rate, the calls' concurrency and our process
 * CPU time (process.cpuUsage) for BENCHMARKS.md.
 */
import { join } from "node:path";
import type { MediaSession } from "@framewire/rtp-video";
import { repoRoot } from "@framewire/test-support/fixtures";
import {
  freeUdpPorts,
  HOST,
  itWithPeers,
  onCleanup,
  peersDir,
  readText,
  report,
  runCleanups,
  sippCounter,
  startChild,
  tempDir,
  waitUntil,
  watchCounter,
} from "@framewire/test-support/peers";
import { afterEach, describe, expect } from "vitest";
import { startBackend } from "./backend-under-test.js";

const loadTest = itWithPeers(["sipp"]);
const CALLS = 200;
const RATE = 10;
const HOLD_MS = Number(process.env.LOAD_HOLD_MS ?? 2_000);

afterEach(async () => {
  await runCleanups();
});

describe("load: SIPp A/V calls into the backend", () => {
  loadTest(
    `${CALLS} A/V calls at ${RATE}/s (sipp-av-call.xml, pcap video + PCMU): 0 failed, every port back`,
    async () => {
      const { backend, port } = await startBackend({}, 256);
      const sessions: MediaSession[] = [];
      let frames = 0;
      let audio = 0;
      onCleanup(backend.onCall((s) => void sessions.push(s)));
      onCleanup(
        backend.onVideoReceived(() => {
          frames++;
        }),
      );
      onCleanup(
        backend.onAudioReceived(() => {
          audio++;
        }),
      );
      const concurrent = watchCounter(() => backend.sessionCount, 20);
      const ports = watchCounter(() => backend.portsInUse, 20);
      // event loop lag while the calls run
      let maxLagMs = 0;
      let last = performance.now();
      const lag = setInterval(() => {
        const now = performance.now();
        maxLagMs = Math.max(maxLagMs, now - last - 10);
        last = now;
      }, 10);
      onCleanup(() => clearInterval(lag));

      const dir = tempDir();
      const sipPort = await freeUdpPorts(1);
      const media = await freeUdpPorts(4);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const run = startChild(
        "sipp",
        [
          `${HOST}:${port}`,
          ...["-sf", join(peersDir(), "sipp-av-call.xml"), "-s", "load"],
          ...["-i", HOST, "-p", String(sipPort), "-mi", HOST, "-mp", String(media), "-t", "u1"],
          ...["-r", String(RATE), "-m", String(CALLS), "-l", "100", "-d", String(HOLD_MS)],
          ...["-recv_timeout", "10000", "-timeout", "75s", "-timeout_error", "-nostdin"],
          ...["-trace_screen", "-screen_file", join(dir, "screen.log")],
          ...["-trace_err", "-error_file", join(dir, "errors.log")],
        ],
        { timeoutMs: 85_000, cwd: repoRoot() }, // the scenario names its media files as fixtures/…
      );
      onCleanup(() => run.kill());
      const r = await run.done;
      const wallMs = performance.now() - t0;
      await waitUntil(
        () =>
          backend.sessionCount === 0 &&
          backend.portsInUse === 0 &&
          backend.userAgentStats.activeCalls === 0,
        5_000,
      );
      const cpu = process.cpuUsage(cpu0);
      clearInterval(lag);
      concurrent.stop();
      ports.stop();
      const screen = readText(join(dir, "screen.log"));
      const ok = sippCounter(screen, "Successful call");
      const failed = sippCounter(screen, "Failed call");
      const stats = backend.userAgentStats;
      const cpuMs = (cpu.user + cpu.system) / 1000;
      report("load", {
        scenario: "sipp-av-call.xml (pcap video + PCMU rtp_stream)",
        calls: CALLS,
        rateAsked: RATE,
        holdMs: HOLD_MS,
        sippRc: r.code,
        sippSuccessful: ok,
        sippFailed: failed,
        sessions: sessions.length,
        wallMs,
        callRate: (sessions.length / (wallMs - HOLD_MS)) * 1000,
        maxConcurrentSessions: concurrent.max(),
        maxPortsInUse: ports.max(),
        videoFrames: frames,
        audioFrames: audio,
        cpuUserMs: cpu.user / 1000,
        cpuSystemMs: cpu.system / 1000,
        cpuMs,
        cpuPct: (100 * cpuMs) / wallMs,
        cpuMsPerCall: cpuMs / CALLS,
        maxEventLoopLagMs: maxLagMs,
        retransmissions: stats.retransmissions,
        datagramsIn: stats.transport.datagramsIn,
        datagramsOut: stats.transport.datagramsOut,
        rejected: backend.rejected,
        portsAfter: backend.portsInUse,
        sessionsAfter: backend.sessionCount,
        activeCallsAfter: stats.activeCalls,
      });
      expect(
        r.code,
        `${readText(join(dir, "errors.log")).slice(-3000)}\n${screen.slice(-3000)}`,
      ).toBe(0);
      expect(failed).toBe(0);
      expect(ok).toBe(CALLS);
      expect(sessions).toHaveLength(CALLS);
      expect(sessions.every((s) => s.video !== undefined && s.videoCodec === "h264")).toBe(true);
      expect(backend.rejected).toEqual({});
      expect(frames).toBeGreaterThan(0);
      expect(audio).toBeGreaterThan(0);
      expect(backend.portsInUse).toBe(0);
      expect(backend.sessionCount).toBe(0);
      expect(stats.activeCalls).toBe(0);
    },
    90_000,
  );
});
