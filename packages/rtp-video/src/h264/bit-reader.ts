import { RtpVideoError } from "../errors.js";

/** unescapeRbsp copies a NAL payload to its RBSP, dropping `00 00 03` escapes (H.264 §7.4.1). */
export function unescapeRbsp(src: Uint8Array): Uint8Array {
  const out = new Uint8Array(src.length);
  let o = 0;
  let zeros = 0;
  for (let i = 0; i < src.length; i++) {
    const b = src[i]!;
    if (zeros >= 2 && b === 0x03) {
      // emulation_prevention_three_byte: drop it; the zero run it interrupted restarts.
      zeros = 0;
      continue;
    }
    out[o++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return out.slice(0, o);
}

/** BitReader reads u(n)/ue(v)/se(v) fields (H.264 §7.2, §9.1) from one NAL unit's RBSP. */
export class BitReader {
  readonly #bytes: Uint8Array;
  readonly #totalBits: number;
  #pos = 0;

  /** constructor takes the NAL payload after its 1-byte header, escapes still in place. */
  constructor(payload: Uint8Array) {
    this.#bytes = unescapeRbsp(payload);
    this.#totalBits = this.#bytes.length * 8;
  }

  /** bitsLeft is the number of RBSP bits not yet consumed. */
  get bitsLeft(): number {
    return this.#totalBits - this.#pos;
  }

  /** u reads an n-bit unsigned integer, 0 <= n <= 32 (H.264 §7.2 u(n)). */
  u(n: number): number {
    if (!Number.isInteger(n) || n < 0 || n > 32) {
      throw new RangeError(`BitReader.u: bit count ${n} is outside 0..32`);
    }
    this.#need(n);
    let value = 0;
    for (let i = 0; i < n; i++) {
      // Multiply rather than shift so 32-bit reads stay unsigned.
      value = value * 2 + this.#bit();
    }
    return value;
  }

  /** u1 reads one bit as 0 or 1 (H.264 §7.2 u(1)). */
  u1(): number {
    this.#need(1);
    return this.#bit();
  }

  /** flag reads one bit as a boolean (H.264 §7.2 u(1)). */
  flag(): boolean {
    return this.u1() === 1;
  }

  /** ue reads an unsigned Exp-Golomb code, 0..2^32-2 (H.264 §9.1 ue(v)). */
  ue(): number {
    let leadingZeros = 0;
    while (this.u1() === 0) {
      leadingZeros++;
      if (leadingZeros > 31) {
        throw new RtpVideoError(
          "H264_BAD_SPS",
          "Exp-Golomb code has more than 31 leading zero bits (H.264 §9.1)",
        );
      }
    }
    return 2 ** leadingZeros - 1 + this.u(leadingZeros);
  }

  /** se reads a signed Exp-Golomb code (H.264 §9.1.1 se(v)). */
  se(): number {
    const k = this.ue();
    if (k === 0) return 0;
    return k % 2 === 1 ? (k + 1) / 2 : -(k / 2);
  }

  /** skip advances past n bits (n >= 0). */
  skip(n: number): void {
    if (!Number.isInteger(n) || n < 0) {
      throw new RangeError(`BitReader.skip: bit count ${n} is not a non-negative integer`);
    }
    this.#need(n);
    this.#pos += n;
  }

  #need(n: number): void {
    if (n > this.#totalBits - this.#pos) {
      throw new RtpVideoError(
        "H264_BAD_SPS",
        `RBSP truncated: needed ${n} bit(s) at bit ${this.#pos} of ${this.#totalBits} (H.264 §7.2)`,
      );
    }
  }

  #bit(): number {
    const pos = this.#pos++;
    return (this.#bytes[pos >>> 3]! >>> (7 - (pos & 7))) & 1;
  }
}
