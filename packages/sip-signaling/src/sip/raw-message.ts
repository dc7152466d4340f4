/**
 * A tolerant scan of a SIP message's start line and header fields (RFC 3261 §7), used where
 * sip.js's parser cannot help: answering a malformed request with 400 (§8.2 / §18.3) and
 * routing our own outgoing messages. It never throws.
 */

/** RawHeader is one header field, name lower-cased with compact forms expanded (RFC 3261 §7.3.3). */
export interface RawHeader {
  readonly name: string;
  readonly value: string;
}

/** RawMessage is the start line and header fields of a SIP message, unparsed. */
export interface RawMessage {
  readonly startLine: string;
  readonly headers: readonly RawHeader[];
  /** complete is true when the header section ended with an empty line. */
  readonly complete: boolean;
}

const COMPACT_FORMS: Readonly<Record<string, string>> = {
  a: "accept-contact",
  b: "referred-by",
  c: "content-type",
  d: "request-disposition",
  e: "content-encoding",
  f: "from",
  i: "call-id",
  j: "reject-contact",
  k: "supported",
  l: "content-length",
  m: "contact",
  o: "event",
  r: "refer-to",
  s: "subject",
  t: "to",
  u: "allow-events",
  v: "via",
  x: "session-expires",
  y: "identity",
};

/** MAX_HEADER_FIELDS bounds how many header fields a scan keeps. */
export const MAX_HEADER_FIELDS = 256;

/** canonicalHeaderName lower-cases a header name and expands its compact form. */
export function canonicalHeaderName(name: string): string {
  const lower = name.trim().toLowerCase();
  return COMPACT_FORMS[lower] ?? lower;
}

/**
 * scanMessage splits `text` into start line and header fields (unfolding continuation lines,
 * accepting bare LF line ends). Returns undefined for text without a start line.
 */
export function scanMessage(text: string): RawMessage | undefined {
  const crlf = text.indexOf("\r\n\r\n");
  const lf = text.indexOf("\n\n");
  let end = -1;
  if (crlf >= 0 && (lf < 0 || crlf <= lf)) end = crlf;
  else if (lf >= 0) end = lf;
  const head = end >= 0 ? text.slice(0, end) : text;
  const lines = head.split(/\r?\n/);
  const startLine = (lines.shift() ?? "").trim();
  if (startLine === "") return undefined;
  const headers: RawHeader[] = [];
  let current: { name: string; value: string } | undefined;
  const flush = (): void => {
    if (current !== undefined && headers.length < MAX_HEADER_FIELDS) {
      headers.push({ name: current.name, value: current.value.trim() });
    }
    current = undefined;
  };
  for (const line of lines) {
    if ((line.startsWith(" ") || line.startsWith("\t")) && current !== undefined) {
      current.value += ` ${line.trim()}`;
      continue;
    }
    flush();
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    current = { name: canonicalHeaderName(line.slice(0, colon)), value: line.slice(colon + 1) };
  }
  flush();
  return { startLine, headers, complete: end >= 0 };
}

/** rawHeaderValues returns every value of header `name` (any case, compact form accepted). */
export function rawHeaderValues(message: RawMessage, name: string): string[] {
  const wanted = canonicalHeaderName(name);
  return message.headers.filter((h) => h.name === wanted).map((h) => h.value);
}

/** rawHeaderValue returns the first value of header `name`, or undefined. */
export function rawHeaderValue(message: RawMessage, name: string): string | undefined {
  const wanted = canonicalHeaderName(name);
  return message.headers.find((h) => h.name === wanted)?.value;
}

/** RequestLine is the parsed start line of a request (RFC 3261 §7.1). */
export interface RequestLine {
  readonly method: string;
  readonly requestUri: string;
}

