// OPTIONS flood benchmark: how many OPTIONS requests per second SipUserAgent answers on one core,
// side by side with a bare node:dgram responder that answers each datagram with a canned 200
// (the Node limit). The flood comes from a separate process (bench/options-peer.ts), so the CPU
// time measured here is the responder's alone. Figures: answered/s (over the send window, or
// to the last answer when a backlog outlasts it), CPU %
// of one core, answered per CPU-second; medians of RUNS runs, alternating anchor and ours.
// Usage: cd packages/sip-signaling && pnpm bench (tsc build, plain node), or
//        pnpm exec tsx --conditions=@framewire/source bench/options-flood.ts
// Env: BENCH_OPTIONS_RUNS (5), BENCH_OPTIONS_RATE (offered/s, 8000), BENCH_OPTIONS_MS (3000),
//      BENCH_QUICK=1 (2 runs of 1000 ms).
// The summary rows go to .bench-results/options-flood.json (@framewire/test-support/bench-results).
import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import {
  envPrefix,
  headRevision,
  packageDir,
  passFail,
  writeResults,
} from "@framewire/test-support/bench-results";
import { SipUserAgent } from "../src/sip/sip-user-agent.js";

const quick = process.env.BENCH_QUICK === "1";
const runs = Number(process.env.BENCH_OPTIONS_RUNS ?? (quick ? 2 : 5));
const rate = Number(process.env.BENCH_OPTIONS_RATE ?? 8000);
const durationMs = Number(process.env.BENCH_OPTIONS_MS ?? (quick ? 1000 : 3000));
/** TARGET is issue 15's goal: answered OPTIONS per second on one core. */
const TARGET = 5000;

interface Result {
  sent: number;
  /** spanMs: first request sent to last response received */
  spanMs: number;
  answered: number;
  cpuMs: number;
  wallMs: number;
  recvBufferBytes: number;
}

interface Responder {
  readonly port: number;
  readonly recvBufferBytes: number;
  close(): Promise<void>;
}

const CANNED = Buffer.from(
  "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1\r\nContent-Length: 0\r\n\r\n",
);

async function bareResponder(): Promise<Responder> {
  const s = createSocket("udp4");
  s.on("message", (_m, rinfo) => s.send(CANNED, rinfo.port, rinfo.address));
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  // the same receive buffer the user agent asks for
  s.setRecvBufferSize(4 * 1024 * 1024);
  return {
    port: s.address().port,
    recvBufferBytes: s.getRecvBufferSize(),
    close: () => new Promise<void>((r) => s.close(() => r())),
  };
}

async function ourResponder(): Promise<Responder> {
  // the guard off: every OPTIONS takes the whole path (parse, screen, 200), none a cheap 503
  const ua = new SipUserAgent({ rateLimits: null });
  const local = await ua.start({ host: "127.0.0.1", port: 0 });
  return {
    port: local.port,
    recvBufferBytes: ua.stats.transport.receiveBufferBytes,
    close: () => ua.stop(),
  };
}

/** peerArgs runs bench/options-peer.mjs (plain JavaScript: no loader, nothing to compile). */
function peerArgs(): string[] {
  return [join(packageDir(fileURLToPath(import.meta.url)), "bench", "options-peer.mjs")];
}

