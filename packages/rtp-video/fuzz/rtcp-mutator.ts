// The RTCP mutator: input `index` is a compound packet of 1..8 packets (SR, RR, SDES, BYE, APP,
// Generic NACK, PLI, FIR, REMB, XR, another RTPFB) serialised by serializeRtcpPacket, then, most of
// the time, damaged: a length field, a count field (RC / SC / FMT), padding, version lying, an
// SDES item or BYE reason running past its packet, a feedback FCI of the wrong size, truncation,
// byte-level damage. Everything is drawn from fuzzRandom(seed, index).
import { concat, type FuzzRandom, fuzzRandom, mutateBytes } from "@framewire/test-support";
import { type RtcpPacket, serializeRtcpPacket } from "../src/index.js";

/** RtcpMutatorOptions give the SSRCs feedback may target (the receiver's own, so it acts). */
export interface RtcpMutatorOptions {
  /** mediaSsrcs: SSRCs that NACK / PLI / FIR / REMB name (besides random ones). */
  readonly mediaSsrcs: readonly number[];
  /** senderSsrc: SSRC of the reports' sender (besides random ones). */
  readonly senderSsrc: number;
}

/** RtcpInput is one compound packet with the mutation that made it ("clean" for none). */
export interface RtcpInput {
  readonly bytes: Uint8Array;
  readonly mutation: string;
}

function u32(r: FuzzRandom): number {
  return r.int(2 ** 32);
}

function block(r: FuzzRandom, ssrc: number) {
  return {
    ssrc,
    fractionLost: r.int(256),
    cumulativeLost: r.int(0x800000),
    highestSequence: u32(r),
    jitter: r.int(100_000),
    lastSr: u32(r),
    delaySinceLastSr: r.int(2 ** 20),
  };
}

const SDES_TEXTS = ["", "framewire", "a".repeat(255), "\u0000\u00ff", "é€😀", "\ufeffbom"];

function one(r: FuzzRandom, o: RtcpMutatorOptions): RtcpPacket {
  const sender = r.chance(0.7) ? o.senderSsrc : u32(r);
  const media = r.chance(0.7) ? r.pick(o.mediaSsrcs) : u32(r);
  const blocks = () => Array.from({ length: r.int(r.chance(0.1) ? 31 : 3) }, () => block(r, media));
  switch (r.int(11)) {
    case 0:
      return {
        type: "sr",
        ssrc: sender,
        ntpTime: { sec: u32(r), frac: u32(r) },
        rtpTimestamp: u32(r),
        packetCount: u32(r),
        octetCount: u32(r),
        reports: blocks(),
      };
    case 1:
      return { type: "rr", ssrc: sender, reports: blocks() };
    case 2:
      return {
        type: "sdes",
        chunks: Array.from({ length: 1 + r.int(3) }, () => ({
          ssrc: sender,
          items: Array.from({ length: r.int(4) }, () => ({
            type: 1 + r.int(8),
            text: r.pick(SDES_TEXTS).slice(0, 1 + r.int(255)),
          })),
        })),
      };
    case 3: {
      const reason = r.chance(0.5) ? r.pick(SDES_TEXTS).slice(0, 200) : undefined;
      const ssrcs = Array.from({ length: r.int(4) }, () => sender);
      return reason === undefined ? { type: "bye", ssrcs } : { type: "bye", ssrcs, reason };
    }
    case 4:
      return {
        type: "app",
        subtype: r.int(32),
        ssrc: sender,
        name: r.pick(["FWxx", "abcd", "    ", "\u0000\u0001\u0002\u0003"]),
        data: r.bytes(4 * r.int(8)),
      };
    case 5:
      return {
        type: "nack",
        senderSsrc: sender,
        mediaSsrc: media,
        lost: Array.from({ length: 1 + r.int(40) }, () => (1000 + r.int(3000)) & 0xffff),
      };
    case 6:
      return { type: "pli", senderSsrc: sender, mediaSsrc: media };
    case 7:
      return {
        type: "fir",
        senderSsrc: sender,
        entries: Array.from({ length: 1 + r.int(3) }, () => ({
          ssrc: media,
          sequenceNumber: r.int(256),
        })),
      };
    case 8: {
      // REMB (draft-alvestrand-rmcat-remb): PSFB FMT 15, "REMB", SSRC count, exp + mantissa
      const n = r.int(4);
      const body = new Uint8Array(16 + 4 * n);
      const v = new DataView(body.buffer);
      v.setUint32(0, sender);
      v.setUint32(4, 0);
      body.set([0x52, 0x45, 0x4d, 0x42], 8);
      v.setUint32(12, (n << 24) | (r.int(64) << 18) | r.int(1 << 18));
      for (let i = 0; i < n; i++) v.setUint32(16 + 4 * i, media);
      return { type: "unknown", packetType: 206, count: 15, body };
    }
    case 9:
      // XR (RFC 3611) with random report blocks
      return {
        type: "unknown",
        packetType: 207,
        count: 0,
        body: concat(r.bytes(4), r.bytes(4 * r.int(6))),
      };
    default:
      // RTPFB with another FMT (TMMBR 3, TMMBN 4, transport-cc 15), or an unassigned type
      return {
        type: "unknown",
        packetType: r.pick([205, 205, 206, 195, 199, 208, 223]),
        count: r.pick([3, 4, 15, 0, 31]),
        body: r.bytes(4 * (2 + r.int(6))),
      };
  }
}

