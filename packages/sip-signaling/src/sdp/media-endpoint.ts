import type { ConnectionAddress, ParsedMedia, RejectReason } from "./sdp-types.js";

/** SUPPORTED_PROTOS are the transports we carry: plain RTP, with or without RFC 4585 feedback. */
const SUPPORTED_PROTOS: ReadonlySet<string> = new Set(["RTP/AVP", "RTP/AVPF"]);

/**
 * streamProblem says why an m-line cannot carry media for us, or undefined when it can: port 0
 * (RFC 3264 §6), a transport other than RTP/AVP(F) (SRTP, DTLS, BFCP, ...) or a port count,
 * or no usable connection address.
 */
export function streamProblem(m: ParsedMedia): RejectReason | undefined {
  if (m.port === 0) return "port-zero";
  if (!SUPPORTED_PROTOS.has(m.proto.toUpperCase()) || m.portCount !== 1) {
    return "unsupported-transport";
  }
  if (m.connection === undefined) return "no-connection-address";
  return undefined;
}

/** RemoteEndpoint is where a stream's RTP and RTCP go. */
export interface RemoteEndpoint {
  readonly remoteAddress: string;
  readonly remoteAddressUnspecified: boolean;
  readonly remotePort: number;
  readonly remoteRtcpAddress: string;
  readonly remoteRtcpPort: number;
}

/**
 * remoteEndpoint derives the RTP and RTCP destinations of an m-line: with rtcp-mux RTCP shares
 * the RTP port (RFC 5761 §5.1.3); else `a=rtcp` (RFC 3605), else RTP port + 1 (RFC 3550 §11),
 * 0 when that would pass 65535.
 */
export function remoteEndpoint(
  m: ParsedMedia,
  connection: ConnectionAddress,
  rtcpMux: boolean,
): RemoteEndpoint {
  let rtcpAddress = connection.address;
  let rtcpPort = m.port + 1 <= 65535 ? m.port + 1 : 0;
  if (rtcpMux) {
    rtcpPort = m.port;
  } else if (m.rtcp !== undefined) {
    rtcpPort = m.rtcp.port;
    rtcpAddress = m.rtcp.connection?.address ?? connection.address;
  }
  return {
    remoteAddress: connection.address,
    remoteAddressUnspecified: connection.unspecified,
    remotePort: m.port,
    remoteRtcpAddress: rtcpAddress,
    remoteRtcpPort: rtcpPort,
  };
}
