// H.264 sprop-parameter-sets (RFC 6184 §8.1) from a remote SDP: decoded, bounded, and never a
// crash; negotiateAnswer and parseAnswer hand them on with the negotiated video.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { h264Offer } from "../testing/h264-offer.js";
import { negotiateAnswer } from "./negotiate-answer.js";
import { parseAnswer } from "./parse-answer.js";
import { SDP_LIMITS } from "./sdp-limits.js";
import type { SdpLocalOptions } from "./sdp-types.js";
import { parseSpropParameterSets } from "./sprop-parameter-sets.js";

/** The fixture stream's SPS (x264, constrained baseline 640x360) and PPS, base64. */
const SPS_B64 = "Z0LAH9oCgL/lwEQAAAMABAAAAwDyPGDKgA==";
const PPS_B64 = "aM48gA==";
const SPS = Uint8Array.from(atob(SPS_B64), (c) => c.charCodeAt(0));
const PPS = Uint8Array.from(atob(PPS_B64), (c) => c.charCodeAt(0));

const b64 = (bytes: readonly number[]): string => btoa(String.fromCharCode(...bytes));

const LOCAL: SdpLocalOptions = {
  audioCodecs: ["PCMU"],
  videoCodecs: ["H264", "VP8"],
  address: "127.0.0.1",
  audioPort: 30000,
  videoPort: 30002,
  sessionId: 1,
  sessionVersion: 1,
};

describe("parseSpropParameterSets (RFC 6184 §8.1)", () => {
  it("decodes a comma-separated list of base64 NAL units, padding optional", () => {
    const r = parseSpropParameterSets(`${SPS_B64},${PPS_B64}`);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.units.map((u) => [...u])).toEqual([[...SPS], [...PPS]]);
    // RFC 6184 §8.2's example value, and the same without padding
    expect(parseSpropParameterSets("Z0IACpZTBYmI,aMljiA==")).toMatchObject({ ok: true });
    expect(parseSpropParameterSets("Z0IACpZTBYmI,aMljiA")).toMatchObject({ ok: true });
  });

  it.each([
    ["an empty value", "", "empty"],
    ["an empty item", `${SPS_B64},,${PPS_B64}`, "empty"],
    ["not base64", "Z0LA%%==,aM48gA==", "bad-base64"],
    ["padding inside", "aM==48gA", "bad-base64"],
    ["an impossible length", "aM48g", "bad-base64"],
    ["one byte", b64([0x68]), "bad-base64"],
    ["a slice", b64([0x65, 0x88, 0x84]), "not-a-parameter-set"],
    ["an SEI", b64([0x06, 0x05, 0x01]), "not-a-parameter-set"],
    ["the forbidden bit", b64([0xe8, 0xce, 0x3c, 0x80]), "not-a-parameter-set"],
    ["a start code inside", b64([0x68, 0xce, 0x00, 0x00, 0x01, 0x80]), "bad-nal"],
    ["a trailing zero", b64([0x68, 0xce, 0x3c, 0x00]), "bad-nal"],
    ["an SPS that does not parse", b64([0x67, 0x42]), "bad-sps"],
    [
      "too many units",
      Array.from({ length: SDP_LIMITS.maxParameterSets + 1 }, () => PPS_B64).join(","),
      "too-many",
    ],
    [
      "a unit too large",
      b64(new Array(SDP_LIMITS.maxParameterSetBytes + 1).fill(0x68)),
      "bad-base64",
    ],
    ["a value too long to be bounded", "A".repeat(100_000), "too-large"],
  ])("ignores %s (never throws)", (_, value, problem) => {
    expect(parseSpropParameterSets(value)).toMatchObject({ ok: false, problem });
  });

  it("property: any text, and any list of random byte strings, gives a result, never an exception", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const r = parseSpropParameterSets(text);
        expect(typeof r.ok).toBe("boolean");
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 60 }), { maxLength: 20 }),
        (units) => {
          const r = parseSpropParameterSets(units.map((u) => b64([...u])).join(","));
          if (r.ok) {
            for (const u of r.units) expect([7, 8]).toContain(u[0]! & 0x1f);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("negotiated video carries the peer's parameter sets", () => {
  it("negotiateAnswer: the offerer's sprop-parameter-sets come out decoded in video.parameterSets", () => {
    const answer = negotiateAnswer(
      h264Offer(
        `packetization-mode=1;profile-level-id=42e01f;sprop-parameter-sets=${SPS_B64},${PPS_B64}`,
      ),
      LOCAL,
    );
    expect(answer.video?.parameterSets?.map((u) => [...u])).toEqual([[...SPS], [...PPS]]);
    expect(answer.video?.parameterSetsIgnored).toBeUndefined();
    // ours are not echoed: the parameter describe what the offerer sends (RFC 6184 §8.2.2)
    expect(answer.sdp).not.toMatch(/sprop/);
  });

  it("negotiateAnswer: hostile parameter sets are ignored and said so; the call is answered as before", () => {
    const answer = negotiateAnswer(
      h264Offer(
        `packetization-mode=1;profile-level-id=42e01f;sprop-parameter-sets=${"x".repeat(40_000)}`,
      ),
      LOCAL,
    );
    expect(answer.video).toMatchObject({ codec: "H264", parameterSetsIgnored: "too-large" });
    expect(answer.video?.parameterSets).toBeUndefined();
    expect(answer.sdp).toMatch(/^m=video 30002 /m);
  });

  it("no sprop-parameter-sets, or another codec: neither field", () => {
    const answer = negotiateAnswer(
      h264Offer("packetization-mode=1;profile-level-id=42e01f"),
      LOCAL,
    );
    expect(answer.video).not.toHaveProperty("parameterSets");
    expect(answer.video).not.toHaveProperty("parameterSetsIgnored");
  });

  it("parseAnswer: the answerer's sprop-parameter-sets come out the same way", () => {
    const ours = h264Offer("packetization-mode=1;profile-level-id=42e01f");
    const theirs = h264Offer(
      `packetization-mode=1;profile-level-id=42e01f;sprop-parameter-sets=${SPS_B64},${PPS_B64}`,
    );
    const n = parseAnswer(ours, theirs);
    expect(n.video?.parameterSets?.map((u) => u.length)).toEqual([SPS.length, PPS.length]);
    const bad = parseAnswer(
      ours,
      h264Offer("packetization-mode=1;profile-level-id=42e01f;sprop-parameter-sets=aM48gA==,ZQ=="),
    );
    expect(bad.video?.parameterSetsIgnored).toBe("bad-base64");
  });
});
