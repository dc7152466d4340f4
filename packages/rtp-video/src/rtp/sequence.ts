/** SequenceSource hands out 16-bit RTP sequence numbers, one per packet (RFC 3550 §5.1). */
export interface SequenceSource {
  /** next returns the sequence number of the next packet (0..65535, wrapping). */
  next(): number;
}

/**
 * sequenceFrom returns a SequenceSource starting at `start`; without one it starts at a random
 * value, as RFC 3550 §5.1 asks, drawn from `random` (default `Math.random`).
 */
export function sequenceFrom(start?: number, random: () => number = Math.random): SequenceSource {
  let value = start === undefined ? Math.floor(random() * 0x10000) & 0xffff : start & 0xffff;
  return {
    next(): number {
      const v = value;
      value = (value + 1) & 0xffff;
      return v;
    },
  };
}

/**
 * SequenceUnwrapper extends 16-bit sequence numbers to a monotonic counter (RFC 3550 §A.1):
 * a number within half the space ahead of or behind the last one is taken as the nearest.
 */
export class SequenceUnwrapper {
  private last = -1;

  /** unwrap returns the extended sequence number of `seq` (the first one maps to `seq + 2^16`). */
  unwrap(seq: number): number {
    if (this.last < 0) {
      // start one cycle up, so a packet from just before the first stays positive
      this.last = seq + 0x10000;
      return this.last;
    }
    let diff = (seq - (this.last & 0xffff)) & 0xffff;
    if (diff >= 0x8000) diff -= 0x10000;
    const ext = this.last + diff;
    if (ext > this.last) this.last = ext;
    return ext;
  }

  /** reset forgets the history, so the next number starts a new stream. */
  reset(): void {
    this.last = -1;
  }
}

/**
 * TimestampUnwrapper extends 32-bit RTP timestamps across the wrap (RFC 3550 §5.1): a jump of
 * less than 2^31 ticks either way is taken as the nearest.
 */
export class TimestampUnwrapper {
  private last = -1;

  /** unwrap returns the extended timestamp of `ts` (the first one maps to `ts + 2^32`). */
  unwrap(ts: number): number {
    if (this.last < 0) {
      this.last = ts + 0x100000000;
      return this.last;
    }
    let diff = (ts - (this.last % 0x100000000)) >>> 0;
    if (diff >= 0x80000000) diff -= 0x100000000;
    const ext = this.last + diff;
    if (ext > this.last) this.last = ext;
    return ext;
  }

  /** reset forgets the history. */
  reset(): void {
    this.last = -1;
  }
}
