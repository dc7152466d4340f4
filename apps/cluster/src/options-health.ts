import { randomBytes } from "node:crypto";
import {
  bindNodeDatagramSocket,
  type DatagramSocketFactory,
  type SipAddress,
} from "@framewire/sip-signaling";

/** Health is what a node tells Kamailio's OPTIONS pings: "up" (200) or "draining" (503). */
export type Health = "up" | "draining";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The header fields a response copies from its request (RFC 3261 §8.2.6.2), compact forms too. */
const COPIED = new Set(["via", "v", "from", "f", "to", "t", "call-id", "i", "cseq"]);

/**
 * drainingAnswer is the stateless 503 to an out-of-dialog OPTIONS (RFC 3261 §11.2, §21.5.4 with
 * Retry-After), or undefined when `text` is no such request (it goes on to the user agent).
 */
export function drainingAnswer(text: string): string | undefined {
  if (!text.startsWith("OPTIONS ")) return undefined;
  const head = text.split(/\r?\n\r?\n/, 1)[0] ?? "";
  const lines = head.split(/\r?\n/).slice(1);
  const copied: string[] = [];
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!COPIED.has(name)) continue;
    if (name === "to" || name === "t") {
      if (/;\s*tag=/i.test(line)) return undefined; // in a dialog: the user agent answers
      copied.push(`${line};tag=${randomBytes(6).toString("hex")}`);
    } else copied.push(line);
  }
  return ["SIP/2.0 503 Draining", ...copied, "Retry-After: 30", "Content-Length: 0", "", ""].join(
    "\r\n",
  );
}

/**
 * healthSocketFactory binds the SIP socket like `bindNodeDatagramSocket`, answering
 * out-of-dialog OPTIONS itself with 503 while `health()` is "draining" (sip-signaling answers
 * OPTIONS 200 statelessly and has no hook for it); every other datagram goes on unchanged.
 * `onDrainingAnswer` hears each 503 sent.
 */
export function healthSocketFactory(
  health: () => Health,
  bind: DatagramSocketFactory = bindNodeDatagramSocket,
  onDrainingAnswer?: () => void,
): DatagramSocketFactory {
  return async (options) => {
    let send: ((data: Uint8Array, to: SipAddress) => Promise<void>) | undefined;
    const socket = await bind({
      ...options,
      onMessage: (data, source) => {
        if (health() === "draining" && data[0] === 0x4f /* "O" */ && send !== undefined) {
          const answer = drainingAnswer(decoder.decode(data));
          if (answer !== undefined) {
            send(encoder.encode(answer), source).catch(() => undefined);
            onDrainingAnswer?.();
            return;
          }
        }
        options.onMessage(data, source);
      },
    });
    send = (data, to) => socket.send(data, to);
    return socket;
  };
}
