import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as werift from "werift-rtp";
import {
  PictureLossIndication,
  RtcpPacketConverter,
  RtcpPayloadSpecificFeedback,
  RtcpSourceDescriptionPacket,
  GenericNack as WeriftGenericNack,
  SourceDescriptionChunk as WeriftSdesChunk,
  SourceDescriptionItem as WeriftSdesItem,
} from "werift-rtp";
import { RtpVideoError } from "../errors.js";
import { canonicalNackOrder, lostFromNackPairs, nackPairsFromLost } from "./nack.js";
import {
  compactNtp,
  compactNtpFromMs,
  delayToCompact,
  NTP_UNIX_OFFSET_SEC,
  ntpFromMs,
  ntpToMs,
  roundTripTimeMs,
} from "./ntp.js";
import { parseRtcp } from "./parse.js";
import { ReceptionStats } from "./reception-stats.js";
import { serializeRtcp, serializeRtcpPacket } from "./serialize.js";
import type {
  ReportBlock,
  RtcpApp,
  RtcpBye,
  RtcpFir,
  RtcpNack,
  RtcpPacket,
  RtcpPli,
  RtcpReceiverReport,
  RtcpSdes,
  RtcpSenderReport,
  RtcpUnknown,
} from "./types.js";

function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function expectBadOption(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RtpVideoError);
    expect((e as RtpVideoError).code).toBe("BAD_OPTION");
    return;
  }
  expect.fail("expected RtpVideoError BAD_OPTION");
}

// ---------------------------------------------------------------------------
// Byte vectors, built by hand from the packet diagrams of the RFCs

const block: ReportBlock = {
  ssrc: 0x9abcdef0,
  fractionLost: 5,
  cumulativeLost: -2,
  highestSequence: 0x00010010,
  jitter: 32,
  lastSr: 0xcdef8000,
  delaySinceLastSr: 0x00018000,
};

/** RFC 3550 §6.4.1: V=2 RC=1 PT=200 length=12, SSRC, NTP, RTP ts, counts, one report block. */
const SR_HEX =
  "81c8000c 12345678 e8abcdef 80000000 0001e240 00000064 000186a0" +
  " 9abcdef0 05fffffe 00010010 00000020 cdef8000 00018000";
const sr: RtcpSenderReport = {
  type: "sr",
  ssrc: 0x12345678,
  ntpTime: { sec: 0xe8abcdef, frac: 0x80000000 },
  rtpTimestamp: 123456,
  packetCount: 100,
  octetCount: 100000,
  reports: [block],
};

/** RFC 3550 §6.4.2: an RR without report blocks (RC=0, length 1). */
const RR_HEX = "80c90001 12345678";
const rr: RtcpReceiverReport = { type: "rr", ssrc: 0x12345678, reports: [] };

/** RFC 3550 §6.5: CNAME "ab" ends on a 32-bit boundary, so a whole word of nulls follows. */
const SDES_AB_HEX = "81ca0003 00000005 01026162 00000000";
const sdesAb: RtcpSdes = { type: "sdes", chunks: [{ ssrc: 5, items: [{ type: 1, text: "ab" }] }] };

/** RFC 3550 §6.5: CNAME "user@host": 4 + 2 + 9 = 15 octets, then one null. */
const SDES_USER_HEX = "81ca0004 12345678 01097573 65724068 6f737400";
const sdesUser: RtcpSdes = {
  type: "sdes",
  chunks: [{ ssrc: 0x12345678, items: [{ type: 1, text: "user@host" }] }],
};

/** RFC 3550 §6.6: SC=2, reason "shutdown" (length octet + 8 = 9, padded to 12). */
const BYE_HEX = "82cb0005 12345678 9abcdef0 08736875 74646f77 6e000000";
const bye: RtcpBye = { type: "bye", ssrcs: [0x12345678, 0x9abcdef0], reason: "shutdown" };

/** RFC 3550 §6.7: subtype 2, name "TEST", 4 bytes of data. */
const APP_HEX = "82cc0003 12345678 54455354 01020304";
const app: RtcpApp = {
  type: "app",
  subtype: 2,
  ssrc: 0x12345678,
  name: "TEST",
  data: hex("01020304"),
};

/** RFC 4585 §6.2.1: FMT=1 PT=205, PID=65534 BLP=0x0007 (65534, 65535, 0, 1). */
const NACK_HEX = "81cd0003 12345678 9abcdef0 fffe0007";
const nack: RtcpNack = {
  type: "nack",
  senderSsrc: 0x12345678,
  mediaSsrc: 0x9abcdef0,
  lost: [65534, 65535, 0, 1],
};

/** RFC 4585 §6.3.1: FMT=1 PT=206, length 2. */
const PLI_HEX = "81ce0002 12345678 9abcdef0";
const pli: RtcpPli = { type: "pli", senderSsrc: 0x12345678, mediaSsrc: 0x9abcdef0 };

/** RFC 5104 §4.3.1.1: FMT=4 PT=206, media SSRC 0, entries SSRC + seq nr + 3 reserved octets. */
const FIR_HEX = "84ce0006 12345678 00000000 9abcdef0 07000000 22222222 ff000000";
const fir: RtcpFir = {
  type: "fir",
  senderSsrc: 0x12345678,
  entries: [
    { ssrc: 0x9abcdef0, sequenceNumber: 7 },
    { ssrc: 0x22222222, sequenceNumber: 255 },
  ],
};

const VECTORS: [string, string, RtcpPacket][] = [
  ["SR", SR_HEX, sr],
  ["RR", RR_HEX, rr],
  ["SDES (aligned CNAME)", SDES_AB_HEX, sdesAb],
  ["SDES (CNAME user@host)", SDES_USER_HEX, sdesUser],
  ["BYE", BYE_HEX, bye],
  ["APP", APP_HEX, app],
  ["NACK", NACK_HEX, nack],
  ["PLI", PLI_HEX, pli],
  ["FIR", FIR_HEX, fir],
];

