import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FrameBuffer } from "./frame-buffer.js";

// a write: some bytes and the range of them to append (headers of 0..6 bytes, tails of 0..3)
const write = fc
  .tuple(fc.nat({ max: 6 }), fc.uint8Array({ maxLength: 300 }), fc.nat({ max: 3 }))
  .map(([head, body, tail]) => {
    const src = new Uint8Array(head + body.length + tail).fill(0xee);
    src.set(body, head);
    return { src, start: head, end: head + body.length };
  });

describe("FrameBuffer", () => {
  it("holds exactly the concatenation of what was written, whatever the write sizes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(write, fc.nat({ max: 255 })), { maxLength: 40 }),
        fc.integer({ min: 1, max: 4096 }),
        (ops, initial) => {
          const buf = new FrameBuffer(1 << 20, initial);
          const want: number[] = [];
          for (const op of ops) {
            if (typeof op === "number") {
              buf.writeByte(op);
              want.push(op);
            } else {
              buf.write(op.src, op.start, op.end);
              want.push(...op.src.subarray(op.start, op.end));
            }
          }
          expect([...buf.bytes.subarray(0, buf.length)]).toEqual(want);
          const frame = buf.take();
          expect([...frame]).toEqual(want);
          expect(frame.buffer.byteLength).toBe(want.length); // an exact-size copy
        },
      ),
      { numRuns: 500 },
    );
  });

  it("take() hands out a copy: later writes do not change an earlier frame", () => {
    const buf = new FrameBuffer();
    buf.write(new Uint8Array(100).fill(1), 0, 100);
    const first = buf.take();
    buf.clear();
    buf.write(new Uint8Array(102).fill(2), 2, 102);
    expect(first.every((b) => b === 1)).toBe(true);
    expect(buf.take().every((b) => b === 2)).toBe(true);
  });

  it("marks overflow at the cap instead of growing, also for a write whose source runs on", () => {
    const buf = new FrameBuffer(100, 16);
    const src = new Uint8Array(200).fill(9);
    buf.write(src, 2, 90);
    expect(buf.overflowed).toBe(false);
    expect(buf.length).toBe(88);
    buf.write(src, 2, 40);
    expect(buf.overflowed).toBe(true);
    expect(buf.length).toBe(88);
    expect(buf.bytes.length).toBeLessThanOrEqual(100);
  });

  it("gives back storage grown by one large frame once frames are small again", () => {
    const buf = new FrameBuffer();
    const big = new Uint8Array(3 << 20);
    buf.write(big, 0, big.length);
    buf.take();
    expect(buf.bytes.length).toBeGreaterThanOrEqual(3 << 20);
    buf.clear();
    buf.write(big, 0, 1000);
    buf.take();
    expect(buf.bytes.length).toBeLessThan(1 << 20);
  });
});
