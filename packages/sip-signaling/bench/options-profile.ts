// Profile helper: feeds OPTIONS datagrams straight into SipUserAgent through an in-memory socket
// (no kernel, no flooder) and prints µs per message. Usage:
//   pnpm exec tsx --conditions=@framewire/source bench/options-profile.ts [count] [mode]
// mode: "fast" (default: the OPTIONS fast path), "full" (optionsFastPath off: sip.js's parser),
// "limited" (the default rate limits: all but the first ~1 000 get the overload 503).
// (add --cpu-prof before the script for a .cpuprofile).
import type { DatagramSocketFactory } from "../src/sip/datagram-socket.js";
import { SipUserAgent } from "../src/sip/sip-user-agent.js";

const count = Number(process.argv[2] ?? 20000);
const mode = process.argv[3] ?? "fast";
let deliver: ((data: Uint8Array, source: { host: string; port: number }) => void) | undefined;
let answered = 0;
const factory: DatagramSocketFactory = async (options) => {
  deliver = options.onMessage;
  return {
    local: { host: "127.0.0.1", port: 5060 },
    send: async () => {
      answered++;
    },
    close: async () => {},
  };
};
const ua = new SipUserAgent({
  socketFactory: factory,
  ...(mode === "limited" ? {} : { rateLimits: null }),
  optionsFastPath: mode !== "full",
});
await ua.start({ host: "127.0.0.1", port: 5060 });
const encoder = new TextEncoder();
function options(n: number): Uint8Array {
  return encoder.encode(
    "OPTIONS sip:bridge@127.0.0.1:5060 SIP/2.0\r\n" +
      `Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-p-${n};rport\r\n` +
      "Max-Forwards: 70\r\n" +
      "From: <sip:flood@127.0.0.1:5070>;tag=abc\r\n" +
      "To: <sip:bridge@127.0.0.1:5060>\r\n" +
      `Call-ID: p-${n}@127.0.0.1\r\n` +
      `CSeq: ${n + 1} OPTIONS\r\n` +
      "Contact: <sip:flood@127.0.0.1:5070>\r\n" +
      "Accept: application/sdp\r\n" +
      "Content-Length: 0\r\n\r\n",
  );
}
const source = { host: "127.0.0.1", port: 5070 };
for (let i = 0; i < 2000; i++) deliver?.(options(i), source);
await new Promise((r) => setTimeout(r, 10));
const t0 = performance.now();
for (let i = 0; i < count; i++) deliver?.(options(i + 2000), source);
const ms = performance.now() - t0;
await new Promise((r) => setTimeout(r, 10));
console.log(
  `${mode}: ${count} OPTIONS in ${ms.toFixed(0)} ms: ${((1000 * ms) / count).toFixed(1)} µs each, ${Math.round(count / (ms / 1000))}/s; answered ${answered - 2000}`,
);
await ua.stop();