describe("RTCP byte vectors", () => {
  for (const [name, vector, packet] of VECTORS) {
    it(`parses the ${name} vector`, () => {
      expect(parseRtcp(hex(vector))).toEqual({ packets: [packet], errors: [] });
    });
    it(`serialises the ${name} vector`, () => {
      expect(toHex(serializeRtcpPacket(packet))).toBe(vector.replace(/\s+/g, ""));
    });
  }

  it("BYE: a reason that fills the word exactly has no null; no reason, no length octet", () => {
    const exact: RtcpBye = { type: "bye", ssrcs: [1], reason: "bye" };
    expect(toHex(serializeRtcpPacket(exact))).toBe("81cb00020000000103627965");
    const none: RtcpBye = { type: "bye", ssrcs: [1] };
    expect(toHex(serializeRtcpPacket(none))).toBe("81cb000100000001");
    expect(parseRtcp(hex("81cb000100000001")).packets).toEqual([none]);
    const empty: RtcpBye = { type: "bye", ssrcs: [], reason: "" };
    expect(toHex(serializeRtcpPacket(empty))).toBe("80cb000100000000");
    expect(parseRtcp(hex("80cb000100000000")).packets).toEqual([empty]);
  });

  it("parses a compound SR + SDES + PLI + FIR + NACK + BYE, in order", () => {
    const bytes = hex(SR_HEX + SDES_USER_HEX + PLI_HEX + FIR_HEX + NACK_HEX + BYE_HEX);
    expect(parseRtcp(bytes)).toEqual({ packets: [sr, sdesUser, pli, fir, nack, bye], errors: [] });
  });

  it("serializeRtcp adds the SDES CNAME after the leading SR/RR packets (RFC 3550 §6.1)", () => {
    const rr2: RtcpReceiverReport = { type: "rr", ssrc: 0x12345678, reports: [block] };
    const out = serializeRtcp([sr, rr2, pli, bye], { cname: "user@host" });
    const parsed = parseRtcp(out);
    expect(parsed.errors).toEqual([]);
    expect(parsed.packets).toEqual([sr, rr2, sdesUser, pli, bye]);
    expect(out).toBeInstanceOf(Uint8Array);
    expect(Object.getPrototypeOf(out)).toBe(Uint8Array.prototype); // not a Node Buffer
  });

  it("serializeRtcp keeps the caller's order without a CNAME", () => {
    expect(toHex(serializeRtcp([rr, sdesAb, nack]))).toBe(
      (RR_HEX + SDES_AB_HEX + NACK_HEX).replace(/\s+/g, ""),
    );
  });

  it("keeps other types and FMTs as unknown packets, which can be counted", () => {
    const xr = "80cf0002 12345678 01020304"; // XR (PT=207)
    const remb = "8fce0005 12345678 00000000 52454d42 0101e240 9abcdef0"; // PSFB FMT=15
    const twcc = "8fcd0002 12345678 9abcdef0"; // RTPFB FMT=15
    const sli = "82ce0003 12345678 9abcdef0 00000001"; // PSFB FMT=2
    const { packets, errors } = parseRtcp(hex(RR_HEX + xr + remb + twcc + sli));
    expect(errors).toEqual([]);
    const unknown = packets.filter((p): p is RtcpUnknown => p.type === "unknown");
    expect(unknown.length).toBe(4);
    expect(unknown.map((p) => [p.packetType, p.count])).toEqual([
      [207, 0],
      [206, 15],
      [205, 15],
      [206, 2],
    ]);
    expect(toHex(unknown[0]!.body)).toBe("1234567801020304");
    // written back byte for byte
    expect(toHex(serializeRtcp(packets))).toBe(
      (RR_HEX + xr + remb + twcc + sli).replace(/\s+/g, ""),
    );
  });

  it("drops the padding of a padded packet (RFC 3550 §6.4.1)", () => {
    // RR with P=1 and 4 padding octets (count 4), length 2, then a PLI
    const { packets, errors } = parseRtcp(hex(`a0c90002 12345678 00000004${PLI_HEX}`));
    expect(errors).toEqual([]);
    expect(packets).toEqual([rr, pli]);
    // APP with 2 data octets + 2 padding octets: padding is not data
    const padded = parseRtcp(hex("a0cc0003 12345678 54455354 abcd0002"));
    expect(padded.errors).toEqual([]);
    expect(toHex((padded.packets[0] as RtcpApp).data)).toBe("abcd");
  });
});

// ---------------------------------------------------------------------------
// Malformed input: reported, never thrown

