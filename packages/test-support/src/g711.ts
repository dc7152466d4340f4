// G.711 µ-law (PCMU) and A-law (PCMA), written here from ITU-T G.711 (as Sun's reference g711.c
// lays it out) so the media checks decode RTP audio independently of video-bridge's codec.

/** G711Codec names the two G.711 laws by their RTP encoding names (RFC 3551 §4.5.14). */
export type G711Codec = "pcmu" | "pcma";

function ulawToLinear(u: number): number {
  const v = ~u & 0xff;
  const t = (((v & 0x0f) << 3) + 0x84) << ((v & 0x70) >> 4);
  return v & 0x80 ? 0x84 - t : t - 0x84;
}

function alawToLinear(a: number): number {
  const v = a ^ 0x55;
  const seg = (v & 0x70) >> 4;
  let t = (v & 0x0f) << 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return v & 0x80 ? t : -t;
}

const ULAW_END = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];
const ALAW_END = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];

function segment(value: number, ends: readonly number[]): number {
  const seg = ends.findIndex((end) => value <= end);
  return seg < 0 ? 8 : seg;
}

function linearToUlaw(sample: number): number {
  let pcm = sample >> 2;
  let mask = 0xff;
  if (pcm < 0) {
    pcm = -pcm;
    mask = 0x7f;
  }
  pcm = Math.min(pcm, 8159) + 0x21;
  const seg = segment(pcm, ULAW_END);
  if (seg >= 8) return 0x7f ^ mask;
  return ((seg << 4) | ((pcm >> (seg + 1)) & 0x0f)) ^ mask;
}

function linearToAlaw(sample: number): number {
  let pcm = sample >> 3;
  let mask = 0xd5;
  if (pcm < 0) {
    mask = 0x55;
    pcm = -pcm - 1;
  }
  const seg = segment(pcm, ALAW_END);
  if (seg >= 8) return 0x7f ^ mask;
  const mantissa = seg < 2 ? (pcm >> 1) & 0x0f : (pcm >> seg) & 0x0f;
  return ((seg << 4) | mantissa) ^ mask;
}

const DECODE = {
  pcmu: Int16Array.from({ length: 256 }, (_, i) => ulawToLinear(i)),
  pcma: Int16Array.from({ length: 256 }, (_, i) => alawToLinear(i)),
} as const;

/** g711Decode expands G.711 code words (one byte a sample) to 16-bit linear samples. */
export function g711Decode(codec: G711Codec, bytes: Uint8Array): Int16Array {
  const table = DECODE[codec];
  const out = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = table[bytes[i]!]!;
  return out;
}

/** g711Encode compresses 16-bit linear samples to G.711 code words (one byte a sample). */
export function g711Encode(codec: G711Codec, samples: Int16Array): Uint8Array {
  const encode = codec === "pcmu" ? linearToUlaw : linearToAlaw;
  const out = new Uint8Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = encode(samples[i]!);
  return out;
}
