/// <reference types="node" preserve="true" />
import { createSocket, type Socket } from "node:dgram";
import { RtpVideoError } from "../errors.js";

/** Address is a host and a UDP port, as the seeds write it: `["127.0.0.1", 5004]`. */
export type Address = readonly [host: string, port: number];

/** UdpPair is the RTP socket and, without rtcp-mux, the RTCP socket on the next port. */
export interface UdpPair {
  readonly rtp: Socket;
  readonly rtcp: Socket | undefined;
  readonly port: number;
}

const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

function bind(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket({ type: host.includes(":") ? "udp6" : "udp4" });
    const onError = (e: Error) => {
      s.close();
      reject(e);
    };
    s.once("error", onError);
    s.bind(port, host, () => {
      s.off("error", onError);
      // video arrives in bursts (a keyframe is ~100 packets): ask for a 4 MiB receive buffer;
      // the kernel caps it at net.core.rmem_max
      try {
        s.setRecvBufferSize(RECEIVE_BUFFER_BYTES);
        s.setSendBufferSize(RECEIVE_BUFFER_BYTES);
      } catch {
        // keep the default size
      }
      resolve(s);
    });
  });
}

/**
 * bindUdpPair binds the RTP socket at `local` and, unless `rtcpMux`, RTCP at the next port
 * (RFC 3550 §11). Port 0 picks a free even port for which port + 1 is free too (bounded tries).
 * On failure nothing stays bound.
 */
export async function bindUdpPair(
  local: Address,
  rtcpMux: boolean,
  random = Math.random,
): Promise<UdpPair> {
  const [host, port] = local;
  if (!Number.isInteger(port) || port < 0 || port > 65535 || (!rtcpMux && port === 65535)) {
    throw new RtpVideoError("BAD_OPTION", `bad local port ${port}`);
  }
  if (port !== 0 || rtcpMux) {
    let rtp: Socket;
    try {
      rtp = await bind(host, port);
    } catch (e) {
      throw new RtpVideoError(
        "PORT_UNAVAILABLE",
        `${host}:${port} unavailable: ${(e as Error).message}`,
      );
    }
    if (rtcpMux) return { rtp, rtcp: undefined, port: rtp.address().port };
    try {
      return { rtp, rtcp: await bind(host, port + 1), port };
    } catch (e) {
      rtp.close();
      throw new RtpVideoError(
        "PORT_UNAVAILABLE",
        `RTCP port ${port + 1} unavailable: ${(e as Error).message}`,
      );
    }
  }
  for (let attempt = 0; attempt < 64; attempt++) {
    const p = 20000 + 2 * Math.floor(random() * 20000);
    let rtp: Socket;
    try {
      rtp = await bind(host, p);
    } catch {
      continue;
    }
    try {
      return { rtp, rtcp: await bind(host, p + 1), port: p };
    } catch {
      rtp.close();
    }
  }
  throw new RtpVideoError("PORT_UNAVAILABLE", "no free even/odd UDP port pair found in 64 tries");
}
