import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readIvf } from "@framewire/test-support";
import { ffmpegDecodeFile, itWithPeers, startChild } from "@framewire/test-support/peers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hex, rng } from "../../test/gen.js";
import { RtpVideoError } from "../errors.js";
import { FrameAssembler } from "../frame-assembler.js";
import type { KeyframeNeeded } from "../frame-assembler-types.js";
import { FrameBuffer } from "../frame-buffer.js";
import type { RtpPacket } from "../rtp/rtp-packet.js";
import { RtpPacketizer } from "../rtp/rtp-packetizer.js";
import { sequenceFrom } from "../rtp/sequence.js";
import type { VideoFrame } from "../video-frame.js";
import { Vp8Depacketizer } from "./vp8-depacketizer.js";
import { Vp8Packetizer, type Vp8PictureIdMode } from "./vp8-packetizer.js";
import {
  parseVp8FrameHeader,
  parseVp8PayloadDescriptor,
  vp8DescriptorLength,
} from "./vp8-payload.js";

// ---------------------------------------------------------------------------
// Helpers

/** The first 10 bytes of a real libvpx key frame (320x240): tag, start code, width, height. */
const REAL_KEYFRAME_HEADER = "70 6e 00 9d 01 2a 40 01 f0 00";

/**
 * keyframe makes a VP8 key frame of `size` bytes (at least 10): a frame tag with P = 0, the
 * start code and the size (RFC 6386 §9.1), then random bytes.
 */
function keyframe(width: number, height: number, size: number, random: () => number): Uint8Array {
  const f = new Uint8Array(Math.max(10, size));
  const first = Math.min(f.length - 10, 0x7ffff);
  f[0] = 0x10 | ((first & 7) << 5); // show_frame, version 0, P = 0
  f[1] = (first >>> 3) & 0xff;
  f[2] = first >>> 11;
  f.set([0x9d, 0x01, 0x2a, width & 0xff, width >>> 8, height & 0xff, height >>> 8], 3);
  for (let i = 10; i < f.length; i++) f[i] = Math.floor(random() * 256);
  return f;
}

/** interframe makes a VP8 interframe of `size` bytes: P = 1, then random bytes. */
function interframe(size: number, random: () => number): Uint8Array {
  const f = new Uint8Array(Math.max(1, size));
  for (let i = 0; i < f.length; i++) f[i] = Math.floor(random() * 256);
  f[0] = f[0]! | 0x01;
  return f;
}

/** firstDifference is the index where two byte arrays differ, or -1 (fast, unlike toEqual). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

function toHex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(" ");
}

/** run feeds payloads with consecutive sequence numbers into one frame and closes it. */
function run(payloads: (string | Uint8Array)[], firstSeq = 100, maxBytes?: number) {
  const d = new Vp8Depacketizer();
  const out = new FrameBuffer(maxBytes);
  payloads.forEach((p, i) => {
    d.push(typeof p === "string" ? hex(p) : p, (firstSeq + i) & 0xffff, out);
  });
  d.endFrame(out);
  return { d, out, bytes: toHex(out.bytes.subarray(0, out.length)) };
}

/** packetizeAll collects (copies of) the payloads of one frame. */
function packetizeAll(
  p: Vp8Packetizer,
  frame: Uint8Array,
): { payload: Uint8Array; last: boolean }[] {
  const out: { payload: Uint8Array; last: boolean }[] = [];
  const count = p.packetize(frame, (payload, last) => out.push({ payload: payload.slice(), last }));
  expect(count).toBe(out.length);
  return out;
}

// ---------------------------------------------------------------------------
// Payload descriptor

