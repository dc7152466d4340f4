/**
 * SipUdpTransport is the UDP transport layer (RFC 3261 §18) under sip.js's core.
 *
 * Receive: datagram → size cap → a plainly simple out-of-dialog OPTIONS is answered on the
 * fast path (`options-fast-path.ts`: rate guard, then the full path's 200 or 503, no parse) →
 * otherwise sip.js `Parser.parseMessage` → checks (mandatory header
 * fields, CSeq, Content-Length against the datagram, §18.3) → for requests, `received` and
 * `rport` on the top Via (§18.2.1, RFC 3581 §4) → handler. A malformed request that can be
 * answered gets a stateless 400; anything else malformed is dropped and counted.
 *
 * Send: sip.js passes message text only, so the destination is read back from it: requests
 * go to the first Route or the Request-URI, responses to the top Via (§18.2.2).
 */
import { createHash, randomBytes } from "node:crypto";
import { Core } from "sip.js";
import {
  bindNodeDatagramSocket,
  type DatagramSocket,
  type DatagramSocketFactory,
} from "./datagram-socket.js";
import { KNOWN_METHODS, SUPPORTED_METHODS, withOurAllow } from "./methods.js";
import { messageDestination } from "./next-hop.js";
import {
  readSimpleOptions,
  type SimpleOptions,
  simpleOptionsAnswer,
  simpleOverloadAnswer,
  stampSimpleVia,
  statelessToTag,
} from "./options-fast-path.js";
import {
  buildStatelessResponse,
  canAnswer,
  parseRequestLine,
  parseStatusCode,
  type RawMessage,
  type RequestLine,
  rawHeaderValue,
  rawHeaderValues,
  requestLineProblem,
  scanMessage,
} from "./raw-message.js";
import type { RateVerdict } from "./request-rate-limiter.js";
import {
  DEFAULT_RECEIVE_BUFFER_BYTES,
  MAX_SIP_DATAGRAM_BYTES,
  noTransportStats,
  type SipTransportStats,
} from "./transport-stats.js";
import {
  type ParsedVia,
  parseVia,
  quickVia,
  responseDestination,
  type SipAddress,
  splitTopViaParm,
  stampParsedVia,
  viaFromGrammar,
  viaMatchesSentBy,
} from "./via.js";

/** SipUdpTransportOptions configures {@link SipUdpTransport.bind}. */
export interface SipUdpTransportOptions {
  /** host is the local address to bind (e.g. "127.0.0.1", "0.0.0.0"). */
  readonly host: string;
  /** port is the local port to bind (0: any free port). */
  readonly port: number;
  /** advertisedHost is the host put in Via sent-by and Contact (default: the bound host). */
  readonly advertisedHost?: string;
  /** maxDatagramBytes caps received and sent datagrams (default {@link MAX_SIP_DATAGRAM_BYTES}). */
  readonly maxDatagramBytes?: number;
  /** socketFactory binds the socket (default node:dgram). */
  readonly socketFactory?: DatagramSocketFactory;
  /** receiveBufferBytes is the SO_RCVBUF asked for (default {@link DEFAULT_RECEIVE_BUFFER_BYTES}). */
  readonly receiveBufferBytes?: number;
  /** loggerFactory is sip.js's logger factory (its parser logs through it). */
  readonly loggerFactory: Core.LoggerFactory;
  /** onRequest receives each valid request, its top Via stamped. */
  readonly onRequest: (message: Core.IncomingRequestMessage, source: SipAddress) => void;
  /** onResponse receives each valid response whose top Via is ours. */
  readonly onResponse: (message: Core.IncomingResponseMessage, source: SipAddress) => void;
  /** onSocketError receives socket errors after the bind. */
  readonly onSocketError?: (error: Error) => void;
  /**
   * admitRequest is the overload guard: asked with each request's method and source before
   * anything but the start line and header fields is read; a verdict gets a stateless 503
   * with Retry-After (an ACK is dropped), counted in `overloaded`.
   */
  readonly admitRequest?: (method: string, source: SipAddress) => RateVerdict;
}

