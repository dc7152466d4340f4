import { describe, expect, it } from "vitest";
import { hex, PPS, SPS } from "../../test/gen.js";
import { FrameBuffer } from "../frame-buffer.js";
import { H264Depacketizer } from "./h264-depacketizer.js";

/** run feeds payloads with consecutive sequence numbers and closes the frame. */
function run(payloads: string[], firstSeq = 100, maxBytes?: number) {
  const d = new H264Depacketizer();
  const out = new FrameBuffer(maxBytes);
  payloads.forEach((p, i) => {
    d.push(hex(p), (firstSeq + i) & 0xffff, out);
  });
  d.endFrame(out);
  return { d, out, bytes: [...out.bytes.subarray(0, out.length)] };
}

const annexB = (s: string) => [...hex(s)];

describe("H264Depacketizer: single NAL unit packets (RFC 6184 §5.6)", () => {
  it("writes a NAL unit with a 4-byte start code when it opens the access unit (H.264 §B.1.2)", () => {
    const { bytes, out } = run(["41 9a 02 03"]);
    expect(bytes).toEqual(annexB("00 00 00 01 41 9a 02 03"));
    expect(out.keyframe).toBe(false);
    expect(out.units).toBe(1);
  });

  it("uses 3-byte start codes for later slices and 4-byte ones for SPS/PPS", () => {
    const { bytes } = run(["06 05 01 80", "67 42 c0 1f da", "68 ce 3c 80", "65 88 84", "65 88 85"]);
    expect(bytes).toEqual(
      annexB(
        "00 00 00 01 06 05 01 80  00 00 00 01 67 42 c0 1f da  00 00 00 01 68 ce 3c 80  00 00 01 65 88 84  00 00 01 65 88 85",
      ),
    );
  });

  it("marks an IDR slice (type 5) as a keyframe", () => {
    expect(run(["65 88 84 10"]).out.keyframe).toBe(true);
  });

  it("does not take a P slice whose second byte ends in 5 for a keyframe (werift-rtp bug)", () => {
    // type 1 (non-IDR); the next byte 0x85 has low bits 00101 = 5
    expect(run(["41 85 84 21"]).out.keyframe).toBe(false);
  });

  it("reads the resolution from an SPS", () => {
    const { out } = run([[...SPS].map((b) => b.toString(16).padStart(2, "0")).join(" ")]);
    expect([out.width, out.height]).toEqual([640, 360]);
  });

  it("passes a malformed SPS through, counted, without a resolution", () => {
    const { out, d } = run(["67 42"]);
    expect(out.width).toBe(0);
    expect(d.dropped["bad-sps"]).toBe(1);
    expect(out.length).toBe(6);
  });

  it("ignores types 0, 30 and 31 (RFC 6184 §5.4) without corrupting the frame", () => {
    const { out, d, bytes } = run(["00 11", "1e 22", "1f 33", "41 9a"]);
    expect(d.dropped["reserved-nal-type"]).toBe(3);
    expect(out.corrupt).toBe(false);
    expect(bytes).toEqual(annexB("00 00 00 01 41 9a"));
  });

  it("counts an empty payload", () => {
    expect(run([""]).d.dropped["empty-payload"]).toBe(1);
  });
});

describe("H264Depacketizer: STAP-A (RFC 6184 §5.7.1)", () => {
  it("unpacks SPS + PPS + IDR from one STAP-A, and sees the IDR inside it (werift-rtp misses it)", () => {
    const sps = [...SPS].map((b) => b.toString(16).padStart(2, "0")).join(" ");
    const pps = [...PPS].map((b) => b.toString(16).padStart(2, "0")).join(" ");
    const { bytes, out } = run([`78 00 19 ${sps} 00 04 ${pps} 00 03 65 88 84`]);
    expect(bytes).toEqual([
      ...annexB(`00 00 00 01 ${sps} 00 00 00 01 ${pps}`),
      ...annexB("00 00 01 65 88 84"),
    ]);
    expect(out.keyframe).toBe(true);
    expect(out.units).toBe(3);
    expect([out.width, out.height]).toEqual([640, 360]);
  });

  it.each([
    ["a size running past the end", "78 00 05 41 9a"],
    ["a zero size", "78 00 00 00 02 41 9a"],
    ["a dangling size byte", "78 00 02 41 9a 00"],
    ["no unit at all", "78"],
  ])("drops a STAP-A with %s, whole, and marks the frame corrupt", (_, p) => {
    const { d, out } = run([p]);
    expect(d.dropped["stap-a-malformed"]).toBe(1);
    expect(out.length).toBe(0);
    expect(out.corrupt).toBe(true);
  });
});

