import { describe, expect, it } from "vitest";
import { SequenceUnwrapper, sequenceFrom, TimestampUnwrapper } from "./sequence.js";

describe("sequence numbers (RFC 3550 §5.1, §A.1)", () => {
  it("sequenceFrom wraps 65535 → 0", () => {
    const s = sequenceFrom(65534);
    expect([s.next(), s.next(), s.next()]).toEqual([65534, 65535, 0]);
  });

  it("sequenceFrom starts at a random value from the injected source", () => {
    expect(sequenceFrom(undefined, () => 0.5).next()).toBe(32768);
    expect(sequenceFrom(undefined, () => 0.99999999).next()).toBe(65535);
  });

  it("SequenceUnwrapper extends across the wrap, forwards and backwards", () => {
    const u = new SequenceUnwrapper();
    const a = u.unwrap(65534);
    expect(u.unwrap(65535) - a).toBe(1);
    expect(u.unwrap(0) - a).toBe(2);
    expect(u.unwrap(65533) - a).toBe(-1); // late packet from before the wrap
    expect(u.unwrap(1) - a).toBe(3);
  });

  it("TimestampUnwrapper extends 32-bit timestamps across the wrap", () => {
    const u = new TimestampUnwrapper();
    const a = u.unwrap(0xffffff00);
    expect(u.unwrap(0x100) - a).toBe(0x200);
    expect(u.unwrap(0xfffffff0) - a).toBe(0xf0); // earlier frame (B-frame order)
    expect(u.unwrap(0x80000000) - a).toBe(0x80000100);
  });
});