describe("parseRtcp on malformed input", () => {
  const cases: [string, string, RtcpPacket[], string[]][] = [
    ["empty datagram", "", [], ["RTCP_TOO_SHORT"]],
    ["trailing 2 bytes after an RR", `${RR_HEX} 80c8`, [rr], ["RTCP_TOO_SHORT"]],
    ["version 1", "41c90001 12345678", [], ["RTCP_BAD_VERSION"]],
    [
      "version 0 after an RR stops there",
      `${RR_HEX} 00c90001 12345678 ${PLI_HEX}`,
      [rr],
      ["RTCP_BAD_VERSION"],
    ],
    ["length past the end", "80c90064 12345678", [], ["RTCP_BAD_LENGTH"]],
    [
      "padding count 0, next packet still read",
      `a0c90002 12345678 00000000 ${PLI_HEX}`,
      [pli],
      ["RTCP_BAD_PADDING"],
    ],
    [
      "padding count larger than the body",
      `a0c90001 123456ff ${PLI_HEX}`,
      [pli],
      ["RTCP_BAD_PADDING"],
    ],
    // werift reads this RR's report block from the PLI that follows
    ["RR with RC=1 but no block", `81c90001 12345678 ${PLI_HEX}`, [pli], ["RTCP_BAD_COUNT"]],
    ["SR shorter than its sender info", "80c80002 12345678 00000000", [], ["RTCP_BAD_COUNT"]],
    ["SR with RC=2 and one block", SR_HEX.replace("81c8", "82c8"), [], ["RTCP_BAD_COUNT"]],
    // what werift 0.8.9 writes for CNAME "ab": no null item ends the list
    [
      "SDES without the terminating null",
      `81ca0002 00000005 01026162 ${PLI_HEX}`,
      [pli],
      ["RTCP_BAD_SDES"],
    ],
    ["SDES item longer than the packet", "81ca0002 00000005 01ff6162", [], ["RTCP_BAD_SDES"]],
    ["SDES with SC=2 and one chunk", "82ca0003 00000005 01026162 00000000", [], ["RTCP_BAD_SDES"]],
    ["BYE with SC=2 and one SSRC", "82cb0001 12345678", [], ["RTCP_BAD_BYE"]],
    ["BYE reason longer than the packet", "81cb0002 12345678 09616263", [], ["RTCP_BAD_BYE"]],
    ["APP without its name", "80cc0001 12345678", [], ["RTCP_BAD_APP"]],
    ["RTPFB without media SSRC", "81cd0001 12345678", [], ["RTCP_BAD_FEEDBACK"]],
    ["NACK without FCI", "81cd0002 12345678 9abcdef0", [], ["RTCP_BAD_FEEDBACK"]],
    ["PLI with an FCI", "81ce0003 12345678 9abcdef0 00000000", [], ["RTCP_BAD_FEEDBACK"]],
    ["FIR without entries", "84ce0002 12345678 00000000", [], ["RTCP_BAD_FEEDBACK"]],
    // what werift 0.8.9 writes for a FIR with one entry: length 3, not 4
    [
      "FIR one word short (werift's FIR), then its last word as a header",
      "84ce0003 12345678 00000000 22222222 07000000",
      [],
      ["RTCP_BAD_FEEDBACK", "RTCP_BAD_VERSION"],
    ],
  ];
  for (const [name, vector, packets, errors] of cases) {
    it(name, () => {
      expect(parseRtcp(hex(vector))).toEqual({ packets, errors });
    });
  }

  it("does not read an SDES into the packet after it", () => {
    expect(parseRtcp(hex(SDES_AB_HEX + PLI_HEX))).toEqual({ packets: [sdesAb, pli], errors: [] });
  });

  it("decodes invalid UTF-8 in SDES without shifting the next items", () => {
    // chunk: CNAME = ff 41 42 (invalid UTF-8), NAME = "C", then no null item: malformed
    const bytes = hex("81ca0003 00000005 0103ff41 42020143");
    expect(parseRtcp(bytes).errors).toEqual(["RTCP_BAD_SDES"]);
    const good = hex("81ca0004 00000005 0103ff41 42020143 00000000");
    expect(parseRtcp(good).packets).toEqual([
      {
        type: "sdes",
        chunks: [
          {
            ssrc: 5,
            items: [
              { type: 1, text: "\ufffdAB" },
              { type: 2, text: "C" },
            ],
          },
        ],
      },
    ]);
  });
});

// ---------------------------------------------------------------------------
// werift-rtp 0.8.9: the gaps this module works around (fails if werift changes)

describe("werift-rtp 0.8.9 gaps", () => {
  const buf = (bytes: Uint8Array): Buffer => Buffer.from(bytes);

  it("does not export FullIntraRequest", () => {
    expect("FullIntraRequest" in werift).toBe(false);
  });

  it("its compound parser throws on a trailing fragment and drops BYE and APP", () => {
    expect(() => RtcpPacketConverter.deSerialize(buf(hex(`${RR_HEX} 80c8`)))).toThrow(RangeError);
    expect(RtcpPacketConverter.deSerialize(buf(hex(RR_HEX + BYE_HEX + APP_HEX))).length).toBe(1);
  });

  it("its compound parser reads an RR's missing block from the next packet", () => {
    const parsed = RtcpPacketConverter.deSerialize(
      buf(hex(`81c90001 12345678 ${PLI_HEX}${PLI_HEX}`)),
    );
    expect(parsed[0]?.type).toBe(201);
    expect((parsed[0] as { reports: unknown[] }).reports.length).toBe(1);
  });

  it("its SDES omits the null terminator when the items end on a word boundary", () => {
    const sdes = new RtcpSourceDescriptionPacket({
      chunks: [
        new WeriftSdesChunk({ source: 5, items: [new WeriftSdesItem({ type: 1, text: "ab" })] }),
      ],
    });
    expect(sdes.serialize().toString("hex")).toBe("81ca00020000000501026162");
  });

  it("its Generic NACK does not wrap at 65535", () => {
    const nackBytes = new WeriftGenericNack({ senderSsrc: 1, mediaSourceSsrc: 2, lost: [65535, 0] })
      .serialize()
      .toString("hex");
    expect(nackBytes).toBe("81cd000400000001" + "00000002" + "ffff0000" + "00000000"); // two pairs
    const parsed = RtcpPacketConverter.deSerialize(buf(hex("81cd0003 00000001 00000002 ffff0001")));
    expect((parsed[0] as { feedback: { lost: number[] } }).feedback.lost).toEqual([65535, 65536]);
  });

  it("its FIR (reached through the PSFB parser) is serialised one word short", () => {
    const parsed = RtcpPacketConverter.deSerialize(buf(hex(FIR_HEX)));
    const psfb = parsed[0] as RtcpPayloadSpecificFeedback;
    const again = psfb.serialize();
    expect(again.length).toBe(28);
    expect(again.readUInt16BE(2)).toBe(5); // should be 28 / 4 - 1 = 6
  });

  it("its PLI is correct, and so is what we get through it", () => {
    const w = new RtcpPayloadSpecificFeedback({
      feedback: new PictureLossIndication({ senderSsrc: 0x12345678, mediaSsrc: 0x9abcdef0 }),
    });
    expect(w.serialize().toString("hex")).toBe(PLI_HEX.replace(/\s+/g, ""));
  });
});

