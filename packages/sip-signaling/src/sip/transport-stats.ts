/** What the SIP UDP transport counts, and the size of a datagram it carries. */

/** MAX_SIP_DATAGRAM_BYTES is the largest UDP payload over IPv4 (65,535 − 8 − 20 bytes). */
export const MAX_SIP_DATAGRAM_BYTES = 65_507;

/**
 * DEFAULT_RECEIVE_BUFFER_BYTES is the SO_RCVBUF the transport asks for (4 MiB): about 5 000
 * OPTIONS-sized datagrams, a second of a flood at our rate, instead of the ~200 KB default.
 */
export const DEFAULT_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

/** SipTransportStats counts what the transport received, sent and dropped. */
export interface SipTransportStats {
  readonly datagramsIn: number;
  readonly datagramsOut: number;
  /** keepalives counts CRLF keep-alive datagrams (RFC 5626 §3.5.1), ignored. */
  readonly keepalives: number;
  /** oversize counts datagrams dropped for exceeding the size cap. */
  readonly oversize: number;
  /** malformed counts datagrams dropped without an answer (not SIP, or unanswerable). */
  readonly malformed: number;
  /** badRequests counts requests the transport answered itself: 400, 416 (URI scheme), 505 (version). */
  readonly badRequests: number;
  /** misrouted counts responses dropped because their top Via is not ours (§18.1.2). */
  readonly misrouted: number;
  /** sendErrors counts messages that could not be routed or sent. */
  readonly sendErrors: number;
  /** overloaded counts requests answered 503 (or dropped) by the overload guard before parsing. */
  readonly overloaded: number;
  /**
   * optionsFastPath counts plainly simple out-of-dialog OPTIONS answered 200 without sip.js's
   * parser (the same answer as the full path; the others take the full path).
   */
  readonly optionsFastPath: number;
  /** receiveBufferBytes is the socket's kernel receive buffer (SO_RCVBUF as reported; 0 unknown). */
  readonly receiveBufferBytes: number;
}

/** noTransportStats are the counters of a transport that has seen nothing (every one 0). */
export function noTransportStats(): { -readonly [K in keyof SipTransportStats]: number } {
  return {
    datagramsIn: 0,
    datagramsOut: 0,
    keepalives: 0,
    oversize: 0,
    malformed: 0,
    badRequests: 0,
    misrouted: 0,
    sendErrors: 0,
    overloaded: 0,
    optionsFastPath: 0,
    receiveBufferBytes: 0,
  };
}
