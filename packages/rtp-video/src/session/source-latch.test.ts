import { prng } from "@framewire/test-support";
import { describe, expect, it } from "vitest";
import { type LatchVerdict, SourceLatch, type SourceLatchOptions } from "./source-latch.js";
import type { Address } from "./udp-pair.js";

const REAL: Address = ["192.0.2.10", 20000];
const FORGER: Address = ["198.51.100.7", 4000];

function latch(o: Partial<SourceLatchOptions> = {}): SourceLatch<number> {
  return new SourceLatch<number>({
    strict: false,
    probationPackets: 4,
    timeoutMs: 2000,
    nowMs: 0,
    ...o,
  });
}

/** stream offers `count` in-sequence packets of one SSRC from `from`, 20 ms apart. */
function stream(
  l: SourceLatch<number>,
  from: Address,
  ssrc: number,
  firstSeq: number,
  count: number,
  t0: number,
): LatchVerdict<number>[] {
  const out: LatchVerdict<number>[] = [];
  for (let i = 0; i < count; i++) {
    const seq = (firstSeq + i) & 0xffff;
    out.push(l.offer(from[0], from[1], ssrc, seq, t0 + i * 20, seq));
  }
  return out;
}

describe("SourceLatch: probation (Asterisk strictrtp-like)", () => {
  it("a new source is accepted on its 4th packet in sequence, with the 3 held ones handed back", () => {
    const l = latch();
    const v = stream(l, REAL, 0x1234, 65534, 5, 0); // across the 65535 → 0 wrap
    expect(v.map((x) => x.kind)).toEqual([
      "probation",
      "probation",
      "probation",
      "latched",
      "accept",
    ]);
    expect(v[3]).toEqual({ kind: "latched", held: [65534, 65535, 0], changed: false });
    expect(l.source).toEqual(REAL);
    expect(l.pending).toBe(0);
  });

  it("probationPackets is configurable (1: the first packet latches)", () => {
    expect(latch({ probationPackets: 1 }).offer(...REAL, 1, 1, 0, 1).kind).toBe("latched");
    const six = latch({ probationPackets: 6 });
    expect(stream(six, REAL, 1, 0, 6, 0).map((x) => x.kind)).toEqual([
      ...Array(5).fill("probation"),
      "latched",
    ]);
  });

  it("never latches from a flood of random SSRCs, from one address or from many ports", () => {
    const r = prng(15);
    const one = latch();
    const many = latch();
    for (let i = 0; i < 10_000; i++) {
      const ssrc = Math.floor(r() * 0x100000000);
      const seq = i & 0xffff; // even in sequence: the SSRC changes every packet
      expect(one.offer(...FORGER, ssrc, seq, i, i).kind).toBe("probation");
      expect(many.offer(FORGER[0], 4000 + (i % 500), ssrc, seq, i, i).kind).toBe("probation");
    }
    expect(one.source).toBeUndefined();
    expect(many.source).toBeUndefined();
    // at most 8 sources on probation, each holding ≤ 32 packets: memory stays bounded
    expect(many.pending).toBeLessThanOrEqual(8 * 32);
    expect(one.pending).toBeLessThanOrEqual(32);
    expect(one.releaseLone(1e6, 100)).toBeUndefined();
    expect(many.releaseLone(1e6, 100)).toBeUndefined();
  });

  it("never latches from one SSRC sent out of sequence (random, repeated or skipping numbers)", () => {
    const r = prng(16);
    const l = latch();
    for (let i = 0; i < 5000; i++) {
      const seq = i % 3 === 0 ? Math.floor(r() * 0x10000) : i % 3 === 1 ? 7 : 2 * i;
      expect(l.offer(...FORGER, 0xbad, seq & 0xffff, i, i).kind).toBe("probation");
    }
    expect(l.source).toBeUndefined();
    expect(l.pending).toBe(32);
    expect(l.releaseLone(1e6, 100)).toBeUndefined();
  });

  it("a real stream whose first packets are reordered, duplicated or lost keeps every packet it held", () => {
    const l = latch();
    const seqs = [10, 11, 13, 12, 12, 14, 16, 17, 18, 19];
    const v = seqs.map((q, i) => l.offer(...REAL, 0xcafe, q, i * 20, q));
    expect(v.map((x) => x.kind)).toEqual([...Array(9).fill("probation"), "latched"]);
    expect(v[9]).toMatchObject({ held: seqs.slice(0, 9) });
    // another SSRC from the same address starts afresh: what the first one held is dropped
    const other = latch();
    other.offer(...REAL, 1, 10, 0, 10);
    other.offer(...REAL, 2, 11, 1, 11);
    expect(other.pending).toBe(1);
  });

  it("a real stream wins over a flood of random SSRCs arriving at the same time", () => {
    const r = prng(17);
    const l = latch();
    const kinds: string[] = [];
    for (let i = 0; i < 4; i++) {
      l.offer(...FORGER, Math.floor(r() * 0x100000000), i, i * 10, -1);
      kinds.push(l.offer(...REAL, 0xcafe, 100 + i, i * 10 + 5, i).kind);
    }
    expect(kinds).toEqual(["probation", "probation", "probation", "latched"]);
    expect(l.source).toEqual(REAL);
    // once latched and live, the flood is foreign
    expect(l.offer(...FORGER, 1, 1, 50, -1).kind).toBe("foreign");
  });
});

