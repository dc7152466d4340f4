import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";

/**
 * sipPing sends one out-of-dialog OPTIONS to host:port from 127.0.0.1 and resolves with the
 * response's status code, or undefined when none came within `timeoutMs`.
 */
export function sipPing(host: string, port: number, timeoutMs = 500): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket("udp4");
    const done = (status: number | undefined) => {
      clearTimeout(timer);
      socket.close();
      resolve(status);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.on("message", (data) => {
      const m = /^SIP\/2\.0 (\d{3})/.exec(data.toString("latin1"));
      if (m !== null) done(Number(m[1]));
    });
    socket.on("error", () => done(undefined));
    socket.bind(0, "127.0.0.1", () => {
      const { port: local } = socket.address();
      const id = randomBytes(8).toString("hex");
      const message = [
        `OPTIONS sip:${host}:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK${id};rport`,
        "Max-Forwards: 70",
        `From: <sip:cluster@127.0.0.1>;tag=${id}`,
        `To: <sip:${host}:${port}>`,
        `Call-ID: ${id}@127.0.0.1`,
        "CSeq: 1 OPTIONS",
        "Content-Length: 0",
        "",
        "",
      ].join("\r\n");
      socket.send(message, port, host);
    });
  });
}