// ---------------------------------------------------------------------------
// Generic NACK PID/BLP

describe("Generic NACK PID/BLP", () => {
  it("packs across the 65535 → 0 wrap into one pair", () => {
    expect(nackPairsFromLost([65534, 65535, 0, 1])).toEqual([{ pid: 65534, blp: 0x0007 }]);
    expect(nackPairsFromLost([0, 65535])).toEqual([{ pid: 65535, blp: 0x0001 }]);
    expect(nackPairsFromLost([1, 0, 65535, 1])).toEqual([{ pid: 65535, blp: 0x0003 }]);
  });

  it("fills BLP up to 16 followers, then starts a new pair", () => {
    const seventeen = Array.from({ length: 17 }, (_, i) => (65530 + i) & 0xffff);
    expect(nackPairsFromLost(seventeen)).toEqual([{ pid: 65530, blp: 0xffff }]);
    const eighteen = Array.from({ length: 18 }, (_, i) => (65530 + i) & 0xffff);
    expect(nackPairsFromLost(eighteen)).toEqual([
      { pid: 65530, blp: 0xffff },
      { pid: 11, blp: 0 },
    ]);
    expect(nackPairsFromLost([10, 12, 26, 27])).toEqual([
      { pid: 10, blp: 0x8002 },
      { pid: 27, blp: 0 },
    ]);
  });

  it("starts after the widest gap, so the pairs follow the shortest arc", () => {
    // gaps: 5 → 30000 is 29995, 30000 → 65000 is 35000 (widest), 65000 → 5 is 541 across the wrap
    expect(nackPairsFromLost([30000, 5, 65000])).toEqual([
      { pid: 65000, blp: 0 },
      { pid: 5, blp: 0 },
      { pid: 30000, blp: 0 },
    ]);
    // gaps 95, 19900 and 45541 across the wrap (widest): plain numeric order
    expect(nackPairsFromLost([20000, 5, 100])).toEqual([
      { pid: 5, blp: 0 },
      { pid: 100, blp: 0 },
      { pid: 20000, blp: 0 },
    ]);
  });

  it("expands pairs modulo 2^16, without duplicates", () => {
    expect(lostFromNackPairs([{ pid: 65535, blp: 0x8001 }])).toEqual([65535, 0, 15]);
    expect(
      lostFromNackPairs([
        { pid: 5, blp: 0x0001 },
        { pid: 6, blp: 0x0001 },
      ]),
    ).toEqual([5, 6, 7]);
    expect(parseRtcp(hex("81cd0003 00000001 00000002 ffff8001")).packets).toEqual([
      { type: "nack", senderSsrc: 1, mediaSsrc: 2, lost: [65535, 0, 15] },
    ]);
  });

  it("rejects an empty list and values outside 0..65535", () => {
    expectBadOption(() => nackPairsFromLost([]));
    expectBadOption(() => nackPairsFromLost([65536]));
    expectBadOption(() => nackPairsFromLost([-1]));
    expectBadOption(() => nackPairsFromLost([1.5]));
  });

  it("round-trips any set of sequence numbers (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 300 }),
        (lost) => {
          const pairs = nackPairsFromLost(lost);
          const back = lostFromNackPairs(pairs);
          expect(back).toEqual(canonicalNackOrder(lost));
          expect(new Set(back)).toEqual(new Set(lost));
        },
      ),
    );
  });

  it("round-trips a run around the wrap (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 200 }),
        (start, mask) => {
          const lost = mask.flatMap((on, i) => (on || i === 0 ? [(start + i) & 0xffff] : []));
          const pairs = nackPairsFromLost(lost);
          expect(pairs.length).toBeLessThanOrEqual(Math.ceil(mask.length / 17));
          expect(lostFromNackPairs(pairs)).toEqual(lost); // already in circular order
        },
      ),
    );
  });
});

// ---------------------------------------------------------------------------
// Serialiser argument checks

describe("serializeRtcp argument checks", () => {
  it("wants a first SR or RR, unless reduced-size", () => {
    expectBadOption(() => serializeRtcp([]));
    expectBadOption(() => serializeRtcp([pli]));
    expect(toHex(serializeRtcp([pli], { reducedSize: true }))).toBe(PLI_HEX.replace(/\s+/g, ""));
    expectBadOption(() => serializeRtcp([pli], { reducedSize: true, cname: "x" }));
    expectBadOption(() => serializeRtcp([rr, sdesAb], { cname: "x" }));
  });

  it("rejects fields out of range", () => {
    const bad: RtcpPacket[] = [
      { ...rr, ssrc: -1 },
      { ...rr, ssrc: 2 ** 32 },
      { ...rr, reports: Array.from({ length: 32 }, () => block) },
      { ...rr, reports: [{ ...block, cumulativeLost: 0x800000 }] },
      { ...rr, reports: [{ ...block, cumulativeLost: -0x800001 }] },
      { ...rr, reports: [{ ...block, fractionLost: 256 }] },
      { ...sr, ntpTime: { sec: 0, frac: 1.5 } },
      { ...sr, rtpTimestamp: Number.NaN },
      { type: "sdes", chunks: [{ ssrc: 1, items: [{ type: 0, text: "" }] }] },
      { type: "sdes", chunks: [{ ssrc: 1, items: [{ type: 1, text: "x".repeat(256) }] }] },
      { type: "bye", ssrcs: [1], reason: "é".repeat(128) },
      { ...app, name: "TOOLONG" },
      { ...app, name: "AB€D" },
      { ...app, subtype: 32 },
      { ...app, data: new Uint8Array(3) },
      { ...nack, lost: [] },
      { ...fir, entries: [] },
      { ...fir, entries: [{ ssrc: 1, sequenceNumber: 256 }] },
      { type: "unknown", packetType: 207, count: 0, body: new Uint8Array(2) },
      { type: "unknown", packetType: 207, count: 32, body: new Uint8Array(0) },
      { ...app, data: new Uint8Array(0x40000) },
    ];
    for (const packet of bad) expectBadOption(() => serializeRtcpPacket(packet));
  });

  it("writes negative cumulative loss as 24-bit two's complement", () => {
    const bytes = serializeRtcpPacket({
      ...rr,
      reports: [{ ...block, cumulativeLost: -0x800000 }],
    });
    expect(toHex(bytes.subarray(12, 16))).toBe("05800000");
    expect((parseRtcp(bytes).packets[0] as RtcpReceiverReport).reports[0]?.cumulativeLost).toBe(
      -0x800000,
    );
  });
});

