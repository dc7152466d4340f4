import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fixturesDir } from "@framewire/test-support/fixtures";
import fc from "fast-check";
import { Core, Grammar } from "sip.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DatagramSocketFactory } from "./datagram-socket.js";
import {
  MAX_SIMPLE_OPTIONS_FIELDS,
  optionsAnswerTail,
  readSimpleOptions,
  simpleOptionsAnswer,
  stampSimpleVia,
  statelessToTag,
} from "./options-fast-path.js";
import { SipUserAgent } from "./sip-user-agent.js";
import type { SipUserAgentOptions } from "./sip-user-agent-types.js";
import { responseDestination, type SipAddress, stampParsedVia } from "./via.js";

const UA = { host: "127.0.0.1", port: 5060 };
const PEER = { host: "127.0.0.1", port: 5070 };

/** A bench-like OPTIONS (bench/options-peer.mjs) with `lines` replacing or adding fields. */
function options(lines: Readonly<Record<string, string | null>> = {}, start?: string): string {
  const fields: Record<string, string | null> = {
    Via: "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-t-1;rport",
    "Max-Forwards": "70",
    From: "<sip:flood@127.0.0.1:5070>;tag=abc",
    To: "<sip:bridge@127.0.0.1:5060>",
    "Call-ID": "t-1@127.0.0.1",
    CSeq: "1 OPTIONS",
    Contact: "<sip:flood@127.0.0.1:5070>",
    Accept: "application/sdp",
    "Content-Length": "0",
    ...lines,
  };
  const head = Object.entries(fields)
    .filter((e): e is [string, string] => e[1] !== null)
    .map(([name, value]) => `${name}: ${value}`);
  return `${[start ?? "OPTIONS sip:bridge@127.0.0.1:5060 SIP/2.0", ...head].join("\r\n")}\r\n\r\n`;
}

/** A user agent on an in-memory socket: deliver a datagram, get what it sent back at once. */
interface Harness {
  readonly ua: SipUserAgent;
  /** exchange delivers `text` from `source` and returns the datagrams sent (destination first). */
  exchange(text: string, source?: SipAddress): Promise<string[]>;
}

async function harness(options: SipUserAgentOptions, wrap?: Wrap): Promise<Harness> {
  let deliver: ((data: Uint8Array, source: SipAddress) => void) | undefined;
  let sent: string[] = [];
  const decoder = new TextDecoder();
  const factory: DatagramSocketFactory = async (bind) => {
    deliver = bind.onMessage;
    return {
      local: UA,
      send: async (data, to) => {
        sent.push(`${to.host}:${to.port}\n${decoder.decode(data)}`);
      },
      close: async () => {},
    };
  };
  const ua = new SipUserAgent({
    ...options,
    socketFactory: wrap === undefined ? factory : wrap(factory),
  });
  await ua.start(UA);
  const encoder = new TextEncoder();
  return {
    ua,
    exchange: async (text, source = PEER) => {
      sent = [];
      deliver?.(encoder.encode(text), source);
      // the socket's send is asynchronous in the transport
      await new Promise((resolve) => setImmediate(resolve));
      return sent;
    },
  };
}

type Wrap = (factory: DatagramSocketFactory) => DatagramSocketFactory;

/** normalized replaces the random To tags our answers add (the only difference allowed). */
function normalized(datagrams: readonly string[]): string[] {
  return datagrams.map((d) =>
    d
      .split("\r\n")
      .map((line) => (/^To:/i.test(line) ? line.replace(/;tag=[^;]*$/, ";tag=*") : line))
      .join("\r\n"),
  );
}

