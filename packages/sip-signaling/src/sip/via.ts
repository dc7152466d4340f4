/**
 * The top Via header field: parsing one via-parm, the server transport's `received`/`rport`
 * stamping (RFC 3261 §18.2.1, RFC 3581 §4) and where a response goes (RFC 3261 §18.2.2,
 * RFC 3581 §4).
 */
import { Grammar } from "sip.js";

/** SipAddress is a UDP destination: an IP literal or host name (no brackets) and a port. */
export interface SipAddress {
  readonly host: string;
  readonly port: number;
}

/** ParsedVia is one via-parm (RFC 3261 §20.42), with the parameters the transport uses. */
export interface ParsedVia {
  /** transport is the sent-protocol transport, upper case ("UDP", "TCP", ...). */
  readonly transport: string;
  /** host is the sent-by host; IPv6 references keep their brackets. */
  readonly host: string;
  /** port is the sent-by port, if given. */
  readonly port: number | undefined;
  readonly branch: string | undefined;
  readonly received: string | undefined;
  /** rport is the response port (RFC 3581): a number, `true` when present without a value. */
  readonly rport: number | true | undefined;
  readonly maddr: string | undefined;
}

/** DEFAULT_SIP_PORT is the port used when a URI or sent-by names none (RFC 3261 §19.1.2). */
export const DEFAULT_SIP_PORT = 5060;

/**
 * splitTopViaParm splits a Via header field value at its first top-level comma: `first` is
 * the topmost via-parm, `rest` the others (without the comma), or undefined.
 */
export function splitTopViaParm(value: string): { first: string; rest: string | undefined } {
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted && c === "\\") {
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    else if (c === "," && !quoted) {
      return { first: value.slice(0, i).trim(), rest: value.slice(i + 1).trim() };
    }
  }
  return { first: value.trim(), rest: undefined };
}

function field(obj: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(obj, name) ? obj[name] : undefined;
}

/**
 * parseVia parses ONE via-parm (use {@link splitTopViaParm} first: sip.js's grammar merges
 * the parameters of a comma-separated list into one object). Returns undefined if invalid.
 */
export function parseVia(viaParm: string): ParsedVia | undefined {
  return viaFromGrammar(Grammar.parse(viaParm, "Via"));
}

/**
 * viaFromGrammar reads what sip.js's `Via` grammar rule returned for one via-parm (e.g. the
 * `via` sip.js's parser already put on a message whose first Via holds one via-parm), so that
 * the value is not parsed again. Returns undefined for anything else.
 */
export function viaFromGrammar(parsed: unknown): ParsedVia | undefined {
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const obj = parsed as Record<string, unknown>;
  const host = field(obj, "host");
  const transport = field(obj, "transport");
  if (typeof host !== "string" || typeof transport !== "string") return undefined;
  const port = field(obj, "port");
  const branch = field(obj, "branch");
  const received = field(obj, "received");
  const maddr = field(obj, "maddr");
  const rportValue = field(obj, "rport");
  const params = field(obj, "params");
  const bareRport = typeof params === "object" && params !== null && Object.hasOwn(params, "rport");
  let rport: number | true | undefined;
  if (typeof rportValue === "string" && rportValue !== "") rport = Number(rportValue);
  else if (bareRport || rportValue !== undefined) rport = true;
  return {
    transport: transport.toUpperCase(),
    host,
    port: typeof port === "number" && Number.isInteger(port) ? port : undefined,
    branch: typeof branch === "string" ? branch : undefined,
    received: typeof received === "string" ? received : undefined,
    rport,
    maddr: typeof maddr === "string" ? maddr : undefined,
  };
}

const QUICK_VIA =
  /^SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z]+)\s+(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?:\s*:\s*(\d{1,5}))?\s*((?:;[^,]*)?)$/;
const QUICK_RPORT = /;\s*rport\s*(?:=\s*(\d{1,5}))?\s*(?=;|$)/i;
const QUICK_BRANCH = /;\s*branch\s*=\s*([^;\s]+)/i;

/**
 * quickVia reads one via-parm with a regular expression instead of sip.js's grammar, for the
 * overload path (a 503 must cost less than the request it refuses): sent-protocol, sent-by,
 * branch and rport; a via-parm with `maddr` or `received` goes to {@link parseVia}. Undefined
 * when it is not a plain via-parm.
 */