async function run(kind: "bare" | "ours"): Promise<Result> {
  const responder = kind === "bare" ? await bareResponder() : await ourResponder();
  const peer = spawn(
    process.execPath,
    [...peerArgs(), String(responder.port), String(rate), String(durationMs)],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const lines = createInterface({ input: peer.stdout! });
  const it = lines[Symbol.asyncIterator]();
  await it.next(); // ready
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  peer.stdin!.write("go\n");
  const done = JSON.parse((await it.next()).value as string) as {
    sent: number;
    answered: number;
    spanMs: number;
  };
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  await responder.close();
  peer.kill();
  return {
    sent: done.sent,
    spanMs: done.spanMs,
    answered: done.answered,
    cpuMs: (cpu.user + cpu.system) / 1000,
    wallMs,
    recvBufferBytes: responder.recvBufferBytes,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const bare: Result[] = [];
const ours: Result[] = [];
for (let i = 0; i < runs; i++) {
  // alternate, so drift on the shared machine hits both alike
  bare.push(await run("bare"));
  ours.push(await run("ours"));
}
// over the send window, or longer when a backlog was still being answered after it
const perSecond = (r: Result) => r.answered / (Math.max(durationMs, r.spanMs) / 1000);
const perCpu = (r: Result) => r.answered / (r.cpuMs / 1000);
const cpuPercent = (r: Result) => (100 * r.cpuMs) / r.wallMs;
const table = (name: string, rs: Result[]) => ({
  responder: name,
  "sent (median)": median(rs.map((r) => r.sent)),
  "answered/s (median)": Math.round(median(rs.map(perSecond))),
  "answered %": (100 * median(rs.map((r) => r.answered / r.sent))).toFixed(1),
  "CPU % (median)": median(rs.map(cpuPercent)).toFixed(0),
  "answered per CPU-s": Math.round(median(rs.map(perCpu))),
  "rcvbuf bytes": rs[0]!.recvBufferBytes,
});
console.log(
  `OPTIONS flood: ${rate}/s offered for ${durationMs} ms, ${runs} runs each, node ${process.version}`,
);
console.table([table("bare node:dgram canned 200", bare), table("SipUserAgent", ours)]);
const oursPerSecond = median(ours.map(perSecond));
const oursPerCpu = median(ours.map(perCpu));
const ratioPerSecond = oursPerSecond / median(bare.map(perSecond));
const ratioPerCpu = oursPerCpu / median(bare.map(perCpu));
// one core: what we answered per second of the offered rate, and per second of CPU time
const verdict = passFail(oursPerSecond >= TARGET);
console.log(
  `ours/anchor: answered/s ${ratioPerSecond.toFixed(3)}, per CPU-s ${ratioPerCpu.toFixed(3)}; ` +
    `target ≥ ${TARGET}/s: ${verdict}, ≥ ${TARGET} per CPU-s: ${passFail(oursPerCpu >= TARGET)}`,
);
const command = import.meta.url.endsWith(".ts")
  ? `cd packages/sip-signaling && ${envPrefix()}pnpm exec tsx --conditions=@framewire/source bench/options-flood.ts`
  : `cd packages/sip-signaling && ${envPrefix()}pnpm bench`;
const figure = (n: number) => String(Math.round(n)).replace(/\B(?=(\d{3})+$)/g, " ");
writeResults(packageDir(import.meta.dirname), {
  bench: "options-flood",
  order: 40,
  packageName: "@framewire/sip-signaling",
  revision: headRevision(packageDir(import.meta.dirname)),
  notes: quick ? ["sip-signaling options-flood: BENCH_QUICK short smoke run"] : [],
  rows: [
    {
      what: `SipUserAgent OPTIONS answered per second, ${figure(rate)}/s offered for ${durationMs} ms, medians of ${runs} runs`,
      ours: {
        value: oursPerSecond,
        unit: "msg/s",
        note: `CPU ${median(ours.map(cpuPercent)).toFixed(0)} %, ${(100 * median(ours.map((r) => r.answered / r.sent))).toFixed(1)} % answered`,
      },
      anchor: {
        name: "bare node:dgram canned 200",
        value: median(bare.map(perSecond)),
        unit: "msg/s",
        note: `CPU ${median(bare.map(cpuPercent)).toFixed(0)} %`,
      },
      ratio: ratioPerSecond,
      target: `≥ ${figure(TARGET)}/s on one core (issue 15)`,
      verdict,
      command,
    },
    {
      what: "SipUserAgent OPTIONS answered per CPU-second (one core)",
      ours: { value: oursPerCpu, unit: "msg/CPU-s" },
      anchor: {
        name: "bare node:dgram canned 200",
        value: median(bare.map(perCpu)),
        unit: "msg/CPU-s",
      },
      ratio: ratioPerCpu,
      target: `≥ ${figure(TARGET)} (issue 15)`,
      verdict: passFail(oursPerCpu >= TARGET),
      command,
    },
  ],
});
