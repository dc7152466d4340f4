// Profiling driver for the session relay path: like bench/relay.ts "session" but only that.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { VideoRtpSession } from "../src/index.js";
import { relayPeerArgs, relayPeerEnv } from "./stream.js";

const sinkPort = 41000;
const a = await VideoRtpSession.open({ localAddr: ["127.0.0.1", 0] });
const b = await VideoRtpSession.open({
  localAddr: ["127.0.0.1", 0],
  remoteAddr: ["127.0.0.1", sinkPort],
  symmetric: false,
});
a.frames$.subscribe((f) =>
  b.sendFrame({ data: f.data, keyframe: f.keyframe, timestampMs: f.timestampMs }),
);
const peer = spawn(
  process.execPath,
  [...relayPeerArgs(), String(a.localPort), String(sinkPort), "40000", "1500"],
  {
    stdio: ["pipe", "pipe", "inherit"],
    env: relayPeerEnv(),
  },
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