describe("parseVp8PayloadDescriptor (RFC 7741 §4.2)", () => {
  it("reads the §4.6 key frame example: X=1, S=1, PID=0, I=1, 7-bit PictureID 17", () => {
    expect(parseVp8PayloadDescriptor(hex("90 80 11 50"))).toEqual({
      length: 3,
      nonReference: false,
      partitionStart: true,
      partitionId: 0,
      pictureId: 17,
      pictureIdBits: 7,
      tl0PicIdx: undefined,
      temporalId: undefined,
      layerSync: undefined,
      keyIdx: undefined,
    });
  });

  it("reads the §4.6 non-discardable interframe example without extension: X=0, S=1", () => {
    const d = parseVp8PayloadDescriptor(hex("10 51"));
    expect(d).toMatchObject({ length: 1, partitionStart: true, partitionId: 0 });
    expect(d?.pictureId).toBeUndefined();
  });

  it("reads the §4.6 discardable interframe example: N=1, PictureID 18", () => {
    expect(parseVp8PayloadDescriptor(hex("b0 80 12 51"))).toMatchObject({
      length: 3,
      nonReference: true,
      partitionStart: true,
      pictureId: 18,
    });
  });

  it("reads the §4.6 long PictureID example: M=1, 15-bit PictureID 4711", () => {
    expect(parseVp8PayloadDescriptor(hex("90 80 92 67 50"))).toMatchObject({
      length: 4,
      pictureId: 4711,
      pictureIdBits: 15,
    });
  });

  it("reads the §4.6 separate-partition examples: S=1 PID=1, then S=0 PID=1", () => {
    expect(parseVp8PayloadDescriptor(hex("91 80 11 aa"))).toMatchObject({
      partitionStart: true,
      partitionId: 1,
      pictureId: 17,
    });
    expect(parseVp8PayloadDescriptor(hex("81 80 11 aa"))).toMatchObject({
      partitionStart: false,
      partitionId: 1,
    });
  });

  it("reads every optional field: PictureID, TL0PICIDX, TID, Y, KEYIDX", () => {
    // I L T K = 1111; TID = 3, Y = 1, KEYIDX = 3
    expect(parseVp8PayloadDescriptor(hex("90 f0 92 67 05 e3 aa"))).toEqual({
      length: 6,
      nonReference: false,
      partitionStart: true,
      partitionId: 0,
      pictureId: 4711,
      pictureIdBits: 15,
      tl0PicIdx: 5,
      temporalId: 3,
      layerSync: true,
      keyIdx: 3,
    });
  });

  it("uses one TID/Y/KEYIDX byte for T or K alone, and reads only the field enabled", () => {
    const t = parseVp8PayloadDescriptor(hex("80 20 43 aa"));
    expect(t).toMatchObject({ length: 3, temporalId: 1, layerSync: false, keyIdx: undefined });
    const k = parseVp8PayloadDescriptor(hex("80 10 43 aa"));
    expect(k).toMatchObject({ length: 3, temporalId: undefined, keyIdx: 3 });
    const l = parseVp8PayloadDescriptor(hex("80 40 07 aa"));
    expect(l).toMatchObject({ length: 3, tl0PicIdx: 7, temporalId: undefined });
  });

  it("ignores the reserved bits (R in the first byte, RSV in the extension)", () => {
    expect(parseVp8PayloadDescriptor(hex("d8 8f 11 aa"))).toEqual(
      parseVp8PayloadDescriptor(hex("90 80 11 aa")),
    );
  });

  const valid = ["10", "90 80 11", "90 80 92 67", "b0 c0 12 05", "90 f0 92 67 05 e3", "80 30 e3"];
  it.each(valid)("refuses every truncation of the descriptor %s", (d) => {
    const bytes = hex(d);
    expect(vp8DescriptorLength(bytes)).toBe(bytes.length);
    for (let n = 0; n < bytes.length; n++) {
      const cut = bytes.subarray(0, n);
      expect(vp8DescriptorLength(cut)).toBe(-1);
      expect(parseVp8PayloadDescriptor(cut)).toBeUndefined();
    }
  });

  it("never throws, and never reads past the payload, on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8 }), (bytes) => {
        const d = parseVp8PayloadDescriptor(bytes);
        if (d !== undefined) expect(d.length).toBeLessThanOrEqual(bytes.length);
        expect(vp8DescriptorLength(bytes)).toBe(d === undefined ? -1 : d.length);
      }),
    );
  });
});

