import { describe, expect, it } from "vitest";
import { parseRtpPacket, serializeRtpPacket } from "../rtp/rtp-packet.js";
import { RtxAssociation } from "./rtx-association.js";
import { originalFromRtx, originalSequenceNumber, rtxDatagram } from "./rtx-packet.js";

const hex = (s: string) =>
  Uint8Array.from(s.replace(/\s+/g, "").match(/../g)!, (b) => parseInt(b, 16));

describe("RTX packets (RFC 4588 §4)", () => {
  it("§4: RTX header = original with the RTX PT, seq and SSRC; OSN then the original payload", () => {
    // V=2, M=1 PT=96, seq 0x1234, ts 0x01020304, SSRC 0xaabbccdd, payload 65 88 99
    const original = hex("80e0 1234 01020304 aabbccdd 658899");
    const rtx = rtxDatagram(original, { payloadType: 97, ssrc: 0x11223344, sequenceNumber: 7 });
    expect(rtx).toEqual(hex("80e1 0007 01020304 11223344 1234 658899"));
  });

  it("§4: CSRCs and the header extension are kept, padding is not carried", () => {
    // CC=1, X=1, P=1: csrc 0x00000009, extension profile 0xbede length 1 (4 bytes), payload 41, padding 2
    const original = hex("b160 0001 00000010 00000005 00000009 bede0001 10ff0000 41 0002");
    const rtx = rtxDatagram(original, { payloadType: 100, ssrc: 6, sequenceNumber: 0xffff })!;
    expect(rtx).toEqual(hex("9164 ffff 00000010 00000006 00000009 bede0001 10ff0000 0001 41"));
    const p = parseRtpPacket(rtx);
    expect(originalSequenceNumber(p)).toBe(1);
    expect(originalFromRtx(p, { payloadType: 96, ssrc: 5 })).toEqual({
      payloadType: 96,
      sequenceNumber: 1,
      timestamp: 0x10,
      ssrc: 5,
      marker: false,
      payload: hex("41"),
    });
  });

  it("round trip: originalFromRtx(rtxDatagram(x)) is x", () => {
    const x = {
      payloadType: 96,
      sequenceNumber: 65535,
      timestamp: 0xfffffff0,
      ssrc: 0x01,
      marker: true,
      payload: hex("7c85 0102030405"),
    };
    const rtx = parseRtpPacket(
      rtxDatagram(serializeRtpPacket(x), { payloadType: 97, ssrc: 2, sequenceNumber: 0 })!,
    );
    expect(rtx.sequenceNumber).toBe(0);
    expect(originalFromRtx(rtx, { payloadType: 96, ssrc: 1 })).toEqual(x);
  });

  it("an RTX packet without an original payload (padding only, or just the OSN) gives nothing", () => {
    const empty = parseRtpPacket(hex("8061 0001 00000000 00000002"));
    expect(originalSequenceNumber(empty)).toBeUndefined();
    expect(originalFromRtx(empty, { payloadType: 96, ssrc: 1 })).toBeUndefined();
    const osnOnly = parseRtpPacket(hex("8061 0001 00000000 00000002 0005"));
    expect(originalFromRtx(osnOnly, { payloadType: 96, ssrc: 1 })).toBeUndefined();
    expect(
      rtxDatagram(hex("8060"), { payloadType: 97, ssrc: 1, sequenceNumber: 1 }),
    ).toBeUndefined();
  });
});

describe("RtxAssociation (RFC 4588 §5.3, RFC 5576 ssrc-group FID)", () => {
  const missing = (set: number[]) => (seq: number) => set.includes(seq);

  it("takes the signalled FID SSRC only", () => {
    const a = new RtxAssociation({ mediaSsrc: 1, rtxSsrc: 2 });
    expect(a.accepts(3, 1, 10, missing([10]))).toBe(false);
    expect(a.accepts(2, 1, 10, missing([]))).toBe(true);
    expect(a.stats).toEqual({ rtxAssociations: 0, rtxUnassociated: 1 });
  });

  it("without signalling, learns the SSRC of the first RTX packet whose OSN is missing", () => {
    const a = new RtxAssociation();
    expect(a.accepts(7, 1, 10, missing([11]))).toBe(false); // nothing we miss: not learned
    expect(a.accepts(8, 1, 11, missing([11]))).toBe(true);
    expect(a.accepts(7, 1, 12, missing([12]))).toBe(false); // another SSRC: no
    expect(a.accepts(8, 1, 99, missing([]))).toBe(true); // associated: a duplicate is the receiver's call
    expect(a.rtxSsrcFor(1)).toBe(8);
    // a new media SSRC learns afresh
    expect(a.rtxSsrcFor(4)).toBeUndefined();
    expect(a.accepts(9, 4, 5, missing([5]))).toBe(true);
    expect(a.stats).toEqual({ rtxAssociations: 2, rtxUnassociated: 2 });
  });

  it("a FID for another media SSRC than the one received is ignored: learned instead", () => {
    const a = new RtxAssociation({ mediaSsrc: 1, rtxSsrc: 2 });
    expect(a.accepts(5, 3, 10, missing([10]))).toBe(true);
    expect(a.rtxSsrcFor(3)).toBe(5);
    expect(a.rtxSsrcFor(1)).toBe(2);
  });
});
