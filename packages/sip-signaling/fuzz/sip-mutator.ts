// The SIP mutator: input `index` is a SIP message (INVITE with an SDP offer, ACK, BYE, CANCEL,
// OPTIONS, REGISTER, INFO, UPDATE, an unknown method, or a response 100 / 180 / 200 with SDP /
// 486 / 401) with fresh Call-ID, tags and branch, then, most of the time, made hostile: start
// line (method, version, URI scheme, LWS), header fields (huge, hundreds of them, folded with
// LWS, duplicated, removed, compact forms, bad Content-Length, CSeq, Via, Max-Forwards, Require,
// Accept), NULs and non-UTF-8 bytes, bare-LF line ends, a missing empty line, a hostile SDP body,
// byte-level damage. Drawn from fuzzRandom(seed, index); `to` is the user agent under test.
import { type FuzzRandom, fuzzRandom, mutateBytes } from "@framewire/test-support";
import { mutateSdp, sdpBody } from "./sdp-mutator.js";

/** SipMutatorOptions say where the messages go (host:port of the user agent under test). */
export interface SipMutatorOptions {
  readonly to: { readonly host: string; readonly port: number };
  readonly from: { readonly host: string; readonly port: number };
}

/** SipInput is one datagram with the mutation that made it ("clean" for none). */
export interface SipInput {
  readonly bytes: Uint8Array;
  readonly mutation: string;
}

const METHODS = [
  "INVITE",
  "INVITE",
  "INVITE",
  "ACK",
  "BYE",
  "CANCEL",
  "OPTIONS",
  "REGISTER",
  "INFO",
  "UPDATE",
  "PRACK",
  "MESSAGE",
  "NOTIFY",
  "SUBSCRIBE",
  "REFER",
  "FOO",
] as const;
const RESPONSES = [
  "100 Trying",
  "180 Ringing",
  "200 OK",
  "486 Busy Here",
  "401 Unauthorized",
  "503 Service Unavailable",
] as const;

const encoder = new TextEncoder();

function token(r: FuzzRandom, n = 10): string {
  let s = "";
  for (let i = 0; i < n; i++) s += "abcdefghijklmnopqrstuvwxyz0123456789"[r.int(36)];
  return s;
}

interface Message {
  start: string;
  headers: string[];
  body: string;
}

function message(r: FuzzRandom, o: SipMutatorOptions): Message {
  const to = `${o.to.host}:${o.to.port}`;
  const from = `${o.from.host}:${o.from.port}`;
  const callId = `${token(r)}@${o.from.host}`;
  const isResponse = r.chance(0.15);
  const method = isResponse ? r.pick(["INVITE", "BYE", "OPTIONS"]) : r.pick(METHODS);
  const user = r.pick(["room", "alice", "", "100", "%00"]);
  const ruri = `sip:${user === "" ? "" : `${user}@`}${to}`;
  const headers = [
    `Via: SIP/2.0/UDP ${from};branch=z9hG4bK${token(r)};rport`,
    "Max-Forwards: 70",
    `From: <sip:caller@${o.from.host}>;tag=${token(r, 6)}`,
    `To: <${ruri}>${r.chance(0.2) || isResponse ? `;tag=${token(r, 6)}` : ""}`,
    `Call-ID: ${callId}`,
    `CSeq: ${1 + r.int(1000)} ${method}`,
    `Contact: <sip:caller@${from}>`,
  ];
  if (r.chance(0.2)) headers.push("User-Agent: fuzz");
  if (r.chance(0.1)) headers.push("Supported: timer, 100rel");
  if (r.chance(0.05))
    headers.push(`Session-Expires: ${r.pick(["90", "1800;refresher=uac", "0", "x"])}`);
  const withSdp =
    method === "INVITE" || (isResponse && r.chance(0.5)) || (method === "UPDATE" && r.chance(0.5));
  let body = "";
  if (withSdp && !(isResponse && method !== "INVITE")) {
    const lines = sdpBody(r);
    body = r.chance(0.3) ? mutateSdp(r, lines).text : `${lines.join("\r\n")}\r\n`;
    headers.push("Content-Type: application/sdp");
  }
  if (method === "INFO" && r.chance(0.5)) {
    body = "Signal=1\r\nDuration=160\r\n";
    headers.push("Content-Type: application/dtmf-relay");
  }
  headers.push(`Content-Length: ${encoder.encode(body).length}`);
  const start = isResponse ? `SIP/2.0 ${r.pick(RESPONSES)}` : `${method} ${ruri} SIP/2.0`;
  return { start, headers, body };
}

const HEADER_NAMES = [
  "via",
  "v",
  "from",
  "f",
  "to",
  "t",
  "call-id",
  "i",
  "cseq",
  "content-length",
  "l",
  "content-type",
  "c",
  "contact",
  "m",
  "max-forwards",
  "require",
  "proxy-require",
  "accept",
  "supported",
  "k",
  "route",
  "record-route",
  "authorization",
  "expires",
] as const;

