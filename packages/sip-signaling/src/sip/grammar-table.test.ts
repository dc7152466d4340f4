import { Core, Grammar } from "sip.js";
import { bytecodeBuilds } from "sip.js/lib/grammar/pegjs/dist/grammar.js";
import { describe, expect, it } from "vitest";

const logger = new Core.LoggerFactory().getLogger("test");

function options(n: number): string {
  return (
    "OPTIONS sip:bridge@127.0.0.1 SIP/2.0\r\n" +
    `Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-${n};rport\r\n` +
    "Max-Forwards: 70\r\n" +
    "From: <sip:a@127.0.0.1>;tag=1\r\n" +
    "To: <sip:bridge@127.0.0.1>\r\n" +
    `Call-ID: ${n}@127.0.0.1\r\n` +
    `CSeq: ${n} OPTIONS\r\n` +
    "Contact: <sip:a@127.0.0.1:5070>\r\n" +
    "Content-Length: 0\r\n\r\n"
  );
}

// patches/sip.js@0.21.2.patch: sip.js 0.21.2 decodes its whole PEG bytecode table (every rule
// of the SIP grammar) on each call of its parser, most of the cost of parsing a message.
describe("sip.js grammar (patched)", () => {
  it("decodes its bytecode table once, not once per parse", () => {
    expect(typeof bytecodeBuilds).toBe("function");
    Grammar.parse("SIP/2.0/UDP 127.0.0.1", "Via");
    const before = bytecodeBuilds();
    expect(before).toBe(1);
    for (let n = 1; n <= 50; n++) {
      const message = Core.Parser.parseMessage(options(n), logger);
      expect(message).toBeInstanceOf(Core.IncomingRequestMessage);
      expect(message?.viaBranch).toBe(`z9hG4bK-${n}`);
    }
    expect(Grammar.URIParse("sip:bob@127.0.0.1:5070")?.port).toBe(5070);
    expect(bytecodeBuilds()).toBe(before);
  });

  it("still rejects what the grammar rejects", () => {
    expect(Grammar.parse("not a via", "Via")).toBe(-1);
    expect(Grammar.URIParse("http://example.com")).toBeUndefined();
  });
});
