import { describe, expect, it } from "vitest";
import { sippCounter } from "./report-parsers.js";

describe("sippCounter", () => {
  it("reads the last value of the last screen line of a counter", () => {
    const screen = [
      "  Successful call        |        0                  |        12",
      "  Failed call            |        0                  |        0",
      "  Successful call        |        3                  |        200",
    ].join("\r\n");
    expect(sippCounter(screen, "Successful call")).toBe(200);
    expect(sippCounter(screen, "Failed call")).toBe(0);
    expect(sippCounter(screen, "Retransmissions")).toBeUndefined();
    expect(sippCounter("  Failed call | 0 | n/a", "Failed call")).toBeUndefined();
  });
});