function mutateMessage(r: FuzzRandom, m: Message): [string, Message | Uint8Array] {
  const at = (n: number) => r.int(n + 1);
  const headerIndex = (name: RegExp) => m.headers.findIndex((h) => name.test(h));
  switch (r.int(22)) {
    case 0:
      m.start = r.pick([
        m.start.replace(" SIP/2.0", " SIP/3.0"),
        m.start.replace(" SIP/2.0", " SIP/2.0 "),
        m.start.replace(" ", "  "),
        m.start.replace(" ", "\t"),
        m.start.replace("sip:", "tel:"),
        m.start.replace("sip:", "<sip:").replace(" SIP", "> SIP"),
        m.start.replace("sip:", "sip: "),
        `${token(r, 5).toUpperCase()} sip:x SIP/2.0`,
        "",
        " ",
        "SIP/2.0",
        "SIP/2.0 99 Bad",
        "SIP/2.0 700 Too Big",
        "SIP/2.0 200",
        `${m.start}\u0000`,
        m.start.toLowerCase(),
      ]);
      return ["start-line", m];
    case 1: {
      // a huge header field (up to the datagram cap)
      const n = r.chance(0.3) ? 60_000 : 1000 + r.int(10_000);
      m.headers.splice(
        at(m.headers.length),
        0,
        `${r.pick(["Subject", "X-Big", "Via", "To", "Contact"])}: ${"a".repeat(n)}`,
      );
      return ["huge-header", m];
    }
    case 2: {
      // hundreds of header fields
      const n = 200 + r.int(600);
      for (let i = 0; i < n; i++) m.headers.push(`X-H${i}: ${i}`);
      return ["many-headers", m];
    }
    case 3: {
      // folded header values (LWS continuation lines, RFC 3261 §7.3.1)
      const i = r.int(m.headers.length);
      const h = m.headers[i]!;
      const cut = 1 + r.int(Math.max(1, h.length - 1));
      m.headers[i] = `${h.slice(0, cut)}\r\n${r.pick([" ", "\t", "  \t "])}${h.slice(cut)}`;
      if (r.chance(0.3)) m.headers.splice(0, 0, " leading continuation");
      return ["folded-lws", m];
    }
    case 4: {
      // duplicated header fields (single-valued ones conflict)
      const i = r.int(m.headers.length);
      for (let k = 0, n = 1 + r.int(3); k < n; k++)
        m.headers.splice(at(m.headers.length), 0, m.headers[i]!);
      return ["duplicate-header", m];
    }
    case 5: {
      m.headers.splice(r.int(m.headers.length), 1);
      return ["header-removed", m];
    }
    case 6: {
      const i = headerIndex(/^Content-Length/i);
      const v = r.pick([
        "99999999",
        "4294967296",
        "65536",
        "-5",
        "1e30",
        "abc",
        "",
        "00000000000000000000012",
        "0",
        `${m.body.length + 1}`,
        `${Math.max(0, m.body.length - 5)}`,
        "10, 20",
        " 5 ",
      ]);
      if (i >= 0) m.headers[i] = `Content-Length: ${v}`;
      if (r.chance(0.3)) m.headers.push(`l: ${r.int(1000)}`);
      return ["content-length", m];
    }
    case 7: {
      const i = headerIndex(/^CSeq/i);
      const v = r.pick([
        "",
        "1",
        "x INVITE",
        "4294967296 INVITE",
        "2147483648 INVITE",
        "1 BYE",
        "1 INVITE BYE",
        "-1 INVITE",
        "1\tINVITE",
        "99999999999999999999 ACK",
      ]);
      if (i >= 0) m.headers[i] = `CSeq: ${v}`;
      return ["cseq", m];
    }
    case 8: {
      const i = headerIndex(/^Via/i);
      const v = r.pick([
        "SIP/2.0/UDP 127.0.0.1:5060",
        "SIP/2.0/UDP [::1]:5060;branch=z9hG4bKx",
        "SIP/2.0/UDP host.invalid;branch=z9hG4bKx;received=;rport=abc",
        "SIP/2.0/TCP 127.0.0.1;branch=",
        "SIP/2.0/UDP 127.0.0.1:99999;branch=z9hG4bK1",
        "SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1, SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK2",
        "SIP/3.0/UDP 127.0.0.1;branch=z9hG4bK1",
        "garbage",
        "",
        `SIP/2.0/UDP 127.0.0.1;maddr=${"9".repeat(300)};branch=z9hG4bK1`,
        "SIP/2.0/UDP 127.0.0.1;ttl=999;branch=z9hG4bK1",
      ]);
      if (i >= 0) m.headers[i] = `Via: ${v}`;
      if (r.chance(0.2))
        for (let k = 0; k < 50; k++)
          m.headers.splice(0, 0, `Via: SIP/2.0/UDP 10.0.0.${k};branch=z9hG4bK${k}`);
      return ["via", m];
    }
    case 9: {
      const extra = r.pick([
        "Max-Forwards: 0",
        "Max-Forwards: -1",
        "Max-Forwards: 99999999999",
        "Require: 100rel",
        "Require: foo, bar",
        "Proxy-Require: foo",
        "Accept: text/plain",
        "Accept:",
        "Accept: application/sdp;q=0",
        "Content-Type: multipart/mixed;boundary=x",
        "Content-Type:",
        "Content-Encoding: gzip",
        "Expires: -1",
        'Authorization: Digest username="a", realm="b", nonce="c", uri="sip:x", response="d"',
        "Authorization: Digest ,,,,",
        "Route: <sip:10.0.0.1;lr>",
        "Record-Route: <sip:x>,<sip:y>",
      ]);
      m.headers.splice(at(m.headers.length), 0, extra);
      return ["extra-header", m];
    }
    case 10: {
      // compact forms and odd header-name case and spacing
      const i = r.int(m.headers.length);
      const h = m.headers[i]!;
      const colon = h.indexOf(":");
      if (colon > 0)
        m.headers[i] =
          `${r.pick(HEADER_NAMES)}${r.pick([":", " :", "\t:", ":  ", "::"])}${h.slice(colon + 1)}`;
      return ["header-name", m];
    }
    case 11: {
      // NUL bytes and control characters in a header or the start line
      const i = r.int(m.headers.length);
      const h = m.headers[i]!;
      const p = r.int(h.length + 1);
      m.headers[i] =
        h.slice(0, p) +
        r.pick(["\u0000", "\u0001", "\u001b", "\u007f", "\u0000\u0000\u0000"]) +
        h.slice(p);
      return ["nul", m];
    }
    case 12: {
      // non-UTF-8 bytes in the datagram (the transport decodes UTF-8 with replacement)
      const bytes = render(m).slice();
      for (let k = 0, n = 1 + r.int(8); k < n && bytes.length > 0; k++)
        bytes[r.int(bytes.length)] = 0x80 + r.int(128);
      return ["non-utf8", bytes];
    }
    case 13: {
      const text = `${m.start}\n${m.headers.join("\n")}\n\n${m.body}`;
      return ["bare-lf", encoder.encode(text)];
    }
    case 14: {
      const text = `${m.start}\r\n${m.headers.join("\r\n")}${r.chance(0.5) ? "\r\n" : ""}${m.body}`;
      return ["no-empty-line", encoder.encode(text)];
    }
    case 15: {
      // a hostile SDP body (Content-Length kept right)
      m.body = mutateSdp(r, sdpBody(r)).text;
      const i = headerIndex(/^Content-Length/i);
      if (i >= 0) m.headers[i] = `Content-Length: ${encoder.encode(m.body).length}`;
      if (headerIndex(/^Content-Type/i) < 0) m.headers.push("Content-Type: application/sdp");
      return ["hostile-sdp", m];
    }
    case 16: {
      // URIs and tags lying: From/To without tag or with several, Contact garbage
      const i = headerIndex(r.pick([/^From/i, /^To/i, /^Contact/i, /^Call-ID/i]));
      const v = r.pick([
        "<sip:x>;tag=a;tag=b",
        "<>",
        "sip:",
        "<sip:a@b",
        '"unterminated <sip:x>',
        "*",
        "<sip:[::1>",
        "<sips:x@y:0>",
        `<sip:${"u".repeat(2000)}@x>`,
        "",
      ]);
      if (i >= 0) m.headers[i] = `${m.headers[i]!.split(":")[0]}: ${v}`;
      return ["uri", m];
    }
    case 17:
      return [
        "keepalive-or-empty",
        encoder.encode(r.pick(["", "\r\n", "\r\n\r\n", "\n", " ", "\u0000"])),
      ];
    case 18:
      return ["random-bytes", r.bytes(r.int(1500))];
    case 19: {
      // oversize: beyond the 65 507-byte datagram cap
      m.body = "x".repeat(66_000);
      return ["oversize", m];
    }
    default:
      return ["bytes", mutateBytes(r, render(m), 6)];
  }
}

function render(m: Message): Uint8Array {
  return encoder.encode(`${m.start}\r\n${m.headers.join("\r\n")}\r\n\r\n${m.body}`);
}

/** sipMutator returns the input maker: (seed, index) → SIP datagram and mutation name. */
export function sipMutator(o: SipMutatorOptions): (seed: number, index: number) => SipInput {
  return (seed, index) => {
    const r = fuzzRandom(seed, index, 4);
    const m = message(r, o);
    if (r.chance(0.2)) return { bytes: render(m), mutation: "clean" };
    const [mutation, out] = mutateMessage(r, m);
    const bytes = out instanceof Uint8Array ? out : render(out);
    return {
      bytes: r.chance(0.1) && mutation !== "bytes" ? mutateBytes(r, bytes, 2) : bytes,
      mutation,
    };
  };
}
