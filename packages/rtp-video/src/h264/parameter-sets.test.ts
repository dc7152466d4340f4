// Out-of-band H.264 parameter sets (RFC 6184 §8.1 sprop-parameter-sets): an endpoint that sends
// SPS/PPS only in SDP, and IDR access units without them, must still give decodable keyframes.
import { describe, expect, it } from "vitest";
import { hex, PPS, rng, SPS, slice } from "../../test/gen.js";
import { FrameAssembler } from "../frame-assembler.js";
import type { RtpPacket } from "../rtp/rtp-packet.js";
import { RtpPacketizer } from "../rtp/rtp-packetizer.js";
import { sequenceFrom } from "../rtp/sequence.js";
import type { VideoFrame } from "../video-frame.js";
import { joinAnnexB, splitAnnexB } from "./annexb.js";
import { H264Depacketizer } from "./h264-depacketizer.js";
import { H264Packetizer } from "./h264-packetizer.js";
import { checkH264ParameterSets, H264_PARAMETER_SET_LIMITS } from "./parameter-sets.js";

const AUD = hex("09 f0");
const SEI = hex("06 05 01 aa 80");

/** packetsOf packetizes access units (one RTP timestamp each) for the assembler. */
function packetsOf(aus: readonly Uint8Array[], mtu = 1200): RtpPacket[] {
  const rtp = new RtpPacketizer({
    packetizer: new H264Packetizer({ mtu }),
    payloadType: 96,
    ssrc: 7,
    sequence: sequenceFrom(65530),
  });
  return aus.flatMap((au, i) => rtp.packetizePackets(au, i * 3000));
}

/** assemble runs packets through a FrameAssembler with an H.264 depacketizer of these options. */
function assemble(packets: readonly RtpPacket[], parameterSets?: readonly Uint8Array[]) {
  const frames: VideoFrame[] = [];
  const reasons: string[] = [];
  const depacketizer = new H264Depacketizer(parameterSets === undefined ? {} : { parameterSets });
  const assembler = new FrameAssembler(
    {
      frame: (f) => frames.push({ ...f, data: f.data.slice() }),
      keyframeNeeded: (s) => reasons.push(s.reason),
    },
    { depacketizer },
  );
  for (const p of packets) assembler.push(p);
  assembler.flush(); // what is still missing is lost
  return { frames, reasons, depacketizer, assembler };
}

const types = (data: Uint8Array): number[] => splitAnnexB(data).map((n) => n[0]! & 0x1f);

