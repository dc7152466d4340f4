// Loopback UDP ports: free ones to hand to peers, and sinks that count what arrives.
import { createSocket, type Socket } from "node:dgram";
import { readFileSync } from "node:fs";
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
 * portWindow is where freeUdpPorts looks: from 20000 up to the kernel's ephemeral range (Linux
 * `ip_local_port_range`, usually 32768..60999), so a socket another test binds to port 0 in the
 * meantime cannot take a port handed to a peer; [20000, 40000) where that range is unknown.
 */
function portWindow(): { start: number; end: number } {
  try {
    const [low] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8")
      .trim()
      .split(/\s+/)
      .map(Number);
    if (low !== undefined && Number.isInteger(low) && low - 20_000 >= 2_000) {
      return { start: 20_000, end: low };
    }
  } catch {
    // not Linux: the fixed window
  }
  return { start: 20_000, end: 40_000 };
}

/**
 * freeUdpPorts finds `count` consecutive UDP ports on 127.0.0.1, starting at an even port below
 * the kernel's ephemeral range (see portWindow), that could all be bound (they are released
 * again before it returns).
 */
export async function freeUdpPorts(count = 1, attempts = 60): Promise<number> {
  const { start, end } = portWindow();
  const pairs = Math.floor((end - start - count) / 2);
  for (let i = 0; i < attempts; i++) {
    const base = start + 2 * Math.floor(Math.random() * pairs);
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
