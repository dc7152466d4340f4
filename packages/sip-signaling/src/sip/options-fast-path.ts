/**
 * The OPTIONS fast path: an out-of-dialog OPTIONS that is plainly simple (what a proxy's
 * dispatcher pings and a phone's keep-alives send) is answered 200 without sip.js's parser,
 * with the very response the full path gives (RFC 3261 §11.2, answered statelessly as
 * `screenRequest` does: a retransmission gets the same answer again).
 *
 * "Plainly simple" is a strict subset of what the full path accepts, checked on the text alone:
 * the exact start line `OPTIONS sip:… SIP/2.0`; CRLF line ends, printable ASCII only, no
 * header folding; each of Via, From, To, Call-ID and CSeq exactly once, every one in a narrow
 * form (one via-parm `SIP/2.0/UDP` with a `z9hG4bK` branch and at most an `rport`; From and
 * To as `<sip:…>` with at most a display name, From with at most a tag, To with nothing:
 * out of dialog); CSeq method OPTIONS; Max-Forwards and Contact at most once and plain;
 * Content-Length absent or 0 and nothing after the empty line; no Require, Proxy-Require,
 * Content-Type or any other header field sip.js's parser reads. Anything else is declined
 * (undefined) and takes the full path unchanged: the fast path never answers what the full
 * path would refuse, and answers exactly what it would answer.
 */
import { DEFAULT_SIP_PORT, type ParsedVia, type SipAddress, unbracket } from "./via.js";

/** SimpleOptions is an OPTIONS request the fast path may answer: what its 200 copies. */
export interface SimpleOptions {
  /** via is the one via-parm of the one Via header field (trimmed). */
  readonly via: string;
  /** parsedVia is `via` read: sent-by, branch, rport. */
  readonly parsedVia: ParsedVia;
  /** from, to and callId are the header field values as sent (trimmed). */
  readonly from: string;
  readonly to: string;
  readonly callId: string;
  /** cseq is the CSeq sequence number; cseqValue the CSeq value as sent (trimmed). */
  readonly cseq: number;
  readonly cseqValue: string;
}

/** MAX_SIMPLE_OPTIONS_CHARS: a longer datagram is not plainly simple. */
export const MAX_SIMPLE_OPTIONS_CHARS = 4096;
/** MAX_SIMPLE_OPTIONS_FIELDS: a request with more header fields is not plainly simple. */
export const MAX_SIMPLE_OPTIONS_FIELDS = 32;

// The narrow forms (regular expression sources). Each is a subset of what sip.js's grammar
// accepts for the same rule (options-fast-path.test.ts checks them against it).
const TOKEN = "[A-Za-z0-9.!%*_+`'~-]+";
const OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
const IPV4 = `${OCTET}(?:\\.${OCTET}){3}`;
const LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?";
const TOP_LABEL = "[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?";
const HOSTNAME = `(?:${LABEL}\\.)*${TOP_LABEL}`;
// IPv6 references: eight groups, or one "::" with 1 to 7 groups (checked in code), no embedded
// IPv4, no zone
const IPV6_REF = "\\[[0-9A-Fa-f:]{2,39}\\]";
const HOST = `(?:${IPV4}|${HOSTNAME}|${IPV6_REF})`;
const PORT =
  "(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})";
const USER = "[A-Za-z0-9_.!~*'&=+$,-]+";
const URI_PARAM = ";[A-Za-z0-9-]+(?:=[A-Za-z0-9.-]+)?";
const SIP_URI = `sips?:(?:${USER}@)?${HOST}(?::${PORT})?(?:${URI_PARAM})*`;
const QUOTED = '"[\\x20\\x21\\x23-\\x5b\\x5d-\\x7e]*"';
const DISPLAY = `(?:${QUOTED} ?|${TOKEN}(?: ${TOKEN})* )?`;
const NAME_ADDR = `${DISPLAY}<${SIP_URI}>`;

