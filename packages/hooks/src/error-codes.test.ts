import { fileURLToPath } from "node:url";
import { errorCodeMismatch, errorCodeReport } from "@framewire/package-test";
import { describe, expect, it } from "vitest";

// README.md's Errors section is the package's error contract: it must name exactly the codes
// this package's source raises, and the error classes must declare no code nobody raises.
const report = errorCodeReport(fileURLToPath(new URL("..", import.meta.url)));

describe("error codes: README.md ## Errors against src/", () => {
  it("the error classes are found and raise codes (the scan sees the package)", () => {
    expect(report.errorClasses.length).toBeGreaterThan(0);
    expect(report.raised.length).toBeGreaterThan(0);
  });

  it("every code raised in src/ is documented, every documented code is raised, none is declared and never raised", () => {
    expect(errorCodeMismatch(report)).toEqual({
      undocumented: [],
      documentedNotRaised: [],
      declaredNotRaised: [],
    });
  });
});
