import { describe, expect, it } from "vitest";
import {
  parseVia,
  quickVia,
  responseDestination,
  splitTopViaParm,
  stampParsedVia,
  stampViaHeader,
  stampViaParm,
  viaFromGrammar,
  viaMatchesSentBy,
} from "./via.js";

const SOURCE = { host: "192.0.2.1", port: 9988 };

describe("parseVia", () => {
  it("reads sent-by, branch, received, rport with and without value", () => {
    expect(parseVia("SIP/2.0/UDP 10.1.1.1:4540;branch=z9hG4bKa;rport")).toEqual({
      transport: "UDP",
      host: "10.1.1.1",
      port: 4540,
      branch: "z9hG4bKa",
      received: undefined,
      rport: true,
      maddr: undefined,
    });
    expect(
      parseVia("SIP/2.0/UDP h.example.com;received=192.0.2.1;rport=9988;branch=z9hG4bKb"),
    ).toMatchObject({
      host: "h.example.com",
      port: undefined,
      received: "192.0.2.1",
      rport: 9988,
    });
    expect(parseVia("SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bKc")?.host).toBe("[2001:db8::1]");
    expect(parseVia("garbage")).toBeUndefined();
  });

  it("splitTopViaParm takes the first via-parm of a list (sip.js would merge them)", () => {
    const value = "SIP/2.0/UDP a:1;branch=z9hG4bK1, SIP/2.0/UDP b:2;branch=z9hG4bK2";
    const { first, rest } = splitTopViaParm(value);
    expect(parseVia(first)?.branch).toBe("z9hG4bK1");
    expect(rest).toBe("SIP/2.0/UDP b:2;branch=z9hG4bK2");
  });
});

describe("stampViaParm (RFC 3261 §18.2.1, RFC 3581 §4)", () => {
  it("RFC 3581 §4 example: rport gets the source port, received is added", () => {
    expect(stampViaParm("SIP/2.0/UDP 10.1.1.1:4540;rport;branch=z9hG4bKkjshdyff", SOURCE)).toBe(
      "SIP/2.0/UDP 10.1.1.1:4540;branch=z9hG4bKkjshdyff;received=192.0.2.1;rport=9988",
    );
  });
  it("adds received when sent-by differs from the source, and only then without rport", () => {
    expect(stampViaParm("SIP/2.0/UDP 10.1.1.1:4540;branch=z9hG4bKx", SOURCE)).toBe(
      "SIP/2.0/UDP 10.1.1.1:4540;branch=z9hG4bKx;received=192.0.2.1",
    );
    expect(stampViaParm("SIP/2.0/UDP 192.0.2.1:9988;branch=z9hG4bKx", SOURCE)).toBe(
      "SIP/2.0/UDP 192.0.2.1:9988;branch=z9hG4bKx",
    );
    expect(stampViaParm("SIP/2.0/UDP pc33.example.com;branch=z9hG4bKx", SOURCE)).toBe(
      "SIP/2.0/UDP pc33.example.com;branch=z9hG4bKx;received=192.0.2.1",
    );
  });
  it("replaces a stale received, keeps the rest of a Via list", () => {
    expect(
      stampViaHeader(
        "SIP/2.0/UDP 10.1.1.1;received=1.1.1.1;branch=z9hG4bKx, SIP/2.0/UDP p:5",
        SOURCE,
      ),
    ).toBe("SIP/2.0/UDP 10.1.1.1;branch=z9hG4bKx;received=192.0.2.1, SIP/2.0/UDP p:5");
  });
});

describe("responseDestination (RFC 3261 §18.2.2, RFC 3581 §4)", () => {
  it("received + rport, received + sent-by port, sent-by, maddr; 5060 by default", () => {
    const dest = (v: string) => responseDestination(parseVia(v)!);
    expect(dest("SIP/2.0/UDP 10.1.1.1:4540;received=192.0.2.1;rport=9988;branch=z9hG4bKx")).toEqual(
      SOURCE,
    );
    expect(dest("SIP/2.0/UDP 10.1.1.1:4540;received=192.0.2.1;branch=z9hG4bKx")).toEqual({
      host: "192.0.2.1",
      port: 4540,
    });
    expect(dest("SIP/2.0/UDP 10.1.1.1;branch=z9hG4bKx")).toEqual({ host: "10.1.1.1", port: 5060 });
    expect(dest("SIP/2.0/UDP [::1]:5070;branch=z9hG4bKx")).toEqual({ host: "::1", port: 5070 });
    expect(dest("SIP/2.0/UDP 10.1.1.1;maddr=239.1.1.1;branch=z9hG4bKx")).toEqual({
      host: "239.1.1.1",
      port: 5060,
    });
  });
  it("viaMatchesSentBy compares host and port (default 5060)", () => {
    const via = parseVia("SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKx")!;
    expect(viaMatchesSentBy(via, { host: "127.0.0.1", port: 5060 })).toBe(true);
    expect(viaMatchesSentBy(via, { host: "127.0.0.1", port: 5070 })).toBe(false);
  });
});

describe("stampParsedVia: one parse per message", () => {
  const cases = [
    "SIP/2.0/UDP 10.1.1.1:4540;branch=z9hG4bKx;rport",
    "SIP/2.0/UDP 192.0.2.1:9988;branch=z9hG4bKx",
    "SIP/2.0/UDP host.example.com;branch=z9hG4bKx;received=1.1.1.1",
    "SIP/2.0/UDP [::1]:5070;rport=1;branch=z9hG4bKx",
    "SIP/2.0/UDP 10.1.1.1;maddr=239.1.1.1;branch=z9hG4bKx",
  ];
  it("gives stampViaParm's text and what parsing that text again gives", () => {
    for (const parm of cases) {
      const stamped = stampParsedVia(parm, parseVia(parm)!, SOURCE);
      expect(stamped.text).toBe(stampViaParm(parm, SOURCE));
      expect(stamped.via).toEqual(parseVia(stamped.text));
      expect(responseDestination(stamped.via)).toEqual(
        responseDestination(parseVia(stamped.text)!),
      );
    }
  });
  it("viaFromGrammar reads sip.js's own Via parse; anything else is undefined", () => {
    expect(viaFromGrammar(-1)).toBeUndefined();
    expect(viaFromGrammar({ host: "a" })).toBeUndefined();
    expect(viaFromGrammar({ host: "a", transport: "udp", port: 5, branch: "b" })).toMatchObject({
      transport: "UDP",
      host: "a",
      port: 5,
      branch: "b",
    });
  });
});

describe("quickVia (the overload path's Via read, no grammar)", () => {
  it("reads what parseVia reads for plain via-parms", () => {
    for (const parm of [
      "SIP/2.0/UDP 10.1.1.1:4540;branch=z9hG4bKx;rport",
      "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx;rport=5000",
      "SIP/2.0/UDP host.example.com:5062;branch=z9hG4bK.1-2",
      "SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bKx",
      "SIP/2.0/UDP 10.1.1.1;maddr=239.1.1.1;branch=z9hG4bKx",
      "SIP / 2.0 / UDP 10.1.1.1 ; branch=z9hG4bKx",
    ]) {
      expect(quickVia(parm), parm).toEqual(parseVia(parm));
    }
  });
  it("refuses what is no via-parm", () => {
    expect(quickVia("garbage")).toBeUndefined();
    expect(quickVia("SIP/2.0/UDP")).toBeUndefined();
  });
});