const START_LINE = new RegExp(`^OPTIONS ${SIP_URI} SIP/2\\.0$`);
const FROM = new RegExp(`^${NAME_ADDR}(?:;tag=${TOKEN})?$`);
const TO = new RegExp(`^${NAME_ADDR}$`);
const CONTACT = new RegExp(`^${NAME_ADDR}(?:;${TOKEN}(?:=(?:${TOKEN}|${QUOTED}))?)*$`);
const CALL_ID = /^[A-Za-z0-9.!%*_+~-]+(?:@[A-Za-z0-9.!%*_+~-]+)?$/;
const CSEQ = /^([0-9]{1,10}) OPTIONS$/;
const MAX_FORWARDS = /^[0-9]{1,3}$/;
const VIA_HEAD = new RegExp(`^SIP/2\\.0/UDP (${HOST})(?::(${PORT}))?((?:;[^;]*)+)$`);
const BRANCH = new RegExp(`^branch=(z9hG4bK${TOKEN})$`);
const RPORT = new RegExp(`^rport(?:=(${PORT}))?$`);
const IPV6_GROUPS = /^[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){7}$/;
const IPV6_ABBREVIATED =
  /^((?:[0-9A-Fa-f]{1,4}:)*[0-9A-Fa-f]{0,4})::((?:[0-9A-Fa-f]{1,4}:)*[0-9A-Fa-f]{0,4})$/;
const HEADER_NAME = /^[A-Za-z][A-Za-z0-9-]*$/;
/** NOT_PLAIN finds a character other than printable ASCII, or a CR or LF not in a CRLF. */
const NOT_PLAIN = /[^\x20-\x7e\r\n]|\r(?!\n)|(?<!\r)\n/;

/**
 * DECLINED are the header fields that send a request to the full path: those sip.js's parser
 * reads with its grammar (other than the ones checked here), those the screen acts on
 * (Require: 420; Proxy-Require), and anything about a body.
 */
const DECLINED = new Set([
  "record-route",
  "content-type",
  "content-encoding",
  "content-disposition",
  "content-language",
  "www-authenticate",
  "proxy-authenticate",
  "refer-to",
  "require",
  "proxy-require",
]);

/** COMPACT are the compact forms (RFC 3261 §7.3.3) the fast path reads; other one-letter names decline. */
const COMPACT: Readonly<Record<string, string>> = {
  v: "via",
  f: "from",
  t: "to",
  i: "call-id",
  l: "content-length",
  m: "contact",
};

/** Whether `ref` (with brackets) is a plain IPv6 reference: eight groups, or one "::". */
function plainIpv6(ref: string): boolean {
  const inner = ref.slice(1, -1);
  if (IPV6_GROUPS.test(inner)) return true;
  const m = IPV6_ABBREVIATED.exec(inner);
  if (m === null) return false;
  const groups = (side: string) => (side === "" ? 0 : side.split(":").length);
  const left = m[1] ?? "";
  const right = m[2] ?? "";
  // "a::" / "::b": an empty side holds no group; a side ending in ":" is malformed
  if (left.endsWith(":") || right.endsWith(":")) return false;
  // sip.js's grammar refuses "::" alone
  const count = groups(left) + groups(right);
  return count >= 1 && count <= 7;
}

/** Whether every IPv6 reference in `text` is plain (a HOST match may hold one). */
function ipv6Plain(text: string): boolean {
  let at = text.indexOf("[");
  while (at >= 0) {
    const end = text.indexOf("]", at);
    if (end < 0 || !plainIpv6(text.slice(at, end + 1))) return false;
    at = text.indexOf("[", end);
  }
  return true;
}

/** readVia reads the one via-parm of a simple OPTIONS, or undefined. */
function readVia(value: string): ParsedVia | undefined {
  const m = VIA_HEAD.exec(value);
  if (m === null) return undefined;
  const host = m[1] ?? "";
  if (host.startsWith("[") && !plainIpv6(host)) return undefined;
  let branch: string | undefined;
  let rport: number | true | undefined;
  const params = (m[3] ?? "").split(";");
  for (let i = 1; i < params.length; i++) {
    const param = params[i] ?? "";
    const b = BRANCH.exec(param);
    if (b !== null) {
      if (branch !== undefined) return undefined;
      branch = b[1];
      continue;
    }
    const r = RPORT.exec(param);
    if (r === null || rport !== undefined) return undefined;
    rport = r[1] === undefined ? true : Number(r[1]);
  }
  if (branch === undefined) return undefined;
  return {
    transport: "UDP",
    host,
    port: m[2] === undefined ? undefined : Number(m[2]),
    branch,
    received: undefined,
    rport,
    maddr: undefined,
  };
}

