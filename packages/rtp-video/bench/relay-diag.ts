// Diagnostics of the session relay (not figures of record; see BENCHMARKS.md, "Relay: diagnostics").
//   node .bench-build/bench/relay-diag.js window bare|session
//     2 unmeasured relay runs, then prints "ATTACH <pid>" and waits 1.5 s (attach `perf record
//     -p <pid>` or read `--trace-gc` output from here on), then 4 measured runs (µs CPU/pkt).
//   node .bench-build/bench/relay-diag.js replay [passes=5]
//     the session relay path in-process with the sockets stubbed: the benchmark's datagrams (a
//     fresh Buffer each, as a socket hands them out) fed to a receiving session, its frames sent
//     by a second one whose socket send is replaced by a counter. For instruction counts:
//     valgrind --tool=callgrind --callgrind-out-file=/dev/null node --single-threaded \
//       --predictable --random-seed=42 --no-memory-reducer --no-incremental-marking \
//       .bench-build/bench/relay-diag.js replay N
//     (Ir with N = 5 minus Ir with N = 2, divided by 3 × 44 047 packets: warm passes only).
import { spawn } from "node:child_process";
import { createSocket, type RemoteInfo } from "node:dgram";
import { createInterface } from "node:readline";
import { H264Packetizer, RtpPacketizer, sequenceFrom, VideoRtpSession } from "../src/index.js";
import { loadStream, relayPeerArgs } from "./stream.js";

const FRAMES = 1500;

async function bare(sinkPort: number) {
  const s = createSocket("udp4");
  s.on("message", (m) => s.send(m, sinkPort, "127.0.0.1"));
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  s.setRecvBufferSize(8 * 1024 * 1024);
  return { inPort: s.address().port, close: () => s.close() };
}

async function sessionPair(sinkPort: number) {
  const a = await VideoRtpSession.open({ localAddr: ["127.0.0.1", 0], rtcpIntervalMs: 1000 });
  const b = await VideoRtpSession.open({
    localAddr: ["127.0.0.1", 0],
    remoteAddr: ["127.0.0.1", sinkPort],
    symmetric: false,
  });
  a.frames$.subscribe((f) =>
    b.sendFrame({ data: f.data, keyframe: f.keyframe, timestampMs: f.timestampMs }),
  );
  const close = () => {
    a.close();
    b.close();
  };
  return { a, b, inPort: a.localPort, close };
}

async function relayRun(kind: string): Promise<string> {
  const sinkPort = 30000 + Math.floor(Math.random() * 10000) * 2;
  const relay = kind === "bare" ? await bare(sinkPort) : await sessionPair(sinkPort);
  const peer = spawn(
    process.execPath,
    [...relayPeerArgs(), String(relay.inPort), String(sinkPort), "40000", String(FRAMES)],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  const it = createInterface({ input: peer.stdout! })[Symbol.asyncIterator]();
  await it.next();
  const c0 = process.cpuUsage();
  peer.stdin!.write("go\n");
  const done = JSON.parse((await it.next()).value as string) as { received: number };
  const c = process.cpuUsage(c0);
  relay.close();
  peer.kill();
  const per = (us: number) => (us / done.received).toFixed(2);
  return `${per(c.user)} user + ${per(c.system)} system µs/pkt, ${done.received} relayed`;
}

/** Internals the replay reaches: the datagram handler and the RTP socket of a session. */
interface SessionInternals {
  onDatagram(msg: Uint8Array, rinfo: RemoteInfo, onRtcpSocket: boolean): void;
  pair: { rtp: { send: (...args: unknown[]) => void } };
}

async function replay(passes: number): Promise<void> {
  const stream = loadStream(FRAMES, false);
  const rtp = new RtpPacketizer({
    packetizer: new H264Packetizer({ mtu: 1200 }),
    payloadType: 96,
    ssrc: 0x5eed,
    sequence: sequenceFrom(0),
  });
  const datagrams = stream.units.flatMap((u, i) =>
    rtp.packetizeFrame(u.data, i * 3000).map((d) => d.slice()),
  );
  const rinfo: RemoteInfo = { address: "127.0.0.1", family: "IPv4", port: 5000, size: 0 };
  for (let pass = 0; pass < passes; pass++) {
    const { a, b, close } = await sessionPair(9);
    (b as unknown as SessionInternals).pair.rtp.send = () => {};
    const receive = a as unknown as SessionInternals;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (const d of datagrams) {
      const buf = Buffer.allocUnsafeSlow(d.length);
      buf.set(d);
      receive.onDatagram(buf, rinfo, false);
    }
    const wallUs = (performance.now() - t0) * 1000;
    const c = process.cpuUsage(c0);
    console.log(
      `pass ${pass}: ${(wallUs / datagrams.length).toFixed(3)} µs/pkt wall, ` +
        `${(c.user / datagrams.length).toFixed(3)} user, sent ${b.stats().sent.packets}`,
    );
    close();
    await new Promise((r) => setImmediate(r));
  }
}

const [mode, arg] = process.argv.slice(2);
if (mode === "window") {
  const kind = arg === "bare" ? "bare" : "session";
  for (let i = 0; i < 2; i++) console.error(`warm-up ${kind}: ${await relayRun(kind)}`);
  console.log(`ATTACH ${process.pid}`);
  await new Promise((r) => setTimeout(r, 1500));
  for (let i = 0; i < 4; i++) console.error(`run ${kind}: ${await relayRun(kind)}`);
} else if (mode === "replay") {
  await replay(Number(arg ?? 5));
} else {
  console.error("usage: relay-diag.js window bare|session | replay [passes]");
  process.exitCode = 2;
}