describe("readSimpleOptions", () => {
  it("reads a plain OPTIONS: its one via-parm, From, To, Call-ID and CSeq number", () => {
    const simple = readSimpleOptions(options({ CSeq: "007 OPTIONS" }));
    expect(simple).toMatchObject({
      via: "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-t-1;rport",
      parsedVia: { host: "127.0.0.1", port: 5070, branch: "z9hG4bK-t-1", rport: true },
      from: "<sip:flood@127.0.0.1:5070>;tag=abc",
      to: "<sip:bridge@127.0.0.1:5060>",
      callId: "t-1@127.0.0.1",
      cseq: 7,
    });
  });

  it("reads what Kamailio's dispatcher pings send (no Contact, no user in the URIs)", () => {
    const ping =
      "OPTIONS sip:10.0.0.2:5060;transport=udp SIP/2.0\r\n" +
      "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1a2b.0\r\n" +
      "To: <sip:10.0.0.2:5060;transport=udp>\r\n" +
      "From: <sip:dispatcher@localhost>;tag=ae33e0c5-0b37-4a8b\r\n" +
      "CSeq: 10 OPTIONS\r\n" +
      "Call-ID: 2b5a7b1e3d1f-12@10.0.0.1\r\n" +
      "Max-Forwards: 70\r\n" +
      "Content-Length: 0\r\n" +
      "User-Agent: kamailio (5.7.4 (x86_64/linux))\r\n\r\n";
    expect(readSimpleOptions(ping)?.parsedVia).toMatchObject({ host: "10.0.0.1", port: 5060 });
  });

  // Each is a case the full path must decide (a 400, 420, 481, 505, …, or something the
  // narrow forms do not cover): the fast path declines it.
  const NOT_SIMPLE: ReadonlyArray<readonly [string, string]> = [
    ["lower-case method", options({}, "options sip:bridge@127.0.0.1 SIP/2.0")],
    ["two SP in the start line", options({}, "OPTIONS  sip:bridge@127.0.0.1 SIP/2.0")],
    ["trailing SP in the start line", options({}, "OPTIONS sip:bridge@127.0.0.1 SIP/2.0 ")],
    ["another SIP version", options({}, "OPTIONS sip:bridge@127.0.0.1 SIP/7.0")],
    ["a tel: Request-URI", options({}, "OPTIONS tel:+12345 SIP/2.0")],
    ["a Request-URI in <>", options({}, "OPTIONS <sip:bridge@127.0.0.1> SIP/2.0")],
    ["an escaped Request-URI", options({}, "OPTIONS sip:%62ridge@127.0.0.1 SIP/2.0")],
    ["URI headers", options({}, "OPTIONS sip:bridge@127.0.0.1?X=y SIP/2.0")],
    ["an IPv4 octet over 255", options({}, "OPTIONS sip:bridge@256.0.0.1 SIP/2.0")],
    ["a port over 65535", options({}, "OPTIONS sip:bridge@127.0.0.1:65536 SIP/2.0")],
    ["a malformed IPv6 reference", options({}, "OPTIONS sip:bridge@[1::2::3] SIP/2.0")],
    ["a host with a trailing dot", options({}, "OPTIONS sip:bridge@example.com. SIP/2.0")],
    ["a To tag (in a dialog)", options({ To: "<sip:bridge@127.0.0.1:5060>;tag=x" })],
    ["To parameters", options({ To: "<sip:bridge@127.0.0.1:5060>;x=y" })],
    ["To without <>", options({ To: "sip:bridge@127.0.0.1:5060" })],
    ["From parameters beyond tag", options({ From: "<sip:a@127.0.0.1>;tag=1;x" })],
    ["a display name with a backslash", options({ From: '"a\\"b" <sip:a@b>;tag=1' })],
    ["two To", options({ To: "<sip:a@b>\r\nTo: <sip:c@d>" })],
    ["To and t", options({ t: "<sip:c@d>" })],
    ["two From", options({ f: "<sip:a@b>;tag=2" })],
    ["two Call-ID", options({ i: "other@x" })],
    ["two CSeq", options({ CSeq: "1 OPTIONS\r\nCSeq: 2 OPTIONS" })],
    ["two Via lines", options({ v: "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKx" })],
    [
      "a Via list",
      options({ Via: "SIP/2.0/UDP a.b;branch=z9hG4bK1, SIP/2.0/UDP c.d;branch=z9hG4bK2" }),
    ],
    ["a Via without branch (RFC 2543)", options({ Via: "SIP/2.0/UDP 127.0.0.1:5070" })],
    ["an RFC 2543 branch", options({ Via: "SIP/2.0/UDP 127.0.0.1:5070;branch=1" })],
    ["Via maddr", options({ Via: "SIP/2.0/UDP h.example;branch=z9hG4bK1;maddr=1.2.3.4" })],
    ["Via received", options({ Via: "SIP/2.0/UDP h.example;branch=z9hG4bK1;received=1.2.3.4" })],
    ["Via over TCP", options({ Via: "SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK1" })],
    ["Via with LWS", options({ Via: "SIP / 2.0 / UDP 127.0.0.1:5070;branch=z9hG4bK1" })],
    ["two branches", options({ Via: "SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK1;branch=z9hG4bK2" })],
    ["no Via", options({ Via: null })],
    ["no From", options({ From: null })],
    ["no To", options({ To: null })],
    ["no Call-ID", options({ "Call-ID": null })],
    ["no CSeq", options({ CSeq: null })],
    ["CSeq method INVITE", options({ CSeq: "1 INVITE" })],
    ["CSeq method lower case", options({ CSeq: "1 options" })],
    ["CSeq number 2^31", options({ CSeq: "2147483648 OPTIONS" })],
    ["CSeq without a number", options({ CSeq: "OPTIONS" })],
    ["Max-Forwards not a number", options({ "Max-Forwards": "seventy" })],
    ["Max-Forwards over 255", options({ "Max-Forwards": "256" })],
    ["two Max-Forwards", options({ "Max-Forwards": "70\r\nMax-Forwards: 69" })],
    ["Content-Length 5 (a body)", options({ "Content-Length": "5" })],
    ["Content-Length 00", options({ "Content-Length": "00" })],
    ["two Content-Length", options({ l: "0" })],
    ["a Require", options({ Require: "foo" })],
    ["a Proxy-Require", options({ "Proxy-Require": "foo" })],
    ["a Content-Type", options({ "Content-Type": "application/sdp" })],
    ["a compact Content-Type", options({ c: "application/sdp" })],
    ["a Record-Route", options({ "Record-Route": "<sip:p.example;lr>" })],
    ["a compact form it does not read", options({ k: "timer" })],
    ["a header name with _", options({ Call_ID: "x" })],
    ["LWS before the colon", options({ "User-Agent ": "x" })],
    ["a Contact list", options({ Contact: "<sip:a@b>, <sip:c@d>" })],
    ["a Contact *", options({ Contact: "*" })],
    ["two Contact", options({ m: "<sip:c@d>" })],
  ];
  it.each(NOT_SIMPLE)("declines %s", (_name, text) => {
    expect(readSimpleOptions(text)).toBeUndefined();
  });

  it("declines folding, bare LF, a body, control and non-ASCII characters, too many fields", () => {
    const plain = options();
    expect(readSimpleOptions(plain)).toBeDefined();
    expect(readSimpleOptions(plain.replace("\r\nAccept:", "\r\n Accept:"))).toBeUndefined();
    expect(
      readSimpleOptions(plain.replace("Accept: application/sdp", "Accept: a,\r\n\tb")),
    ).toBeUndefined();
    expect(readSimpleOptions(plain.replaceAll("\r\n", "\n"))).toBeUndefined();
    expect(readSimpleOptions(plain.replace("\r\nAccept", "\nAccept"))).toBeUndefined();
    expect(readSimpleOptions(`${plain}x`)).toBeUndefined();
    expect(readSimpleOptions(`${plain}\r\n`)).toBeUndefined();
    expect(readSimpleOptions(plain.slice(0, -2))).toBeUndefined();
    expect(readSimpleOptions(options({ "User-Agent": "a\tb" }))).toBeUndefined();
    expect(readSimpleOptions(options({ "User-Agent": "a\0b" }))).toBeUndefined();
    expect(readSimpleOptions(options({ "User-Agent": "Caf\u00e9" }))).toBeUndefined();
    const many = Object.fromEntries(
      Array.from({ length: MAX_SIMPLE_OPTIONS_FIELDS }, (_, i) => [`X-F${i}`, "1"]),
    );
    expect(readSimpleOptions(options(many))).toBeUndefined();
  });

  it("accepts only what sip.js's grammar accepts for the same rule", () => {
    // forms the narrow ones admit, each parsed by the grammar the full path runs
    const hosts = [
      "127.0.0.1",
      "a.example.com",
      "h-1.example",
      "1abc.example",
      "[::1]",
      "[2001:db8::1]",
      "[1:2:3:4:5:6:7:8]",
      "[1:2:3:4:5:6:7::]",
    ];
    for (const host of hosts) {
      const text = options(
        { To: `"Bridge" <sip:room-1@${host}:5060;transport=udp>` },
        `OPTIONS sip:${host} SIP/2.0`,
      );
      expect(readSimpleOptions(text), host).toBeDefined();
      expect(Core.Parser.parseMessage(text, silentLogger), host).toBeInstanceOf(
        Core.IncomingRequestMessage,
      );
      expect(Grammar.parse(`SIP/2.0/UDP ${host}:5070;branch=z9hG4bK1`, "Via"), host).not.toBe(-1);
    }
    // every shape of "::" (1 to 7 groups around it, groups of 1 to 4 digits)
    for (let left = 0; left <= 7; left++) {
      for (let right = 0; left + right <= 7; right++) {
        if (left + right === 0) continue;
        const group = (i: number) => "fA09".slice(0, 1 + ((i + left) % 4));
        const side = (n: number, from: number) =>
          Array.from({ length: n }, (_, i) => group(from + i)).join(":");
        const host = `[${side(left, 0)}::${side(right, left)}]`;
        expect(readSimpleOptions(options({}, `OPTIONS sip:${host} SIP/2.0`)), host).toBeDefined();
        expect(Grammar.parse(`SIP/2.0/UDP ${host};branch=z9hG4bK1`, "Via"), host).not.toBe(-1);
        expect(Grammar.parse(`<sip:a@${host}>`, "From"), host).not.toBe(-1);
      }
    }
    for (const bad of [
      "[::]",
      "[1:2:3:4:5:6:7:8:9]",
      "[1:2:3:4:5:6:7:8::]",
      "[:1]",
      "[1:]",
      "[12345::]",
      "[::1::]",
    ]) {
      expect(readSimpleOptions(options({}, `OPTIONS sip:${bad} SIP/2.0`)), bad).toBeUndefined();
    }
  });
});

