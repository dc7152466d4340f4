import { fixture } from "@framewire/test-support/fixtures";
import { describe, expect, it } from "vitest";
import { readPcapFile, readPcapUdp } from "./pcap.js";

// ---------------------------------------------------------------------------
// Synthetic pcap builder (test only)

interface BuildOptions {
  littleEndian?: boolean;
  nanoseconds?: boolean;
  linkType?: number;
}

interface BuildPacket {
  frame: Uint8Array;
  sec?: number;
  frac?: number;
  /** Original length, when it differs from the captured length (snap length cut). */
  origLen?: number;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function buildPcap(packets: BuildPacket[], opts: BuildOptions = {}): Uint8Array {
  const le = opts.littleEndian ?? true;
  const header = new Uint8Array(24);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, opts.nanoseconds === true ? 0xa1b23c4d : 0xa1b2c3d4, le);
  hv.setUint16(4, 2, le);
  hv.setUint16(6, 4, le);
  hv.setUint32(16, 65535, le);
  hv.setUint32(20, opts.linkType ?? 1, le);
  const parts: Uint8Array[] = [header];
  for (const p of packets) {
    const rec = new Uint8Array(16);
    const rv = new DataView(rec.buffer);
    rv.setUint32(0, p.sec ?? 1_700_000_000, le);
    rv.setUint32(4, p.frac ?? 0, le);
    rv.setUint32(8, p.frame.length, le);
    rv.setUint32(12, p.origLen ?? p.frame.length, le);
    parts.push(rec, p.frame);
  }
  return concat(parts);
}

function ipv4Udp(
  srcPort: number,
  dstPort: number,
  payload: Uint8Array,
  opts: { protocol?: number; ihlWords?: number; fragment?: number } = {},
): Uint8Array {
  const ihl = (opts.ihlWords ?? 5) * 4;
  const total = ihl + 8 + payload.length;
  const b = new Uint8Array(total);
  const v = new DataView(b.buffer);
  v.setUint8(0, 0x40 | (ihl / 4));
  v.setUint16(2, total, false);
  v.setUint16(6, opts.fragment ?? 0x4000, false); // DF
  v.setUint8(8, 64);
  v.setUint8(9, opts.protocol ?? 17);
  b.set([127, 0, 0, 1, 127, 0, 0, 1], 12);
  v.setUint16(ihl, srcPort, false);
  v.setUint16(ihl + 2, dstPort, false);
  v.setUint16(ihl + 4, 8 + payload.length, false);
  b.set(payload, ihl + 8);
  return b;
}

function ethernet(ip: Uint8Array, etherType = 0x0800, vlan = false): Uint8Array {
  const head = new Uint8Array(vlan ? 18 : 14);
  const v = new DataView(head.buffer);
  if (vlan) {
    v.setUint16(12, 0x8100, false);
    v.setUint16(14, 42, false);
    v.setUint16(16, etherType, false);
  } else {
    v.setUint16(12, etherType, false);
  }
  return concat([head, ip]);
}

const PAYLOAD = new Uint8Array([0x80, 0x60, 0x03, 0xe8, 1, 2, 3, 4]);

// ---------------------------------------------------------------------------