// ---------------------------------------------------------------------------
// Frame header

describe("parseVp8FrameHeader (RFC 6386 §9.1)", () => {
  it("reads a real libvpx key frame header: 320x240, shown, first partition 883 bytes", () => {
    expect(parseVp8FrameHeader(hex(REAL_KEYFRAME_HEADER))).toEqual({
      keyframe: true,
      version: 0,
      showFrame: true,
      firstPartitionSize: 883,
      width: 320,
      height: 240,
      horizontalScale: 0,
      verticalScale: 0,
    });
  });

  it("separates the 2-bit scale from the 14-bit size", () => {
    const h = parseVp8FrameHeader(hex("70 6e 00 9d 01 2a 40 41 f0 80"));
    expect(h).toMatchObject({ width: 320, height: 240, horizontalScale: 1, verticalScale: 2 });
  });

  it("reads an interframe tag (P = 1) from three bytes", () => {
    expect(parseVp8FrameHeader(hex("d1 0c 00"))).toMatchObject({
      keyframe: false,
      showFrame: true,
      width: 0,
    });
  });

  it("refuses short frames, a bad start code and a zero size", () => {
    expect(parseVp8FrameHeader(hex("d1 0c"))).toBeUndefined();
    expect(parseVp8FrameHeader(hex("70 6e 00 9d 01 2a 40 01 f0"))).toBeUndefined();
    expect(parseVp8FrameHeader(hex("70 6e 00 9d 01 2b 40 01 f0 00"))).toBeUndefined();
    expect(parseVp8FrameHeader(hex("70 6e 00 9d 01 2a 00 c0 f0 00"))).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------
// Depacketizer

describe("Vp8Depacketizer", () => {
  it("strips the descriptor and detects a key frame with its resolution (§4.3)", () => {
    const { out, d, bytes } = run([`90 80 11 ${REAL_KEYFRAME_HEADER} 01 02 03`]);
    expect(bytes).toBe(`${REAL_KEYFRAME_HEADER} 01 02 03`);
    expect(out.keyframe).toBe(true);
    expect([out.width, out.height]).toEqual([320, 240]);
    expect(out.cleanStart).toBe(true);
    expect(out.corrupt).toBe(false);
    expect(out.units).toBe(1);
    expect(d.pending).toBe(false);
  });

  it("joins the fragments of an interframe, without a resolution", () => {
    const { out, bytes } = run(["90 80 92 67 d1 0c 00 aa", "80 80 92 67 bb cc", "80 80 92 67 dd"]);
    expect(bytes).toBe("d1 0c 00 aa bb cc dd");
    expect(out.keyframe).toBe(false);
    expect([out.width, out.height]).toEqual([0, 0]);
    expect(out.cleanStart).toBe(true);
    expect(out.corrupt).toBe(false);
    expect(out.units).toBe(3);
  });

  it("accepts later partitions in their own packets (§4.6: S=1 PID=1, S=0 PID=1, S=1 PID=2)", () => {
    const { out, bytes } = run(["90 80 11 d1 0c 00", "91 80 11 aa", "81 80 11 bb", "92 80 11 cc"]);
    expect(bytes).toBe("d1 0c 00 aa bb cc");
    expect(out.corrupt).toBe(false);
  });

  it("reads a key frame header split over several packets", () => {
    const h = REAL_KEYFRAME_HEADER.split(" ");
    const { out, bytes } = run([
      `10 ${h.slice(0, 2).join(" ")}`,
      `00 ${h.slice(2, 7).join(" ")}`,
      `00 ${h.slice(7).join(" ")} ee`,
    ]);
    expect(bytes).toBe(`${REAL_KEYFRAME_HEADER} ee`);
    expect(out.keyframe).toBe(true);
    expect([out.width, out.height]).toEqual([320, 240]);
  });

  it("marks corrupt a key frame without the start code", () => {
    const { out, d } = run(["10 70 6e 00 9d 01 2b 40 01 f0 00 aa"]);
    expect(out.corrupt).toBe(true);
    expect(out.keyframe).toBe(false);
    expect(d.dropped["bad-keyframe-header"]).toBe(1);
  });

  it("marks corrupt a key frame too short for its header when the frame ends", () => {
    const { out, d } = run(["10 70 6e 00 9d 01"]);
    expect(out.corrupt).toBe(true);
    expect(d.dropped["bad-keyframe-header"]).toBe(1);
  });

  it("marks corrupt a frame whose first packet is not the start of partition 0", () => {
    for (const first of ["00 aa", "01 aa", "11 aa", "80 80 11 aa"]) {
      const { out, d, bytes } = run([first, "00 bb"]);
      expect(out.corrupt).toBe(true);
      expect(out.cleanStart).toBe(false);
      expect(d.dropped["missing-frame-start"]).toBe(1);
      expect(bytes).toBe("");
    }
  });

  it("marks corrupt a second frame start inside one frame", () => {
    const { out, d } = run(["10 d1 0c 00", "10 d1 0c 00"]);
    expect(out.corrupt).toBe(true);
    expect(d.dropped["unexpected-frame-start"]).toBe(1);
  });

  it("marks corrupt a frame whose sequence numbers skip, and counts it", () => {
    const d = new Vp8Depacketizer();
    const out = new FrameBuffer();
    d.push(hex("10 d1 0c 00"), 10, out);
    d.push(hex("00 aa"), 12, out);
    d.endFrame(out);
    expect(out.corrupt).toBe(true);
    expect(d.dropped["missing-packet"]).toBe(1);
  });

  it("follows the sequence number across its wrap, and restarts it with each frame", () => {
    expect(run(["10 d1 0c 00", "00 aa", "00 bb"], 65535).out.corrupt).toBe(false);
    const d = new Vp8Depacketizer();
    const out = new FrameBuffer();
    d.push(hex("10 d1 0c 00"), 10, out);
    d.endFrame(out);
    out.clear();
    d.push(hex("10 d1 0c 00"), 500, out);
    d.endFrame(out);
    expect(out.corrupt).toBe(false);
    expect(d.dropped["missing-packet"]).toBe(0);
  });

  it("forgets the frame on reset: a continuation after it has no frame start", () => {
    const d = new Vp8Depacketizer();
    const out = new FrameBuffer();
    d.push(hex("10 d1 0c 00"), 10, out);
    d.reset();
    out.clear();
    d.push(hex("00 aa"), 11, out);
    expect(out.corrupt).toBe(true);
    expect(d.dropped["missing-frame-start"]).toBe(1);
  });

  it("counts empty payloads and descriptor-only payloads without corrupting the frame", () => {
    const { out, d, bytes } = run(["", "10 d1 0c 00", "80 80 11", "00 aa"]);
    expect(d.dropped["empty-payload"]).toBe(1);
    expect(d.dropped["empty-vp8-payload"]).toBe(1);
    expect(out.corrupt).toBe(false);
    expect(bytes).toBe("d1 0c 00 aa");
  });

  it("drops a payload whose descriptor is truncated and marks the frame corrupt", () => {
    for (const p of ["80", "90 80", "90 80 92", "90 c0 11", "90 20"]) {
      const { out, d } = run(["10 d1 0c 00", p]);
      expect(d.dropped["descriptor-truncated"]).toBe(1);
      expect(out.corrupt).toBe(true);
    }
  });

  it("counts a frame larger than the buffer's cap", () => {
    const { out, d } = run(["10 d1 0c 00 01 02 03 04", "00 05 06 07 08 09 0a 0b"], 1, 12);
    expect(out.overflowed).toBe(true);
    expect(out.corrupt).toBe(true);
    expect(d.dropped["frame-too-large"]).toBe(1);
  });

  it("never throws on arbitrary payloads and sequence numbers", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.uint8Array({ maxLength: 24 }), fc.integer({ min: 0, max: 0xffff })), {
          maxLength: 12,
        }),
        fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 12 }),
        (packets, actions) => {
          const d = new Vp8Depacketizer();
          const out = new FrameBuffer(64);
          packets.forEach(([payload, seq], i) => {
            d.push(payload, seq, out);
            if (actions[i] === 1) {
              d.endFrame(out);
              out.clear();
            } else if (actions[i] === 2) {
              d.reset();
              out.clear();
            }
          });
          d.endFrame(out);
          expect(out.length).toBeLessThanOrEqual(64);
        },
      ),
    );
  });
});