const silentLogger = {
  error: () => undefined,
  warn: () => undefined,
  log: () => undefined,
  debug: () => undefined,
} as unknown as Core.Logger;

describe("stampSimpleVia", () => {
  it("stamps and routes as stampParsedVia and responseDestination do", () => {
    const vias = [
      "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1;rport",
      "SIP/2.0/UDP 127.0.0.1:5070;rport;branch=z9hG4bK-rport",
      "SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK2",
      "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK3;rport=5999",
      "SIP/2.0/UDP Phone.Example:5062;branch=z9hG4bK4",
      "SIP/2.0/UDP phone.example;rport=5062;branch=z9hG4bK5",
      "SIP/2.0/UDP [2001:DB8::9]:5070;branch=z9hG4bK6",
      "SIP/2.0/UDP [2001:db8::9];branch=z9hG4bK7;rport",
    ];
    const sources = [
      { host: "127.0.0.1", port: 5070 },
      { host: "127.0.0.1", port: 40000 },
      { host: "192.0.2.1", port: 5060 },
      { host: "2001:db8::9", port: 5070 },
      { host: "phone.example", port: 5062 },
    ];
    for (const via of vias) {
      const request = readSimpleOptions(options({ Via: via }));
      expect(request, via).toBeDefined();
      if (request === undefined) continue;
      for (const source of sources) {
        const full = stampParsedVia(request.via, request.parsedVia, source);
        expect(
          stampSimpleVia(request, source),
          `${via} from ${source.host}:${source.port}`,
        ).toEqual({
          text: full.text,
          destination: responseDestination(full.via),
        });
      }
    }
  });
});

