// relayPhone: a symmetric-RTP "phone" in front of a sender and a receiver.
import { createSocket, type Socket } from "node:dgram";
import { onCleanup } from "./cleanup.js";
import { HOST } from "./ports.js";

/** RelayPhone is one endpoint's RTP socket, fed by a sender and feeding a receiver. */
export interface RelayPhone {
  /** ingress is the port a sender (gst/ffmpeg/our session) sends its RTP to. */
  readonly ingress: number;
  /** port is the phone's own RTP port: where its media comes from, where the bridge sends to. */
  readonly port: number;
  /** counters of the datagrams that passed through. */
  readonly counts: { toSession: number; toReceiver: number };
  /** attach names the bridge session's RTP port the phone sends to. */
  attach(sessionPort: number): void;
}

/**
 * relayPhone makes a phone the way a SIP/RTP endpoint is one: a single UDP socket that sends its
 * media to the bridge session and receives the session's media on the same port (symmetric RTP).
 * What a sender sends to `ingress` leaves the phone's socket unchanged, to the attached session;
 * the session's RTP to the phone goes on, unchanged, to 127.0.0.1:`receiverPort` (a decoder).
 * Closed at cleanup.
 */
export async function relayPhone(receiverPort: number): Promise<RelayPhone> {
  const bind = (): Promise<Socket> =>
    new Promise((r, j) => {
      const s = createSocket("udp4");
      s.once("error", j);
      s.bind({ port: 0, address: HOST }, () => {
        s.setRecvBufferSize(4 << 20);
        r(s);
      });
    });
  const ingress = await bind();
  const phone = await bind();
  onCleanup(() => {
    ingress.close();
    phone.close();
  });
  const counts = { toSession: 0, toReceiver: 0 };
  let session: number | undefined;
  ingress.on("message", (msg) => {
    if (session === undefined) return;
    counts.toSession++;
    phone.send(msg, session, HOST);
  });
  phone.on("message", (msg, rinfo) => {
    if (rinfo.port !== session) return; // the session's RTP only, not its RTCP
    counts.toReceiver++;
    phone.send(msg, receiverPort, HOST);
  });
  return {
    ingress: ingress.address().port,
    port: phone.address().port,
    counts,
    attach: (port) => {
      session = port;
    },
  };
}
