import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FrameBuffer } from "./frame-buffer.js";
import type { FrameSink } from "./frame-sink.js";

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
        (ops, slab) => {
          const buf = new FrameBuffer(1 << 20, slab);
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
          expect(frame.byteLength).toBe(want.length);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("frames never overlap and are never written again, whatever is written or dropped after them", () => {
    // frames of random sizes, some taken, some dropped (cleared unfinished), with small slabs so
    // that frames move between slabs, grow past a slab and retire slabs
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: 3000 }), fc.boolean(), fc.nat({ max: 5 })), {
          minLength: 1,
          maxLength: 60,
        }),
        fc.integer({ min: 16, max: 2048 }),
        (frames, slab) => {
          const buf = new FrameBuffer(1 << 20, slab);
          const taken: { view: Uint8Array; fill: number }[] = [];
          frames.forEach(([size, keep, head], i) => {
            const fill = (i % 250) + 1;
            const src = new Uint8Array(head + size + 3).fill(fill);
            // write it in pieces, through both write() and writeByte()
            let at = head;
            while (at < head + size) {
              const end = Math.min(head + size, at + 700);
              buf.write(src, at, end);
              at = end;
              if (at < head + size) {
                buf.writeByte(fill);
                at++;
              }
            }
            if (keep) taken.push({ view: buf.take(), fill });
            buf.clear();
            expect(buf.capacity).toBeLessThanOrEqual(1 << 20);
          });
          for (const { view, fill } of taken) expect(view.every((b) => b === fill)).toBe(true);
          // views of one slab are disjoint
          for (let i = 0; i < taken.length; i++) {
            for (let k = i + 1; k < taken.length; k++) {
              const a = taken[i]!.view;
              const b = taken[k]!.view;
              if (a.buffer !== b.buffer || a.length === 0 || b.length === 0) continue;
              const disjoint =
                a.byteOffset + a.length <= b.byteOffset || b.byteOffset + b.length <= a.byteOffset;
              expect(disjoint).toBe(true);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("take() hands out a frame later writes do not change", () => {
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

  it("retires a slab grown for one large frame with that frame", () => {
    const buf = new FrameBuffer();
    const big = new Uint8Array(3 << 20);
    buf.write(big, 0, big.length);
    expect(buf.capacity).toBeGreaterThanOrEqual(3 << 20);
    const frame = buf.take();
    expect(frame.buffer.byteLength).toBeGreaterThanOrEqual(3 << 20);
    buf.clear();
    buf.write(big, 0, 1000);
    expect(buf.capacity).toBeLessThanOrEqual(256 * 1024);
    expect(buf.take().buffer).not.toBe(frame.buffer);
  });

  it("cuts many small frames from one slab (one allocation for several frames)", () => {
    const buf = new FrameBuffer();
    const src = new Uint8Array(30_000).fill(7);
    const buffers = new Set<ArrayBufferLike>();
    for (let i = 0; i < 70; i++) {
      buf.write(src, 0, src.length);
      buffers.add(buf.take().buffer);
      buf.clear();
    }
    // a 256 KiB slab holds 8 frames of 30 000 bytes (the 22 144 left are under an eighth)
    expect(buffers.size).toBe(Math.ceil(70 / 8));
  });
});

describe("FrameBuffer unit marks", () => {
  it("hands over the units marked, forgets those a truncate or clear removes, caps their number", () => {
    const b = new FrameBuffer(1 << 20);
    b.write(new Uint8Array(100).fill(1), 0, 100);
    b.markUnit(4, 40);
    b.markUnit(44, 100);
    b.truncate(60); // the second unit is cut
    expect(b.takeUnits()).toEqual([4, 40]);
    expect(b.takeUnits()).toEqual([]);
    b.markUnit(4, 20);
    b.clear();
    expect(b.takeUnits()).toEqual([]);
    for (let k = 0; k < 1025; k++) b.markUnit(4 * k, 4 * k + 2);
    expect(b.takeUnits()).toEqual([]); // too many to record: none
    b.clear();
    b.markUnit(4, 8);
    expect(b.takeUnits()).toEqual([4, 8]);
  });
});

describe("FrameBuffer as a FrameSink", () => {
  it("changes only through the sink's methods: start codes, units, keyframe, resolution, clean start, corrupt; clear resets them", () => {
    const buffer = new FrameBuffer(1024, 64);
    const sink: FrameSink = buffer;
    expect(sink.writeStartCode(true)).toBe(true);
    sink.writeByte(0x67);
    expect(sink.writeStartCode(false)).toBe(true);
    sink.write(Uint8Array.of(9, 0x68, 0xce, 9), 1, 3);
    sink.countUnit();
    sink.countUnit();
    sink.markKeyframe();
    sink.setResolution(640, 360);
    sink.setCleanStart(true);
    expect(Array.from(sink.bytes.subarray(0, sink.length))).toEqual([
      0, 0, 0, 1, 0x67, 0, 0, 1, 0x68, 0xce,
    ]);
    expect([sink.units, buffer.keyframe, buffer.width, buffer.height, buffer.cleanStart]).toEqual([
      2,
      true,
      640,
      360,
      true,
    ]);
    sink.setUnits(5);
    expect(sink.units).toBe(5);
    expect(sink.corrupt).toBe(false);
    sink.markCorrupt();
    expect(sink.corrupt).toBe(true);
    buffer.clear();
    expect([sink.length, sink.units, buffer.keyframe, buffer.width, buffer.cleanStart]).toEqual([
      0,
      0,
      false,
      0,
      false,
    ]);
    expect(sink.corrupt).toBe(false);
  });

  it("writeStartCode past the cap returns false and sets overflowed", () => {
    const sink: FrameSink = new FrameBuffer(6, 6);
    sink.write(Uint8Array.of(1, 2, 3), 0, 3);
    expect(sink.writeStartCode(true)).toBe(false);
    expect(sink.overflowed).toBe(true);
    expect(sink.length).toBe(3);
  });

  it("has no public mutable fields: its state is read-only to the type checker", () => {
    const buffer = new FrameBuffer();
    const assign = () => {
      // @ts-expect-error length is read-only
      buffer.length = 3;
      // @ts-expect-error corrupt is read-only
      buffer.corrupt = true;
    };
    expect(typeof assign).toBe("function");
  });
});
