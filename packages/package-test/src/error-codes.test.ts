import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { errorCodeMismatch, errorCodeReport } from "./error-codes.js";

const dir = mkdtempSync(join(tmpdir(), "framewire-error-codes-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pkg(files: Record<string, string>): string {
  const root = mkdtempSync(join(dir, "pkg-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const ERRORS = `
export type BaseCode = "A_THROWN" | "B_RETURNED";
export type PkgErrorCode = BaseCode | "C_COMPARED_ONLY" | "D_IN_COMMENT_ONLY" | "E_KEY_ONLY";
export class PkgError extends Error {
  readonly code: PkgErrorCode;
  constructor(code: PkgErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
export class SubError extends PkgError {
  constructor() {
    super("F_SUBCLASS", "x");
  }
}
`;

describe("errorCodeReport", () => {
  it("declared: the code types of Error subclasses (aliases and unions resolved); raised: codes used as values", () => {
    const root = pkg({
      "src/errors.ts": ERRORS.replace('| "E_KEY_ONLY"', '| "E_KEY_ONLY" | "F_SUBCLASS"'),
      "src/use.ts": [
        'import { PkgError } from "./errors.js";',
        '// throw new PkgError("D_IN_COMMENT_ONLY", "not raised: a comment")',
        'export function parse(): string { return "B_RETURNED"; }',
        'export function check(e: PkgError): boolean { return e.code === "C_COMPARED_ONLY"; }',
        'export const MESSAGES = { "E_KEY_ONLY": "keys are not raised" };',
        'export function fail(): never { throw new PkgError(\n  "A_THROWN",\n  "thrown" ); }',
      ].join("\n"),
      "src/index.ts":
        'export { PkgError, SubError } from "./errors.js";\nexport const PKG_LIMITS = {};',
      "src/use.test.ts": 'throw new Error("D_IN_COMMENT_ONLY");',
      "README.md":
        "# pkg\n\n## Errors\n\n`PkgError`: `A_THROWN`, `B_RETURNED`, `Z_STALE`; see `PKG_LIMITS`.\n\n## Tests\n\n`F_SUBCLASS`\n",
    });
    const report = errorCodeReport(root);
    expect(report.errorClasses).toEqual(["PkgError", "SubError"]);
    expect(report.declared).toEqual([
      "A_THROWN",
      "B_RETURNED",
      "C_COMPARED_ONLY",
      "D_IN_COMMENT_ONLY",
      "E_KEY_ONLY",
      "F_SUBCLASS",
    ]);
    expect(report.raised).toEqual(["A_THROWN", "B_RETURNED", "F_SUBCLASS"]);
    expect(report.where.A_THROWN).toBe("src/use.ts:7");
    expect(report.documented).toEqual(["A_THROWN", "B_RETURNED", "Z_STALE"]);
    expect(errorCodeMismatch(report)).toEqual({
      undocumented: ["F_SUBCLASS (src/errors.ts:13)"],
      documentedNotRaised: ["Z_STALE"],
      declaredNotRaised: ["C_COMPARED_ONLY", "D_IN_COMMENT_ONLY", "E_KEY_ONLY"],
    });
  });

  it("reads the code union from the type argument of `extends FramewireError<Code>`", () => {
    const root = pkg({
      "src/errors.ts": [
        'import { FramewireError } from "@framewire/errors";',
        'export type KitCode = "K_THROWN" | "K_NEVER";',
        "export class KitError extends FramewireError<KitCode> {}",
        "export class KitSubError extends KitError {}",
      ].join("\n"),
      "src/use.ts": 'import { KitError } from "./errors.js";\nthrow new KitError("K_THROWN", "x");',
      "src/index.ts": 'export { KitError, KitSubError } from "./errors.js";',
      "README.md": "# kit\n\n## Errors\n\n`K_THROWN`\n",
    });
    const report = errorCodeReport(root);
    expect(report.errorClasses).toEqual(["KitError", "KitSubError"]);
    expect(report.declared).toEqual(["K_NEVER", "K_THROWN"]);
    expect(errorCodeMismatch(report)).toEqual({
      undocumented: [],
      documentedNotRaised: [],
      declaredNotRaised: ["K_NEVER"],
    });
  });
});