// ---------------------------------------------------------------------------
// Round trips (properties)

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const reportBlockArb: fc.Arbitrary<ReportBlock> = fc.record({
  ssrc: u32,
  fractionLost: fc.integer({ min: 0, max: 255 }),
  cumulativeLost: fc.integer({ min: -0x800000, max: 0x7fffff }),
  highestSequence: u32,
  jitter: u32,
  lastSr: u32,
  delaySinceLastSr: u32,
});
const blocksArb = fc.array(reportBlockArb, { maxLength: 31 });
const textArb = (maxBytes: number): fc.Arbitrary<string> =>
  fc
    .string({ unit: "grapheme", maxLength: 40 })
    .filter((s) => new TextEncoder().encode(s).length <= maxBytes);
const bytes4Arb = fc
  .array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 8 })
  .map((words) => {
    const out = new Uint8Array(words.length * 4);
    words.forEach((w, i) => {
      new DataView(out.buffer).setUint32(i * 4, w);
    });
    return out;
  });

const srArb: fc.Arbitrary<RtcpSenderReport> = fc.record({
  type: fc.constant("sr" as const),
  ssrc: u32,
  ntpTime: fc.record({ sec: u32, frac: u32 }),
  rtpTimestamp: u32,
  packetCount: u32,
  octetCount: u32,
  reports: blocksArb,
});
const rrArb: fc.Arbitrary<RtcpReceiverReport> = fc.record({
  type: fc.constant("rr" as const),
  ssrc: u32,
  reports: blocksArb,
});
const sdesArb: fc.Arbitrary<RtcpSdes> = fc.record({
  type: fc.constant("sdes" as const),
  chunks: fc.array(
    fc.record({
      ssrc: u32,
      items: fc.array(fc.record({ type: fc.integer({ min: 1, max: 255 }), text: textArb(255) }), {
        maxLength: 4,
      }),
    }),
    { maxLength: 4 },
  ),
});
const byeArb: fc.Arbitrary<RtcpBye> = fc
  .tuple(fc.array(u32, { maxLength: 31 }), fc.option(textArb(255), { nil: undefined }))
  .map(([ssrcs, reason]) =>
    reason === undefined ? { type: "bye", ssrcs } : { type: "bye", ssrcs, reason },
  );
const appArb: fc.Arbitrary<RtcpApp> = fc.record({
  type: fc.constant("app" as const),
  subtype: fc.integer({ min: 0, max: 31 }),
  ssrc: u32,
  name: fc.string({
    unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)),
    minLength: 4,
    maxLength: 4,
  }),
  data: bytes4Arb,
});
// the common feedback header of NACK and PLI (RFC 4585 §6.1): packet sender, media source
const feedbackSsrcs = { senderSsrc: u32, mediaSsrc: u32 };
const nackArb: fc.Arbitrary<RtcpNack> = fc.record({
  type: fc.constant("nack" as const),
  ...feedbackSsrcs,
  lost: fc
    .array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 50 })
    .map(canonicalNackOrder),
});
const pliArb: fc.Arbitrary<RtcpPli> = fc.record({
  type: fc.constant("pli" as const),
  ...feedbackSsrcs,
});
const firArb: fc.Arbitrary<RtcpFir> = fc.record({
  type: fc.constant("fir" as const),
  senderSsrc: u32,
  entries: fc.array(fc.record({ ssrc: u32, sequenceNumber: fc.integer({ min: 0, max: 255 }) }), {
    minLength: 1,
    maxLength: 8,
  }),
});
const unknownArb: fc.Arbitrary<RtcpUnknown> = fc.record({
  type: fc.constant("unknown" as const),
  packetType: fc.oneof(fc.integer({ min: 207, max: 255 }), fc.integer({ min: 128, max: 199 })),
  count: fc.integer({ min: 0, max: 31 }),
  body: bytes4Arb,
});
const packetArb: fc.Arbitrary<RtcpPacket> = fc.oneof(
  srArb,
  rrArb,
  sdesArb,
  byeArb,
  appArb,
  nackArb,
  pliArb,
  firArb,
  unknownArb,
);
const compoundArb = fc
  .tuple(fc.oneof(srArb, rrArb), fc.array(packetArb, { maxLength: 6 }))
  .map(([first, rest]) => [first, ...rest]);