// ---------------------------------------------------------------------------
// Packetizer

describe("Vp8Packetizer", () => {
  it("writes X=1, I=1 and a 15-bit PictureID by default, S=1 on the first payload only", () => {
    const p = new Vp8Packetizer({ mtu: 10, initialPictureId: 4711 });
    const frame = hex("d1 0c 00 01 02 03 04 05 06 07");
    const out = packetizeAll(p, frame);
    expect(out.map((o) => toHex(o.payload))).toEqual([
      "90 80 92 67 d1 0c 00 01 02",
      "80 80 92 67 03 04 05 06 07",
    ]);
    expect(out.map((o) => o.last)).toEqual([false, true]);
    expect(p.nextPictureId).toBe(4712);
    expect(toHex(packetizeAll(p, hex("d1"))[0]!.payload)).toBe("90 80 92 68 d1");
  });

  it("writes a 7-bit PictureID, or none", () => {
    const p7 = new Vp8Packetizer({ pictureId: "7bit", initialPictureId: 17 });
    expect(toHex(packetizeAll(p7, hex("50 aa"))[0]!.payload)).toBe("90 80 11 50 aa");
    const none = new Vp8Packetizer({ pictureId: "none", mtu: 3 });
    expect(packetizeAll(none, hex("51 aa bb cc")).map((o) => toHex(o.payload))).toEqual([
      "10 51 aa",
      "00 bb cc",
    ]);
  });

  it("wraps the PictureID at 2^15 and 2^7", () => {
    const p15 = new Vp8Packetizer({ initialPictureId: 0x7fff });
    expect(toHex(packetizeAll(p15, hex("51"))[0]!.payload)).toBe("90 80 ff ff 51");
    expect(toHex(packetizeAll(p15, hex("51"))[0]!.payload)).toBe("90 80 80 00 51");
    const p7 = new Vp8Packetizer({ pictureId: "7bit", initialPictureId: 127 });
    expect(toHex(packetizeAll(p7, hex("51"))[0]!.payload)).toBe("90 80 7f 51");
    expect(toHex(packetizeAll(p7, hex("51"))[0]!.payload)).toBe("90 80 00 51");
  });

  it("draws the initial PictureID from the injected random source", () => {
    expect(new Vp8Packetizer({ random: () => 0.5 }).nextPictureId).toBe(0x4000);
    expect(new Vp8Packetizer({ random: () => 0.999999 }).nextPictureId).toBe(0x7fff);
    expect(new Vp8Packetizer({ pictureId: "7bit", random: () => 0.5 }).nextPictureId).toBe(64);
  });

  it("sizes fragments evenly: they differ by one byte at most", () => {
    const p = new Vp8Packetizer({ mtu: 100 });
    const out = packetizeAll(p, interframe(1000, rng(1)));
    expect(out.length).toBe(Math.ceil(1000 / 96));
    const sizes = out.map((o) => o.payload.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(100);
  });

  it("refuses an empty frame with VP8_BAD_FRAME", () => {
    const p = new Vp8Packetizer();
    expect(() => p.packetize(new Uint8Array(0), () => {})).toThrow(
      expect.objectContaining({ code: "VP8_BAD_FRAME" }),
    );
    expect(() => p.packetize(new Uint8Array(0), () => {})).toThrow(RtpVideoError);
  });

  it("refuses an MTU not larger than the descriptor, and bad options", () => {
    const bad = (o: ConstructorParameters<typeof Vp8Packetizer>[0]) => () => new Vp8Packetizer(o);
    const option = expect.objectContaining({ code: "BAD_OPTION" });
    expect(bad({ mtu: 4 })).toThrow(option);
    expect(bad({ mtu: 5 })).not.toThrow();
    expect(bad({ mtu: 3, pictureId: "7bit" })).toThrow(option);
    expect(bad({ mtu: 1, pictureId: "none" })).toThrow(option);
    expect(bad({ mtu: 2, pictureId: "none" })).not.toThrow();
    expect(bad({ mtu: 1200.5 })).toThrow(option);
    expect(bad({ initialPictureId: 0x8000 })).toThrow(option);
    expect(bad({ initialPictureId: 128, pictureId: "7bit" })).toThrow(option);
    expect(bad({ initialPictureId: -1 })).toThrow(option);
    expect(bad({ pictureId: "16bit" as Vp8PictureIdMode })).toThrow(option);
  });
});

// ---------------------------------------------------------------------------
// Round trip

describe("VP8 round trip", () => {
  it("depacketize(packetize(frame)) is the frame, and no payload exceeds the MTU", () => {
    fc.assert(
      fc.property(
        fc.record({
          key: fc.boolean(),
          size: fc.integer({ min: 1, max: 200_000 }),
          mtu: fc.integer({ min: 100, max: 1500 }),
          mode: fc.constantFrom<Vp8PictureIdMode>("none", "7bit", "15bit"),
          width: fc.integer({ min: 1, max: 0x3fff }),
          height: fc.integer({ min: 1, max: 0x3fff }),
          seed: fc.integer(),
          seq: fc.integer({ min: 0, max: 0xffff }),
        }),
        ({ key, size, mtu, mode, width, height, seed, seq }) => {
          const random = rng(seed);
          const frame = key ? keyframe(width, height, size, random) : interframe(size, random);
          const packetizer = new Vp8Packetizer({ mtu, pictureId: mode, random });
          const d = new Vp8Depacketizer();
          const out = new FrameBuffer();
          let payloads = 0;
          let largest = 0;
          let lastFlags = "";
          packetizer.packetize(frame, (payload, last) => {
            largest = Math.max(largest, payload.length);
            lastFlags += last ? "1" : "0";
            d.push(payload, (seq + payloads++) & 0xffff, out);
          });
          d.endFrame(out);
          expect(largest).toBeLessThanOrEqual(mtu);
          expect(lastFlags).toBe(`${"0".repeat(payloads - 1)}1`);
          expect(out.corrupt).toBe(false);
          expect(out.cleanStart).toBe(true);
          expect(out.keyframe).toBe(key);
          expect([out.width, out.height]).toEqual(key ? [width, height] : [0, 0]);
          expect(out.length).toBe(frame.length);
          expect(firstDifference(out.take(), frame)).toBe(-1);
        },
      ),
      { numRuns: 150 },
    );
  });
});

// ---------------------------------------------------------------------------
// Through the FrameAssembler

interface Sent {
  packets: RtpPacket[];
  frameOf: number[];
}

function send(frames: Uint8Array[], mtu = 1200, seq = 65500): Sent {
  const rtp = new RtpPacketizer({
    packetizer: new Vp8Packetizer({ mtu }),
    payloadType: 96,
    ssrc: 0x5678,
    sequence: sequenceFrom(seq),
  });
  const packets: RtpPacket[] = [];
  const frameOf: number[] = [];
  frames.forEach((f, i) => {
    for (const p of rtp.packetizePackets(f, i * 3000)) {
      packets.push(p);
      frameOf.push(i);
    }
  });
  return { packets, frameOf };
}

function receive(packets: RtpPacket[]) {
  const frames: VideoFrame[] = [];
  const signals: KeyframeNeeded[] = [];
  const depacketizer = new Vp8Depacketizer();
  const assembler = new FrameAssembler(
    { frame: (f) => frames.push(f), keyframeNeeded: (s) => signals.push(s) },
    { depacketizer },
  );
  for (const p of packets) assembler.push(p);
  assembler.flush();
  return { frames, signals, assembler, depacketizer };
}

/** expectFrames checks that the frames received carry exactly the bytes of `sent`. */
function expectFrames(got: VideoFrame[], sent: Uint8Array[]): void {
  expect(got.length).toBe(sent.length);
  got.forEach((f, i) => {
    expect(firstDifference(f.data, sent[i]!), `frame ${i}`).toBe(-1);
  });
}

/** vp8Stream makes `count` frames, a 640x360 key frame every `gop`, of 3000..8000 bytes. */
function vp8Stream(count: number, gop: number, seed: number): Uint8Array[] {
  const random = rng(seed);
  const frames: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const size = 3000 + Math.floor(random() * 5000);
    frames.push(i % gop === 0 ? keyframe(640, 360, size, random) : interframe(size, random));
  }
  return frames;
}

