/**
 * SIP at scale (issue 15), against real peers on 127.0.0.1, each run bounded:
 * - SIPp places 1000 A/V calls at 20 calls/s (sipp-av-call.xml: PCMU + H.264 offer, pcap video
 *   and PCMU after the ACK, held 2 s): 0 failed, every port back. Before the transaction table
 *   was sized by rate, 139 of them got 503 (finished transactions filled the 1024 entries);
 * - SIPp's built-in uac scenario (audio-only PCMU offer, held 1 s) at 100 calls/s for 30 s:
 *   0 failed;
 * - an OPTIONS flood (bench/options-peer.mjs, one source) during two A/V calls between two
 *   backends: both calls' audio keeps flowing both ways (RTP counted, longest gap bounded) and
 *   a call placed during the flood is set up. The guard's defaults answer the flood beyond
 *   500/s per source with a cheap 503.
 * Each prints its figures (report) for BENCHMARKS.md.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
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
import { afterEach, describe, expect, it } from "vitest";
import { startBackend } from "./backend-under-test.js";

const sippTest = itWithPeers(["sipp"]);

afterEach(async () => {
  await runCleanups();
});

interface SippLoad {
  readonly calls: number;
  readonly rate: number;
  readonly holdMs: number;
  /** scenario: ["-sf", file] or ["-sn", "uac"] */
  readonly scenario: readonly string[];
  readonly timeoutMs: number;
}

/** runLoad runs one SIPp load against the backend and returns its counters and the logs. */
async function runLoad(port: number, load: SippLoad) {
  const dir = tempDir("framewire-sip-scale-");
  const sipPort = await freeUdpPorts(1);
  const media = await freeUdpPorts(4);
  const run = startChild(
    "sipp",
    [
      `${HOST}:${port}`,
      ...load.scenario,
      ...["-s", "load", "-i", HOST, "-p", String(sipPort), "-mi", HOST, "-mp", String(media)],
      ...["-t", "u1", "-r", String(load.rate), "-m", String(load.calls)],
      ...["-l", String(load.rate * 4), "-d", String(load.holdMs)],
      ...["-recv_timeout", "10000", "-timeout", `${Math.ceil(load.timeoutMs / 1000)}s`],
      ...["-timeout_error", "-nostdin", "-trace_screen", "-screen_file", join(dir, "screen.log")],
      ...["-trace_err", "-error_file", join(dir, "errors.log")],
    ],
    { timeoutMs: load.timeoutMs + 10_000, cwd: repoRoot() },
  );
  onCleanup(() => run.kill());
  const r = await run.done;
  const screen = readText(join(dir, "screen.log"));
  return {
    code: r.code,
    ok: sippCounter(screen, "Successful call"),
    failed: sippCounter(screen, "Failed call"),
    logs: `${readText(join(dir, "errors.log")).slice(-3000)}\n${screen.slice(-3000)}`,
  };
}

