import { RtpVideoError } from "../errors.js";

/** NackPair is one Generic NACK FCI entry (RFC 4585 §6.2.1): a PID and its 16-bit BLP. */
export interface NackPair {
  /** pid is the sequence number of a lost packet. */
  readonly pid: number;
  /** blp has bit i set when packet (pid + i + 1) mod 2^16 is lost too. */
  readonly blp: number;
}

/**
 * nackPairsFromLost packs lost 16-bit sequence numbers into Generic NACK PID/BLP pairs
 * (RFC 4585 §6.2.1), handling the 65535 → 0 wrap.
 *
 * Sequence numbers live on a circle, so the list is first put in "circular order": sorted, then
 * rotated to start just after the widest gap between neighbours, i.e. on the shortest arc holding
 * them all (`[0, 1, 65534, 65535]` becomes `65534, 65535, 0, 1`, one pair `PID=65534 BLP=0x0007`).
 * Each PID then takes the next 16 numbers into its BLP. Duplicates are dropped.
 *
 * werift-rtp 0.8.9's `GenericNack.serialize` is not used: it computes `pid - headPid - 1`
 * without wrapping and keeps the caller's order, so `[65535, 0]` becomes two pairs.
 *
 * Throws `RtpVideoError("BAD_OPTION")` when `lost` is empty (the FCI needs at least one entry)
 * or holds a value that is not an integer in 0..65535.
 */
export function nackPairsFromLost(lost: readonly number[]): NackPair[] {
  if (lost.length === 0) {
    throw new RtpVideoError(
      "BAD_OPTION",
      "a Generic NACK needs at least one lost packet (RFC 4585 §6.2.1)",
    );
  }
  for (const seq of lost) {
    if (!Number.isInteger(seq) || seq < 0 || seq > 0xffff) {
      throw new RtpVideoError("BAD_OPTION", `NACK sequence number ${seq} is not in 0..65535`);
    }
  }
  const ordered = circularOrder(lost);
  const pairs: NackPair[] = [];
  let pid = ordered[0]!;
  let blp = 0;
  for (let i = 1; i < ordered.length; i++) {
    const seq = ordered[i]!;
    const bit = ((seq - pid) & 0xffff) - 1; // 0.. along the arc, as seq follows pid
    if (bit < 16) {
      blp |= 1 << bit;
    } else {
      pairs.push({ pid, blp });
      pid = seq;
      blp = 0;
    }
  }
  pairs.push({ pid, blp });
  return pairs;
}

/**
 * lostFromNackPairs expands PID/BLP pairs into the lost sequence numbers (RFC 4585 §6.2.1), in
 * pair order, each PID before its BLP bits, modulo 2^16, without duplicates.
 */
export function lostFromNackPairs(pairs: readonly NackPair[]): number[] {
  const seen = new Set<number>();
  const lost: number[] = [];
  const add = (seq: number): void => {
    if (!seen.has(seq)) {
      seen.add(seq);
      lost.push(seq);
    }
  };
  for (const { pid, blp } of pairs) {
    add(pid & 0xffff);
    for (let bit = 0; bit < 16; bit++) {
      if ((blp >>> bit) & 1) add((pid + bit + 1) & 0xffff);
    }
  }
  return lost;
}

/**
 * canonicalNackOrder returns `lost` without duplicates in the circular order used by
 * {@link nackPairsFromLost} (what parsing a NACK we serialised gives back).
 */
export function canonicalNackOrder(lost: readonly number[]): number[] {
  return lost.length === 0 ? [] : circularOrder(lost);
}

function circularOrder(lost: readonly number[]): number[] {
  const sorted = [...new Set(lost)].sort((a, b) => a - b);
  // the widest gap, the wrap from the last back to the first included, is where the arc starts
  let start = 0;
  let widest = sorted[0]! + 0x10000 - sorted[sorted.length - 1]!;
  for (let i = 1; i < sorted.length; i++) {
    const gap = sorted[i]! - sorted[i - 1]!;
    if (gap > widest) {
      widest = gap;
      start = i;
    }
  }
  return start === 0 ? sorted : [...sorted.slice(start), ...sorted.slice(0, start)];
}