/**
 * readSimpleOptions returns what the 200 to `text` copies when `text` (a whole datagram,
 * decoded) is a plainly simple out-of-dialog OPTIONS (see the file comment), else undefined.
 * It never throws.
 */
export function readSimpleOptions(text: string): SimpleOptions | undefined {
  if (text.length > MAX_SIMPLE_OPTIONS_CHARS || !text.startsWith("OPTIONS ")) return undefined;
  // the header section ends the datagram: no body, nothing after the empty line
  const end = text.indexOf("\r\n\r\n");
  if (end < 0 || end + 4 !== text.length) return undefined;
  if (NOT_PLAIN.test(text)) return undefined;
  let lineEnd = text.indexOf("\r\n");
  const startLine = text.slice(0, lineEnd);
  if (!START_LINE.test(startLine) || !ipv6Plain(startLine)) return undefined;
  let via: string | undefined;
  let parsedVia: ParsedVia | undefined;
  let from: string | undefined;
  let to: string | undefined;
  let callId: string | undefined;
  let cseq: number | undefined;
  let cseqValue = "";
  let maxForwards = false;
  let contact = false;
  let contentLength = false;
  let fields = 0;
  while (lineEnd < end) {
    const start = lineEnd + 2;
    lineEnd = text.indexOf("\r\n", start);
    const line = text.slice(start, lineEnd);
    if (++fields > MAX_SIMPLE_OPTIONS_FIELDS) return undefined;
    const colon = line.indexOf(":");
    if (colon <= 0) return undefined;
    const rawName = line.slice(0, colon);
    if (!HEADER_NAME.test(rawName)) return undefined;
    const lower = rawName.toLowerCase();
    const name = lower.length === 1 ? COMPACT[lower] : lower;
    if (name === undefined || DECLINED.has(name)) return undefined;
    const value = line.slice(colon + 1).trim();
    switch (name) {
      case "via":
        if (via !== undefined) return undefined;
        parsedVia = readVia(value);
        if (parsedVia === undefined) return undefined;
        via = value;
        break;
      case "from":
        if (from !== undefined || !FROM.test(value) || !ipv6Plain(value)) return undefined;
        from = value;
        break;
      case "to":
        if (to !== undefined || !TO.test(value) || !ipv6Plain(value)) return undefined;
        to = value;
        break;
      case "call-id":
        if (callId !== undefined || !CALL_ID.test(value)) return undefined;
        callId = value;
        break;
      case "cseq": {
        const m = CSEQ.exec(value);
        const n = m === null ? Number.NaN : Number(m[1]);
        if (cseq !== undefined || !(n < 2 ** 31)) return undefined;
        cseq = n;
        cseqValue = value;
        break;
      }
      case "max-forwards":
        if (maxForwards || !MAX_FORWARDS.test(value) || Number(value) > 255) return undefined;
        maxForwards = true;
        break;
      case "contact":
        if (contact || !CONTACT.test(value) || !ipv6Plain(value)) return undefined;
        contact = true;
        break;
      case "content-length":
        if (contentLength || value !== "0") return undefined;
        contentLength = true;
        break;
      default:
        // a header field sip.js keeps unparsed, and the screen does not read for OPTIONS
        break;
    }
  }
  if (
    via === undefined ||
    parsedVia === undefined ||
    from === undefined ||
    to === undefined ||
    callId === undefined ||
    cseq === undefined
  ) {
    return undefined;
  }
  return { via, parsedVia, from, to, callId, cseq, cseqValue };
}

/** StampedSimpleVia is the via-parm of a simple OPTIONS stamped, and where its answer goes. */
export interface StampedSimpleVia {
  readonly text: string;
  readonly destination: SipAddress;
}

/**
 * stampSimpleVia is `stampParsedVia` and `responseDestination` (RFC 3261 §18.2.1, §18.2.2,
 * RFC 3581 §4) for the narrow via-parm of a simple OPTIONS (a branch and at most an rport, no
 * received, no maddr): the same text and destination, without splitting the parameters.
 */