describe("optionsAnswerTail and simpleOptionsAnswer", () => {
  it("write the lines sip.js's constructOutgoingResponse writes, in its order", () => {
    const tail = optionsAnswerTail({
      supported: [],
      userAgent: "UA",
      extraHeaders: ["Allow: X ", "Accept: y"],
    });
    expect(tail).toBe("Supported: \r\nUser-Agent: UA\r\nAllow: X\r\nAccept: y\r\n");
    expect(optionsAnswerTail({ supported: undefined, userAgent: "", extraHeaders: [] })).toBe("");
    const request = readSimpleOptions(options());
    expect(request).toBeDefined();
    if (request === undefined) return;
    expect(simpleOptionsAnswer(request, "V", "tag1", tail)).toBe(
      "SIP/2.0 200 OK\r\nVia: V\r\nFrom: <sip:flood@127.0.0.1:5070>;tag=abc\r\n" +
        "To: <sip:bridge@127.0.0.1:5060>;tag=tag1\r\nCSeq: 1 OPTIONS\r\nCall-ID: t-1@127.0.0.1\r\n" +
        `${tail}Content-Length: 0\r\n\r\n`,
    );
    expect(statelessToTag()).toMatch(/^[0-9a-v]{10}$/);
  });
});

describe("the fast path in SipUserAgent", () => {
  let fast: Harness;
  let full: Harness;
  beforeAll(async () => {
    fast = await harness({ rateLimits: null });
    full = await harness({ rateLimits: null, optionsFastPath: false });
  });
  afterAll(async () => {
    await Promise.all([fast.ua.stop(), full.ua.stop()]);
  });

  it("answers a plain OPTIONS exactly as the full path does, counted in optionsFastPath", async () => {
    const text = options({ CSeq: "007 OPTIONS" });
    const before = fast.ua.stats.transport.optionsFastPath;
    const a = await fast.exchange(text);
    const b = await full.exchange(text);
    expect(fast.ua.stats.transport.optionsFastPath).toBe(before + 1);
    expect(full.ua.stats.transport.optionsFastPath).toBe(0);
    expect(a).toHaveLength(1);
    expect(a[0]).toMatch(/^127\.0\.0\.1:5070\nSIP\/2\.0 200 OK\r\n/);
    expect(a[0]).toContain("\r\nCSeq: 7 OPTIONS\r\n");
    expect(a[0]).toMatch(/\r\nTo: <sip:bridge@127\.0\.0\.1:5060>;tag=[0-9a-v]{10}\r\n/);
    expect(normalized(a)).toEqual(normalized(b));
  });

  it("sends the answer where the Via says (received, rport) like the full path", async () => {
    const text = options({ Via: "SIP/2.0/UDP phone.example:5062;branch=z9hG4bKr1;rport" });
    const source = { host: "192.0.2.7", port: 40000 };
    const a = await fast.exchange(text, source);
    expect(a[0]).toMatch(/^192\.0\.2\.7:40000\n/);
    expect(a[0]).toContain(
      "Via: SIP/2.0/UDP phone.example:5062;branch=z9hG4bKr1;received=192.0.2.7;rport=40000\r\n",
    );
    expect(normalized(a)).toEqual(normalized(await full.exchange(text, source)));
  });

  it("answers as the full path with a User-Agent that is not ASCII", async () => {
    const a = await harness({ rateLimits: null, userAgent: "Framewire \u00e9t\u00e9" });
    const b = await harness({
      rateLimits: null,
      userAgent: "Framewire \u00e9t\u00e9",
      optionsFastPath: false,
    });
    const x = await a.exchange(options());
    expect(a.ua.stats.transport.optionsFastPath).toBe(1);
    expect(x[0]).toContain("\r\nUser-Agent: Framewire \u00e9t\u00e9\r\n");
    expect(normalized(x)).toEqual(normalized(await b.exchange(options())));
    await Promise.all([a.ua.stop(), b.ua.stop()]);
  });

  it("leaves every case that is not plainly simple to the full path, which answers it", async () => {
    for (const [name, text] of [
      ["in a dialog", options({ To: "<sip:bridge@127.0.0.1:5060>;tag=x" })],
      ["Require", options({ Require: "foo" })],
      ["two To", options({ t: "<sip:c@d>" })],
    ] as const) {
      const before = fast.ua.stats.transport.optionsFastPath;
      const a = await fast.exchange(text);
      expect(fast.ua.stats.transport.optionsFastPath, name).toBe(before);
      expect(normalized(a), name).toEqual(normalized(await full.exchange(text)));
      expect(a[0], name).toMatch(/\nSIP\/2\.0 (481|420|400) /);
    }
  });

  it("answers every RFC 4475 torture message as the full path does", async () => {
    const dir = join(fixturesDir(), "rfc4475");
    let fastAnswers = 0;
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".dat"))) {
      const text = new TextDecoder().decode(readFileSync(join(dir, file)));
      // only an OPTIONS can take the fast path (the others start calls: not compared here)
      if (!text.startsWith("OPTIONS ")) {
        expect(readSimpleOptions(text), file).toBeUndefined();
        continue;
      }
      const before = fast.ua.stats.transport.optionsFastPath;
      const a = await fast.exchange(text);
      const b = await full.exchange(text);
      fastAnswers += fast.ua.stats.transport.optionsFastPath - before;
      expect(normalized(a), file).toEqual(normalized(b));
    }
    // the torture set is not plainly simple: at most the well-formed OPTIONS take the fast path
    expect(fastAnswers).toBeLessThanOrEqual(2);
  });

  it("for random header sets, answers exactly what the full path answers or declines", async () => {
    let fastAnswers = 0;
    let declined = 0;
    await fc.assert(
      fc.asyncProperty(randomOptions(), async (text) => {
        const before = fast.ua.stats.transport.optionsFastPath;
        const a = await fast.exchange(text);
        const b = await full.exchange(text);
        const answered = fast.ua.stats.transport.optionsFastPath - before;
        if (answered === 1) fastAnswers++;
        else declined++;
        expect(normalized(a)).toEqual(normalized(b));
        if (answered === 1) expect(b[0]).toMatch(/\nSIP\/2\.0 200 OK\r\n/);
      }),
      { numRuns: 1500, seed: 4475 },
    );
    // both sides of the fast path were exercised
    expect(fastAnswers).toBeGreaterThan(50);
    expect(declined).toBeGreaterThan(100);
  });

  it("over the OPTIONS bucket, answers random header sets' 503 exactly as the full path", async () => {
    const limits = { options: { perSecond: 0.001, burst: 1 } };
    const a = await harness({ rateLimits: limits, clock: () => 0 });
    const b = await harness({ rateLimits: limits, clock: () => 0, optionsFastPath: false });
    await a.exchange(options());
    await b.exchange(options());
    let overloaded = 0;
    await fc.assert(
      fc.asyncProperty(randomOptions(), async (text) => {
        const x = await a.exchange(text);
        const y = await b.exchange(text);
        expect(normalized(x)).toEqual(normalized(y));
        if (x[0]?.includes("\nSIP/2.0 503 Service Unavailable\r\n")) overloaded++;
      }),
      { numRuns: 600, seed: 3261 },
    );
    expect(overloaded).toBeGreaterThan(50);
    expect(a.ua.stats.transport.overloaded).toBe(b.ua.stats.transport.overloaded);
    await Promise.all([a.ua.stop(), b.ua.stop()]);
  });

  it("keeps the rate limits: over the OPTIONS bucket, the same 503 as the full path", async () => {
    let now = 0;
    const limits = { options: { perSecond: 2, burst: 2 } };
    const a = await harness({ rateLimits: limits, clock: () => now });
    const b = await harness({ rateLimits: limits, clock: () => now, optionsFastPath: false });
    const statuses: string[] = [];
    for (let i = 0; i < 4; i++) {
      const text = options({
        "Call-ID": `rl-${i}@x`,
        Via: `SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKrl${i};rport`,
      });
      const x = await a.exchange(text);
      const y = await b.exchange(text);
      expect(normalized(x)).toEqual(normalized(y));
      statuses.push(x[0]?.split("\r\n")[0]?.split("\n")[1] ?? "");
    }
    now += 1000;
    const again = await a.exchange(options({ "Call-ID": "rl-late@x" }));
    expect(statuses).toEqual([
      "SIP/2.0 200 OK",
      "SIP/2.0 200 OK",
      "SIP/2.0 503 Service Unavailable",
      "SIP/2.0 503 Service Unavailable",
    ]);
    expect(again[0]).toContain("SIP/2.0 200 OK");
    expect(a.ua.stats.transport).toMatchObject({ optionsFastPath: 3, overloaded: 2 });
    await Promise.all([a.ua.stop(), b.ua.stop()]);
  });

  it("runs behind a socket wrapper that answers OPTIONS itself (a draining node's 503)", async () => {
    // like apps/cluster's healthSocketFactory: it sees each datagram before the user agent
    let draining = true;
    const wrap: Wrap = (factory) => async (bind) => {
      let socket: Awaited<ReturnType<DatagramSocketFactory>> | undefined;
      socket = await factory({
        ...bind,
        onMessage: (data, source) => {
          if (draining && data[0] === 0x4f && socket !== undefined) {
            void socket.send(new TextEncoder().encode("SIP/2.0 503 Draining\r\n\r\n"), source);
            return;
          }
          bind.onMessage(data, source);
        },
      });
      return socket;
    };
    const h = await harness({ rateLimits: null }, wrap);
    expect((await h.exchange(options()))[0]).toContain("SIP/2.0 503 Draining");
    expect(h.ua.stats.transport.optionsFastPath).toBe(0);
    draining = false;
    expect((await h.exchange(options()))[0]).toContain("SIP/2.0 200 OK");
    expect(h.ua.stats.transport.optionsFastPath).toBe(1);
    await h.ua.stop();
  });
});