describe("readPcapUdp (synthetic captures)", () => {
  it("reads Ethernet frames in both byte orders with µs timestamps", () => {
    for (const littleEndian of [true, false]) {
      const bytes = buildPcap(
        [
          { frame: ethernet(ipv4Udp(4000, 5004, PAYLOAD)), sec: 10, frac: 250_000 },
          { frame: ethernet(ipv4Udp(4000, 5006, new Uint8Array(0))), sec: 11, frac: 1 },
        ],
        { littleEndian },
      );
      const d = readPcapUdp(bytes);
      expect(d).toHaveLength(2);
      expect(d[0]).toMatchObject({ timestampUs: 10_250_000, srcPort: 4000, dstPort: 5004 });
      expect(Array.from(d[0]!.payload)).toEqual(Array.from(PAYLOAD));
      expect(d[1]).toMatchObject({ timestampUs: 11_000_001, dstPort: 5006 });
      expect(d[1]!.payload.length).toBe(0);
    }
  });

  it("converts nanosecond timestamps to microseconds", () => {
    const bytes = buildPcap(
      [{ frame: ethernet(ipv4Udp(1, 2, PAYLOAD)), sec: 3, frac: 123_456_789 }],
      {
        nanoseconds: true,
        littleEndian: false,
      },
    );
    expect(readPcapUdp(bytes)[0]!.timestampUs).toBe(3_123_456);
  });

  it("handles raw IPv4, SLL, SLL2, NULL and Ethernet with a VLAN tag", () => {
    const ip = ipv4Udp(1234, 5678, PAYLOAD);
    const sll = new Uint8Array(16);
    new DataView(sll.buffer).setUint16(14, 0x0800, false);
    const sll2 = new Uint8Array(20);
    new DataView(sll2.buffer).setUint16(0, 0x0800, false);
    const nullLe = new Uint8Array([2, 0, 0, 0]);
    const nullBe = new Uint8Array([0, 0, 0, 2]);
    const cases: Array<[number, Uint8Array]> = [
      [101, ip],
      [228, ip],
      [113, concat([sll, ip])],
      [276, concat([sll2, ip])],
      [0, concat([nullLe, ip])],
      [0, concat([nullBe, ip])],
      [1, ethernet(ip, 0x0800, true)],
    ];
    for (const [linkType, frame] of cases) {
      const d = readPcapUdp(buildPcap([{ frame }], { linkType }));
      expect(d, `link type ${linkType}`).toHaveLength(1);
      expect(d[0]).toMatchObject({ srcPort: 1234, dstPort: 5678 });
      expect(Array.from(d[0]!.payload)).toEqual(Array.from(PAYLOAD));
    }
  });

  it("honours the IPv4 header length (options) and ignores Ethernet padding", () => {
    const ip = ipv4Udp(7, 9, new Uint8Array([0xaa, 0xbb]), { ihlWords: 7 });
    const padded = concat([ethernet(ip), new Uint8Array(20).fill(0xee)]);
    const d = readPcapUdp(buildPcap([{ frame: padded }]));
    expect(d).toHaveLength(1);
    expect(Array.from(d[0]!.payload)).toEqual([0xaa, 0xbb]);
  });

  it("skips non-UDP, non-IPv4 and fragmented packets", () => {
    const bytes = buildPcap([
      { frame: ethernet(ipv4Udp(1, 2, PAYLOAD, { protocol: 6 })) }, // TCP
      { frame: ethernet(new Uint8Array(40), 0x86dd) }, // IPv6
      { frame: ethernet(new Uint8Array(28), 0x0806) }, // ARP
      { frame: ethernet(ipv4Udp(1, 2, PAYLOAD, { fragment: 0x2000 })) }, // MF set
      { frame: ethernet(ipv4Udp(1, 2, PAYLOAD, { fragment: 0x0010 })) }, // offset != 0
      { frame: ethernet(ipv4Udp(1, 2, PAYLOAD)) },
    ]);
    expect(readPcapUdp(bytes)).toHaveLength(1);
    const raw6 = new Uint8Array(40);
    raw6[0] = 0x60;
    expect(readPcapUdp(buildPcap([{ frame: raw6 }], { linkType: 101 }))).toHaveLength(0);
  });

  it("returns nothing for a header-only file", () => {
    expect(readPcapUdp(buildPcap([]))).toEqual([]);
  });
});

