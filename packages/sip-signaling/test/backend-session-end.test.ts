/**
 * Calls that always end, against SIPp 3.6.1 over UDP on 127.0.0.1 (issue 15):
 *  1. RTP inactivity: a SIPp UAC sends PCMU for 1.5 s, then nothing (no RTP, no RTCP, no BYE);
 *     the backend (rtpTimeoutMs 2500) ends the call with BYE ("rtp-timeout"), every port back;
 *  2. RFC 4028: a SIPp UAC asking `Session-Expires: 6;refresher=uac` that never refreshes gets
 *     our BYE before the 6 s run out ("session-expired"); the first BYE is left unanswered and
 *     our retransmission of it (Timer E) is what SIPp answers;
 *  3. a SIPp UAC refreshing a 4 s interval every 2 s keeps the call up until its own BYE;
 *  4. the backend calls a SIPp UAS that makes us the refresher (4 s): our refresh re-INVITEs
 *     come at half the interval and are answered; our BYE ends it.
 * Skipped locally without sipp, failing under CI=true (itWithPeers).
 */
import { join } from "node:path";
import type { MediaSession } from "@framewire/rtp-video";
import {
  freeUdpPorts,
  HOST,
  itWithPeers,
  killAtCleanup,
  onCleanup,
  peersDir,
  readText,
  report,
  runCleanups,
  sleep,
  startChild,
  tempDir,
  waitUntil,
} from "@framewire/test-support/peers";
import { afterEach, describe, expect } from "vitest";
import type { SipVideoBackend } from "../src/sip-video-backend.js";
import { startBackend } from "./backend-under-test.js";
import { runSipp, type SippMessage, type SippRun, scenarioPath, sippMessages } from "./sipp.js";

const sippTest = itWithPeers(["sipp"]);

afterEach(async () => {
  await runCleanups();
});

/** Observed is what the test sees of the backend's calls: sessions, end reasons and times. */
interface Observed {
  readonly sessions: MediaSession[];
  readonly reasons: string[];
  readonly startedAt: number[];
  readonly endedAt: number[];
}

function observe(backend: SipVideoBackend): Observed {
  const o: Observed = { sessions: [], reasons: [], startedAt: [], endedAt: [] };
  onCleanup(
    backend.onCall((s) => {
      o.sessions.push(s);
      o.startedAt.push(Date.now());
      s.audio.closed$.subscribe((reason) => o.reasons.push(reason));
    }),
  );
  onCleanup(backend.onClientDisconnected(() => void o.endedAt.push(Date.now())));
  return o;
}

/** runUacFromRoot runs a UAC scenario of test/sipp from the repository root (for fixtures/). */
async function runUacFromRoot(scenario: string, port: number): Promise<SippRun> {
  const dir = tempDir("framewire-session-end-");
  const sipPort = await freeUdpPorts(1);
  const media = await freeUdpPorts(4);
  const proc = startChild(
    "sipp",
    [
      `${HOST}:${port}`,
      ...["-sf", scenarioPath(scenario), "-s", "room1"],
      ...["-i", HOST, "-p", String(sipPort), "-mi", HOST, "-mp", String(media), "-t", "u1"],
      ...["-m", "1", "-l", "1", "-nr", "-recv_timeout", "20000", "-timeout", "40s"],
      ...["-timeout_error", "-nostdin", "-trace_msg", "-message_file", join(dir, "m.log")],
      ...["-trace_err", "-error_file", join(dir, "e.log")],
    ],
    { timeoutMs: 50_000, cwd: join(peersDir(), "..", "..") },
  );
  onCleanup(() => proc.kill());
  const r = await proc.done;
  const log = readText(join(dir, "m.log"));
  return { ...r, messages: sippMessages(log), log, errors: readText(join(dir, "e.log")) };
}

const received = (run: SippRun, start: string): SippMessage[] =>
  run.messages.filter((m) => m.direction === "received" && m.startLine.startsWith(start));

const branchOf = (m: SippMessage | undefined): string | undefined =>
  /^Via:[^\r\n]*;branch=([^;\s]+)/im.exec(m?.text ?? "")?.[1];