describe("VP8 through RtpPacketizer and FrameAssembler", () => {
  const frames = vp8Stream(30, 10, 7);

  it("gives back every frame, identical, with key frames flagged and the resolution", () => {
    const { packets } = send(frames);
    const { frames: got, signals, assembler } = receive(packets);
    expectFrames(got, frames);
    expect(got.map((f) => f.keyframe)).toEqual(frames.map((_, i) => i % 10 === 0));
    expect(got.every((f) => f.codec === "vp8" && f.width === 640 && f.height === 360)).toBe(true);
    expect(signals).toEqual([]);
    expect(assembler.stats.keyframes).toBe(3);
    expect(Object.values(assembler.depacketizerDrops).every((n) => n === 0)).toBe(true);
  });

  const lose = [
    { what: "first", pick: (idx: number[]) => idx[0]! },
    { what: "middle", pick: (idx: number[]) => idx[2]! },
    { what: "last", pick: (idx: number[]) => idx[idx.length - 1]! },
  ];
  it.each(lose)(
    "drops the frame that lost its $what packet and resumes at the next key frame",
    ({ pick }) => {
      const { packets, frameOf } = send(frames);
      const ofFrame3 = frameOf.flatMap((f, i) => (f === 3 ? [i] : []));
      expect(ofFrame3.length).toBeGreaterThanOrEqual(3);
      const lost = pick(ofFrame3);
      const { frames: got, signals } = receive(packets.filter((_, i) => i !== lost));
      const expected = [0, 1, 2, ...Array.from({ length: 20 }, (_, i) => 10 + i)];
      expectFrames(
        got,
        expected.map((i) => frames[i]!),
      );
      expect(got[3]!.keyframe).toBe(true);
      expect(signals.map((s) => s.reason)).toEqual(["packet-loss"]);
    },
  );

  it("does not resume at a key frame whose first packet was lost (no clean start)", () => {
    const { packets, frameOf } = send(frames);
    const lost = frameOf.indexOf(10);
    const { frames: got, depacketizer } = receive(packets.filter((_, i) => i !== lost));
    const expected = [
      ...Array.from({ length: 10 }, (_, i) => i),
      ...Array.from({ length: 10 }, (_, i) => 20 + i),
    ];
    expectFrames(
      got,
      expected.map((i) => frames[i]!),
    );
    expect(depacketizer.dropped["missing-frame-start"]).toBe(1);
  });
});