export function quickVia(viaParm: string): ParsedVia | undefined {
  const m = QUICK_VIA.exec(viaParm);
  if (m === null) return undefined;
  const params = m[4] ?? "";
  if (/maddr|received/i.test(params)) return parseVia(viaParm);
  const rport = QUICK_RPORT.exec(params);
  return {
    transport: (m[1] ?? "").toUpperCase(),
    host: m[2] ?? "",
    port: m[3] === undefined ? undefined : Number(m[3]),
    branch: QUICK_BRANCH.exec(params)?.[1],
    received: undefined,
    rport: rport === null ? undefined : rport[1] === undefined ? true : Number(rport[1]),
    maddr: undefined,
  };
}

/** unbracket removes the brackets of an IPv6 reference (`[::1]` → `::1`). */
export function unbracket(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

function sameHost(a: string, b: string): boolean {
  return unbracket(a).toLowerCase() === unbracket(b).toLowerCase();
}

/** Splits `s` on `sep` outside double quotes. */
function splitOutsideQuotes(s: string, sep: string): string[] {
  const out: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted && c === "\\") {
      i++;
      continue;
    }
    if (c === '"') quoted = !quoted;
    else if (c === sep && !quoted) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

/**
 * stampViaParm returns the via-parm with the server transport's parameters, for a request
 * that arrived from `source`:
 * - RFC 3581 §4: an `rport` without value gets the source port, and `received` is then
 *   always added;
 * - RFC 3261 §18.2.1: otherwise `received` is added when the sent-by host is a domain name
 *   or an address other than the source address.
 * Returns undefined when the via-parm does not parse.
 */
export function stampViaParm(viaParm: string, source: SipAddress): string | undefined {
  const via = parseVia(viaParm);
  return via === undefined ? undefined : stampParsedVia(viaParm, via, source).text;
}

/** StampedVia is a stamped via-parm: its text and what it says, parsed once. */
export interface StampedVia {
  readonly text: string;
  readonly via: ParsedVia;
}

/**
 * stampParsedVia is {@link stampViaParm} for a via-parm already parsed (`via` is `viaParm`
 * parsed): the stamped text, and the parsed via with the `received`/`rport` it now carries,
 * without parsing again.
 */
export function stampParsedVia(viaParm: string, via: ParsedVia, source: SipAddress): StampedVia {
  const needsRport = via.rport === true;
  const needsReceived = needsRport || !sameHost(via.host, source.host);
  if (!needsRport && !needsReceived) return { text: viaParm, via };
  const [head = "", ...params] = splitOutsideQuotes(viaParm, ";");
  const kept: string[] = [];
  for (const param of params) {
    const name = (param.split("=")[0] ?? "").trim().toLowerCase();
    if (name === "received" && needsReceived) continue;
    if (name === "rport" && needsRport) continue;
    kept.push(param.trim());
  }
  const received = unbracket(source.host);
  if (needsReceived) kept.push(`received=${received}`);
  if (needsRport) kept.push(`rport=${source.port}`);
  return {
    text: [head.trim(), ...kept].join(";"),
    via: {
      ...via,
      received: needsReceived ? received : via.received,
      rport: needsRport ? source.port : via.rport,
    },
  };
}

/**
 * stampViaHeader applies {@link stampViaParm} to the topmost via-parm of a Via header field
 * value (which may hold a comma-separated list). Returns undefined if it does not parse.
 */
export function stampViaHeader(value: string, source: SipAddress): string | undefined {
  const { first, rest } = splitTopViaParm(value);
  const stamped = stampViaParm(first, source);
  if (stamped === undefined) return undefined;
  return rest === undefined ? stamped : `${stamped}, ${rest}`;
}

/**
 * responseDestination is where a response goes over UDP, from the top Via of the request
 * (RFC 3261 §18.2.2 with RFC 3581 §4): `maddr` if present; else `received` with the `rport`
 * value, or the sent-by port; else the sent-by host and port. Ports default to 5060.
 */
export function responseDestination(via: ParsedVia): SipAddress {
  const sentByPort = via.port ?? DEFAULT_SIP_PORT;
  if (via.maddr !== undefined) return { host: unbracket(via.maddr), port: sentByPort };
  if (via.received !== undefined) {
    const port = typeof via.rport === "number" ? via.rport : sentByPort;
    return { host: unbracket(via.received), port };
  }
  return { host: unbracket(via.host), port: sentByPort };
}

/**
 * viaMatchesSentBy checks RFC 3261 §18.1.2: the top Via of a response must carry the sent-by
 * value the client transport put in its requests.
 */
export function viaMatchesSentBy(via: ParsedVia, sentBy: SipAddress): boolean {
  return sameHost(via.host, sentBy.host) && (via.port ?? DEFAULT_SIP_PORT) === sentBy.port;
}