describe("RTP inactivity timeout", () => {
  sippTest(
    "media stops and no BYE comes: BYE after rtpTimeoutMs (reason rtp-timeout), every port back",
    async () => {
      const RTP_TIMEOUT_MS = 2500;
      const { backend } = await startBackend({ rtpTimeoutMs: RTP_TIMEOUT_MS }, 8);
      const seen = observe(backend);
      // when PCMU last arrived, polled every 20 ms (bounded by the test's time)
      let lastPacketAt = 0;
      let lastCount = 0;
      const poll = setInterval(() => {
        const n = seen.sessions[0]?.audio.stats().packets ?? 0;
        if (n !== lastCount) {
          lastCount = n;
          lastPacketAt = Date.now();
        }
      }, 20);
      onCleanup(() => clearInterval(poll));
      const run = await runUacFromRoot("uac-rtp-silence.xml", backend.sipAddress!.port);
      await waitUntil(() => backend.sessionCount === 0 && backend.portsInUse === 0, 5_000);
      clearInterval(poll);
      const silenceToEndMs = (seen.endedAt[0] ?? 0) - lastPacketAt;
      report("RTP inactivity timeout (SIPp UAC goes silent)", {
        rtpTimeoutMs: RTP_TIMEOUT_MS,
        sippRc: run.code,
        pcmuPackets: lastCount,
        silenceToEndMs,
        reasons: seen.reasons.join(","),
        rtpTimeouts: backend.mediaStats.rtpTimeouts,
        byesReceivedBySipp: received(run, "BYE").length,
        portsAfter: backend.portsInUse,
        sessionsAfter: backend.sessionCount,
      });
      expect(run.code, run.errors + run.stderr).toBe(0);
      expect(lastCount).toBeGreaterThan(40); // ~75 packets in 1.5 s
      expect(seen.reasons).toEqual(["rtp-timeout"]);
      expect(backend.mediaStats.rtpTimeouts).toBe(1);
      expect(received(run, "BYE").length).toBeGreaterThanOrEqual(1);
      // the poll period is RTP_TIMEOUT_MS / 10: the end comes within it after the timeout
      expect(silenceToEndMs).toBeGreaterThanOrEqual(RTP_TIMEOUT_MS - 50);
      expect(silenceToEndMs).toBeLessThan(RTP_TIMEOUT_MS + 1_500);
      expect(backend.portsInUse).toBe(0);
      expect(backend.sessionCount).toBe(0);
      expect(backend.userAgentStats.activeCalls).toBe(0);
    },
    60_000,
  );
});

