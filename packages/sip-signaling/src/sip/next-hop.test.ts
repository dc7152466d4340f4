import { describe, expect, it } from "vitest";
import { messageDestination } from "./next-hop.js";

const headers = "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKx\r\nCSeq: 1 BYE\r\n\r\n";

describe("messageDestination", () => {
  it("requests go to the Request-URI host:port (5060 by default), maddr first", () => {
    expect(messageDestination(`BYE sip:bob@192.0.2.4:5070 SIP/2.0\r\n${headers}`)).toEqual({
      host: "192.0.2.4",
      port: 5070,
    });
    expect(messageDestination(`BYE sip:bob@192.0.2.4 SIP/2.0\r\n${headers}`)).toEqual({
      host: "192.0.2.4",
      port: 5060,
    });
    expect(messageDestination(`BYE sip:bob@h;maddr=192.0.2.9 SIP/2.0\r\n${headers}`)).toEqual({
      host: "192.0.2.9",
      port: 5060,
    });
    expect(messageDestination(`BYE sip:bob@[::1]:5071 SIP/2.0\r\n${headers}`)).toEqual({
      host: "::1",
      port: 5071,
    });
  });
  it("a Route sends the request to the first route entry (loose routing)", () => {
    const text = `BYE sip:bob@192.0.2.4:5070 SIP/2.0\r\nRoute: <sip:192.0.2.7:5080;lr>, <sip:p2;lr>\r\n${headers}`;
    expect(messageDestination(text)).toEqual({ host: "192.0.2.7", port: 5080 });
  });
  it("responses go by the top Via (received/rport)", () => {
    const text =
      "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.1:5999;branch=z9hG4bKx;received=192.0.2.1;rport=7000\r\nVia: SIP/2.0/UDP p\r\n\r\n";
    expect(messageDestination(text)).toEqual({ host: "192.0.2.1", port: 7000 });
  });
  it("refuses sips:, TCP and garbage", () => {
    expect(() => messageDestination(`BYE sips:bob@h SIP/2.0\r\n${headers}`)).toThrow(/UNROUTABLE/);
    expect(() => messageDestination(`BYE sip:bob@h;transport=tcp SIP/2.0\r\n${headers}`)).toThrow(
      /UNROUTABLE/,
    );
    expect(() => messageDestination("")).toThrow(/UNROUTABLE/);
    expect(() => messageDestination("SIP/2.0 200 OK\r\n\r\n")).toThrow(/UNROUTABLE/);
  });
});