describe("readPcapUdp (bad input)", () => {
  const good = buildPcap([
    { frame: ethernet(ipv4Udp(1, 2, PAYLOAD)) },
    { frame: ethernet(ipv4Udp(1, 2, PAYLOAD)) },
  ]);

  it("throws on an empty or too short file", () => {
    expect(() => readPcapUdp(new Uint8Array(0))).toThrow(/truncated global header/);
    expect(() => readPcapUdp(good.subarray(0, 23))).toThrow(/truncated global header/);
  });

  it("throws on garbage and on pcapng", () => {
    const garbage = new Uint8Array(200).map((_, i) => (i * 37 + 11) & 0xff);
    expect(() => readPcapUdp(garbage)).toThrow(/bad magic/);
    expect(() =>
      readPcapUdp(new TextEncoder().encode("this is not a capture file at all")),
    ).toThrow(/bad magic/);
    const ng = new Uint8Array(32);
    new DataView(ng.buffer).setUint32(0, 0x0a0d0d0a, false);
    expect(() => readPcapUdp(ng)).toThrow(/pcapng/);
  });

  it("throws on an unsupported link type or version", () => {
    expect(() => readPcapUdp(buildPcap([], { linkType: 105 }))).toThrow(/link type 105/);
    const v = good.slice();
    new DataView(v.buffer).setUint16(4, 3, true);
    expect(() => readPcapUdp(v)).toThrow(/version 3/);
  });

  it("throws on a truncated record header or record data, naming the packet", () => {
    const firstLen = 16 + 14 + 20 + 8 + PAYLOAD.length;
    // cut inside the second record header
    expect(() => readPcapUdp(good.subarray(0, 24 + firstLen + 5))).toThrow(
      /truncated record header of packet #1/,
    );
    // cut inside the second record's data
    expect(() => readPcapUdp(good.subarray(0, good.length - 1))).toThrow(
      /truncated data of packet #1/,
    );
    // every possible cut after the global header either parses a prefix or throws a clear error
    for (let cut = 24; cut < good.length; cut++) {
      const slice = good.subarray(0, cut);
      if (cut === 24 || cut === 24 + firstLen) {
        expect(readPcapUdp(slice)).toHaveLength(cut === 24 ? 0 : 1);
      } else {
        expect(() => readPcapUdp(slice)).toThrow(/^pcap: truncated/);
      }
    }
  });

  it("throws on a corrupt record header (absurd length, bad sub-second field)", () => {
    const big = good.slice();
    new DataView(big.buffer).setUint32(24 + 8, 0x7fffffff, true);
    expect(() => readPcapUdp(big)).toThrow(/captured length .* too large/);
    const frac = good.slice();
    new DataView(frac.buffer).setUint32(24 + 4, 2_000_000, true);
    expect(() => readPcapUdp(frac)).toThrow(/sub-second timestamp/);
  });

  it("throws on malformed IPv4/UDP headers", () => {
    const badIhl = ipv4Udp(1, 2, PAYLOAD);
    badIhl[0] = 0x43;
    expect(() => readPcapUdp(buildPcap([{ frame: ethernet(badIhl) }]))).toThrow(/header length 12/);
    const badUdpLen = ipv4Udp(1, 2, PAYLOAD);
    new DataView(badUdpLen.buffer).setUint16(24, 200, false);
    expect(() => readPcapUdp(buildPcap([{ frame: ethernet(badUdpLen) }]))).toThrow(
      /UDP length 200/,
    );
    const badTotal = ipv4Udp(1, 2, PAYLOAD);
    new DataView(badTotal.buffer).setUint16(2, 1000, false);
    expect(() => readPcapUdp(buildPcap([{ frame: ethernet(badTotal) }]))).toThrow(
      /total length 1000 exceeds/,
    );
  });

  it("throws on a snap-length-truncated datagram unless told to skip it", () => {
    const frame = ethernet(ipv4Udp(1, 2, new Uint8Array(100)));
    const bytes = buildPcap([{ frame: frame.subarray(0, 60), origLen: frame.length }]);
    expect(() => readPcapUdp(bytes)).toThrow(/snap length/);
    expect(readPcapUdp(bytes, { onSnapTruncated: "skip" })).toEqual([]);
  });
});

// ---------------------------------------------------------------------------
// Fixtures (see <shared>/peers/fixtures/MANIFEST.txt)

describe("readPcapFile (fixtures)", () => {
  it("test-rtp.pcap: 1253 RTP packets to port 5004, seq from 1000, ssrc 0x12345678", () => {
    const all = readPcapFile(fixture("test-rtp.pcap"));
    const rtp = all.filter((d) => d.dstPort === 5004);
    expect(rtp).toHaveLength(1253);
    const sizes = rtp.map((d) => d.payload.length);
    expect(Math.max(...sizes)).toBe(1472);
    expect(Math.min(...sizes)).toBe(36);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(1312801);

    const first = rtp[0]!.payload;
    const fv = new DataView(first.buffer, first.byteOffset, first.byteLength);
    expect(fv.getUint8(0) >> 6).toBe(2); // RTP version
    expect(fv.getUint8(1) & 0x7f).toBe(96); // payload type
    expect(fv.getUint16(2, false)).toBe(1000);
    expect(fv.getUint32(4, false)).toBe(42411254); // first RTP timestamp
    expect(fv.getUint32(8, false)).toBe(0x12345678);

    let markers = 0;
    rtp.forEach((d, i) => {
      const v = new DataView(d.payload.buffer, d.payload.byteOffset, d.payload.byteLength);
      expect(v.getUint16(2, false)).toBe((1000 + i) & 0xffff); // no gaps, in order
      expect(v.getUint32(8, false)).toBe(0x12345678);
      if ((v.getUint8(1) & 0x80) !== 0) markers++;
    });
    expect(markers).toBe(300);

    // timestamps are monotonic and span about 10 s
    for (let i = 1; i < rtp.length; i++) {
      expect(rtp[i]!.timestampUs).toBeGreaterThanOrEqual(rtp[i - 1]!.timestampUs);
    }
    const spanS = (rtp.at(-1)!.timestampUs - rtp[0]!.timestampUs) / 1e6;
    expect(spanS).toBeGreaterThan(9);
    expect(spanS).toBeLessThan(11);
  });

  it("pcmu-tone.pcap: 500 datagrams of 172 bytes", () => {
    const all = readPcapFile(fixture("pcmu-tone.pcap"));
    expect(all).toHaveLength(500);
    expect(all.every((d) => d.payload.length === 172)).toBe(true);
  });

  it("names the file when it cannot be parsed", () => {
    expect(() => readPcapFile(fixture("test.sdp"))).toThrow(/test\.sdp: pcap: bad magic/);
  });
});