/** pool picks a plain value four times in five, else a tricky one. */
function pool(plain: readonly string[], tricky: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...plain) },
    { weight: 1, arbitrary: fc.constantFrom(...tricky) },
  );
}

/** randomOptions builds OPTIONS-like datagrams from plain and tricky pieces, in any order. */
function randomOptions(): fc.Arbitrary<string> {
  const start = pool(
    [
      "OPTIONS sip:bridge@127.0.0.1:5060 SIP/2.0",
      "OPTIONS sip:127.0.0.1 SIP/2.0",
      "OPTIONS sips:room-1@media.example.com;transport=udp SIP/2.0",
      "OPTIONS sip:[::1]:5060 SIP/2.0",
      "OPTIONS sip:a@b;ttl=abc SIP/2.0",
      "OPTIONS sip:a@b;lr;maddr=- SIP/2.0",
    ],
    [
      "OPTIONS sip:a:pw@b SIP/2.0",
      "OPTIONS SIP:a@b SIP/2.0",
      "options sip:a@b SIP/2.0",
      "OPTIONS  sip:a@b SIP/2.0",
      "OPTIONS sip:a@b SIP/2.0 ",
      "OPTIONS sip:a@b SIP/2.1",
      "OPTIONS tel:+1234 SIP/2.0",
      "OPTIONS sip:a@256.1.1.1 SIP/2.0",
      "OPTIONS sip:a@host. SIP/2.0",
      "OPTIONS sip:a@abc.1com SIP/2.0",
      "OPTIONS <sip:a@b> SIP/2.0",
      "OPTIONS sip:a@b:99999 SIP/2.0",
      "OPTIONS sip:[::] SIP/2.0",
      "OPTIONS sip:[1::2::3] SIP/2.0",
    ],
  );
  const via = pool(
    [
      "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1;rport",
      "SIP/2.0/UDP 127.0.0.1:5070;rport;branch=z9hG4bKa.b!%*_+`'~-",
      "SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK77",
      "SIP/2.0/UDP phone.example:5062;branch=z9hG4bK2;rport=5062",
      "SIP/2.0/UDP [2001:db8::9]:5070;branch=z9hG4bK3",
    ],
    [
      "SIP/2.0/UDP 127.0.0.1:5070",
      "SIP/2.0/UDP 127.0.0.1:5070;branch=abc",
      "SIP/2.0/UDP 127.0.0.1:99999;branch=z9hG4bK4",
      "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK5;maddr=10.1.1.1",
      "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK6;received=10.1.1.1",
      "SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK7",
      "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK8, SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK9",
      "SIP/2.0/UDP host.;branch=z9hG4bK10",
      "SIP / 2.0 / UDP 127.0.0.1;branch=z9hG4bK11",
      "SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK12;ttl=3",
      "SIP/2.0/UDP [::]:5070;branch=z9hG4bK13",
    ],
  );
  const from = pool(
    [
      "<sip:flood@127.0.0.1:5070>;tag=abc",
      '"Alice" <sip:alice@example.com>;tag=1928301774',
      "Alice Smith <sip:alice@example.com>;tag=x",
      '""<sip:dispatcher@localhost>;tag=y',
      "<sip:dispatcher@localhost>",
      "<sip:a@[::1]>;tag=2",
    ],
    [
      "<sip:a@b>;tag=1;x",
      "sip:a@b;tag=1",
      "<sip:a@abc.1com>;tag=3",
      '"unbalanced <sip:a@b>;tag=4',
      "<sip:%41@b>;tag=5",
      "<tel:+1>;tag=6",
      "<sip:a@[::]>;tag=7",
    ],
  );
  const to = pool(
    [
      "<sip:bridge@127.0.0.1:5060>",
      "<sip:10.0.0.2:5060;transport=udp>",
      '"Bob" <sips:bob@biloxi.example.com>',
      "<sip:bridge@127.0.0.1:5060;tag=uri-param>",
    ],
    [
      "<sip:bridge@127.0.0.1:5060>;tag=in-dialog",
      "sip:bridge@127.0.0.1",
      "<sip:b@host-.com>",
      "<sip:b@[1::2::3]>",
      "<sip:b@b>;x=y",
    ],
  );
  const callId = pool(["c-1@127.0.0.1", "a84b4c76e66710", "k%!*_+~.-@h"], ["x@y@z", "with space"]);
  const cseq = pool(
    ["1 OPTIONS", "007 OPTIONS", "2147483647 OPTIONS"],
    ["2147483648 OPTIONS", "1 INVITE", "1 options", "OPTIONS", "1  OPTIONS"],
  );
  const extra = pool(
    [
      "Accept: application/sdp",
      "User-Agent: kamailio (5.7.4 (x86_64/linux))",
      "Allow: INVITE, ACK",
      "Supported: replaces, timer",
      "Date: Sat, 13 Nov 2010 23:29:00 GMT",
      "X-Anything: ;,<>@\"'",
      "Empty:",
      "Max-Forwards: 70",
      "Max-Forwards: 0",
      "Content-Length: 0",
      "l: 0",
      "Contact: <sip:flood@127.0.0.1:5070>",
      'Contact: "Phone" <sip:alice@10.0.0.9:5062;transport=udp;ob>;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000000000001>";reg-id=1',
      "Contact: <sip:a@b>;expires=abc;q=0.5",
    ],
    [
      "Require: foo",
      "Proxy-Require: foo",
      "Content-Type: application/sdp",
      "c: text/plain",
      "Record-Route: <sip:p.example;lr>",
      "k: timer",
      "Call_ID: again",
      "Foo : bar",
      "Max-Forwards: 300",
      "Content-Length: 4",
      "m: <sip:a@b>, <sip:c@d>",
      "Contact: *",
      "Via: SIP/2.0/UDP 10.0.0.3;branch=z9hG4bK99",
      "t: <sip:other@x>",
      "i: second@x",
      "CSeq: 2 OPTIONS",
    ],
  );
  const present = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 20 });
  return fc
    .record({
      start,
      via: present(via),
      viaName: fc.constantFrom("Via", "v", "VIA"),
      from: present(from),
      to: present(to),
      callId: present(callId),
      cseq: present(cseq),
      extras: fc.array(extra, { maxLength: 4 }),
      order: fc.array(fc.nat(), { minLength: 16, maxLength: 16 }),
      ending: pool([""], ["x", "\r\n", "v=0\r\n"]),
      // 1 in 20: one line folded; 1 in 20: bare LF line ends
      fold: fc.integer({ min: 0, max: 19 }),
      lf: fc.integer({ min: 0, max: 19 }),
    })
    .map((r) => {
      const lines = [
        ...(r.via === undefined ? [] : [`${r.viaName}: ${r.via}`]),
        ...(r.from === undefined ? [] : [`From: ${r.from}`]),
        ...(r.to === undefined ? [] : [`To: ${r.to}`]),
        ...(r.callId === undefined ? [] : [`Call-ID: ${r.callId}`]),
        ...(r.cseq === undefined ? [] : [`CSeq: ${r.cseq}`]),
        ...r.extras,
      ];
      // a stable shuffle by the random keys
      const keyed = lines.map((line, i) => ({ line, key: r.order[i % r.order.length] ?? 0, i }));
      keyed.sort((a, b) => a.key - b.key || a.i - b.i);
      const head = keyed.map((k) => k.line);
      if (r.fold === 0 && head.length > 1) head[1] = ` ${head[1]}`;
      const eol = r.lf === 0 ? "\n" : "\r\n";
      return `${[r.start, ...head].join(eol)}${eol}${eol}${r.ending}`;
    });
}