describe("H264Depacketizer: FU-A (RFC 6184 §5.8)", () => {
  it("reassembles start, middle and end fragments, restoring the NAL header from F|NRI and type", () => {
    // indicator 0x7c = NRI 3, type 28; header 0x85 = S + type 5
    const { bytes, out, d } = run(["7c 85 01 02", "7c 05 03 04", "7c 45 05"]);
    expect(bytes).toEqual(annexB("00 00 00 01 65 01 02 03 04 05"));
    expect(out.keyframe).toBe(true);
    expect(out.corrupt).toBe(false);
    expect(d.pending).toBe(false);
  });

  it("keeps fragment continuity across the sequence number wrap", () => {
    const { bytes } = run(["5c 81 01", "5c 01 02", "5c 41 03"], 65535);
    expect(bytes).toEqual(annexB("00 00 00 01 41 01 02 03"));
  });

  it("discards the NAL unit when its start fragment is missing", () => {
    const { d, out } = run(["7c 05 03 04", "7c 45 05"]);
    expect(d.dropped["fu-a-without-start"]).toBe(2);
    expect(out.length).toBe(0);
    expect(out.corrupt).toBe(true);
  });

  it("discards the NAL unit when a middle fragment is missing (sequence gap)", () => {
    const d = new H264Depacketizer();
    const out = new FrameBuffer();
    d.push(hex("41 9a"), 9, out);
    d.push(hex("7c 85 01 02"), 10, out);
    d.push(hex("7c 05 03 04"), 12, out); // 11 lost
    d.push(hex("7c 45 05"), 13, out);
    d.endFrame(out);
    expect(d.dropped["fu-a-missing-fragment"]).toBe(1);
    expect(d.dropped["fu-a-without-start"]).toBe(1);
    // the complete unit before it stays; nothing of the broken one remains
    expect([...out.bytes.subarray(0, out.length)]).toEqual(annexB("00 00 00 01 41 9a"));
    expect(out.corrupt).toBe(true);
  });

  it("discards the NAL unit when its end fragment never comes", () => {
    const { d, out } = run(["7c 85 01 02", "7c 05 03 04"]);
    expect(d.dropped["fu-a-missing-end"]).toBe(1);
    expect(out.length).toBe(0);
    expect(out.corrupt).toBe(true);
  });

  it("discards an open FU-A when a new start arrives", () => {
    const { d, bytes } = run(["7c 85 01", "7c 81 07", "7c 41 08"]);
    expect(d.dropped["fu-a-missing-end"]).toBe(1);
    expect(bytes).toEqual(annexB("00 00 00 01 61 07 08"));
  });

  it("discards an FU-A whose fragments change type", () => {
    const { d, out } = run(["7c 85 01", "7c 41 08"]);
    expect(d.dropped["fu-a-type-mismatch"]).toBe(1);
    expect(out.length).toBe(0);
  });

  it("counts truncated FU-A payloads (no fragment byte)", () => {
    expect(run(["7c 85"]).d.dropped["fu-a-truncated"]).toBe(1);
    expect(run(["7c"]).d.dropped["fu-a-truncated"]).toBe(1);
  });

  it("accepts an FU-A carrying both S and E as a whole NAL unit", () => {
    expect(run(["7c c5 01 02"]).bytes).toEqual(annexB("00 00 00 01 65 01 02"));
  });

  it("reassembles in time linear in the NAL size: 4 MB in 1 kB fragments", () => {
    const d = new H264Depacketizer();
    const out = new FrameBuffer();
    const frag = new Uint8Array(1002).fill(0x11);
    frag[0] = 0x7c;
    const n = 4096;
    for (let i = 0; i < n; i++) {
      frag[1] = (i === 0 ? 0x80 : 0) | (i === n - 1 ? 0x40 : 0) | 5;
      d.push(frag, i & 0xffff, out);
    }
    expect(out.length).toBe(4 + 1 + 1000 * n);
    expect(out.keyframe).toBe(true);
  });

  it("drops a NAL unit that exceeds the frame cap and marks the frame too large", () => {
    const { d, out } = run(["7c 85 01 02 03 04", "7c 45 05 06 07 08"], 1, 8);
    expect(d.dropped["frame-too-large"]).toBe(1);
    expect(out.overflowed).toBe(true);
  });
});

describe("H264Depacketizer: malformed NAL units (H.264 §7.4.1, RFC 6184 §5.3)", () => {
  it.each([
    ["start code emulation 00 00 01 in a single NAL unit", ["41 9a 00 00 01 22"]],
    ["start code emulation 00 00 00", ["41 9a 00 00 00 22"]],
    ["the forbidden_zero_bit set", ["c1 9a 22"]],
    ["emulation split across FU-A fragments", ["7c 81 22 00", "7c 41 00 01 22"]],
    ["an FU-A fragmenting an aggregate (type 24)", ["7c 98 22"]],
    ["a STAP-A holding a type-0 unit", ["78 00 02 00 22"]],
  ])("drops %s and marks the frame corrupt", (_, payloads) => {
    const { out, bytes } = run(payloads);
    expect(out.corrupt).toBe(true);
    expect(bytes).toEqual([]);
  });

  it("cuts trailing zero bytes (trailing_zero_8bits, H.264 B.1.1) off a unit, as baresip sends its SPS", () => {
    expect(run(["41 9a 00"]).bytes).toEqual(annexB("00 00 00 01 41 9a"));
    expect(run(["41 9a 00 00"]).bytes).toEqual(annexB("00 00 00 01 41 9a"));
    expect(run(["7c 81 22", "7c 41 33 00 00"]).bytes).toEqual(annexB("00 00 00 01 61 22 33"));
    expect(run(["78 00 03 41 9a 00 00 02 68 ce"]).bytes).toEqual(
      annexB("00 00 00 01 41 9a 00 00 00 01 68 ce"),
    );
  });

  it("accepts emulation prevention bytes (00 00 03)", () => {
    expect(run(["41 9a 00 00 03 01 22"]).bytes).toEqual(annexB("00 00 00 01 41 9a 00 00 03 01 22"));
  });
});

describe("H264Depacketizer: interleaved-mode packets are dropped and counted (RFC 6184 §6.3)", () => {
  it.each([
    ["stap-b", "79 00 01 00 02 41 9a"],
    ["mtap16", "7a 00 01 00 02 41 9a"],
    ["mtap24", "7b 00 01 00 02 41 9a"],
    ["fu-b", "7d 85 00 01 02"],
  ] as const)("%s", (reason, p) => {
    const { d, out } = run([p]);
    expect(d.dropped[reason]).toBe(1);
    expect(out.length).toBe(0);
    expect(out.corrupt).toBe(true);
  });
});