describe("serialise → parse round trips", () => {
  const perType: [string, fc.Arbitrary<RtcpPacket>][] = [
    ["SR", srArb],
    ["RR", rrArb],
    ["SDES", sdesArb],
    ["BYE", byeArb],
    ["APP", appArb],
    ["NACK", nackArb],
    ["PLI", pliArb],
    ["FIR", firArb],
    ["unknown", unknownArb],
  ];
  for (const [name, arb] of perType) {
    it(`round-trips any ${name}`, () => {
      fc.assert(
        fc.property(arb, (packet) => {
          expect(parseRtcp(serializeRtcpPacket(packet))).toEqual({ packets: [packet], errors: [] });
        }),
        { numRuns: 200 },
      );
    });
  }

  it("round-trips any compound packet", () => {
    fc.assert(
      fc.property(compoundArb, (packets) => {
        expect(parseRtcp(serializeRtcp(packets))).toEqual({ packets, errors: [] });
      }),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------
// Fuzz: never throws, bounded time

function parseTimed(bytes: Uint8Array): ReturnType<typeof parseRtcp> {
  const start = performance.now();
  const result = parseRtcp(bytes);
  // generous: a few kB parse in microseconds; this only catches runaway loops
  expect(performance.now() - start).toBeLessThan(500);
  return result;
}

function checkWellFormed(result: ReturnType<typeof parseRtcp>): void {
  expect(Array.isArray(result.packets)).toBe(true);
  expect(Array.isArray(result.errors)).toBe(true);
  for (const p of result.packets) {
    // whatever parses can be written again or is refused with BAD_OPTION, never anything else
    try {
      const again = parseRtcp(serializeRtcpPacket(p));
      expect(again.errors).toEqual([]);
      expect(again.packets.length).toBe(1);
      expect(again.packets[0]?.type).toBe(p.type);
    } catch (e) {
      expect(e).toBeInstanceOf(RtpVideoError);
    }
  }
}

describe("parseRtcp fuzz", () => {
  it("any bytes: never throws, returns in bounded time", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1500 }), (bytes) => {
        checkWellFormed(parseTimed(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it("any bytes behind a valid-looking header: never throws", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 31 }),
        fc.integer({ min: 192, max: 210 }),
        fc.boolean(),
        fc.uint8Array({ maxLength: 400 }),
        (count, packetType, padding, body) => {
          const words = Math.ceil(body.length / 4);
          const bytes = new Uint8Array(4 + words * 4);
          bytes[0] = 0x80 | (padding ? 0x20 : 0) | count;
          bytes[1] = packetType;
          bytes[2] = words >> 8;
          bytes[3] = words & 0xff;
          bytes.set(body, 4);
          checkWellFormed(parseTimed(bytes));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("mutated valid compounds: never throws, returns in bounded time", () => {
    const mutation = fc.oneof(
      fc.record({
        kind: fc.constant("set" as const),
        at: fc.nat(),
        value: fc.integer({ min: 0, max: 255 }),
      }),
      fc.record({
        kind: fc.constant("flip" as const),
        at: fc.nat(),
        bit: fc.integer({ min: 0, max: 7 }),
      }),
      fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant("insert" as const),
        at: fc.nat(),
        bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
      }),
    );
    fc.assert(
      fc.property(
        compoundArb,
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        (packets, mutations) => {
          let bytes = serializeRtcp(packets);
          for (const m of mutations) {
            if (bytes.length === 0) break;
            const at = m.at % bytes.length;
            if (m.kind === "set") bytes[at] = m.value;
            else if (m.kind === "flip") bytes[at] = bytes[at]! ^ (1 << m.bit);
            else if (m.kind === "truncate") bytes = bytes.slice(0, at);
            else bytes = concat(bytes.subarray(0, at), m.bytes, bytes.subarray(at));
          }
          checkWellFormed(parseTimed(bytes));
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("a datagram of 16k one-word packets parses linearly", () => {
    const bytes = new Uint8Array(65536);
    for (let i = 0; i < bytes.length; i += 4) {
      bytes[i] = 0x80;
      bytes[i + 1] = 207; // XR, length 0
    }
    const start = performance.now();
    const { packets, errors } = parseRtcp(bytes);
    expect(performance.now() - start).toBeLessThan(1000);
    expect(packets.length).toBe(16384);
    expect(errors).toEqual([]);
  });
});

// ---------------------------------------------------------------------------
// NTP helpers

describe("NTP helpers", () => {
  it("converts Unix ms to NTP and back", () => {
    expect(ntpFromMs(0)).toEqual({ sec: NTP_UNIX_OFFSET_SEC, frac: 0 });
    expect(ntpFromMs(1500)).toEqual({ sec: NTP_UNIX_OFFSET_SEC + 1, frac: 0x80000000 });
    expect(ntpFromMs(250)).toEqual({ sec: NTP_UNIX_OFFSET_SEC, frac: 0x40000000 });
    // 2036-02-07T06:28:16Z is NTP 2^32: era 1 starts at sec 0
    const era1 = Date.UTC(2036, 1, 7, 6, 28, 16);
    expect(ntpFromMs(era1)).toEqual({ sec: 0, frac: 0 });
    expect(ntpToMs({ sec: 0, frac: 0 })).toBe(era1);
    expect(ntpToMs({ sec: NTP_UNIX_OFFSET_SEC + 1, frac: 0x80000000 })).toBe(1500);
    expectBadOption(() => ntpFromMs(Number.NaN));
  });

  it("round-trips any time between 1968 and 2104 to within 10 µs (property)", () => {
    fc.assert(
      fc.property(fc.double({ min: -6e10, max: 4.2e12, noNaN: true }), (ms) => {
        const ntp = ntpFromMs(ms);
        expect(Number.isInteger(ntp.sec) && ntp.sec >= 0 && ntp.sec <= 0xffffffff).toBe(true);
        expect(Number.isInteger(ntp.frac) && ntp.frac >= 0 && ntp.frac <= 0xffffffff).toBe(true);
        expect(Math.abs(ntpToMs(ntp) - ms)).toBeLessThan(1e-2);
      }),
    );
  });

  it("takes the middle 32 bits for LSR, and 1/65536 s units for DLSR", () => {
    expect(compactNtp({ sec: 0x12345678, frac: 0x9abcdef0 })).toBe(0x56789abc);
    expect(compactNtpFromMs(1500)).toBe(
      (((NTP_UNIX_OFFSET_SEC + 1) & 0xffff) * 65536 + 0x8000) >>> 0,
    );
    expect(delayToCompact(1500)).toBe(98304);
    expect(delayToCompact(-5)).toBe(0);
  });

  it("computes the RFC 3550 §6.4.1 round-trip time A - LSR - DLSR", () => {
    const lsr = 0x56789abc;
    const dlsr = delayToCompact(1500);
    expect(roundTripTimeMs({ lastSr: lsr, delaySinceLastSr: dlsr }, lsr + dlsr + 16384)).toBe(250);
    // across the 2^32 wrap of the compact time
    const wrappedLsr = 0xffffff00;
    expect(
      roundTripTimeMs(
        { lastSr: wrappedLsr, delaySinceLastSr: 0x100 },
        (wrappedLsr + 0x100 + 655360) % 2 ** 32,
      ),
    ).toBe(10000);
    expect(roundTripTimeMs({ lastSr: 0, delaySinceLastSr: 0 }, 1234)).toBeUndefined();
    expect(roundTripTimeMs({ lastSr: 100, delaySinceLastSr: 100 }, 150)).toBe(0);
  });
});

// ---------------------------------------------------------------------------
// ReceptionStats (RFC 3550 §A.1, §A.3, §A.8)

function feed(stats: ReceptionStats, seqs: number[], tsStep = 0, msStep = 0): boolean[] {
  return seqs.map((seq, i) => stats.receive(seq, (i * tsStep) >>> 0, i * msStep));
}

describe("ReceptionStats", () => {
  it("counts loss and the fraction lost per interval (§A.3)", () => {
    const stats = new ReceptionStats({ ssrc: 0x1234, clockRate: 90000, minSequential: 1 });
    expect(stats.reportBlock(0)).toBeUndefined();
    feed(stats, [0, 1, 2, 5, 6, 7, 8, 9]); // 3 and 4 lost
    let rb = stats.reportBlock(1000)!;
    expect(rb.ssrc).toBe(0x1234);
    expect(rb.highestSequence).toBe(9);
    expect(rb.cumulativeLost).toBe(2);
    expect(rb.fractionLost).toBe(51); // floor(2 * 256 / 10)
    feed(stats, [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    rb = stats.reportBlock(2000)!;
    expect(rb.fractionLost).toBe(0);
    expect(rb.cumulativeLost).toBe(2);
    feed(stats, [20, 25]); // 21..24 lost: 4 of 6
    rb = stats.reportBlock(3000)!;
    expect(rb.fractionLost).toBe(170); // floor(4 * 256 / 6)
    expect(rb.cumulativeLost).toBe(6);
    rb = stats.reportBlock(4000)!; // nothing new: expected interval 0
    expect(rb.fractionLost).toBe(0);
  });

  it("takes reordering as no loss once the late packet arrives", () => {
    const stats = new ReceptionStats({ ssrc: 1, clockRate: 90000, minSequential: 1 });
    feed(stats, [0, 1, 3]);
    expect(stats.snapshot().cumulativeLost).toBe(1);
    expect(stats.receive(2, 0, 0)).toBe(true);
    stats.receive(4, 0, 0);
    expect(stats.snapshot()).toMatchObject({ received: 5, expected: 5, cumulativeLost: 0 });
    expect(stats.reportBlock(0)).toMatchObject({ highestSequence: 4, fractionLost: 0 });
    // a packet from far back (within MAX_MISORDER) counts, without moving the highest
    stats.receive(0, 0, 0);
    expect(stats.snapshot()).toMatchObject({ received: 6, extendedHighestSequence: 4 });
  });

  it("counts duplicates, so cumulative loss can go negative", () => {
    const stats = new ReceptionStats({ ssrc: 1, clockRate: 90000, minSequential: 1 });
    feed(stats, [0, 1, 2, 2, 3]);
    const rb = stats.reportBlock(0)!;
    expect(rb.cumulativeLost).toBe(-1);
    expect(rb.fractionLost).toBe(0);
    expect(
      toHex(serializeRtcpPacket({ type: "rr", ssrc: 2, reports: [rb] }).subarray(12, 16)),
    ).toBe("00ffffff");
  });

  it("extends the highest sequence number across the wrap", () => {
    const stats = new ReceptionStats({ ssrc: 1, clockRate: 90000, minSequential: 1 });
    feed(stats, [65533, 65534, 65535, 0, 1]);
    expect(stats.snapshot()).toMatchObject({
      extendedHighestSequence: 0x10001,
      expected: 5,
      received: 5,
      cumulativeLost: 0,
    });
    feed(stats, [3]); // 2 lost, just after the wrap
    expect(stats.reportBlock(0)).toMatchObject({ highestSequence: 0x10003, cumulativeLost: 1 });
  });

  it("holds the first packet on probation (MIN_SEQUENTIAL = 2)", () => {
    const stats = new ReceptionStats({ ssrc: 1, clockRate: 90000 });
    expect(stats.receive(100, 0, 0)).toBe(false);
    expect(stats.reportBlock(0)).toBeUndefined();
    expect(stats.receive(101, 0, 0)).toBe(true);
    feed(stats, [102, 103, 104]);
    expect(stats.snapshot()).toMatchObject({
      received: 4,
      expected: 4,
      extendedHighestSequence: 104,
    });
    // probation restarts on a gap
    const other = new ReceptionStats({ ssrc: 1, clockRate: 90000 });
    expect(feed(other, [10, 12, 13, 14])).toEqual([false, false, true, true]);
    expect(other.snapshot()).toMatchObject({ received: 2, expected: 2 });
  });

  it("re-syncs after a large jump confirmed by the next packet (§A.1)", () => {
    const stats = new ReceptionStats({ ssrc: 1, clockRate: 90000, minSequential: 1 });
    feed(stats, [0, 1, 2]);
    expect(stats.receive(20000, 0, 0)).toBe(false);
    expect(stats.snapshot()).toMatchObject({ received: 3, extendedHighestSequence: 2 });
    expect(stats.receive(20001, 0, 0)).toBe(true);
    expect(stats.snapshot()).toMatchObject({ received: 1, expected: 1, cumulativeLost: 0 });
    // an isolated jump is dropped
    expect(stats.receive(40000, 0, 0)).toBe(false);
    expect(stats.receive(20002, 0, 0)).toBe(true);
    expect(stats.snapshot()).toMatchObject({ received: 2, extendedHighestSequence: 20002 });
  });

  it("computes interarrival jitter as RFC 3550 §A.8 does (8 kHz, by hand)", () => {
    // ts every 160 (20 ms); arrivals 0, 20, 45, 60, 80 ms = 0, 160, 360, 480, 640 ticks
    // transit 0, 0, 40, 0, 0 → |D| = 0, 40, 40, 0
    // J = 0 → 0 + (40 - 0)/16 = 2.5 → 2.5 + (40 - 2.5)/16 = 4.84375 → 4.84375 - 4.84375/16 = 4.541015625
    const stats = new ReceptionStats({ ssrc: 1, clockRate: 8000, minSequential: 1 });
    const arrivals = [0, 20, 45, 60, 80];
    const expected = [0, 0, 2.5, 4.84375, 4.541015625];
    arrivals.forEach((ms, i) => {
      stats.receive(i, i * 160, ms);
      expect(stats.snapshot().jitter).toBe(expected[i]);
    });
    expect(stats.reportBlock(100)!.jitter).toBe(4);
  });

  it("computes jitter at 90 kHz across the RTP timestamp wrap", () => {
    // frames 3000 ticks apart, starting 3000 ticks before the 2^32 wrap; frame 1 is 6.667 ms late
    // arrivals 0, 40, 66.667 ms = 0, 3600, 6000 ticks; transit 0, 600, 0 → |D| = 600, 600
    // J = 600/16 = 37.5 → 37.5 + (600 - 37.5)/16 = 72.65625
    const stats = new ReceptionStats({ ssrc: 1, clockRate: 90000, minSequential: 1 });
    const base = 2 ** 32 - 3000;
    stats.receive(7, base, 0);
    stats.receive(8, (base + 3000) % 2 ** 32, 40);
    expect(stats.snapshot().jitter).toBeCloseTo(37.5, 9);
    stats.receive(9, (base + 6000) % 2 ** 32, 200 / 3);
    expect(stats.snapshot().jitter).toBeCloseTo(72.65625, 9);
    expect(stats.reportBlock(100)!.jitter).toBe(72);
  });

  it("has zero jitter for a perfectly paced stream, even with equal timestamps per frame", () => {
    const stats = new ReceptionStats({ ssrc: 1, clockRate: 90000, minSequential: 1 });
    for (let i = 0; i < 300; i++)
      stats.receive(i & 0xffff, Math.floor(i / 3) * 3000, Math.floor(i / 3) * (100 / 3));
    expect(stats.snapshot().jitter).toBeLessThan(1e-6);
  });

  it("fills LSR and DLSR from the last SR, with the injected time", () => {
    const stats = new ReceptionStats({ ssrc: 1, clockRate: 90000, minSequential: 1 });
    stats.receive(0, 0, 0);
    const lastSr = { ntpTime: { sec: 0x12345678, frac: 0x9abcdef0 }, receivedAtMs: 1000 };
    expect(stats.reportBlock(2500, lastSr)).toMatchObject({
      lastSr: 0x56789abc,
      delaySinceLastSr: 98304,
    });
    expect(stats.reportBlock(2500)).toMatchObject({ lastSr: 0, delaySinceLastSr: 0 });
  });

  it("rejects bad options and inputs", () => {
    expectBadOption(() => new ReceptionStats({ ssrc: -1, clockRate: 90000 }));
    expectBadOption(() => new ReceptionStats({ ssrc: 1, clockRate: 0 }));
    expectBadOption(() => new ReceptionStats({ ssrc: 1, clockRate: 90000, minSequential: 0 }));
    expectBadOption(
      () => new ReceptionStats({ ssrc: 1, clockRate: 90000, maxDropout: 65000, maxMisorder: 1000 }),
    );
    const stats = new ReceptionStats({ ssrc: 1, clockRate: 90000 });
    expectBadOption(() => stats.receive(65536, 0, 0));
    expectBadOption(() => stats.receive(0, -1, 0));
    expectBadOption(() => stats.receive(0, 0, Number.POSITIVE_INFINITY));
  });

  it("loss equals the gaps of any in-order stream (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 400 }),
        (start, steps) => {
          const stats = new ReceptionStats({ ssrc: 1, clockRate: 90000, minSequential: 1 });
          let seq = start;
          stats.receive(seq, 0, 0);
          let ext = 0;
          for (const step of steps) {
            seq = (seq + step) & 0xffff;
            ext += step;
            expect(stats.receive(seq, 0, 0)).toBe(true);
          }
          const rb = stats.reportBlock(0)!;
          expect(rb.cumulativeLost).toBe(ext + 1 - (steps.length + 1));
          expect(rb.highestSequence).toBe(start + ext);
          expect(rb.fractionLost).toBe(Math.floor(((ext - steps.length) * 256) / (ext + 1)));
        },
      ),
    );
  });

  it("never throws and stays in range for any packet sequence (property)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 0xffff }),
            u32,
            fc.double({ min: -1e9, max: 1e9, noNaN: true }),
          ),
          { maxLength: 200 },
        ),
        fc.integer({ min: 1, max: 3 }),
        (packets, minSequential) => {
          const stats = new ReceptionStats({ ssrc: 1, clockRate: 90000, minSequential });
          for (const [seq, ts, ms] of packets) stats.receive(seq, ts, ms);
          const rb = stats.reportBlock(0);
          if (rb !== undefined) {
            // a valid block: it serialises
            expect(
              parseRtcp(serializeRtcpPacket({ type: "rr", ssrc: 1, reports: [rb] })).errors,
            ).toEqual([]);
          }
        },
      ),
    );
  });
});