describe("SIP at scale: SIPp loads", () => {
  sippTest(
    "1000 A/V calls at 20 calls/s (sipp-av-call.xml, held 2 s): 0 failed, every port back",
    async () => {
      const { backend, port } = await startBackend({}, 256);
      let sessions = 0;
      onCleanup(backend.onCall(() => void sessions++));
      const ports = watchCounter(() => backend.portsInUse, 20);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const load = {
        calls: 1000,
        rate: 20,
        holdMs: 2_000,
        scenario: ["-sf", join(peersDir(), "sipp-av-call.xml")],
        timeoutMs: 110_000,
      };
      const r = await runLoad(port, load);
      await waitUntil(() => backend.sessionCount === 0 && backend.portsInUse === 0, 5_000);
      const cpu = process.cpuUsage(cpu0);
      const wallMs = performance.now() - t0;
      ports.stop();
      const stats = backend.userAgentStats;
      report("sip-scale-av", {
        ...load,
        scenario: "sipp-av-call.xml",
        sippRc: r.code,
        sippSuccessful: r.ok,
        sippFailed: r.failed,
        sessions,
        wallMs,
        cpuPct: (100 * (cpu.user + cpu.system)) / 1000 / wallMs,
        maxPortsInUse: ports.max(),
        serverTransactions: stats.serverTransactions,
        overloaded: stats.transport.overloaded,
        rejected: backend.rejected,
      });
      expect(r.code, r.logs).toBe(0);
      expect(r.failed).toBe(0);
      expect(r.ok).toBe(load.calls);
      expect(sessions).toBe(load.calls);
      expect(backend.rejected).toEqual({});
      expect(stats.serverTransactions.busy + stats.serverTransactions.full).toBe(0);
      expect(backend.portsInUse).toBe(0);
      expect(backend.sessionCount).toBe(0);
    },
    130_000,
  );

  sippTest(
    "audio-only calls at 100 calls/s for 30 s (SIPp uac, held 1 s): 0 failed, every port back",
    async () => {
      const { backend, port } = await startBackend({ maxCalls: 400 }, 512);
      let sessions = 0;
      onCleanup(backend.onCall(() => void sessions++));
      const concurrent = watchCounter(() => backend.sessionCount, 20);
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const load = {
        calls: 3000,
        rate: 100,
        holdMs: 1_000,
        scenario: ["-sn", "uac"],
        timeoutMs: 60_000,
      };
      const r = await runLoad(port, load);
      await waitUntil(() => backend.sessionCount === 0 && backend.portsInUse === 0, 5_000);
      const cpu = process.cpuUsage(cpu0);
      const wallMs = performance.now() - t0;
      concurrent.stop();
      const stats = backend.userAgentStats;
      report("sip-scale-audio", {
        ...load,
        scenario: "sipp -sn uac",
        sippRc: r.code,
        sippSuccessful: r.ok,
        sippFailed: r.failed,
        sessions,
        wallMs,
        cpuPct: (100 * (cpu.user + cpu.system)) / 1000 / wallMs,
        maxConcurrentSessions: concurrent.max(),
        serverTransactions: stats.serverTransactions,
        overloaded: stats.transport.overloaded,
        rejected: backend.rejected,
      });
      expect(r.code, r.logs).toBe(0);
      expect(r.failed).toBe(0);
      expect(r.ok).toBe(load.calls);
      expect(sessions).toBe(load.calls);
      expect(backend.rejected).toEqual({});
      expect(backend.portsInUse).toBe(0);
      expect(backend.sessionCount).toBe(0);
    },
    90_000,
  );
});

const FLOOD_RATE = Number(process.env.SIP_SCALE_FLOOD_RATE ?? 5000);
const FLOOD_MS = 10_000;
const PCMU_20MS = new Uint8Array(160).fill(0xff);

/** AudioFlow counts the audio frames one side of a call receives and the longest gap between them. */
class AudioFlow {
  frames = 0;
  maxGapMs = 0;
  private last: number | undefined;
  seen(): void {
    const now = performance.now();
    if (this.last !== undefined) this.maxGapMs = Math.max(this.maxGapMs, now - this.last);
    this.last = now;
    this.frames++;
  }
  reset(): void {
    this.frames = 0;
    this.maxGapMs = 0;
    this.last = undefined;
  }
}

