/**
 * The user agent on real node:dgram sockets on 127.0.0.1: a raw UDP peer sends SIP text and
 * reads the answers; stop() releases the port.
 */
import { createSocket, type Socket } from "node:dgram";
import { HOST, onCleanup, runCleanups } from "@framewire/test-support/peers";
import { afterEach, expect, it } from "vitest";
import { SipUserAgent } from "../src/sip/sip-user-agent.js";
import type { SipAddress } from "../src/sip/via.js";
import { DialogScript, parseSip, type Received } from "./fake-sip-network.js";

afterEach(runCleanups);

async function rawPeer(): Promise<{
  socket: Socket;
  address: SipAddress;
  next: () => Promise<Received>;
}> {
  const socket = createSocket("udp4");
  const queue: Received[] = [];
  const waiters: Array<(m: Received) => void> = [];
  socket.on("message", (data, rinfo) => {
    const m = parseSip(data.toString("utf8"), Date.now(), {
      host: rinfo.address,
      port: rinfo.port,
    });
    const waiter = waiters.shift();
    if (waiter) waiter(m);
    else queue.push(m);
  });
  await new Promise<void>((resolve) => socket.bind({ address: HOST, port: 0 }, () => resolve()));
  onCleanup(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  const next = (): Promise<Received> => {
    const queued = queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no datagram within 2 s")), 2_000);
      waiters.push((m) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
  };
  return { socket, address: { host: HOST, port: socket.address().port }, next };
}

function send(socket: Socket, text: string, to: SipAddress): Promise<void> {
  return new Promise((resolve, reject) =>
    socket.send(text, to.port, to.host, (error) => (error ? reject(error) : resolve())),
  );
}

it("answers OPTIONS with received/rport over real UDP, 400 to a malformed request, and stop() frees the port", async () => {
  const ua = new SipUserAgent();
  const local = await ua.start({ host: HOST, port: 0 });
  onCleanup(() => ua.stop());
  expect(local.host).toBe(HOST);
  expect(local.port).toBeGreaterThan(0);
  expect(ua.contactUri).toBe(`sip:framewire@${HOST}:${local.port}`);
  const peer = await rawPeer();
  const script = new DialogScript(peer.address, local);
  await send(
    peer.socket,
    script.request("OPTIONS", { via: `SIP/2.0/UDP 192.0.2.1:9;branch=z9hG4bKr1;rport` }),
    local,
  );
  const ok = await peer.next();
  expect(ok.status).toBe(200);
  expect(ok.header("via")).toBe(
    `SIP/2.0/UDP 192.0.2.1:9;branch=z9hG4bKr1;received=${HOST};rport=${peer.address.port}`,
  );
  await send(peer.socket, script.request("OPTIONS", { cseqMethod: "INFO" }), local);
  expect((await peer.next()).firstLine).toBe("SIP/2.0 400 CSeq Method Does Not Match");

  await ua.stop();
  await ua.stop(); // twice is safe
  expect(ua.localAddress).toBeUndefined();
  const again = new SipUserAgent();
  await again.start({ host: HOST, port: local.port });
  onCleanup(() => again.stop());
  expect(again.localAddress?.port).toBe(local.port);
});

it("refuses a second start and a busy port", async () => {
  const ua = new SipUserAgent();
  const local = await ua.start({ host: HOST, port: 0 });
  onCleanup(() => ua.stop());
  await expect(ua.start({ host: HOST, port: 0 })).rejects.toThrow(/ALREADY_STARTED/);
  const other = new SipUserAgent();
  await expect(other.start({ host: HOST, port: local.port })).rejects.toThrow(/BIND_FAILED/);
  await expect(new SipUserAgent().start({ host: "0.0.0.0", port: 0 })).rejects.toThrow(
    /BAD_OPTION/,
  );
});

it("asks for a larger socket receive buffer (SO_RCVBUF) and reports what the OS granted", async () => {
  const ua = new SipUserAgent();
  await ua.start({ host: HOST, port: 0 });
  onCleanup(() => ua.stop());
  const granted = ua.stats.transport.receiveBufferBytes;
  // Linux doubles what is asked, capped at net.core.rmem_max (the default buffer is ~208 KB)
  console.log(`SO_RCVBUF granted: ${granted} bytes (4 MiB asked)`);
  expect(granted).toBeGreaterThan(0);
  const small = new SipUserAgent({ receiveBufferBytes: 65_536 });
  await small.start({ host: HOST, port: 0 });
  onCleanup(() => small.stop());
  expect(small.stats.transport.receiveBufferBytes).toBeGreaterThanOrEqual(65_536);
  expect(small.stats.transport.receiveBufferBytes).toBeLessThanOrEqual(granted);
});
