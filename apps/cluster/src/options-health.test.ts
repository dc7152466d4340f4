import type {
  DatagramSocket,
  DatagramSocketBindOptions,
  SipAddress,
} from "@framewire/sip-signaling";
import { describe, expect, it } from "vitest";
import { drainingAnswer, type Health, healthSocketFactory } from "./options-health.js";

const OPTIONS = [
  "OPTIONS sip:127.0.0.2:5070 SIP/2.0",
  "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1",
  "From: <sip:kamailio@127.0.0.1>;tag=a1",
  "To: <sip:127.0.0.2:5070>",
  "Call-ID: c1",
  "CSeq: 10 OPTIONS",
  "Max-Forwards: 70",
  "Content-Length: 0",
  "",
  "",
].join("\r\n");

describe("drainingAnswer", () => {
  it("answers an out-of-dialog OPTIONS 503 with the request's Via, From, To (tagged), Call-ID, CSeq", () => {
    const answer = drainingAnswer(OPTIONS)!;
    const lines = answer.split("\r\n");
    expect(lines[0]).toBe("SIP/2.0 503 Draining");
    expect(lines).toContain("Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1");
    expect(lines).toContain("From: <sip:kamailio@127.0.0.1>;tag=a1");
    expect(lines.find((l) => l.startsWith("To:"))).toMatch(
      /^To: <sip:127.0.0.2:5070>;tag=[0-9a-f]{12}$/,
    );
    expect(lines).toContain("Call-ID: c1");
    expect(lines).toContain("CSeq: 10 OPTIONS");
    expect(lines).toContain("Retry-After: 30");
    expect(lines).not.toContain("Max-Forwards: 70");
    expect(answer.endsWith("Content-Length: 0\r\n\r\n")).toBe(true);
  });

  it("leaves in-dialog OPTIONS and other requests to the user agent", () => {
    expect(
      drainingAnswer(OPTIONS.replace("To: <sip:127.0.0.2:5070>", "To: <sip:x>;tag=b2")),
    ).toBeUndefined();
    expect(drainingAnswer(OPTIONS.replace(/^OPTIONS/, "INVITE"))).toBeUndefined();
  });
});

describe("healthSocketFactory", () => {
  it("answers OPTIONS itself only while draining", async () => {
    const sent: string[] = [];
    const delivered: string[] = [];
    let receive: DatagramSocketBindOptions["onMessage"] | undefined;
    const fake = async (options: DatagramSocketBindOptions): Promise<DatagramSocket> => {
      receive = options.onMessage;
      return {
        local: { host: "127.0.0.2", port: 5070 },
        send: async (data: Uint8Array, _to: SipAddress) => {
          sent.push(new TextDecoder().decode(data));
        },
        close: async () => undefined,
      };
    };
    let health: Health = "up";
    const bind = healthSocketFactory(() => health, fake);
    await bind({
      host: "127.0.0.2",
      port: 5070,
      onMessage: (data) => delivered.push(new TextDecoder().decode(data)),
      onError: () => undefined,
    });
    const source = { host: "127.0.0.1", port: 5060 };
    receive!(new TextEncoder().encode(OPTIONS), source);
    health = "draining";
    receive!(new TextEncoder().encode(OPTIONS), source);
    receive!(new TextEncoder().encode(OPTIONS.replace(/^OPTIONS/, "INVITE")), source);
    await Promise.resolve();
    expect(delivered.map((m) => m.split(" ")[0])).toEqual(["OPTIONS", "INVITE"]);
    expect(sent.map((m) => m.split("\r\n")[0])).toEqual(["SIP/2.0 503 Draining"]);
  });
});