// ---------------------------------------------------------------------------
// Real peer: libvpx through FFmpeg

/** writeIvf writes VP8 frames in an IVF file (the inverse of readIvf). */
function writeIvf(frames: Uint8Array[], width: number, height: number): Uint8Array {
  const out = new Uint8Array(32 + frames.reduce((n, f) => n + 12 + f.length, 0));
  const view = new DataView(out.buffer);
  out.set([0x44, 0x4b, 0x49, 0x46], 0); // DKIF
  view.setUint16(6, 32, true);
  out.set([0x56, 0x50, 0x38, 0x30], 8); // VP80
  view.setUint16(12, width, true);
  view.setUint16(14, height, true);
  view.setUint32(16, 30, true);
  view.setUint32(20, 1, true);
  view.setUint32(24, frames.length, true);
  let o = 32;
  frames.forEach((f, i) => {
    view.setUint32(o, f.length, true);
    view.setUint32(o + 4, i, true);
    out.set(f, o + 12);
    o += 12 + f.length;
  });
  return out;
}

describe("VP8 from a real encoder (FFmpeg libvpx)", () => {
  itWithPeers(["ffmpeg", "ffprobe"])(
    "detects the key frames and the resolution of libvpx frames, and carries them intact",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "vp8-"));
      try {
        const ivf = join(dir, "in.ivf");
        const enc = await startChild(
          "ffmpeg",
          [
            ...["-hide_banner", "-nostdin", "-v", "error", "-f", "lavfi"],
            ...["-i", "testsrc2=size=320x240:rate=30", "-t", "2", "-c:v", "libvpx", "-g", "10"],
            ...["-f", "ivf", "-y", ivf],
          ],
          { timeoutMs: 60_000 },
        ).done;
        expect(enc.code, enc.stderr).toBe(0);
        const file = readIvf(ivf);
        const { fourcc, width, height } = file;
        const frames = file.frames.map((f) => f.data);
        expect([fourcc, width, height]).toEqual(["VP80", 320, 240]);
        expect(frames.length).toBe(60);

        // the key frames according to FFmpeg's own parser
        const probe = await startChild(
          "ffprobe",
          ["-v", "error", "-show_entries", "packet=flags", "-of", "csv=p=0", ivf],
          { timeoutMs: 30_000 },
        ).done;
        expect(probe.code, probe.stderr).toBe(0);
        const keyByFfmpeg = probe.stdout
          .split(/\r?\n/)
          .filter((l) => l.trim() !== "")
          .map((l) => l.startsWith("K"));
        expect(keyByFfmpeg.length).toBe(60);
        expect(keyByFfmpeg[0]).toBe(true);
        expect(keyByFfmpeg.filter(Boolean).length).toBeGreaterThanOrEqual(6);

        for (let i = 0; i < frames.length; i++) {
          const h = parseVp8FrameHeader(frames[i]!);
          expect(h?.keyframe, `frame ${i}`).toBe(keyByFfmpeg[i]);
          if (h?.keyframe) expect([h.width, h.height]).toEqual([320, 240]);
        }

        // RTP round trip at a small MTU, so key frames span many packets
        const { packets } = send(frames, 300, 65000);
        const { frames: got } = receive(packets);
        expectFrames(got, frames);
        expect(got.map((f) => f.keyframe)).toEqual(keyByFfmpeg);
        expect(got.every((f) => f.width === 320 && f.height === 240)).toBe(true);

        // and FFmpeg decodes what we reassembled
        const outIvf = join(dir, "out.ivf");
        writeFileSync(
          outIvf,
          writeIvf(
            got.map((f) => f.data),
            320,
            240,
          ),
        );
        const check = await ffmpegDecodeFile(outIvf);
        expect(check.errors, check.log).toBe(0);
        expect(check.frames).toBe(60);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    90_000,
  );
});