const REQUEST_LINE = /^([A-Za-z0-9.!%*_+`'~-]+) (\S+) SIP\/2\.0$/i;
const STATUS_LINE = /^SIP\/2\.0 ([1-6][0-9][0-9])(?: .*)?$/i;

/** parseRequestLine returns method and Request-URI, or undefined for anything else. */
export function parseRequestLine(startLine: string): RequestLine | undefined {
  const m = REQUEST_LINE.exec(startLine);
  if (m === null || m[1] === undefined || m[2] === undefined) return undefined;
  return { method: m[1].toUpperCase(), requestUri: m[2] };
}

/** RequestLineProblem is why a start line that looks like a request cannot be served. */
export interface RequestLineProblem {
  readonly method: string;
  /** status: 505 for a SIP version other than 2.0 (RFC 3261 §21.5.6), else 400. */
  readonly status: 400 | 505;
  readonly reason: string;
}

const LOOSE_REQUEST_LINE = /^([A-Za-z0-9.!%*_+`'~-]+)[ \t]+(.*?)[ \t]*SIP\/(\d+)\.(\d+)$/i;

/**
 * requestLineProblem tells what is wrong with a start line {@link parseRequestLine} refused but
 * that still reads as a request (method, something, `SIP/x.y`): another SIP version (505, RFC
 * 4475 §3.1.2.16 badvers), or whitespace inside the Request-URI or more than one SP between the
 * elements (400, RFC 3261 §7.1 and §25.1; RFC 4475 §3.1.2.8 lwsruri, §3.1.2.9 lwsstart).
 * Undefined for anything else (not answered).
 */
export function requestLineProblem(startLine: string): RequestLineProblem | undefined {
  const m = LOOSE_REQUEST_LINE.exec(startLine);
  if (m === null || m[1] === undefined) return undefined;
  const method = m[1].toUpperCase();
  if (m[3] !== "2" || m[4] !== "0") {
    return { method, status: 505, reason: "Version Not Supported" };
  }
  return { method, status: 400, reason: "Malformed Request-Line" };
}

/** parseStatusCode returns the status code of a status line (RFC 3261 §7.2), or undefined. */
export function parseStatusCode(startLine: string): number | undefined {
  const m = STATUS_LINE.exec(startLine);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/** The header fields a response copies from its request (RFC 3261 §8.2.6.2). */
const ECHOED = ["via", "from", "to", "call-id", "cseq"] as const;

/**
 * canAnswer tells whether a request carries what a response needs (RFC 3261 §8.2.6.2:
 * Via, From, To, Call-ID, CSeq), so that a 400 can be sent for it. A request line is checked
 * by the caller (a start line {@link requestLineProblem} explains is answered too).
 */
export function canAnswer(message: RawMessage): boolean {
  return ECHOED.every((name) => rawHeaderValue(message, name) !== undefined);
}

/**
 * buildStatelessResponse writes a response to a request from its raw header fields: every Via
 * (the top one replaced by `topVia`, already stamped with received/rport), From, To (with
 * `toTag` added if it has none), Call-ID, CSeq, then `extraHeaders`, no body.
 * Control characters in `reasonPhrase` are replaced by spaces.
 */
export function buildStatelessResponse(
  request: RawMessage,
  statusCode: number,
  reasonPhrase: string,
  topVia: string,
  toTag: string,
  extraHeaders: readonly string[] = [],
): string {
  const reason = [...reasonPhrase]
    .map((c) => (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f ? " " : c))
    .join("");
  const lines = [`SIP/2.0 ${statusCode} ${reason}`];
  const vias = rawHeaderValues(request, "via");
  vias.forEach((via, i) => {
    lines.push(`Via: ${i === 0 ? topVia : via}`);
  });
  lines.push(`From: ${rawHeaderValue(request, "from") ?? ""}`);
  const to = rawHeaderValue(request, "to") ?? "";
  lines.push(`To: ${/;\s*tag\s*=/i.test(to) ? to : `${to};tag=${toTag}`}`);
  lines.push(`Call-ID: ${rawHeaderValue(request, "call-id") ?? ""}`);
  lines.push(`CSeq: ${rawHeaderValue(request, "cseq") ?? ""}`);
  for (const header of extraHeaders) lines.push(header);
  lines.push("Content-Length: 0");
  return `${lines.join("\r\n")}\r\n\r\n`;
}