describe("SourceLatch: the expected source (SDP / configuration)", () => {
  it("strict: accepted at once; another source, even in sequence, is refused while it is live", () => {
    const l = latch({ expected: REAL, strict: true });
    expect(l.source).toEqual(REAL);
    // before the expected source's first packet (it counts as live from the start)
    expect(stream(l, FORGER, 0xbad, 0, 50, 0).every((v) => v.kind === "foreign")).toBe(true);
    expect(l.offer(...REAL, 0xcafe, 9, 1000, 9).kind).toBe("accept");
    expect(stream(l, FORGER, 0xbad, 50, 50, 1000).every((v) => v.kind === "foreign")).toBe(true);
    expect(l.source).toEqual(REAL);
  });

  it("strict: after the expected source was silent for the timeout, a probationed one takes over; the expected one takes it back at once", () => {
    const l = latch({ expected: REAL, strict: true, timeoutMs: 2000 });
    expect(l.offer(...REAL, 0xcafe, 1, 100, 1).kind).toBe("accept");
    expect(l.offer(...FORGER, 0x77, 1, 2099, 1).kind).toBe("foreign"); // silent 1999 ms
    const v = stream(l, FORGER, 0x77, 2, 4, 2100);
    expect(v.map((x) => x.kind)).toEqual(["probation", "probation", "probation", "latched"]);
    expect(v[3]).toMatchObject({ changed: true });
    expect(l.source).toEqual(FORGER);
    expect(l.offer(...REAL, 0xcafe, 2, 3000, 2)).toEqual({
      kind: "latched",
      held: [],
      changed: true,
    });
    expect(l.source).toEqual(REAL);
  });

  it("not strict (only the address we send to): never heard, it does not block a source behind NAT", () => {
    const l = latch({ expected: REAL });
    expect(l.source).toBeUndefined();
    expect(stream(l, FORGER, 0x77, 0, 4, 0)[3]!.kind).toBe("latched");
    expect(l.offer(...REAL, 1, 1, 100, 1)).toMatchObject({ kind: "latched", changed: true });
  });
});

describe("SourceLatch: re-latching after silence", () => {
  it("a latched source is replaced only after it was silent for the timeout, and only by a probationed one", () => {
    const l = latch({ timeoutMs: 1500 });
    stream(l, REAL, 0xcafe, 0, 10, 0); // last packet at 180 ms
    expect(stream(l, FORGER, 0x77, 0, 10, 1000).every((v) => v.kind === "foreign")).toBe(true);
    // the forger's packets while the source was live do not count towards its probation
    const after = stream(l, FORGER, 0x77, 10, 4, 1680);
    expect(after.map((x) => x.kind)).toEqual(["probation", "probation", "probation", "latched"]);
    expect(l.source).toEqual(FORGER);
  });

  it("a silent source is not replaced by random SSRCs or out-of-sequence packets", () => {
    const r = prng(18);
    const l = latch({ timeoutMs: 1000 });
    stream(l, REAL, 0xcafe, 0, 10, 0);
    for (let i = 0; i < 1000; i++) {
      l.offer(...FORGER, Math.floor(r() * 0x100000000), i, 5000 + i, -1);
      l.offer(FORGER[0], 5000, 0x99, Math.floor(r() * 0x10000), 5000 + i, -1);
    }
    expect(l.source).toEqual(REAL);
  });
});

describe("SourceLatch: a short first stream", () => {
  it("a lone clean source with fewer packets than the probation is released after the hold, not confirmed", () => {
    const l = latch();
    expect(l.offer(...REAL, 0xcafe, 10, 0, 10).kind).toBe("probation");
    expect(l.releaseLone(99, 100)).toBeUndefined();
    expect(l.releaseLone(100, 100)).toEqual([10]);
    expect(l.source).toEqual(REAL);
    // not confirmed: a source passing a full probation may still replace it at once
    expect(stream(l, FORGER, 0x77, 0, 4, 200)[3]).toMatchObject({ kind: "latched", changed: true });
  });

  it("no release when another source, or a broken sequence, was seen", () => {
    const two = latch();
    two.offer(...REAL, 0xcafe, 10, 0, 10);
    two.offer(...FORGER, 0x77, 1, 1, 1);
    expect(two.releaseLone(1000, 100)).toBeUndefined();
    const broken = latch();
    broken.offer(...REAL, 0xcafe, 10, 0, 10);
    broken.offer(...REAL, 0xcafe, 12, 1, 12);
    expect(broken.releaseLone(1000, 100)).toBeUndefined();
    const spoiled = latch();
    spoiled.offer(...REAL, 0xcafe, 10, 0, 10);
    spoiled.spoil(...REAL);
    expect(spoiled.releaseLone(1000, 100)).toBeUndefined();
  });
});

describe("SourceLatch: RTCP (admitProven)", () => {
  it("accepts the expected source, refuses an unproven one, and a proven one only when a change is allowed", () => {
    const l = latch({ expected: REAL, strict: true, timeoutMs: 1000 });
    expect(l.admitProven(...REAL, 10, false).kind).toBe("accept");
    expect(l.admitProven(...FORGER, 20, true).kind).toBe("foreign"); // expected live
    expect(l.admitProven(...FORGER, 2000, false).kind).toBe("foreign"); // silent, but unproven
    expect(l.admitProven(...FORGER, 2000, true)).toMatchObject({ kind: "latched", changed: true });
    expect(l.admitProven(...REAL, 2100, false)).toMatchObject({ kind: "latched", changed: true });
  });
});