/** rtcpMutator returns the input maker: (seed, index) → compound RTCP and mutation name. */
export function rtcpMutator(o: RtcpMutatorOptions): (seed: number, index: number) => RtcpInput {
  return (seed, index) => {
    const r = fuzzRandom(seed, index, 2);
    const parts: Uint8Array[] = [];
    for (let i = 0, n = 1 + r.int(r.chance(0.1) ? 8 : 3); i < n; i++) {
      parts.push(serializeRtcpPacket(one(r, o)));
    }
    const offsets: number[] = [];
    let at = 0;
    for (const p of parts) {
      offsets.push(at);
      at += p.length;
    }
    let bytes = concat(...parts);
    if (r.chance(0.25)) return { bytes, mutation: "clean" };
    const k = r.int(parts.length);
    const start = offsets[k]!;
    const size = parts[k]!.length;
    let mutation: string;
    switch (r.int(11)) {
      case 0: {
        mutation = "length-lie";
        const words = size / 4 - 1;
        const lie =
          r.pick([0, 1, words - 1, words + 1, words + 2, 0xffff, r.int(0x10000)]) & 0xffff;
        bytes[start + 2] = lie >> 8;
        bytes[start + 3] = lie & 0xff;
        break;
      }
      case 1:
        mutation = "count-lie";
        bytes[start] = (bytes[start]! & 0xe0) | r.int(32);
        break;
      case 2: {
        mutation = "padding-lie";
        bytes[start] = bytes[start]! | 0x20;
        bytes[start + size - 1] = r.pick([0, 255, size, size - 3, r.int(256)]);
        break;
      }
      case 3: {
        // true padding on the last packet (1..3 words)
        mutation = "padding-true";
        const pad = 4 * (1 + r.int(3));
        const last = offsets[parts.length - 1]!;
        const padded = concat(bytes, new Uint8Array(pad));
        padded[padded.length - 1] = pad;
        padded[last] = padded[last]! | 0x20;
        const words = (padded.length - last) / 4 - 1;
        padded[last + 2] = words >> 8;
        padded[last + 3] = words & 0xff;
        bytes = padded;
        break;
      }
      case 4:
        mutation = "version-lie";
        bytes[start] = (bytes[start]! & 0x3f) | (r.pick([0, 1, 3]) << 6);
        break;
      case 5:
        mutation = "truncate";
        bytes = bytes.subarray(0, r.int(bytes.length));
        break;
      case 6: {
        // a byte inside the packet body set to a value that breaks an item, reason or FCI length
        mutation = "body-field";
        if (size > 4) bytes[start + 4 + r.int(size - 4)] = r.pick([0, 0xff, 0x01, r.int(256)]);
        break;
      }
      case 7: {
        // a packet body grown or shrunk by 1..3 bytes, length field adjusted to the words
        mutation = "unaligned-body";
        const cut = parts[k]!.subarray(0, Math.max(4, size - 1 - r.int(3)));
        const grown = r.chance(0.5) ? concat(parts[k]!, r.bytes(1 + r.int(3))) : cut;
        parts[k] = grown;
        bytes = concat(...parts);
        break;
      }
      case 8: {
        // a header-only packet of any type (length 0)
        mutation = "header-only";
        const h = Uint8Array.from([0x80 | r.int(32), 192 + r.int(32), 0, 0]);
        parts.splice(k, 0, h);
        bytes = concat(...parts);
        break;
      }
      case 9:
        mutation = "trailing-garbage";
        bytes = concat(bytes, r.bytes(1 + r.int(40)));
        break;
      default:
        mutation = "bytes";
        bytes = mutateBytes(r, bytes, 6);
    }
    return { bytes, mutation };
  };
}
