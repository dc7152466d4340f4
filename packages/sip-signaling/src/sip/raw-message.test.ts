import { describe, expect, it } from "vitest";
import {
  buildStatelessResponse,
  canAnswer,
  parseRequestLine,
  parseStatusCode,
  rawHeaderValue,
  rawHeaderValues,
  scanMessage,
} from "./raw-message.js";

describe("scanMessage", () => {
  it("unfolds continuation lines, expands compact forms, keeps order", () => {
    const m = scanMessage(
      "INVITE sip:a@b SIP/2.0\r\nv: SIP/2.0/UDP x;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP y\r\nSubject: a\r\n  b\r\ni: c1\r\n\r\nbody",
    )!;
    expect(m.complete).toBe(true);
    expect(rawHeaderValues(m, "via")).toEqual(["SIP/2.0/UDP x;branch=z9hG4bK1", "SIP/2.0/UDP y"]);
    expect(rawHeaderValue(m, "subject")).toBe("a b");
    expect(rawHeaderValue(m, "Call-ID")).toBe("c1");
    expect(scanMessage("")).toBeUndefined();
    expect(scanMessage("OPTIONS sip:a@b SIP/2.0\r\nVia: x")?.complete).toBe(false);
  });
  it("reads request and status lines", () => {
    expect(parseRequestLine("invite sip:a@b SIP/2.0")).toEqual({
      method: "INVITE",
      requestUri: "sip:a@b",
    });
    expect(parseRequestLine("INVITE sip:a@b HTTP/1.1")).toBeUndefined();
    expect(parseStatusCode("SIP/2.0 486 Busy Here")).toBe(486);
    expect(parseStatusCode("SIP/2.0 999 x")).toBeUndefined();
  });
});

describe("buildStatelessResponse (RFC 3261 §8.2.6)", () => {
  it("copies Via/From/To/Call-ID/CSeq, adds a To tag, no body", () => {
    const m = scanMessage(
      "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP x;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP p\r\nFrom: <sip:c@d>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c1\r\nCSeq: 7 OPTIONS\r\n\r\n",
    )!;
    expect(canAnswer(m)).toBe(true);
    expect(
      buildStatelessResponse(
        m,
        400,
        "Bad\r\nThing",
        "SIP/2.0/UDP x;branch=z9hG4bK1;received=1.2.3.4",
        "tt",
      ),
    ).toBe(
      "SIP/2.0 400 Bad  Thing\r\nVia: SIP/2.0/UDP x;branch=z9hG4bK1;received=1.2.3.4\r\nVia: SIP/2.0/UDP p\r\n" +
        "From: <sip:c@d>;tag=1\r\nTo: <sip:a@b>;tag=tt\r\nCall-ID: c1\r\nCSeq: 7 OPTIONS\r\nContent-Length: 0\r\n\r\n",
    );
    expect(canAnswer(scanMessage("OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n")!)).toBe(false);
  });
});