export function stampSimpleVia(request: SimpleOptions, source: SipAddress): StampedSimpleVia {
  const via = request.parsedVia;
  const needsRport = via.rport === true;
  const received = unbracket(source.host);
  const needsReceived = needsRport || unbracket(via.host).toLowerCase() !== received.toLowerCase();
  if (!needsReceived) {
    return {
      text: request.via,
      destination: { host: unbracket(via.host), port: via.port ?? DEFAULT_SIP_PORT },
    };
  }
  if (!needsRport) {
    return {
      text: `${request.via};received=${received}`,
      destination: {
        host: received,
        port: typeof via.rport === "number" ? via.rport : (via.port ?? DEFAULT_SIP_PORT),
      },
    };
  }
  // the bare ";rport" goes, "received" and "rport=<port>" come last
  const text = request.via;
  const at = text.endsWith(";rport") ? text.length - 6 : text.indexOf(";rport;");
  const kept = text.slice(0, at) + text.slice(at + 6);
  return {
    text: `${kept};received=${received};rport=${source.port}`,
    destination: { host: received, port: source.port },
  };
}

/** OptionsAnswerSettings are what the user agent's 200 to OPTIONS adds to the copied fields. */
export interface OptionsAnswerSettings {
  /** supported is the Supported option tags (sip.js writes the field even when empty). */
  readonly supported: readonly string[] | undefined;
  /** userAgent is the User-Agent value (none when empty). */
  readonly userAgent: string | undefined;
  /** extraHeaders are the further header lines (Allow, Accept). */
  readonly extraHeaders: readonly string[];
}

/**
 * optionsAnswerTail writes the header lines after Call-ID of the user agent's 200 to OPTIONS,
 * in the order and form sip.js's `constructOutgoingResponse` writes them (Supported,
 * User-Agent, the extra header lines), each line ending in CRLF.
 */
export function optionsAnswerTail(settings: OptionsAnswerSettings): string {
  let tail = "";
  if (settings.supported !== undefined) tail += `Supported: ${settings.supported.join(", ")}\r\n`;
  if (settings.userAgent) tail += `User-Agent: ${settings.userAgent}\r\n`;
  for (const line of settings.extraHeaders) tail += `${line.trim()}\r\n`;
  return tail;
}

/**
 * simpleOptionsAnswer writes the 200 to `request`: its Via (`stampedVia`, with received/rport),
 * From, To with `toTag`, CSeq, Call-ID, then `tail` ({@link optionsAnswerTail}), no body.
 */
export function simpleOptionsAnswer(
  request: SimpleOptions,
  stampedVia: string,
  toTag: string,
  tail: string,
): string {
  return (
    `SIP/2.0 200 OK\r\nVia: ${stampedVia}\r\nFrom: ${request.from}\r\n` +
    `To: ${request.to};tag=${toTag}\r\nCSeq: ${request.cseq} OPTIONS\r\n` +
    `Call-ID: ${request.callId}\r\n${tail}Content-Length: 0\r\n\r\n`
  );
}

/**
 * simpleOverloadAnswer writes the overload guard's 503 to `request` as the transport's
 * `buildStatelessResponse` writes it from the raw header fields (RFC 3261 §21.5.4): Via
 * (`stampedVia`), From, To (with `toTag` unless it holds a tag parameter anywhere, as that
 * function reads it), Call-ID, CSeq as sent, Retry-After, no body.
 */
export function simpleOverloadAnswer(
  request: SimpleOptions,
  stampedVia: string,
  toTag: string,
  retryAfterSeconds: number,
): string {
  const to = /;\s*tag\s*=/i.test(request.to) ? request.to : `${request.to};tag=${toTag}`;
  return (
    `SIP/2.0 503 Service Unavailable\r\nVia: ${stampedVia}\r\nFrom: ${request.from}\r\n` +
    `To: ${to}\r\nCall-ID: ${request.callId}\r\nCSeq: ${request.cseqValue}\r\n` +
    `Retry-After: ${retryAfterSeconds}\r\nContent-Length: 0\r\n\r\n`
  );
}

const TAG_DIGITS = "0123456789abcdefghijklmnopqrstuv";

/**
 * statelessToTag is a To tag like the one sip.js gives its stateless answers (ten base-32
 * digits, `newTag`).
 */
export function statelessToTag(): string {
  let tag = "";
  for (let i = 0; i < 10; i++) tag += TAG_DIGITS[Math.floor(Math.random() * 32)];
  return tag;
}
