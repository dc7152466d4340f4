/**
 * Real-peer tests: SIPp (3.6.1) against our user agent over UDP on 127.0.0.1, in real time.
 * - the shared scripts: sipp-av-call.sh calls our UAS, our UAC calls sipp-av-uas.sh;
 * - this package's scenarios (test/sipp/*.xml): lost ACK, retransmitted BYE, CANCEL,
 *   401 → authenticated retry, wrong credentials → 403.
 * Skipped locally without sipp (or tshark for sipp-av-call.sh), failing under CI=true.
 * Every test is bounded (≤ 60 s) and stops the user agent and every child process.
 */
import {
  freeUdpPorts,
  HOST,
  itWithPeers,
  killAtCleanup,
  onCleanup,
  runCleanups,
  sleep,
  startScript,
  tempDir,
  udpCounter,
} from "@framewire/test-support/peers";
import { afterEach, describe, expect } from "vitest";
import type { CallState, IncomingCall } from "../src/sip/call-types.js";
import { SipUserAgent } from "../src/sip/sip-user-agent.js";
import type { SipUserAgentOptions } from "../src/sip/sip-user-agent-types.js";
import { testSdp } from "./fake-sip-network.js";
import { runSipp, type SippRun } from "./sipp.js";

const sippTest = itWithPeers(["sipp"]);
const sippAvTest = itWithPeers(["sipp", "tshark"]);

interface Harness {
  ua: SipUserAgent;
  port: number;
  calls: IncomingCall[];
  states: Map<IncomingCall, CallState[]>;
}

afterEach(runCleanups);

async function startUa(
  onCall: (call: IncomingCall) => void,
  options: SipUserAgentOptions = {},
): Promise<Harness> {
  const port = await freeUdpPorts(1);
  const ua = new SipUserAgent({ ...options });
  const calls: IncomingCall[] = [];
  const states = new Map<IncomingCall, CallState[]>();
  ua.incomingCalls$.subscribe((call) => {
    calls.push(call);
    const seen: CallState[] = [];
    states.set(call, seen);
    call.state$.subscribe((s) => seen.push(s));
    onCall(call);
  });
  await ua.start({ host: HOST, port });
  onCleanup(() => ua.stop());
  return { ua, port, calls, states };
}

/** Runs one of test/sipp/*.xml as a UAC against `port` (-nr, -m 1), bounded; the log as text. */
async function runScenario(
  scenario: string,
  port: number,
  extra: string[] = [],
): Promise<Omit<SippRun, "messages"> & { messages: string }> {
  const r = await runSipp(scenario, port, extra, "demo");
  return { ...r, messages: r.log, stderr: `${r.stderr}${r.errors}` };
}

/** SippEvent is one message in SIPp's -trace_msg log. */
interface SippEvent {
  readonly direction: "sent" | "received";
  /** at is the log time in ms (within the day, enough for differences). */
  readonly at: number;
  readonly startLine: string;
  readonly cseq: string;
}

/** Parses SIPp's -trace_msg log ("----- date time" lines, then "UDP message sent/received"). */
function sippEvents(messages: string): SippEvent[] {
  const out: SippEvent[] = [];
  const parts = messages.split(/^-{5,} \S+ (\d\d):(\d\d):(\d\d(?:\.\d+)?)\s*$/m);
  for (let i = 1; i + 3 < parts.length; i += 4) {
    const at = (Number(parts[i]) * 3600 + Number(parts[i + 1]) * 60 + Number(parts[i + 2])) * 1000;
    const lines = (parts[i + 3] ?? "").split(/\r?\n/).filter((l) => l.trim() !== "");
    const kind = /message (sent|received)/.exec(lines[0] ?? "")?.[1];
    if (kind === undefined || lines[1] === undefined) continue;
    const cseq = lines.find((l) => /^CSeq:/i.test(l))?.replace(/^CSeq:\s*/i, "") ?? "";
    out.push({
      direction: kind === "sent" ? "sent" : "received",
      at,
      startLine: lines[1].trim(),
      cseq: cseq.trim(),
    });
  }
  return out;
}

