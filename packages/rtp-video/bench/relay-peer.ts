// Traffic peer of bench/relay.ts, run as a separate process so the relay's CPU time is its own:
// sends the benchmark's RTP datagrams to 127.0.0.1:TARGET at a paced rate and counts the
// datagrams that come back to its sink socket. Prints one JSON line.
// Usage: tsx bench/relay-peer.ts TARGET_PORT SINK_PORT RATE_PPS FRAMES
import { createSocket } from "node:dgram";
import { H264Packetizer, RtpPacketizer, sequenceFrom } from "../src/index.js";
import { loadStream } from "./stream.js";

const [target, sinkPort, rate, frames] = process.argv.slice(2).map(Number) as [
  number,
  number,
  number,
  number,
];
const stream = loadStream(frames, process.env.BENCH_SYNTHETIC === "1");
const rtp = new RtpPacketizer({
  packetizer: new H264Packetizer({ mtu: 1200 }),
  payloadType: 96,
  ssrc: 0x5eed,
  sequence: sequenceFrom(0),
});
const datagrams = stream.units.flatMap((u, i) => rtp.packetizeFrame(u.data, i * 3000));
const sender = createSocket("udp4");
const sink = createSocket("udp4");
let received = 0;
let receivedBytes = 0;
sink.on("message", (m) => {
  received++;
  receivedBytes += m.length;
});
await new Promise<void>((r) => sink.bind(sinkPort, "127.0.0.1", () => r()));
sink.setRecvBufferSize(8 * 1024 * 1024);
await new Promise<void>((r) => sender.bind(0, "127.0.0.1", () => r()));
process.stdout.write(
  `${JSON.stringify({ ready: true, packets: datagrams.length, synthetic: stream.synthetic })}\n`,
);
// wait for "go" on stdin
await new Promise<void>((r) => process.stdin.once("data", () => r()));
const start = performance.now();
const batch = 64;
for (let i = 0; i < datagrams.length; i += batch) {
  for (let k = i; k < Math.min(i + batch, datagrams.length); k++)
    sender.send(datagrams[k]!, target, "127.0.0.1");
  const due = start + ((i + batch) * 1000) / rate;
  const wait = due - performance.now();
  await new Promise((r) => (wait > 1 ? setTimeout(r, wait) : setImmediate(r)));
}
const sentMs = performance.now() - start;
// let the tail arrive (bounded)
for (let k = 0; k < 100 && received < datagrams.length; k++)
  await new Promise((r) => setTimeout(r, 10));
process.stdout.write(
  `${JSON.stringify({ sent: datagrams.length, received, receivedBytes, sentMs })}\n`,
);
sender.close();
sink.close();
process.exit(0);