const CRLF_CRLF = [13, 10, 13, 10] as const;
const MANDATORY = ["via", "from", "to", "call-id", "cseq"] as const;
const CSEQ = /^(\d{1,10})\s+([A-Za-z0-9.!%*_+`'~-]+)$/;

function indexOfBytes(data: Uint8Array, pattern: readonly number[]): number {
  outer: for (let i = 0; i + pattern.length <= data.length; i++) {
    for (let j = 0; j < pattern.length; j++) {
      if (data[i + j] !== pattern[j]) continue outer;
    }
    return i;
  }
  return -1;
}

/** Header fields that must not repeat (RFC 4475 §3.3.8), with the name a 400 gives them. */
const SINGLE_VALUED = ["to", "from", "call-id", "cseq", "max-forwards"] as const;
const HEADER_NAMES: Readonly<Record<(typeof SINGLE_VALUED)[number], string>> = {
  to: "To",
  from: "From",
  "call-id": "Call-ID",
  cseq: "CSeq",
  "max-forwards": "Max-Forwards",
};
const IMPLEMENTED = new Set<string>(SUPPORTED_METHODS);

/**
 * rfc2543Branch names the transaction of a request whose top Via has no branch (RFC 2543,
 * RFC 3261 §17.2.3): Request-URI, Call-ID, From (with its tag, if any), the CSeq number and the
 * top Via, not the CSeq method, so that its CANCEL and the ACK of a non-2xx match the INVITE.
 * The prefix cannot be a real RFC 3261 branch (those start with z9hG4bK).
 */
function rfc2543Branch(raw: RawMessage, line: RequestLine, topVia: string | undefined): string {
  const cseq = CSEQ.exec(rawHeaderValue(raw, "cseq") ?? "")?.[1] ?? "";
  const key = [
    line.requestUri,
    rawHeaderValue(raw, "call-id")?.trim() ?? "",
    rawHeaderValue(raw, "from")?.trim() ?? "",
    cseq,
    topVia?.trim() ?? "",
  ].join("\n");
  return `rfc2543-${createHash("sha256").update(key).digest("hex").slice(0, 32)}`;
}

/** ROUTE_MEMO bounds the response routes remembered (about one per live server transaction). */
const ROUTE_MEMO = 4096;

/**
 * topVia is the top via-parm of a Via header entry sip.js parsed: sip.js's own parse when the
 * entry holds that via-parm alone (no comma list), else parsed here. One parse per message.
 */
function topVia(
  entry: { readonly parsed?: unknown; readonly raw: string },
  split: { readonly first: string; readonly rest: string | undefined },
): ParsedVia | undefined {
  if (split.rest === undefined && entry.parsed !== undefined) {
    const reused = viaFromGrammar(entry.parsed);
    if (reused !== undefined) return reused;
  }
  return parseVia(split.first);
}

function isKeepalive(data: Uint8Array): boolean {
  if (data.length === 0) return true;
  for (const b of data) if (b !== 13 && b !== 10) return false;
  return true;
}

/** newStatelessTag returns a fresh To tag for a stateless response. */
function newStatelessTag(): string {
  return randomBytes(6).toString("hex");
}

/** SipUdpTransport is sip.js's `Transport` over one UDP socket. */
export class SipUdpTransport implements Core.Transport {
  /** protocol is the Via sent-protocol transport sip.js writes. */
  readonly protocol = "UDP";
  /** sentBy is the host and port written in our Via headers (and checked on responses). */
  readonly sentBy: SipAddress;

  private readonly counters = noTransportStats();
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder("utf-8");
  private readonly logger: Core.Logger;
  private readonly maxBytes: number;
  private readonly routes = new Map<string, SipAddress>();
  private socket: DatagramSocket | undefined;
  private closed = false;
  /** optionsTail ends the fast path's 200s; undefined: every OPTIONS takes the full path. */
  private optionsTail: string | undefined;
  /** asciiTail: the fast path's 200s are ASCII (the request part is, by readSimpleOptions). */
  private asciiTail = false;

  private constructor(
    private readonly options: SipUdpTransportOptions,
    advertisedHost: string,
    port: number,
  ) {
    this.sentBy = { host: advertisedHost, port };
    this.logger = options.loggerFactory.getLogger("framewire.sip.transport");
    this.maxBytes = Math.min(
      options.maxDatagramBytes ?? MAX_SIP_DATAGRAM_BYTES,
      MAX_SIP_DATAGRAM_BYTES,
    );
  }

  /** bind opens the socket and returns the transport receiving on it. */
  static async bind(options: SipUdpTransportOptions): Promise<SipUdpTransport> {
    let transport: SipUdpTransport | undefined;
    const pending: Array<[Uint8Array, SipAddress]> = [];
    const socket = await (options.socketFactory ?? bindNodeDatagramSocket)({
      host: options.host,
      port: options.port,
      receiveBufferBytes: options.receiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER_BYTES,
      onMessage: (data, source) => {
        if (transport === undefined) {
          if (pending.length < 64) pending.push([data, source]);
        } else transport.receiveDatagram(data, source);
      },
      onError: (error) => options.onSocketError?.(error),
    });
    transport = new SipUdpTransport(
      options,
      options.advertisedHost ?? socket.local.host,
      socket.local.port,
    );
    transport.socket = socket;
    transport.counters.receiveBufferBytes = socket.receiveBufferBytes ?? 0;
    for (const [data, source] of pending) transport.receiveDatagram(data, source);
    return transport;
  }

  /** local is the bound socket address. */
  get local(): SipAddress {
    if (this.socket === undefined) throw new Core.TransportError("SIP UDP transport not bound");
    return this.socket.local;
  }

  /** stats returns a snapshot of the counters. */
  get stats(): SipTransportStats {
    return { ...this.counters };
  }

  /**
   * useOptionsFastPath answers plainly simple out-of-dialog OPTIONS without sip.js's parser
   * ({@link readSimpleOptions}), with 200s whose header lines after Call-ID are `tail`
   * (`optionsAnswerTail`), counted in `optionsFastPath`; undefined turns it off.
   */
  useOptionsFastPath(tail: string | undefined): void {
    this.optionsTail = tail;
    this.asciiTail = tail !== undefined && /^[\x20-\x7e\r\n]*$/.test(tail);
  }

  /** send routes and sends one SIP message (sip.js's `Transport.send`). */
  send(message: string): Promise<void> {
    const remembered = this.rememberedRoute(message);
    if (remembered !== undefined) return this.sendTo(message, remembered);
    let to: SipAddress;
    try {
      to = messageDestination(message);
    } catch (error) {
      this.counters.sendErrors++;
      return Promise.reject(new Core.TransportError(`unroutable message: ${String(error)}`));
    }
    return this.sendTo(message, to);
  }

  /** sendTo sends one SIP message to an explicit address. */
  async sendTo(message: string, to: SipAddress): Promise<void> {
    const socket = this.socket;
    if (this.closed || socket === undefined) {
      this.counters.sendErrors++;
      throw new Core.TransportError("SIP UDP transport closed");
    }
    // one Allow list everywhere: ours, not sip.js's hard-coded one (RFC 3261 §20.5)
    const bytes = this.encoder.encode(withOurAllow(message));
    if (bytes.length > this.maxBytes) {
      this.counters.sendErrors++;
      throw new Core.TransportError(
        `message of ${bytes.length} bytes exceeds the ${this.maxBytes}-byte datagram cap`,
      );
    }
    try {
      await socket.send(bytes, to);
      this.counters.datagramsOut++;
    } catch (error) {
      this.counters.sendErrors++;
      throw new Core.TransportError(`send to ${to.host}:${to.port} failed: ${String(error)}`);
    }
  }

  /**
   * rememberRoute notes where a response to a request whose stamped top via-parm is `viaParm`
   * goes ({@link responseDestination}, a function of that text alone), so that {@link send}
   * does not parse the Via a response copies back (the oldest entries go past ROUTE_MEMO).
   */
  private rememberRoute(viaParm: string, via: ParsedVia): void {
    if (this.routes.size >= ROUTE_MEMO) {
      const oldest = this.routes.keys().next();
      if (oldest.done !== true) this.routes.delete(oldest.value);
    }
    this.routes.set(viaParm, responseDestination(via));
  }

  /** rememberedRoute is the destination of a response whose top via-parm was remembered. */
  private rememberedRoute(message: string): SipAddress | undefined {
    if (!message.startsWith("SIP/2.0 ")) return undefined;
    const at = message.indexOf("\r\nVia: ");
    if (at < 0) return undefined;
    const end = message.indexOf("\r\n", at + 7);
    if (end < 0) return undefined;
    return this.routes.get(splitTopViaParm(message.slice(at + 7, end)).first);
  }

  /** close stops receiving and releases the socket; calling it twice is safe. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.socket?.close();
  }

  /** receiveDatagram handles one datagram from `source` (the socket calls it). */
  receiveDatagram(data: Uint8Array, source: SipAddress): void {
    if (this.closed) return;
    this.counters.datagramsIn++;
    if (data.length > this.maxBytes) {
      this.counters.oversize++;
      return;
    }
    if (isKeepalive(data)) {
      this.counters.keepalives++;
      return;
    }
    const text = this.decoder.decode(data);
    const tail = this.optionsTail;
    if (tail !== undefined && text.startsWith("OPTIONS ")) {
      const simple = readSimpleOptions(text);
      if (simple !== undefined) {
        // the same guard, the same 200 or 503, without sip.js's parser or the raw scan
        const verdict = this.options.admitRequest?.("OPTIONS", source);
        if (verdict === undefined) this.answerSimpleOptions(simple, source, tail);
        else this.answerSimpleOverloaded(simple, source, verdict.retryAfterSeconds);
        return;
      }
    }
    const raw = scanMessage(text);
    if (raw === undefined) {
      this.counters.malformed++;
      return;
    }
    if (parseStatusCode(raw.startLine) !== undefined) {
      this.receiveResponse(data, text, raw);
      return;
    }
    const line = parseRequestLine(raw.startLine);
    if (line === undefined) {
      // a request we cannot serve (another SIP version, LWS in the start line) is answered
      const problem = requestLineProblem(raw.startLine);
      if (problem === undefined) this.counters.malformed++;
      else {
        const loose = { method: problem.method, requestUri: "" };
        this.answerStateless(raw, loose, source, problem.status, problem.reason);
      }
      return;
    }
    const verdict = this.options.admitRequest?.(line.method, source);
    if (verdict !== undefined) {
      this.answerOverloaded(raw, line, source, verdict.retryAfterSeconds);
      return;
    }
    this.receiveRequest(data, text, raw, line, source);
  }

  /**
   * answerSimpleOptions answers a plainly simple OPTIONS 200 (RFC 3261 §11.2) as the full path
   * would: its Via stamped with received/rport, sent where that Via says.
   */
  private answerSimpleOptions(request: SimpleOptions, source: SipAddress, tail: string): void {
    const stamped = stampSimpleVia(request, source);
    const response = simpleOptionsAnswer(request, stamped.text, statelessToTag(), tail);
    this.counters.optionsFastPath++;
    // ASCII: one byte per character, no UTF-8 encoding (a User-Agent may not be ASCII)
    const bytes = this.asciiTail ? Buffer.from(response, "latin1") : this.encoder.encode(response);
    this.sendSimple(bytes, stamped.destination, "200 to OPTIONS");
  }

  /**
   * answerSimpleOverloaded is {@link answerOverloaded} for a plainly simple OPTIONS: the same
   * 503 with Retry-After, written from what {@link readSimpleOptions} read.
   */
  private answerSimpleOverloaded(
    request: SimpleOptions,
    source: SipAddress,
    retryAfterSeconds: number,
  ): void {
    this.counters.overloaded++;
    const stamped = stampSimpleVia(request, source);
    const response = simpleOverloadAnswer(
      request,
      stamped.text,
      newStatelessTag(),
      retryAfterSeconds,
    );
    // printable ASCII only (readSimpleOptions)
    this.sendSimple(Buffer.from(response, "latin1"), stamped.destination, "503");
  }

  /** sendSimple sends a fast-path answer (no Allow to rewrite), counted as sendTo counts. */
  private sendSimple(bytes: Uint8Array, to: SipAddress, what: string): void {
    const socket = this.socket;
    if (socket === undefined) return;
    if (bytes.length > this.maxBytes) {
      this.counters.sendErrors++;
      return;
    }
    socket.send(bytes, to).then(
      () => {
        this.counters.datagramsOut++;
      },
      (error: unknown) => {
        this.counters.sendErrors++;
        this.logger.warn(`cannot send ${what}: ${String(error)}`);
      },
    );
  }

  /**
   * answerOverloaded refuses a request with 503 and Retry-After (RFC 3261 §21.5.4) from its raw
   * header fields, its top Via read without sip.js's grammar ({@link quickVia}).
   */
  private answerOverloaded(
    raw: RawMessage,
    line: RequestLine,
    source: SipAddress,
    retryAfterSeconds: number,
  ): void {
    this.counters.overloaded++;
    if (line.method === "ACK" || !canAnswer(raw)) return;
    const topValue = rawHeaderValue(raw, "via") ?? "";
    const { first, rest } = splitTopViaParm(topValue);
    const parsed = quickVia(first);
    if (parsed === undefined) return;
    const stamped = stampParsedVia(first, parsed, source);
    const header = rest === undefined ? stamped.text : `${stamped.text}, ${rest}`;
    const response = buildStatelessResponse(
      raw,
      503,
      "Service Unavailable",
      header,
      newStatelessTag(),
      [`Retry-After: ${retryAfterSeconds}`],
    );
    this.sendTo(response, responseDestination(stamped.via)).catch((error: unknown) => {
      this.logger.warn(`cannot send 503: ${String(error)}`);
    });
  }

  private receiveRequest(
    data: Uint8Array,
    text: string,
    raw: RawMessage,
    line: RequestLine,
    source: SipAddress,
  ): void {
    const problem = this.checkRequest(raw, line);
    if (problem !== undefined) {
      this.answerBadRequest(raw, line, source, problem);
      return;
    }
    // RFC 3261 §8.2.2.1: a Request-URI scheme we do not serve gets 416 (RFC 4475 §3.3.2, §3.3.3)
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(line.requestUri)?.[1]?.toLowerCase();
    if (scheme === undefined) {
      // no scheme at all, e.g. a Request-URI in <> (RFC 4475 §3.1.2.7 ltgtruri)
      this.answerBadRequest(raw, line, source, "Malformed Request-URI");
      return;
    }
    if (scheme !== "sip" && scheme !== "sips") {
      this.answerStateless(raw, line, source, 416, "Unsupported URI Scheme");
      return;
    }
    const message = this.parse(text);
    if (!(message instanceof Core.IncomingRequestMessage)) {
      this.answerBadRequest(raw, line, source, "Bad Request");
      return;
    }
    const body = this.bodyOf(data, message);
    if (body === undefined) {
      // RFC 3261 §18.3: the datagram ends before the end of the body.
      this.answerBadRequest(raw, line, source, "Content-Length Exceeds Datagram");
      return;
    }
    message.body = body;
    const vias = message.headers.Via;
    const top = vias?.[0];
    const split = top === undefined ? undefined : splitTopViaParm(top.raw);
    const parsed = top === undefined || split === undefined ? undefined : topVia(top, split);
    if (vias === undefined || split === undefined || parsed === undefined) {
      this.answerBadRequest(raw, line, source, "Bad Via");
      return;
    }
    const { text: stampedParm, via } = stampParsedVia(split.first, parsed, source);
    const stamped = split.rest === undefined ? stampedParm : `${stampedParm}, ${split.rest}`;
    // The stamped value is what responses copy (sip.js constructOutgoingResponse reads raw), and
    // where they go is known now: remembered, so that send() need not parse it back
    vias[0] = { raw: stamped };
    this.rememberRoute(stampedParm, via);
    message.via = { host: via.host, port: via.port ?? 5060 };
    // sip.js merges a comma-separated Via list into one parse: take the top branch ourselves.
    // An RFC 2543 client sends no branch (RFC 4475 §3.4.1): its transaction is named from the
    // fields RFC 3261 §17.2.3 matches it by instead.
    if (via.branch === undefined || via.branch === "") {
      message.viaBranch = rfc2543Branch(raw, line, top?.raw);
      // RFC 2543 did not require Contact in an INVITE: its From URI is the remote target then
      const from = message.from?.uri.toString();
      if (line.method === "INVITE" && !message.hasHeader("contact") && from !== undefined) {
        message.setHeader("contact", `<${from}>`);
      }
    } else message.viaBranch = via.branch;
    this.options.onRequest(message, source);
  }

  private receiveResponse(data: Uint8Array, text: string, raw: RawMessage): void {
    if (!raw.complete || MANDATORY.some((name) => rawHeaderValue(raw, name) === undefined)) {
      this.counters.malformed++;
      return;
    }
    // sip.js's parser reads `.method` of a CSeq it could not parse and throws out of the socket
    // handler: check the CSeq first (as for requests), and never let the parser throw through
    if (!CSEQ.test(rawHeaderValue(raw, "cseq") ?? "")) {
      this.counters.malformed++;
      return;
    }
    const message = this.parse(text);
    if (!(message instanceof Core.IncomingResponseMessage)) {
      this.counters.malformed++;
      return;
    }
    const top = message.headers.Via?.[0];
    const via = top === undefined ? undefined : topVia(top, splitTopViaParm(top.raw));
    if (via === undefined || via.branch === undefined) {
      this.counters.malformed++;
      return;
    }
    if (!viaMatchesSentBy(via, this.sentBy)) {
      this.counters.misrouted++;
      return;
    }
    const body = this.bodyOf(data, message);
    if (body === undefined) {
      // RFC 3261 §18.3: a truncated response MUST be discarded.
      this.counters.malformed++;
      return;
    }
    message.body = body;
    message.via = { host: via.host, port: via.port ?? 5060 };
    message.viaBranch = via.branch;
    this.options.onResponse(message, { host: via.host, port: via.port ?? 5060 });
  }

  /** parse runs sip.js's parser; a message it throws on is treated as unparseable. */
  private parse(text: string): Core.IncomingMessage | undefined {
    try {
      return Core.Parser.parseMessage(text, this.logger);
    } catch (error) {
      this.logger.warn(`parser threw: ${String(error)}`);
      return undefined;
    }
  }

  /** Returns why a request cannot be processed (a 400 reason phrase), or undefined. */
  private checkRequest(raw: RawMessage, line: RequestLine): string | undefined {
    if (!raw.complete) return "Missing Empty Line After Header Fields";
    for (const name of MANDATORY) {
      if (rawHeaderValue(raw, name) === undefined) return `Missing ${name} Header Field`;
    }
    // RFC 4475 §3.3.8: one value each (RFC 3261 §20: not lists), else 400
    for (const name of SINGLE_VALUED) {
      if (rawHeaderValues(raw, name).length > 1) return `Multiple ${HEADER_NAMES[name]} Values`;
    }
    const cseq = CSEQ.exec(rawHeaderValue(raw, "cseq") ?? "");
    if (cseq === null || Number(cseq[1]) >= 2 ** 31) return "Bad CSeq";
    // an unknown method gets 501 whatever its CSeq says (RFC 4475 §3.1.2.18 prefers it)
    const known = IMPLEMENTED.has(line.method) || KNOWN_METHODS.has(line.method);
    if (known && (cseq[2] ?? "").toUpperCase() !== line.method) return "CSeq Method Does Not Match";
    // RFC 4475 §3.3.9: Content-Length values that disagree frame nothing (one value is kept)
    const lengths = rawHeaderValues(raw, "content-length").map((v) => v.trim());
    if (new Set(lengths).size > 1) return "Conflicting Content-Length";
    const length = lengths[0];
    if (length !== undefined && !/^\d{1,9}$/.test(length)) return "Bad Content-Length";
    return undefined;
  }

  /**
   * The body per Content-Length counted in bytes (sip.js counts UTF-16 code units), the rest
   * of the datagram when absent (allowed over UDP, §18.3); undefined when truncated.
   */
  private bodyOf(data: Uint8Array, message: Core.IncomingMessage): string | undefined {
    const end = indexOfBytes(data, CRLF_CRLF);
    const bytes = end < 0 ? new Uint8Array(0) : data.subarray(end + 4);
    const header = message.getHeader("content-length");
    if (header === undefined) return this.decoder.decode(bytes);
    const length = Number(header);
    if (length > bytes.length) return undefined;
    return this.decoder.decode(bytes.subarray(0, length));
  }

  private answerBadRequest(
    raw: RawMessage,
    line: RequestLine,
    source: SipAddress,
    reason: string,
  ): void {
    this.answerStateless(raw, line, source, 400, reason);
  }

  /** answerStateless rejects a request the core never sees (400, 416, 505), counted in badRequests. */
  private answerStateless(
    raw: RawMessage,
    line: RequestLine,
    source: SipAddress,
    statusCode: number,
    reason: string,
  ): void {
    // Never answer an ACK (RFC 3261 §17.1.1.3); unanswerable requests are dropped.
    if (line.method === "ACK" || !canAnswer(raw)) {
      this.counters.malformed++;
      return;
    }
    const topValue = rawHeaderValue(raw, "via") ?? "";
    const { first, rest } = splitTopViaParm(topValue);
    const parsed = parseVia(first);
    const stamped = parsed === undefined ? undefined : stampParsedVia(first, parsed, source);
    const to = stamped === undefined ? source : responseDestination(stamped.via);
    const header =
      stamped === undefined
        ? topValue
        : rest === undefined
          ? stamped.text
          : `${stamped.text}, ${rest}`;
    const response = buildStatelessResponse(raw, statusCode, reason, header, newStatelessTag());
    this.counters.badRequests++;
    this.sendTo(response, to).catch((error: unknown) => {
      this.logger.warn(`cannot send ${statusCode}: ${String(error)}`);
    });
  }
}