describe("shared peer scripts", () => {
  sippAvTest(
    "sipp-av-call.sh → our UAS: INVITE/100/200/ACK, RTP, BYE/200 (sipp_rc=0)",
    async () => {
      const media = await freeUdpPorts(4);
      const audio = await udpCounter(media);
      const video = await udpCounter(media + 2);
      const { port, calls, states } = await startUa((call) => call.accept(testSdp(HOST, media)));
      const sippPorts = await freeUdpPorts(4);
      const result = await killAtCleanup(
        startScript("sipp-av-call.sh", [String(port), "2"], {
          env: {
            SERVICE: "demo",
            SIP_PORT: String(await freeUdpPorts(1)),
            MEDIA_PORT: String(sippPorts),
            LOGDIR: tempDir(),
          },
          timeoutMs: 55_000,
        }),
      ).done;
      expect(result.stdout, result.stdout + result.stderr).toMatch(/sipp_rc=0/);
      expect(result.code).toBe(0);
      const call = calls[0]!;
      expect(call.user).toBe("demo");
      expect(call.remoteSdp).toMatch(/m=video \d+ RTP\/AVP 96/);
      expect(states.get(call)).toEqual(["offered", "answered", "established", "terminated"]);
      expect(call.termination).toEqual({ reason: "remote-bye" });
      // SIPp played its pcaps to the ports of our answer.
      expect(video.count()).toBeGreaterThan(0);
      expect(audio.count()).toBeGreaterThan(0);
    },
    60_000,
  );

  sippTest(
    "our UAC → sipp-av-uas.sh: 180, 200 with SDP, ACK, established, clean BYE (rc=0)",
    async () => {
      const { ua } = await startUa(() => {});
      const sippPort = await freeUdpPorts(1);
      const media = await freeUdpPorts(4);
      await udpCounter(media); // SIPp's RTP lands somewhere
      const video = await udpCounter(media + 2);
      const uas = killAtCleanup(
        startScript("sipp-av-uas.sh", [String(sippPort), "30"], {
          env: { MEDIA_PORT: String(await freeUdpPorts(4)), LOGDIR: tempDir() },
          timeoutMs: 45_000,
        }),
      );
      await sleep(300); // if SIPp is not listening yet, Timer A retransmits the INVITE
      const call = ua.call(`sip:bridge@${HOST}:${sippPort}`, testSdp(HOST, media));
      const seen: CallState[] = [];
      call.state$.subscribe((s) => seen.push(s));
      const answer = await call.answer;
      expect(answer).toMatch(/m=video [1-9]\d* RTP\/AVP 96/);
      expect(call.state).toBe("established");
      await sleep(1_500);
      await call.bye();
      const result = await uas.done;
      expect(result.code, result.stderr).toBe(0);
      expect(seen).toEqual(["calling", "ringing", "established", "terminated"]);
      expect(call.termination).toEqual({ reason: "local-bye" });
      expect(video.count()).toBeGreaterThan(0);
    },
    60_000,
  );
});