describe("out-of-band parameter sets (RFC 6184 §8.1 sprop-parameter-sets)", () => {
  const r = rng(11);
  const idr = slice(5, 5000, r); // FU-A at MTU 1200
  const smallIdr = slice(5, 300, r); // a single NAL unit packet
  const p1 = slice(1, 800, r);
  const p2 = slice(1, 900, r);

  it("without them, a stream whose IDR carries no SPS/PPS never gives a frame (the old contract)", () => {
    const { frames, reasons } = assemble(packetsOf([joinAnnexB([idr]), joinAnnexB([p1])]));
    expect(frames).toHaveLength(0);
    expect(reasons).toEqual(["stream-start"]);
  });

  it("with them, SPS and PPS are written in front of the IDR: the first frame is a decodable keyframe", () => {
    const aus = [joinAnnexB([idr]), joinAnnexB([p1]), joinAnnexB([p2])];
    const { frames, reasons, depacketizer } = assemble(packetsOf(aus), [SPS, PPS]);
    expect(reasons).toEqual([]);
    expect(frames.map((f) => f.keyframe)).toEqual([true, false, false]);
    // byte-identical to the access unit with in-band parameter sets
    expect([...frames[0]!.data]).toEqual([...joinAnnexB([SPS, PPS, idr])]);
    expect(frames[0]).toMatchObject({ width: 640, height: 360 });
    expect([...frames[1]!.data]).toEqual([...aus[1]!]);
    expect(depacketizer.parameterSetsInserted).toBe(1);
  });

  it("an IDR sent as one single-NAL packet, and one with an AUD or an SEI, gets them in H.264 order (AUD, SPS, PPS, SEI)", () => {
    const cases = [
      { au: [smallIdr], want: [SPS, PPS, smallIdr] },
      { au: [AUD, idr], want: [AUD, SPS, PPS, idr] },
      { au: [SEI, idr], want: [SPS, PPS, SEI, idr] },
      { au: [AUD, SEI, idr], want: [AUD, SPS, PPS, SEI, idr] },
    ];
    for (const c of cases) {
      const { frames } = assemble(packetsOf([joinAnnexB(c.au)]), [SPS, PPS]);
      expect(frames, `${types(joinAnnexB(c.au))}`).toHaveLength(1);
      expect([...frames[0]!.data]).toEqual([...joinAnnexB(c.want)]);
    }
  });

  it("in-band SPS and PPS win: an IDR that has them is left as it is; one with only an SPS gets the PPS", () => {
    const inBand = joinAnnexB([SPS, PPS, idr]);
    const a = assemble(packetsOf([inBand]), [SPS, PPS]);
    expect([...a.frames[0]!.data]).toEqual([...inBand]);
    expect(a.depacketizer.parameterSetsInserted).toBe(0);
    const b = assemble(packetsOf([joinAnnexB([SPS, idr])]), [SPS, PPS]);
    expect(types(b.frames[0]!.data)).toEqual([7, 8, 5]);
  });

  it("a PPS that came without its SPS: the SPS goes before it, and the in-band PPS is kept (it wins)", () => {
    const inBandPps = hex("68 ce 38 80");
    const { frames } = assemble(packetsOf([joinAnnexB([inBandPps, SEI, idr])]), [SPS, PPS]);
    expect([...frames[0]!.data]).toEqual([...joinAnnexB([SPS, inBandPps, SEI, idr])]);
  });

  it("only the first slice of an IDR picture gets them; a picture whose first slice is missing is not repaired", () => {
    const second = slice(5, 600, r);
    second[1] = 0x40; // first_mb_in_slice != 0: not the picture's first slice
    const twoSlices = assemble(packetsOf([joinAnnexB([smallIdr, slice(5, 400, r)])]), [SPS, PPS]);
    expect(types(twoSlices.frames[0]!.data)).toEqual([7, 8, 5, 5]);
    // the stream starts with a slice that is not the picture's first: still waiting
    const partial = assemble(packetsOf([joinAnnexB([second])]), [SPS, PPS]);
    expect(partial.frames).toHaveLength(0);
    expect(partial.reasons).toEqual(["stream-start"]);
  });

  it("after a loss, the next IDR without SPS/PPS (here behind an SEI) ends the wait for a keyframe", () => {
    const aus = [
      joinAnnexB([idr]),
      joinAnnexB([p1]),
      joinAnnexB([p2]),
      joinAnnexB([SEI, idr]),
      joinAnnexB([p1]),
    ];
    const packets = packetsOf(aus);
    // lose the P frame p2 (a single packet at MTU 1200)
    const lost = packets.findIndex((p) => p.timestamp === 2 * 3000);
    const { frames, reasons } = assemble(
      packets.filter((_, i) => i !== lost),
      [SPS, PPS],
    );
    expect(reasons).toEqual(["packet-loss"]);
    expect(frames.map((f) => [f.rtpTimestamp, f.keyframe])).toEqual([
      [0, true],
      [3000, false],
      [9000, true],
      [12000, false],
    ]);
    expect(types(frames[2]!.data)).toEqual([7, 8, 6, 5]);
  });

  it("setParameterSets replaces them (an empty list removes them); a bad list keeps the old ones", () => {
    const d = new H264Depacketizer();
    expect(() => d.setParameterSets([hex("65 88")])).toThrow(
      expect.objectContaining({ code: "BAD_OPTION" }),
    );
    d.setParameterSets([SPS, PPS]);
    expect(() => d.setParameterSets([SPS, hex("68 00 00 01")])).toThrow(/start code emulation/);
    const assembler = new FrameAssembler({ frame: (f) => frames.push(f) }, { depacketizer: d });
    const frames: VideoFrame[] = [];
    for (const p of packetsOf([joinAnnexB([idr])])) assembler.push(p);
    expect(types(frames[0]!.data)).toEqual([7, 8, 5]);
    d.setParameterSets([]);
    expect(d.parameterSetsInserted).toBe(1);
  });
});

describe("checkH264ParameterSets", () => {
  it("splits SPS and PPS, copies them", () => {
    const sps = SPS.slice();
    const sets = checkH264ParameterSets([sps, PPS]);
    expect(sets.sps.map((u) => [...u])).toEqual([[...SPS]]);
    expect(sets.pps.map((u) => [...u])).toEqual([[...PPS]]);
    sps[1] = 0;
    expect(sets.sps[0]![1]).toBe(SPS[1]);
  });

  it.each([
    ["not an array", "x" as unknown as Uint8Array[], /array/],
    ["no Uint8Array", ["67" as unknown as Uint8Array], /Uint8Array/],
    ["a slice, not a parameter set", [hex("65 88 84")], /NAL type 5/],
    ["forbidden bit", [hex("e8 ce 3c 80")], /forbidden_zero_bit/],
    ["one byte", [hex("68")], /2\.\.4096 bytes/],
    ["a start code inside", [hex("68 ce 00 00 01 80")], /start code emulation/],
    ["a trailing zero", [hex("68 ce 3c 80 00")], /trailing zero/],
    ["an SPS that does not parse", [hex("67 42")], /H264_BAD_SPS/],
    [
      "too many",
      Array.from({ length: H264_PARAMETER_SET_LIMITS.maxUnits + 1 }, () => PPS),
      /more than 32/,
    ],
    ["too large", [new Uint8Array(4097).fill(0x68)], /4097 bytes/],
  ])("refuses %s with BAD_OPTION", (_, units, message) => {
    expect(() => checkH264ParameterSets(units)).toThrow(
      expect.objectContaining({ code: "BAD_OPTION" }),
    );
    expect(() => checkH264ParameterSets(units)).toThrow(message);
  });
});
