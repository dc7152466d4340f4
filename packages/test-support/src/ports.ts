// Loopback UDP ports: free ones to hand to peers, and sinks that count what arrives.
import { createSocket, type Socket } from "node:dgram";
import { onCleanup } from "./cleanup.js";

/** HOST is where every helper binds and talks: 127.0.0.1. */
export const HOST = "127.0.0.1";

function probe(port: number): Promise<Socket | undefined> {
  return new Promise((r) => {
    const s = createSocket("udp4");
    s.once("error", () => {
      s.close();
      r(undefined);
    });
    s.bind({ port, address: HOST, exclusive: true }, () => r(s));
  });
}

/**
 * freeUdpPorts finds `count` consecutive UDP ports on 127.0.0.1, starting at an even port in
 * [20000, 40000), that could all be bound (they are released again before it returns).
 */
export async function freeUdpPorts(count = 1, attempts = 60): Promise<number> {
  for (let i = 0; i < attempts; i++) {
    const base = 20_000 + 2 * Math.floor(Math.random() * (10_000 - count));
    const sockets = await Promise.all(Array.from({ length: count }, (_, k) => probe(base + k)));
    await Promise.all(
      sockets.map((s) => (s === undefined ? undefined : new Promise<void>((r) => s.close(r)))),
    );
    if (sockets.every((s) => s !== undefined)) return base;
  }
  throw new Error(`no ${count} consecutive free UDP ports on ${HOST}`);
}

/** UdpCounter counts the datagrams a bound socket received. */
export interface UdpCounter {
  readonly count: () => number;
}

/** udpCounter binds a UDP socket on 127.0.0.1:`port` (exclusive) and counts what arrives; closed at cleanup. */
export async function udpCounter(port: number): Promise<UdpCounter> {
  const socket = createSocket("udp4");
  let n = 0;
  socket.on("message", () => {
    n++;
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind({ address: HOST, port, exclusive: true }, () => resolve());
  });
  onCleanup(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return { count: () => n };
}
