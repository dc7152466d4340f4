// Profiling driver for the cut-through relay path: like bench/relay.ts "cut" but only that.
// Usage: node --cpu-prof .bench-build/bench/cut-through-profile.js (after tsc -p tsconfig.bench.json)
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { RtpRewriter, VideoRtpSession } from "../src/index.js";
import { relayPeerArgs, relayPeerEnv } from "./stream.js";

const sinkPort = 41002;
const a = await VideoRtpSession.open({ localAddr: ["127.0.0.1", 0], assemble: false });
const b = await VideoRtpSession.open({
  localAddr: ["127.0.0.1", 0],
  remoteAddr: ["127.0.0.1", sinkPort],
  symmetric: false,
});
const rewriter = new RtpRewriter({ ssrc: b.ssrc, payloadType: b.payloadType, codec: b.codec });
a.onPacket((packet, datagram) => {
  const out = rewriter.rewrite(packet, datagram, 0, true);
  if (out !== undefined) b.forwardPacket(out);
});
const peer = spawn(
  process.execPath,
  [...relayPeerArgs(), String(a.localPort), String(sinkPort), "40000", "4500"],
  { stdio: ["pipe", "pipe", "inherit"], env: relayPeerEnv() },
);
const it = createInterface({ input: peer.stdout! })[Symbol.asyncIterator]();
await it.next();
const c0 = process.cpuUsage();
peer.stdin!.write("go\n");
console.log((await it.next()).value);
const c = process.cpuUsage(c0);
console.log(
  "cpu ms user",
  c.user / 1000,
  "system",
  c.system / 1000,
  "sent",
  b.stats().sent.packets,
);
a.close();
b.close();
peer.kill();
