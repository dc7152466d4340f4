import { describe, expect, it } from "vitest";
import { hex } from "../../test/gen.js";
import { RtpVideoError } from "../errors.js";
import { parseRtpPacket, serializeRtpPacket, tryParseRtpPacket } from "./rtp-packet.js";

describe("RTP fixed header (RFC 3550 §5.1)", () => {
  it("parses version, marker, PT, sequence, timestamp, SSRC and payload", () => {
    const p = parseRtpPacket(hex("80 e0 03 e8 02 87 25 f6 12 34 56 78 65 88 84"));
    expect(p).toMatchObject({
      payloadType: 96,
      marker: true,
      sequenceNumber: 1000,
      timestamp: 42411510,
      ssrc: 0x12345678,
    });
    expect([...p.payload]).toEqual([0x65, 0x88, 0x84]);
  });

  it("reads 32-bit timestamp and SSRC as unsigned", () => {
    const p = parseRtpPacket(hex("80 60 ff ff ff ff ff ff fe dc ba 98 01"));
    expect(p.timestamp).toBe(0xffffffff);
    expect(p.ssrc).toBe(0xfedcba98);
    expect(p.sequenceNumber).toBe(65535);
  });

  it("skips the CSRC list (§5.1) and a header extension (§5.3.1)", () => {
    // CC=2, X=1: two CSRCs, then profile 0xBEDE, length 1 word, then payload
    const p = parseRtpPacket(
      hex("92 60 00 01 00 00 00 02 00 00 00 03 aa aa aa aa bb bb bb bb be de 00 01 10 ff 00 00 7c"),
    );
    expect([...p.payload]).toEqual([0x7c]);
  });

  it("removes padding counted by the last octet (§5.1)", () => {
    const p = parseRtpPacket(hex("a0 60 00 01 00 00 00 02 00 00 00 03 41 9a 00 00 03"));
    expect([...p.payload]).toEqual([0x41, 0x9a]);
  });

  it.each([
    ["RTP_TOO_SHORT", "80 60 00 01 00 00 00 02 00 00 00"],
    ["RTP_BAD_VERSION", "40 60 00 01 00 00 00 02 00 00 00 03 41"],
    ["RTP_BAD_CSRC_COUNT", "8f 60 00 01 00 00 00 02 00 00 00 03 41"],
    ["RTP_BAD_EXTENSION", "90 60 00 01 00 00 00 02 00 00 00 03 be de"],
    ["RTP_BAD_EXTENSION", "90 60 00 01 00 00 00 02 00 00 00 03 be de 00 02 00 00 00 00"],
    ["RTP_BAD_PADDING", "a0 60 00 01 00 00 00 02 00 00 00 03 41 00"],
    ["RTP_BAD_PADDING", "a0 60 00 01 00 00 00 02 00 00 00 03 41 05"],
  ])("rejects a datagram breaking the rule: %s", (code, bytes) => {
    expect(tryParseRtpPacket(hex(bytes))).toBe(code);
    expect(() => parseRtpPacket(hex(bytes))).toThrow(RtpVideoError);
    try {
      parseRtpPacket(hex(bytes));
    } catch (e) {
      expect((e as RtpVideoError).code).toBe(code);
      expect((e as RtpVideoError).message).toMatch(/RFC 3550/);
    }
  });

  it("accepts a padding-only payload that leaves an empty payload", () => {
    const p = parseRtpPacket(hex("a0 60 00 01 00 00 00 02 00 00 00 03 00 02"));
    expect(p.payload.length).toBe(0);
  });

  it("serialises what it parses, byte for byte", () => {
    const bytes = hex("80 e0 03 e8 02 87 25 f6 12 34 56 78 65 88 84");
    expect(serializeRtpPacket(parseRtpPacket(bytes))).toEqual(bytes);
  });

  it("refuses header fields out of range with RTP_BAD_FIELD", () => {
    const base = { payloadType: 96, sequenceNumber: 1, timestamp: 1, ssrc: 1, marker: false };
    const payload = new Uint8Array(1);
    for (const bad of [
      { payloadType: 128 },
      { sequenceNumber: 65536 },
      { timestamp: -1 },
      { ssrc: 2 ** 32 },
      { sequenceNumber: 1.5 },
    ]) {
      expect(() => serializeRtpPacket({ ...base, ...bad, payload })).toThrow(
        expect.objectContaining({ code: "RTP_BAD_FIELD" }),
      );
    }
  });
});
