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

/** PortRange is the first and last UDP port a session may bind (both included). */
export type PortRange = readonly [first: number, last: number];

/** checkPortRange refuses a range that holds no even/odd pair in 1024..65535 (`BAD_OPTION`). */
export function checkPortRange(range: PortRange): void {
  const [first, last] = range;
  if (!Number.isInteger(first) || !Number.isInteger(last) || first < 1024 || last > 65535) {
    throw new RtpVideoError("BAD_OPTION", `bad port range ${first}..${last} (1024..65535)`);
  }
  if (first + (first % 2) + 1 > last) {
    throw new RtpVideoError("BAD_OPTION", `port range ${first}..${last} holds no even/odd pair`);
  }
}

/**
 * bindUdpPair binds the RTP socket at `local` and, unless `rtcpMux`, RTCP at the next port
 * (RFC 3550 §11). Port 0 picks a random free even port for which port + 1 is free too (bounded
 * tries), in `range` when given (else in 20000..59999), so the ports of successive sessions
 * cannot be guessed from one another. On failure nothing stays bound.
 */
export async function bindUdpPair(
  local: Address,
  rtcpMux: boolean,
  random = Math.random,
  range?: PortRange,
): Promise<UdpPair> {
  const [host, port] = local;
  if (!Number.isInteger(port) || port < 0 || port > 65535 || (!rtcpMux && port === 65535)) {
    throw new RtpVideoError("BAD_OPTION", `bad local port ${port}`);
  }
  if (range !== undefined) checkPortRange(range);
  if (port !== 0 || (rtcpMux && range === undefined)) {
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
  const first = range === undefined ? 20000 : range[0] + (range[0] % 2);
  const pairs = range === undefined ? 20000 : Math.floor((range[1] - first + 1) / 2);
  for (let attempt = 0; attempt < 64; attempt++) {
    const p = first + 2 * Math.floor(random() * pairs);
    let rtp: Socket;
    try {
      rtp = await bind(host, p);
    } catch {
      continue;
    }
    if (rtcpMux) return { rtp, rtcp: undefined, port: p };
    try {
      return { rtp, rtcp: await bind(host, p + 1), port: p };
    } catch {
      rtp.close();
    }
  }
  throw new RtpVideoError(
    "PORT_UNAVAILABLE",
    `no free even/odd UDP port pair found in 64 tries${range === undefined ? "" : ` in ${range[0]}..${range[1]}`}`,
  );
}
