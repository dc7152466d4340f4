// The fuzz targets of @framewire/sip-signaling, in process, no network:
// - sip-parse: the raw-message screen (scanMessage, start-line checks, canAnswer) and sip.js's
//   parser, as the UDP transport runs them (sip.js throwing is caught there: an outcome here);
// - sdp: parseSessionDescription + negotiateAnswer on hostile offers, and parseAnswer on hostile
//   answers to our own createOffer;
// - sip-ua: a started SipUserAgent on an in-memory socket (its public `socketFactory` seam) fed
//   each datagram: transport screen, request screen, sip.js core, incoming calls (answered,
//   rejected or left ringing by the harness) — the outcome is what it sent back first.
import { type FuzzTarget, fuzzRandom } from "@framewire/test-support";
import { Core } from "sip.js";
import {
  createOffer,
  type DatagramSocket,
  type DatagramSocketBindOptions,
  MAX_SIP_DATAGRAM_BYTES,
  negotiateAnswer,
  parseAnswer,
  type SdpLocalOptions,
  SipSignalingError,
  SipUserAgent,
} from "../src/index.js";
import {
  canAnswer,
  parseRequestLine,
  parseStatusCode,
  requestLineProblem,
  scanMessage,
} from "../src/sip/raw-message.js";
import { sdpMutator } from "./sdp-mutator.js";
import { sipMutator } from "./sip-mutator.js";

const UA = { host: "127.0.0.1", port: 5060 } as const;
const PEER = { host: "127.0.0.1", port: 5070 } as const;

const LOCAL: SdpLocalOptions = {
  audioCodecs: ["PCMU", "PCMA", "opus", "telephone-event"],
  videoCodecs: ["H264", "VP8", "VP9"],
  address: "127.0.0.1",
  audioPort: 40_000,
  videoPort: 40_002,
  sessionId: 1,
  sessionVersion: 1,
  videoRtx: true,
  videoSsrcs: { media: 0x1111, rtx: 0x2222, cname: "fuzz" },
};

function quietLogger(): Core.Logger {
  const factory = new Core.LoggerFactory();
  factory.builtinEnabled = false;
  factory.level = Core.Levels.error;
  return factory.getLogger("fuzz");
}

/** sipParseTarget: the transport's raw screen, then sip.js's parser on what passes it. */
function sipParseTarget(): FuzzTarget {
  const mutate = sipMutator({ to: UA, from: PEER });
  const decoder = new TextDecoder("utf-8");
  const logger = quietLogger();
  return {
    name: "sip-parse",
    input: (seed, index) => mutate(seed, index).bytes,
    run(input) {
      if (input.length > MAX_SIP_DATAGRAM_BYTES) return "dropped:oversize";
      const text = decoder.decode(input);
      const raw = scanMessage(text);
      if (raw === undefined) return "rejected:no-start-line";
      const status = parseStatusCode(raw.startLine);
      const line = status === undefined ? parseRequestLine(raw.startLine) : undefined;
      if (status === undefined && line === undefined) {
        const problem = requestLineProblem(raw.startLine);
        return problem === undefined ? "rejected:not-sip" : `answered:${problem.status}`;
      }
      const answerable = line === undefined || canAnswer(raw);
      let message: Core.IncomingMessage | undefined;
      try {
        message = Core.Parser.parseMessage(text, logger);
      } catch (e) {
        // the transport catches this (udp-transport.ts parse()): unparseable, answered 400
        return `rejected:sip.js-threw-${e instanceof Error ? e.name : typeof e}`;
      }
      if (message === undefined)
        return `rejected:sip.js-refused${answerable ? "" : "-unanswerable"}`;
      const kind = message instanceof Core.IncomingRequestMessage ? "request" : "response";
      return `accepted:${kind}${raw.complete ? "" : "-incomplete"}${answerable ? "" : "-unanswerable"}`;
    },
  };
}

/** sdpTarget: even inputs are offers to answer, odd ones answers to our offer. */
function sdpTarget(): FuzzTarget {
  const mutate = sdpMutator();
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const ourOffer = createOffer({ ...LOCAL, withVideo: true });
  const broken: string[] = [];
  return {
    name: "sdp",
    input: (seed, index) => encoder.encode(mutate(seed, index).text),
    run(input, index) {
      const text = decoder.decode(input);
      const side = index % 2 === 0 ? "offer" : "answer";
      try {
        const session =
          side === "offer" ? negotiateAnswer(text, LOCAL) : parseAnswer(ourOffer, text);
        if (side === "offer") {
          // the answer we would send must parse again
          const sdp = (session as ReturnType<typeof negotiateAnswer>).sdp;
          try {
            negotiateAnswer(sdp, LOCAL);
          } catch (e) {
            if (!(e instanceof SipSignalingError) && broken.length < 5)
              broken.push(`input ${index}: answer does not parse: ${String(e)}`);
          }
        }
        return `${side}:accepted:${session.video === undefined ? "audio-only" : "audio+video"}`;
      } catch (e) {
        if (e instanceof SipSignalingError) return `${side}:error:${e.code}`;
        throw e;
      }
    },
    check: () => broken,
  };
}

