// Memory per server transaction: N whole calls (INVITE → 200 → ACK → BYE → 200) on the in-memory
// network leave 2N finished server transactions waiting out Timers L and J (32 s) in sip.js's
// table; the heap after a full GC, minus the heap before, over 2N is the bytes one costs.
// Usage: cd packages/sip-signaling &&
//   pnpm exec tsx --expose-gc --conditions=@framewire/source bench/transaction-memory.ts [calls]
import { SipUserAgent } from "../src/sip/sip-user-agent.js";
import { DialogScript, FakeNetwork, FakePeer, testSdp } from "../test/fake-sip-network.js";

const calls = Number(process.argv[2] ?? 2000);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new TypeError("run with --expose-gc");
const UA = { host: "127.0.0.1", port: 5060 };
const PEER = { host: "127.0.0.1", port: 5070 };
const network = new FakeNetwork();
const peer = new FakePeer(network, PEER);
const ua = new SipUserAgent({ socketFactory: network.socketFactory });
ua.incomingCalls$.subscribe((call) => call.accept(testSdp(UA.host, 20000)));
await ua.start(UA);

function wholeCall(n: number): boolean {
  const script = new DialogScript(PEER, UA, "room", `m${n}`);
  peer.send(script.request("INVITE", { body: testSdp(PEER.host, 30000) }), UA);
  const ok = peer.inbox.find((m) => m.status === 200);
  peer.inbox.length = 0;
  if (ok === undefined) return false;
  script.learnToTag(ok);
  peer.send(script.request("ACK"), UA);
  script.cseq = 2;
  peer.send(script.request("BYE"), UA);
  const done = peer.inbox.some((m) => m.status === 200 && m.method === "BYE");
  peer.inbox.length = 0;
  return done;
}

const heap = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
for (let n = 0; n < 200; n++) wholeCall(-1 - n); // warm-up (its transactions linger too)
const before = heap();
const tableBefore = ua.stats.serverTransactions.tableSize;
let completed = 0;
for (let n = 0; n < calls; n++) if (wholeCall(n)) completed++;
const after = heap();
const stats = ua.stats.serverTransactions;
const transactions = stats.tableSize - tableBefore;
console.log(
  `${completed}/${calls} calls, ${transactions} finished server transactions lingering ` +
    `(table ${stats.tableSize}/${stats.tableLimit}, in progress ${stats.inProgress}, calls ${ua.stats.activeCalls})`,
);
console.log(
  `heap +${((after - before) / 1024 / 1024).toFixed(1)} MiB: ${Math.round((after - before) / transactions)} bytes per transaction`,
);
await ua.stop();
process.exit(0);