describe("SIP at scale: an OPTIONS flood during calls", () => {
  it(`OPTIONS at ${FLOOD_RATE}/s for ${FLOOD_MS / 1000} s (200 up to the guard's 500/s per source, then 503): every one answered, two A/V calls' audio flows both ways, a new call sets up`, async () => {
    const { backend: bob, port } = await startBackend({}, 64);
    const { backend: alice } = await startBackend({}, 64);
    // flows by session id, on each side
    const flows = new Map<string, AudioFlow>();
    const flowOf = (side: string, session: MediaSession) => {
      const key = `${side}:${session.metadata.callId as string}`;
      let flow = flows.get(key);
      if (flow === undefined) {
        flow = new AudioFlow();
        flows.set(key, flow);
      }
      return flow;
    };
    const bobSessions: MediaSession[] = [];
    onCleanup(bob.onCall((s) => void bobSessions.push(s)));
    onCleanup(bob.onAudioReceived((s) => flowOf("bob", s).seen()));
    onCleanup(alice.onAudioReceived((s) => flowOf("alice", s).seen()));
    const target = `sip:room@${HOST}:${port}`;
    const calls = [await alice.call(target), await alice.call(target)];
    await waitUntil(() => bobSessions.length === 2, 5_000);
    // 20 ms of PCMU every 20 ms, both ways on both calls
    const pump = setInterval(() => {
      for (const call of calls) alice.sendAudio(call, { data: PCMU_20MS });
      for (const session of bobSessions) bob.sendAudio(session, { data: PCMU_20MS });
    }, 20);
    onCleanup(() => clearInterval(pump));
    await waitUntil(() => flows.size === 4, 5_000);
    const before = new Set(flows.keys());
    for (const flow of flows.values()) flow.reset();

    const peer = fileURLToPath(new URL("../bench/options-peer.mjs", import.meta.url));
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const flood = startChild(
      process.execPath,
      [peer, String(port), String(FLOOD_RATE), String(FLOOD_MS), "now"],
      {
        timeoutMs: FLOOD_MS + 15_000,
      },
    );
    onCleanup(() => flood.kill());
    // a new call in the middle of the flood
    await new Promise((resolve) => setTimeout(resolve, FLOOD_MS / 2));
    const placedAt = performance.now();
    const third = await alice.call(target);
    const setupMs = performance.now() - placedAt;
    calls.push(third);
    const finished = await flood.done;
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    clearInterval(pump);
    const result = JSON.parse(finished.stdout.trim().split("\n").at(-1) ?? "{}") as {
      sent?: number;
      answered?: number;
      other?: number;
    };
    const expectedFrames = wallMs / 20;
    const figures = [...flows].map(([key, flow]) => ({
      key,
      during: before.has(key) ? "whole flood" : "new call",
      frames: flow.frames,
      maxGapMs: Math.round(flow.maxGapMs),
    }));
    const stats = bob.userAgentStats;
    report("sip-scale-options-flood", {
      offeredRate: FLOOD_RATE,
      floodMs: FLOOD_MS,
      sent: result.sent,
      answered200: result.answered,
      answeredOther: result.other,
      overloaded503: stats.transport.overloaded,
      datagramsIn: stats.transport.datagramsIn,
      receiveBufferBytes: stats.transport.receiveBufferBytes,
      newCallSetupMs: Math.round(setupMs),
      expectedFramesPerFlow: Math.round(expectedFrames),
      flows: figures,
      cpuPct: (100 * (cpu.user + cpu.system)) / 1000 / wallMs,
    });
    expect(finished.code).toBe(0);
    const sent = result.sent ?? 0;
    expect(sent).toBeGreaterThan(0.9 * FLOOD_RATE * (FLOOD_MS / 1000));
    // every OPTIONS answered: 200 within the bucket, the cheap 503 beyond it, none dropped
    expect((result.answered ?? 0) + (result.other ?? 0)).toBeGreaterThan(0.95 * sent);
    expect(result.answered).toBeGreaterThan(0);
    expect(third.metadata.hasVideo).toBe(true);
    expect(setupMs).toBeLessThan(5_000);
    const whole = figures.filter((f) => f.during === "whole flood");
    expect(whole).toHaveLength(4);
    for (const f of whole) {
      // both directions of both calls: audio kept coming, no gap of half a second
      expect(f.frames, f.key).toBeGreaterThan(0.8 * expectedFrames);
      expect(f.maxGapMs, f.key).toBeLessThan(500);
    }
    // the new call's audio flows both ways too
    const fresh = figures.filter((f) => f.during === "new call");
    expect(fresh).toHaveLength(2);
    for (const f of fresh) expect(f.frames, f.key).toBeGreaterThan(0);
    for (const call of calls) alice.disconnect(call);
    await waitUntil(() => bob.sessionCount === 0 && bob.portsInUse === 0, 5_000);
    expect(bob.portsInUse).toBe(0);
  }, 45_000);
});