/** FuzzSocket is the in-memory socket of sip-ua: it hands the UA's onMessage out, keeps sends. */
interface FuzzSocket {
  deliver: ((data: Uint8Array, source: { host: string; port: number }) => void) | undefined;
  readonly sent: string[];
}

/** sipUaTarget: a started SipUserAgent over an in-memory socket. */
function sipUaTarget(): FuzzTarget {
  const mutate = sipMutator({ to: UA, from: PEER });
  const socket: FuzzSocket = { deliver: undefined, sent: [] };
  const decoder = new TextDecoder();
  let ua: SipUserAgent | undefined;
  let starting: Promise<unknown> | undefined;
  let calls = 0;
  const problems: string[] = [];
  const onRejection = (reason: unknown): void => {
    if (reason instanceof SipSignalingError) return;
    if (problems.length < 5)
      problems.push(
        `unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`,
      );
  };
  const start = async (): Promise<void> => {
    process.on("unhandledRejection", onRejection);
    const agent = new SipUserAgent({
      socketFactory: async (options: DatagramSocketBindOptions): Promise<DatagramSocket> => {
        socket.deliver = options.onMessage;
        return {
          local: { host: options.host, port: options.port },
          send: (data) => {
            socket.sent.push(decoder.decode(data.subarray(0, 64)));
            return Promise.resolve();
          },
          close: () => Promise.resolve(),
        };
      },
      maxCalls: 32,
      answerTimeoutMs: 500,
      reinviteTimeoutMs: 500,
    });
    agent.incomingCalls$.subscribe((call) => {
      const r = fuzzRandom(0, calls++, 5);
      const choice = r.int(3);
      if (choice === 0) call.reject(r.pick([486, 603, 480]));
      else if (choice === 1) {
        try {
          call.accept(negotiateAnswer(call.remoteSdp, LOCAL).sdp);
        } catch (e) {
          if (!(e instanceof SipSignalingError)) throw e;
          call.reject(488);
        }
      } // else: left ringing until answerTimeoutMs
    });
    await agent.start({ host: UA.host, port: UA.port });
    ua = agent;
  };
  return {
    name: "sip-ua",
    settleEvery: 100,
    input: (seed, index) => mutate(seed, index).bytes,
    async run(input) {
      if (ua === undefined) {
        starting ??= start();
        await starting;
      }
      const before = ua!.stats;
      const t0 = before.transport;
      socket.sent.length = 0;
      socket.deliver!(input, PEER);
      const after = ua!.stats;
      const t1 = after.transport;
      const first = socket.sent[0];
      if (first !== undefined) {
        const status = /^SIP\/2\.0 (\d{3})/.exec(first)?.[1];
        return status === undefined ? `sent:${first.split(" ")[0]}` : `answered:${status}`;
      }
      if (t1.oversize > t0.oversize) return "dropped:oversize";
      if (t1.keepalives > t0.keepalives) return "dropped:keepalive";
      if (t1.malformed > t0.malformed) return "dropped:malformed";
      if (t1.misrouted > t0.misrouted) return "dropped:misrouted";
      if (t1.overloaded > t0.overloaded) return "dropped:overloaded";
      if (after.coreErrors > before.coreErrors) return "dropped:core-error";
      return "accepted:no-answer";
    },
    settle: () => new Promise((resolve) => setImmediate(resolve)),
    check() {
      const out = [...problems];
      const s = ua?.stats;
      if (s !== undefined && s.activeCalls > 32) out.push(`${s.activeCalls} active calls (max 32)`);
      return out;
    },
    async close() {
      await ua?.stop();
      await new Promise((resolve) => setTimeout(resolve, 50));
      process.off("unhandledRejection", onRejection);
    },
  };
}

/** TARGETS makes each target by name (a fresh one per run). */
export const TARGETS: Readonly<Record<string, () => FuzzTarget>> = {
  "sip-parse": sipParseTarget,
  sdp: sdpTarget,
  "sip-ua": sipUaTarget,
};
