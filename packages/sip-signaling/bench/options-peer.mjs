// The OPTIONS flooder of bench/options-flood.ts and test/sip-scale-sipp.test.ts (plain node, no
// loader), in its own process so that the CPU time the
// benchmark measures is the responder's alone. Usage: options-peer <port> <rate/s> <ms> [now].
// Prints {"ready":true}, waits for "go" on stdin, sends OPTIONS requests (each its own branch,
// Call-ID and CSeq) at <rate> per second for <ms>, then counts the 200 responses for 500 ms
// more and prints {"sent":n,"answered":n,"other":n,"spanMs":n}.
import { createSocket } from "node:dgram";
import { createInterface } from "node:readline";

const [portArg, rateArg, msArg] = process.argv.slice(2);
const port = Number(portArg);
const rate = Number(rateArg);
const durationMs = Number(msArg);
const socket = createSocket("udp4");
await new Promise((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
socket.setRecvBufferSize(8 * 1024 * 1024);
socket.setSendBufferSize(8 * 1024 * 1024);
const local = socket.address().port;
const tag = Math.random().toString(36).slice(2, 10);
let answered = 0;
let other = 0;
let start = 0;
let lastAt = 0;
socket.on("message", (m) => {
  // "SIP/2.0 200": byte 8 is the status code's first digit
  if (m[8] === 0x32 && m[9] === 0x30 && m[10] === 0x30) answered++;
  else other++;
  lastAt = performance.now();
});

/** @param {number} n */
function options(n) {
  return Buffer.from(
    `OPTIONS sip:bridge@127.0.0.1:${port} SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-${tag}-${n};rport\r\n` +
      "Max-Forwards: 70\r\n" +
      `From: <sip:flood@127.0.0.1:${local}>;tag=${tag}\r\n` +
      `To: <sip:bridge@127.0.0.1:${port}>\r\n` +
      `Call-ID: ${tag}-${n}@127.0.0.1\r\n` +
      `CSeq: ${n + 1} OPTIONS\r\n` +
      `Contact: <sip:flood@127.0.0.1:${local}>\r\n` +
      "Accept: application/sdp\r\n" +
      "Content-Length: 0\r\n\r\n",
  );
}

console.log(JSON.stringify({ ready: true }));
// a fifth argument "now" starts at once (a test's child without stdin)
if (process.argv[5] !== "now") {
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) if (line.trim() === "go") break;
}

let sent = 0;
start = performance.now();
await new Promise((resolve) => {
  const tick = () => {
    const elapsed = performance.now() - start;
    const due = Math.min(
      Math.floor((elapsed / 1000) * rate),
      Math.floor((durationMs / 1000) * rate),
    );
    while (sent < due) socket.send(options(sent++), port, "127.0.0.1");
    if (elapsed >= durationMs) resolve();
    else setTimeout(tick, 1);
  };
  tick();
});
await new Promise((resolve) => setTimeout(resolve, 500));
// spanMs: from the first request sent to the last response received (a backlog answered late
// stretches it past <ms>)
console.log(JSON.stringify({ sent, answered, other, spanMs: Math.max(0, lastAt - start) }));
socket.close();
process.exit(0);
