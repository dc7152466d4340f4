import { describe, expect, it } from "vitest";
import { ALLOW_HEADER, SUPPORTED_METHODS, withOurAllow } from "./methods.js";

const SIPJS_ALLOW =
  "Allow: ACK,BYE,CANCEL,INFO,INVITE,MESSAGE,NOTIFY,OPTIONS,PRACK,REFER,REGISTER,SUBSCRIBE";

describe("Allow (RFC 3261 §20.5)", () => {
  it("lists exactly the methods we implement", () => {
    expect(SUPPORTED_METHODS).toEqual(["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS"]);
    expect(ALLOW_HEADER).toBe("Allow: INVITE, ACK, BYE, CANCEL, OPTIONS");
  });

  it("withOurAllow replaces sip.js's list in a 2xx, once, and leaves the body alone", () => {
    const body = "v=0\r\nAllow: not a header\r\n";
    const ok = [
      "SIP/2.0 200 OK",
      "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1",
      SIPJS_ALLOW,
      "Contact: <sip:framewire@127.0.0.1:5060>",
      "allow : INVITE",
      `Content-Length: ${body.length}`,
      "",
      body,
    ].join("\r\n");
    const out = withOurAllow(ok);
    const head = out.slice(0, out.indexOf("\r\n\r\n")).split("\r\n");
    expect(head.filter((l) => /^allow/i.test(l))).toEqual([ALLOW_HEADER]);
    expect(head[2]).toBe(ALLOW_HEADER); // where sip.js put it
    expect(out.endsWith(`\r\n\r\n${body}`)).toBe(true);
  });

  it("a message without Allow is returned unchanged (the same string)", () => {
    const bye = "BYE sip:a@b SIP/2.0\r\nCall-ID: x\r\nContent-Length: 0\r\n\r\n";
    expect(withOurAllow(bye)).toBe(bye);
    expect(withOurAllow("SIP/2.0 200 OK\r\nAllowed-Thing: 1\r\n\r\n")).toBe(
      "SIP/2.0 200 OK\r\nAllowed-Thing: 1\r\n\r\n",
    );
  });
});
