// The RTP mutator: input `index` of a run is the corpus stream's packet `index` (sequence number
// and timestamp continuing loop after loop, so frames do complete) behind a valid RTP header,
// damaged at a rate that changes every 1000 inputs (0 %, 3 %, 20 %, 60 %, 100 %): RTP header
// lies (version, CSRC count, extension length, padding, sequence, SSRC, payload type), codec
// payload lies (H.264 FU-A / STAP-A / NAL types, VP8 and VP9 descriptors) and byte-level damage.
// Everything is drawn from fuzzRandom(seed, index): the input is made again from (seed, index).
import { concat, type FuzzRandom, fuzzRandom, mutateBytes } from "@framewire/test-support";
import { writeRtpHeader } from "../src/index.js";
import type { CorpusPacket, StreamCorpus } from "./corpus.js";

/** RtpMutatorOptions say which stream the inputs belong to. */
export interface RtpMutatorOptions {
  readonly corpus: StreamCorpus;
  readonly payloadType: number;
  readonly ssrc: number;
  /** seqBase is the sequence number of input 0 (default 1000). */
  readonly seqBase?: number;
  /** tsBase is the RTP timestamp added to the corpus' (default 90 000). */
  readonly tsBase?: number;
}

/** RtpInput is one input with the mutation that made it ("clean" for none). */
export interface RtpInput {
  readonly bytes: Uint8Array;
  readonly mutation: string;
}

const RATES = [0, 0.03, 0.2, 0.6, 1] as const;

interface Header {
  pt: number;
  seq: number;
  ts: number;
  ssrc: number;
  marker: boolean;
}

function packet(h: Header, payload: Uint8Array, extra?: Uint8Array): Uint8Array {
  const ext = extra ?? new Uint8Array(0);
  const out = new Uint8Array(12 + ext.length + payload.length);
  writeRtpHeader(out, 0, {
    payloadType: h.pt,
    sequenceNumber: h.seq & 0xffff,
    timestamp: h.ts >>> 0,
    ssrc: h.ssrc >>> 0,
    marker: h.marker,
  });
  out.set(ext, 12);
  out.set(payload, 12 + ext.length);
  return out;
}

/** extension is an RFC 8285 one-byte (0xBEDE) or two-byte (0x100x) header extension block. */
function extension(r: FuzzRandom): Uint8Array {
  const oneByte = r.chance(0.5);
  const body: number[] = [];
  const elements = r.int(5);
  for (let i = 0; i < elements; i++) {
    const len = 1 + r.int(oneByte ? 16 : 40);
    if (oneByte) body.push(((1 + r.int(14)) << 4) | (len - 1));
    else body.push(1 + r.int(255), len);
    for (let k = 0; k < len; k++) body.push(r.int(256));
    if (r.chance(0.3)) body.push(0); // padding between elements
  }
  while (body.length % 4 !== 0) body.push(0);
  const words = body.length / 4;
  const profile = oneByte ? 0xbede : 0x1000 | r.int(16);
  return Uint8Array.from([profile >> 8, profile & 0xff, words >> 8, words & 0xff, ...body]);
}

// ---------------------------------------------------------------------------------------------
// H.264 payload lies (RFC 6184 §5.6–5.8)

const H264_TYPES = [0, 24, 25, 26, 27, 28, 29, 30, 31, 1, 5, 6, 7, 8, 9, 12, 19, 23] as const;