describe("test/sipp scenarios against our UAS", () => {
  sippTest(
    "lost ACK: SIPp ACKs only the retransmitted 200 OK (RFC 3261 §13.3.1.4)",
    async () => {
      const { port, calls, states } = await startUa((call) => call.accept(testSdp(HOST, 40000)));
      const result = await runScenario("uac-lost-ack.xml", port);
      expect(result.code, result.stderr).toBe(0);
      const events = sippEvents(result.messages);
      const oks = events.filter(
        (e) => e.startLine.startsWith("SIP/2.0 200") && e.cseq === "1 INVITE",
      );
      const ack = events.find((e) => e.direction === "sent" && e.startLine.startsWith("ACK"));
      expect(oks.length, result.messages).toBeGreaterThanOrEqual(2);
      // The 200 OK came again T1 = 500 ms later, and only then did SIPp ACK.
      const gap = oks[1]!.at - oks[0]!.at;
      expect(gap).toBeGreaterThanOrEqual(400);
      expect(gap).toBeLessThan(1_000);
      expect(ack!.at).toBeGreaterThanOrEqual(oks[1]!.at);
      const call = calls[0]!;
      expect(states.get(call)).toEqual(["offered", "answered", "established", "terminated"]);
      expect(call.termination).toEqual({ reason: "remote-bye" });
    },
    60_000,
  );

  sippTest(
    "retransmitted BYE gets 200 again, not 481 (Timer J, RFC 3261 §17.2.2)",
    async () => {
      let byes = 0;
      const { port, calls } = await startUa((call) => {
        call.onBye = () => {
          byes++;
        };
        call.accept(testSdp(HOST, 40000));
      });
      const result = await runScenario("uac-bye-retransmit.xml", port);
      expect(result.code, result.stderr).toBe(0);
      expect(result.messages).not.toMatch(/SIP\/2\.0 481/);
      expect(byes).toBe(1);
      expect(calls[0]?.termination).toEqual({ reason: "remote-bye" });
    },
    60_000,
  );

  sippTest(
    "CANCEL before the answer: 200 to the CANCEL, 487 to the INVITE, ACK",
    async () => {
      let cancelled = 0;
      const { port, calls } = await startUa((call) => {
        call.onCancel = () => {
          cancelled++;
        };
        call.progress();
      });
      const result = await runScenario("uac-cancel.xml", port);
      expect(result.code, result.stderr).toBe(0);
      expect(cancelled).toBe(1);
      expect(calls[0]?.termination).toEqual({ reason: "cancelled", statusCode: 487 });
    },
    60_000,
  );

  // SIPp 3.6.1 computes only MD5 and reads the first `algorithm=` of the joined
  // WWW-Authenticate values (src/auth.cpp createAuthHeader), so MD5 is offered first here;
  // MD5 first is also the default order (DEFAULT_DIGEST_ALGORITHMS; see the unit tests).
  const auth = {
    realm: "framewire.test",
    lookup: (user: string) => (user === "alice" ? "s3cret" : undefined),
    algorithms: ["MD5", "SHA-256"] as const,
  };

  /** SIPp's digest uri defaults to remote_ip:remote_port; ours must be the Request-URI. */
  const sippAuth = (port: number, password: string): string[] => [
    "-au",
    "alice",
    "-ap",
    password,
    "-auth_uri",
    `demo@${HOST}:${port}`,
  ];

  sippTest(
    "401 → authenticated INVITE → 200, call completes",
    async () => {
      const { port, calls, ua } = await startUa((call) => call.accept(testSdp(HOST, 40000)), {
        auth,
      });
      const result = await runScenario("uac-auth.xml", port, sippAuth(port, "s3cret"));
      expect(result.code, result.stderr).toBe(0);
      expect(calls).toHaveLength(1);
      expect(calls[0]?.username).toBe("alice");
      expect(calls[0]?.termination).toEqual({ reason: "remote-bye" });
      expect(ua.stats).toMatchObject({ authChallenges: 1, authFailures: 0 });
    },
    60_000,
  );

  sippTest(
    "wrong credentials twice → 403",
    async () => {
      const { port, calls, ua } = await startUa((call) => call.accept(testSdp(HOST, 40000)), {
        auth,
      });
      const result = await runScenario("uac-auth-forbidden.xml", port, sippAuth(port, "wrong"));
      expect(result.code, result.stderr).toBe(0);
      expect(calls).toHaveLength(0);
      expect(ua.stats).toMatchObject({ authChallenges: 2, authFailures: 1 });
    },
    60_000,
  );
});