describe("RFC 4028 session timers", () => {
  sippTest(
    "a UAC asking Session-Expires: 6;refresher=uac that never refreshes gets our BYE before 6 s (retransmitted until answered)",
    async () => {
      const { backend } = await startBackend(
        { sessionTimer: { sessionExpires: 1800, minSE: 6 }, rtpTimeoutMs: 0 },
        8,
      );
      const seen = observe(backend);
      const run = await runSipp("uac-session-expires.xml", backend.sipAddress!.port);
      await waitUntil(() => backend.sessionCount === 0 && backend.portsInUse === 0, 5_000);
      const byes = received(run, "BYE");
      const callMs = (seen.endedAt[0] ?? 0) - (seen.startedAt[0] ?? 0);
      report("session timer expires (SIPp UAC never refreshes)", {
        interval: 6,
        sippRc: run.code,
        callMs,
        reasons: seen.reasons.join(","),
        sessionsExpired: backend.mediaStats.sessionsExpired,
        byesReceivedBySipp: byes.length,
        portsAfter: backend.portsInUse,
      });
      expect(run.code, run.errors + run.stderr).toBe(0);
      const ok = run.messages.find(
        (m) => m.direction === "received" && m.startLine.startsWith("SIP/2.0 200"),
      );
      expect(ok?.text).toMatch(/^Session-Expires: 6;refresher=uac\r$/m);
      expect(ok?.text).toMatch(/^Require: timer\r$/m);
      expect(seen.reasons).toEqual(["session-expired"]);
      expect(backend.mediaStats.sessionsExpired).toBe(1);
      // RFC 4028 §10: BYE at 6 - min(32, 6/3) = 4 s after the 2xx
      expect(callMs).toBeGreaterThanOrEqual(3_800);
      expect(callMs).toBeLessThan(6_000);
      // the first BYE went unanswered: the same BYE again (same branch, Timer E)
      expect(byes.length).toBeGreaterThanOrEqual(2);
      expect(branchOf(byes[1])).toBe(branchOf(byes[0]));
      expect(backend.portsInUse).toBe(0);
      expect(backend.sessionCount).toBe(0);
    },
    60_000,
  );

  sippTest(
    "a UAC refreshing a 4 s interval every 2 s keeps the call up (7 s) until its own BYE",
    async () => {
      const { backend } = await startBackend(
        { sessionTimer: { sessionExpires: 1800, minSE: 4 }, rtpTimeoutMs: 0 },
        8,
      );
      const seen = observe(backend);
      const run = await runSipp("uac-session-refresh.xml", backend.sipAddress!.port);
      await waitUntil(() => backend.sessionCount === 0 && backend.portsInUse === 0, 5_000);
      const callMs = (seen.endedAt[0] ?? 0) - (seen.startedAt[0] ?? 0);
      const oks = run.messages.filter(
        (m) =>
          m.direction === "received" &&
          /^SIP\/2\.0 200/.test(m.startLine) &&
          /^CSeq: \d+ INVITE/m.test(m.text),
      );
      report("session timer refreshed by the SIPp UAC", {
        interval: 4,
        sippRc: run.code,
        callMs,
        okToInvites: oks.length,
        reasons: seen.reasons.join(","),
        byesReceivedBySipp: received(run, "BYE").length,
      });
      expect(run.code, run.errors + run.stderr).toBe(0);
      expect(oks).toHaveLength(4); // the INVITE and three refreshes
      for (const ok of oks) expect(ok.text).toMatch(/^Session-Expires: 4;refresher=uac\r$/m);
      expect(received(run, "BYE")).toHaveLength(0);
      expect(seen.reasons).toEqual(["remote-bye"]);
      expect(callMs).toBeGreaterThan(6_500);
      expect(backend.mediaStats.sessionsExpired).toBe(0);
      expect(backend.portsInUse).toBe(0);
    },
    60_000,
  );

  sippTest(
    "the backend calls a UAS that makes us the refresher (4 s): refresh re-INVITEs at 2 s and 4 s, answered; our BYE",
    async () => {
      const { backend } = await startBackend(
        { sessionTimer: { sessionExpires: 1800, minSE: 4 }, rtpTimeoutMs: 0 },
        8,
      );
      const dir = tempDir("framewire-session-uas-");
      const sippPort = await freeUdpPorts(1);
      const media = await freeUdpPorts(4);
      const uas = killAtCleanup(
        startChild(
          "sipp",
          [
            ...["-sf", scenarioPath("uas-session-refresh.xml")],
            ...["-i", HOST, "-p", String(sippPort), "-mi", HOST, "-mp", String(media)],
            ...["-t", "u1", "-m", "1", "-nr", "-timeout", "30s", "-timeout_error", "-nostdin"],
            ...["-trace_msg", "-message_file", join(dir, "m.log")],
            ...["-trace_err", "-error_file", join(dir, "e.log")],
          ],
          { timeoutMs: 40_000, cwd: dir },
        ),
      );
      await sleep(500); // SIPp binds its port
      const t0 = Date.now();
      const session = await backend.call(`sip:uas@${HOST}:${sippPort}`, { video: false });
      const answeredMs = Date.now() - t0;
      // refreshes are due at 2 s and 4 s after the 2xx: hang up between the second and a third
      await sleep(5_000 - answeredMs);
      // the refreshes' answers (the same SDP) leave the media where it was
      const remoteAfterRefreshes = session.audio.remoteAddr;
      backend.disconnect(session);
      const result = await uas.done;
      await waitUntil(() => backend.portsInUse === 0, 5_000);
      const messages = sippMessages(readText(join(dir, "m.log")));
      const reinvites = messages.filter(
        (m) => m.direction === "received" && m.startLine.startsWith("INVITE"),
      );
      const times = reinvites.map((m) => /^CSeq: (\d+)/m.exec(m.text)?.[1]);
      report("backend refreshes a SIPp UAS's session (refresher=uac)", {
        interval: 4,
        sippRc: result.code,
        invitesReceivedBySipp: reinvites.length,
        cseqs: times.join(","),
        portsAfter: backend.portsInUse,
      });
      expect(result.code, readText(join(dir, "e.log")) + result.stderr).toBe(0);
      expect(reinvites).toHaveLength(3); // the INVITE and two refreshes
      expect(remoteAfterRefreshes).toEqual([HOST, media]);
      for (const r of reinvites.slice(1)) {
        expect(r.text).toMatch(/^Session-Expires: 4;refresher=uac\r$/m);
        expect(r.text).toMatch(/^Supported: timer\r$/m);
      }
      expect(backend.portsInUse).toBe(0);
      expect(backend.sessionCount).toBe(0);
    },
    60_000,
  );
});
