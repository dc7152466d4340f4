import { describe, expect, it } from "vitest";
import { rng, stream } from "../../test/gen.js";
import { H264Packetizer } from "../h264/h264-packetizer.js";
import { sequenceFrom } from "../rtp/sequence.js";
import { VideoSender } from "./video-sender.js";

const seqOf = (d: Uint8Array) => (d[2]! << 8) | d[3]!;

function sender(historyPackets = 64) {
  const sent: Uint8Array[] = [];
  const s = new VideoSender((d) => sent.push(d), {
    packetizer: new H264Packetizer({ mtu: 200 }),
    payloadType: 96,
    ssrc: 0xabc,
    sequence: sequenceFrom(65520),
    historyPackets,
  });
  return { s, sent };
}

describe("VideoSender history (NACK answers, RFC 4585 §6.2.1)", () => {
  it("resends the very bytes first sent, across the sequence wrap, while they are in the history", () => {
    const { s, sent } = sender(64);
    const aus = stream(6, 3, () => 700, rng(1));
    for (const [i, au] of aus.entries()) s.sendFrame(au, i * 3000, i % 3 === 0);
    const originals = sent.map((d) => d.slice());
    expect(originals.length).toBeGreaterThan(20);
    expect(originals.length).toBeLessThan(64);
    expect(originals.some((d) => seqOf(d) === 65535)).toBe(true);
    expect(originals.some((d) => seqOf(d) === 0)).toBe(true);
    sent.length = 0;
    const asked = [originals[0]!, originals[10]!, originals.at(-1)!].map(seqOf);
    expect(s.retransmit(asked)).toBe(3);
    expect(sent.map((d) => [...d])).toEqual(
      [originals[0]!, originals[10]!, originals.at(-1)!].map((d) => [...d]),
    );
    expect(s.stats.retransmitted).toBe(3);
  });

  it("misses what was never sent or has left the history (bounded to historyPackets)", () => {
    const { s, sent } = sender(16);
    const aus = stream(10, 5, () => 900, rng(2));
    for (const [i, au] of aus.entries()) s.sendFrame(au, i * 3000, i % 5 === 0);
    const all = sent.map(seqOf);
    expect(all.length).toBeGreaterThan(32);
    sent.length = 0;
    const recent = all.slice(-16);
    const old = all.slice(0, 8);
    expect(s.retransmit(recent)).toBe(16);
    expect(s.retransmit(old)).toBe(0);
    expect(s.retransmit([(all.at(-1)! + 1) & 0xffff])).toBe(0);
    expect(s.stats.retransmitMisses).toBe(9);
  });
});
