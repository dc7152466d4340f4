import { h264KeyframeStart, serializeRtpPacket, tryParseRtpPacket } from "@framewire/rtp-video";
import { describe, expect, it } from "vitest";
import { PacketKeyframeCache } from "./packet-keyframe-cache.js";

const AUD = Uint8Array.of(0x09, 0xf0);
const IDR_FU_START = Uint8Array.of(0x7c, 0x85, 1);
const FU_MID = Uint8Array.of(0x7c, 0x05, 2);
const FU_END = Uint8Array.of(0x7c, 0x45, 3);
const P_SLICE = Uint8Array.of(0x41, 0x9a);

function pkt(seq: number, ts: number, payload: Uint8Array, marker = false) {
  const datagram = serializeRtpPacket({
    payloadType: 96,
    sequenceNumber: seq,
    timestamp: ts,
    ssrc: 5,
    marker,
    payload,
  });
  const packet = tryParseRtpPacket(datagram);
  if (typeof packet === "string") throw new Error(packet);
  return { packet, datagram };
}

describe("PacketKeyframeCache", () => {
  it("keeps an IDR's packets (RFC 6184 §5.8 FU-A) from its start to the marker, as copies", () => {
    const c = new PacketKeyframeCache(h264KeyframeStart);
    const feed = (p: ReturnType<typeof pkt>) => c.ingest(p.packet, p.datagram);
    expect(feed(pkt(1, 0, P_SLICE, true))).toBe(false);
    expect(c.complete).toBe(false);
    feed(pkt(2, 3000, AUD)); // a leading AUD is no start: not kept
    const start = pkt(3, 3000, IDR_FU_START);
    feed(start);
    feed(pkt(4, 3000, FU_MID));
    expect(feed(pkt(5, 3000, FU_END, true))).toBe(true);
    start.datagram.fill(0);
    const got = c.packets();
    expect(got.map((p) => p.packet.sequenceNumber)).toEqual([3, 4, 5]);
    expect(got[0]!.packet.payload).toEqual(IDR_FU_START);
    expect(c.deltasSinceKeyframe).toBe(0);
    feed(pkt(6, 6000, P_SLICE, true));
    feed(pkt(7, 9000, P_SLICE, true));
    expect(c.deltasSinceKeyframe).toBe(2);
    // an unfinished keyframe does not replace the cached one
    feed(pkt(8, 12000, IDR_FU_START));
    expect(c.packets().map((p) => p.packet.sequenceNumber)).toEqual([3, 4, 5]);
    feed(pkt(9, 12000, FU_END, true));
    expect(c.packets().map((p) => p.packet.sequenceNumber)).toEqual([8, 9]);
    expect(c.deltasSinceKeyframe).toBe(0);
  });
});
