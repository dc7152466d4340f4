import { ManualScheduler } from "@framewire/test-support";
import { describe, expect, it } from "vitest";
import { rng, stream } from "../../test/gen.js";
import { H264Packetizer } from "../h264/h264-packetizer.js";
import { parseRtpPacket } from "../rtp/rtp-packet.js";
import { sequenceFrom } from "../rtp/sequence.js";
import { originalFromRtx } from "../rtx/rtx-packet.js";
import { VideoSender } from "./video-sender.js";

const seqOf = (d: Uint8Array) => (d[2]! << 8) | d[3]!;

describe("VideoSender on an RTX stream (RFC 4588 §4)", () => {
  it("answers a NACK on its own SSRC and sequence numbers, the original behind the OSN", () => {
    const sent: Uint8Array[] = [];
    const s = new VideoSender((d) => sent.push(d), {
      packetizer: new H264Packetizer({ mtu: 300 }),
      payloadType: 96,
      ssrc: 0xabc,
      sequence: sequenceFrom(65530),
      rtx: { payloadType: 97, ssrc: 0xdef, sequence: sequenceFrom(65535) },
    });
    for (const [i, au] of stream(4, 4, () => 900, rng(5)).entries())
      s.sendFrame(au, i * 3000, i === 0);
    const originals = sent.map((d) => d.slice());
    sent.length = 0;
    const asked = [originals[2]!, originals[7]!].map(seqOf);
    expect(s.retransmit(asked)).toBe(2);
    const rtx = sent.map((d) => parseRtpPacket(d));
    expect(rtx.map((p) => [p.payloadType, p.ssrc, p.sequenceNumber])).toEqual([
      [97, 0xdef, 65535],
      [97, 0xdef, 0],
    ]);
    for (const [k, p] of rtx.entries()) {
      const original = parseRtpPacket(k === 0 ? originals[2]! : originals[7]!);
      expect(originalFromRtx(p, { payloadType: 96, ssrc: 0xabc })).toEqual(original);
    }
    expect(s.stats).toMatchObject({ retransmitted: 2, rtxPackets: 2, retransmitMisses: 0 });
    expect(s.rtxSsrc).toBe(0xdef);
  });

  it("does not resend what is older than historyMs", () => {
    const scheduler = new ManualScheduler();
    const sent: Uint8Array[] = [];
    const s = new VideoSender((d) => sent.push(d), {
      packetizer: new H264Packetizer(),
      payloadType: 96,
      ssrc: 1,
      historyMs: 500,
      now: () => scheduler.now(),
    });
    s.sendFrame(stream(1, 1, () => 400, rng(1))[0]!, 0, true);
    const seq = seqOf(sent[0]!);
    scheduler.advance(500);
    expect(s.retransmit([seq])).toBe(1);
    scheduler.advance(1);
    expect(s.retransmit([seq])).toBe(0);
    expect(s.stats.retransmitMisses).toBe(1);
  });

  it("refuses an RTX payload type or SSRC equal to the media's (BAD_OPTION)", () => {
    const base = { packetizer: new H264Packetizer(), payloadType: 96, ssrc: 1 };
    expect(() => new VideoSender(() => {}, { ...base, rtx: { payloadType: 96, ssrc: 2 } })).toThrow(
      expect.objectContaining({ code: "BAD_OPTION" }),
    );
    expect(() => new VideoSender(() => {}, { ...base, rtx: { payloadType: 97, ssrc: 1 } })).toThrow(
      expect.objectContaining({ code: "BAD_OPTION" }),
    );
  });
});
