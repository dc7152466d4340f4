// The error-code contract test every public package runs (its src/error-codes.test.ts is one call).
import { describe, expect, it } from "vitest";
import { errorCodeMismatch, errorCodeReport } from "./error-codes.js";

/**
 * describeErrorCodes registers the tests of a package's error contract: README.md's `## Errors`
 * section names exactly the codes the package's src/ raises, and its error classes declare no
 * code nobody raises.
 */
export function describeErrorCodes(packageDir: string): void {
  const report = errorCodeReport(packageDir);
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
}