function h264Lie(r: FuzzRandom, p: Uint8Array): [string, Uint8Array] {
  switch (r.int(8)) {
    case 0: {
      // FU-A header with any S/E/R bits and type, body from the packet
      const fu = Uint8Array.from([0x1c | (r.int(4) << 5), r.int(256)]);
      const body = p.subarray(Math.min(p.length, 2), Math.min(p.length, 2 + r.int(1400)));
      return ["h264-fu-a-header", concat(fu, r.chance(0.1) ? new Uint8Array(0) : body)];
    }
    case 1: {
      // FU-A of the stream with S/E bits lying (start twice, end early, both, none)
      if ((p[0]! & 0x1f) !== 28 || p.length < 2) return ["h264-fu-a-se", concat([0x7c, 0xc5], p)];
      const out = p.slice();
      out[1] = (out[1]! & 0x1f) | (r.pick([0, 1, 2, 3, 4, 5, 6, 7]) << 5);
      return ["h264-fu-a-se", out];
    }
    case 2: {
      // FU-A whose NAL type changes mid-unit (or is a reserved / aggregate type)
      const out = p.length >= 2 ? p.slice() : Uint8Array.from([0x7c, 0x85, 0]);
      out[0] = (out[0]! & 0xe0) | 28;
      out[1] = (out[1]! & 0xe0) | r.pick(H264_TYPES);
      return ["h264-fu-a-type", out];
    }
    case 3: {
      // STAP-A with NALU sizes that lie: zero, past the end, one short, one long, 0xffff
      const units: number[] = [0x18 | (r.int(4) << 5)];
      const n = 1 + r.int(6);
      for (let i = 0; i < n; i++) {
        const len = r.int(60);
        const lie = r.chance(0.4) ? r.pick([0, 0xffff, len + 1, len - 1, len + 200]) : len;
        units.push((lie >> 8) & 0xff, lie & 0xff);
        if (len > 0)
          units.push(r.chance(0.2) ? r.pick([0x78, 0x7c, 0x00, 0x80]) : 0x61 | (r.int(4) << 5));
        for (let k = 1; k < len; k++) units.push(r.int(256));
      }
      if (r.chance(0.3)) units.push(r.int(256)); // a trailing byte
      return ["h264-stap-a", Uint8Array.from(units)];
    }
    case 4: {
      // reserved, interleaved-mode (STAP-B, MTAP16/24, FU-B) and forbidden-bit NAL headers
      const out = p.length > 0 ? p.slice() : new Uint8Array(1);
      out[0] = r.chance(0.2)
        ? out[0]! | 0x80
        : (out[0]! & 0xe0) | r.pick([0, 25, 26, 27, 29, 30, 31]);
      return ["h264-nal-type", out];
    }
    case 5:
      // a NAL header alone, or a payload of one byte of any type
      return ["h264-header-only", Uint8Array.from([r.int(256)])];
    case 6: {
      // an SPS or PPS of random bytes (the parameter-set path), or an IDR slice without them
      const t = r.pick([0x67, 0x68, 0x65, 0x66]);
      return ["h264-parameter-set", concat([t], r.bytes(r.int(64)))];
    }
    default: {
      // an SEI / AUD / end-of-sequence NAL with random body
      const t = r.pick([0x06, 0x09, 0x0a, 0x0b, 0x0c]);
      return ["h264-other-nal", concat([t], r.bytes(r.int(32)))];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// VP8 payload descriptor lies (RFC 7741 §4.2)

function vp8Lie(r: FuzzRandom, p: Uint8Array): [string, Uint8Array] {
  switch (r.int(6)) {
    case 0: {
      // X set, extension bytes missing or truncated
      const b0 = 0x80 | (r.int(2) << 4) | r.int(8);
      const ext = [r.int(256), r.int(256), r.int(256), r.int(256)].slice(0, r.int(4));
      return ["vp8-truncated-descriptor", Uint8Array.from([b0, ...ext])];
    }
    case 1: {
      // S bit and partition index lying on a packet of the stream
      const out = p.length > 0 ? p.slice() : new Uint8Array(1);
      out[0] = (out[0]! & 0xe8) | (r.int(2) << 4) | r.int(8) | (r.chance(0.3) ? 0x40 : 0);
      return ["vp8-start-partition", out];
    }
    case 2: {
      // I/L/T/K flags with M (15-bit picture ID) and too few bytes behind
      const flags = r.int(256);
      const out = concat([0x90, flags], r.bytes(r.int(4)));
      return ["vp8-extension-flags", out];
    }
    case 3: {
      // a key frame start whose frame header lies (start code, sizes, first-partition size)
      const h = Uint8Array.from([0x10, 0, 0, 0x9d, 0x01, 0x2a, 0, 0, 0, 0]);
      h[0] = r.chance(0.5) ? 0x10 | (r.int(8) << 5) : r.int(256) & 0xfe;
      h[1] = r.int(256);
      h[2] = r.int(256);
      if (r.chance(0.4)) h[3 + r.int(3)] = r.int(256);
      for (let k = 6; k < 10; k++) h[k] = r.chance(0.5) ? 0 : r.int(256);
      return ["vp8-frame-header", concat([0x10], h.subarray(0, r.int(11)), r.bytes(r.int(200)))];
    }
    case 4:
      // a descriptor and nothing after it
      return ["vp8-descriptor-only", Uint8Array.from([r.int(256)])];
    default: {
      // the stream's descriptor with one of its extension fields changed
      const out = p.length > 4 ? p.slice() : Uint8Array.from([0x90, 0x80, 0x80, 0x01, 0x00]);
      out[1 + r.int(3)] = r.int(256);
      return ["vp8-descriptor-field", out];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// VP9 payload descriptor lies (RFC 9628 §4.2, scalability structure §4.2.1)

function vp9Lie(r: FuzzRandom, p: Uint8Array): [string, Uint8Array] {
  switch (r.int(6)) {
    case 0: {
      // any flags (I P L F B E V Z) with few bytes behind
      return ["vp9-flags", concat([r.int(256)], r.bytes(r.int(6)))];
    }
    case 1: {
      // flexible mode: P_DIFF chain that never ends (N bit always set) or too long
      const n = 1 + r.int(8);
      const diffs = Array.from({ length: n }, () => (r.int(128) << 1) | (r.chance(0.8) ? 1 : 0));
      return [
        "vp9-p-diff",
        concat([0xd8 | r.int(8), 0x80 | r.int(128), r.int(256)], diffs, r.bytes(r.int(50))),
      ];
    }
    case 2: {
      // scalability structure (V) whose counts lie: N_S, Y sizes, N_G and its P_DIFFs
      const ns = r.int(8);
      const y = r.chance(0.6);
      const g = r.chance(0.6);
      const ss: number[] = [(ns << 5) | (y ? 0x10 : 0) | (g ? 0x08 : 0)];
      const sizes = r.chance(0.5) ? ns + 1 : r.int(ns + 1);
      if (y)
        for (let i = 0; i < sizes; i++) ss.push(r.int(256), r.int(256), r.int(256), r.int(256));
      if (g) {
        const ng = r.chance(0.3) ? 255 : r.int(8);
        ss.push(ng);
        const written = r.chance(0.5) ? ng : r.int(ng + 1);
        for (let i = 0; i < written; i++) {
          const refs = r.int(4);
          ss.push((r.int(8) << 5) | (r.int(2) << 4) | (refs << 2));
          const refWritten = r.chance(0.7) ? refs : r.int(refs + 1);
          for (let k = 0; k < refWritten; k++) ss.push(r.int(256));
        }
      }
      return [
        "vp9-scalability-structure",
        concat([0x8a, 0x80 | r.int(128), r.int(256)], ss, r.bytes(r.int(40))),
      ];
    }
    case 3: {
      // the stream's B/E bits lying (start missing, end early)
      const out = p.length > 0 ? p.slice() : new Uint8Array(1);
      out[0] = (out[0]! & 0xf3) | (r.int(4) << 2);
      return ["vp9-begin-end", out];
    }
    case 4: {
      // non-flexible mode with layer indices and TL0PICIDX, truncated
      const out = concat([0xa0 | r.int(16), 0x80 | r.int(128), r.int(256), r.int(256), r.int(256)]);
      return ["vp9-layer-indices", out.subarray(0, 1 + r.int(5))];
    }
    default: {
      // a start of frame whose VP9 frame header is random
      return [
        "vp9-frame-header",
        concat([0x88, 0x80 | r.int(128), r.int(256)], r.bytes(r.int(30))),
      ];
    }
  }
}

// ---------------------------------------------------------------------------------------------

/** rtpMutator returns the input maker of a stream: (seed, index) → datagram and mutation name. */
export function rtpMutator(options: RtpMutatorOptions): (seed: number, index: number) => RtpInput {
  const { corpus, payloadType, ssrc } = options;
  const seqBase = options.seqBase ?? 1000;
  const tsBase = options.tsBase ?? 90_000;
  const packets = corpus.packets;
  const codecLie =
    corpus.codec === "h264"
      ? h264Lie
      : corpus.codec === "vp8"
        ? vp8Lie
        : corpus.codec === "vp9"
          ? vp9Lie
          : (r: FuzzRandom, p: Uint8Array): [string, Uint8Array] => [
              "audio-payload",
              mutateBytes(r, p),
            ];
  return (seed, index) => {
    const base: CorpusPacket = packets[index % packets.length]!;
    const loop = Math.floor(index / packets.length);
    const h: Header = {
      pt: payloadType,
      seq: seqBase + index,
      ts: tsBase + base.timestamp + loop * corpus.loopTicks,
      ssrc,
      marker: base.marker,
    };
    const rate = fuzzRandom(seed, Math.floor(index / 1000), 1).pick(RATES);
    const r = fuzzRandom(seed, index);
    if (!r.chance(rate)) return { bytes: packet(h, base.payload), mutation: "clean" };
    let mutation: string;
    let bytes: Uint8Array;
    switch (r.int(20)) {
      case 0:
        mutation = "random-bytes";
        bytes = r.bytes(r.chance(0.05) ? 0 : r.int(1500));
        break;
      case 1:
        mutation = "short";
        bytes = packet(h, base.payload).subarray(0, r.int(13));
        break;
      case 2:
        mutation = "truncate";
        bytes = packet(h, base.payload);
        bytes = bytes.subarray(0, r.int(bytes.length));
        break;
      case 3:
        mutation = "bit-flips";
        bytes = packet(h, base.payload);
        for (let k = 0, n = 1 + r.int(8); k < n; k++) bytes[r.int(bytes.length)]! ^= 1 << r.int(8);
        break;
      case 4:
        mutation = "bad-version";
        bytes = packet(h, base.payload);
        bytes[0] = (bytes[0]! & 0x3f) | (r.pick([0, 1, 3]) << 6);
        break;
      case 5: {
        // CSRC count lying (no CSRCs behind it) or true (CSRCs present)
        const cc = 1 + r.int(15);
        const truthful = r.chance(0.4);
        mutation = truthful ? "csrc-true" : "csrc-count-lie";
        bytes = packet(h, base.payload, truthful ? r.bytes(cc * 4) : undefined);
        bytes[0] = (bytes[0]! & 0xf0) | cc;
        if (!truthful && r.chance(0.5)) bytes = bytes.subarray(0, 12 + r.int(cc * 4));
        break;
      }
      case 6: {
        // a real header extension, or one whose length field lies
        const ext = extension(r);
        const truthful = r.chance(0.4);
        mutation = truthful ? "extension-true" : "extension-length-lie";
        if (!truthful) {
          const words = (ext.length - 4) / 4;
          const lie = r.pick([0xffff, words + 1, words + 100, 0x8000, words + 1 + r.int(400)]);
          ext[2] = lie >> 8;
          ext[3] = lie & 0xff;
        }
        bytes = packet(h, base.payload, r.chance(0.1) ? ext.subarray(0, r.int(4)) : ext);
        bytes[0] = bytes[0]! | 0x10;
        break;
      }
      case 7: {
        // padding: true (1..255 octets), or a count of 0, beyond the payload, beyond the packet
        const truthful = r.chance(0.4);
        mutation = truthful ? "padding-true" : "padding-lie";
        const pad = truthful ? 1 + r.int(255) : 1 + r.int(4);
        const body = concat(base.payload, new Uint8Array(pad));
        bytes = packet(h, body);
        bytes[0] = bytes[0]! | 0x20;
        bytes[bytes.length - 1] = truthful
          ? pad
          : r.pick([0, 255, base.payload.length + pad + 1, bytes.length - 11, bytes.length]) & 0xff;
        break;
      }
      case 8:
        mutation = "seq-jump";
        h.seq += r.pick([3001, 40000, 65535, 1 + r.int(65535), -(101 + r.int(2000))]);
        bytes = packet(h, base.payload);
        break;
      case 9:
        mutation = "duplicate-or-late";
        h.seq -= r.int(300);
        bytes = packet(h, base.payload);
        break;
      case 10:
        mutation = "other-ssrc";
        h.ssrc = r.chance(0.5) ? (ssrc + 1) >>> 0 : r.int(2 ** 32);
        bytes = packet(h, base.payload);
        break;
      case 11:
        mutation = "other-payload-type";
        h.pt = r.pick([0, 8, 13, 72, 73, 97, 101, 127, (payloadType + 1) & 0x7f]);
        bytes = packet(h, base.payload);
        break;
      case 12:
        mutation = "timestamp-or-marker";
        if (r.chance(0.5)) h.ts = r.int(2 ** 32);
        else h.marker = !h.marker;
        bytes = packet(h, base.payload);
        break;
      case 13:
        mutation = "empty-payload";
        bytes = packet(h, new Uint8Array(0));
        break;
      case 14:
        mutation = "payload-bytes";
        bytes = packet(h, mutateBytes(r, base.payload));
        break;
      case 15:
        mutation = "bytes";
        bytes = mutateBytes(r, packet(h, base.payload), 6);
        break;
      default: {
        const [name, payload] = codecLie(r, base.payload);
        mutation = name;
        bytes = packet(h, payload);
      }
    }
    if (mutation !== "bytes" && r.chance(0.1)) bytes = mutateBytes(r, bytes, 2);
    return { bytes, mutation };
  };
}
