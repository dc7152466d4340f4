import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { errorCodeReport } from "./error-codes.js";
import { vocabularyErrorCodes } from "./vocabulary.js";
import { WORKSPACE_ROOT } from "./workspace.js";

/** every workspace package with sources, published or not (a package's codes are listed before it is published). */
function packageDirs(): string[] {
  const root = join(WORKSPACE_ROOT, "packages");
  return readdirSync(root)
    .map((name) => join(root, name))
    .filter(
      (dir) => existsSync(join(dir, "src", "index.ts")) && existsSync(join(dir, "README.md")),
    );
}

describe("docs/vocabulary.md ### Error codes", () => {
  it("reads a table: code, the packages that raise it", () => {
    const table = vocabularyErrorCodes(
      "# V\n\n### Error codes\n\n| code | raised by | meaning |\n| --- | --- | --- |\n| `A_B` | rtp-video, hooks | x |\n| `C` | hooks | y |\n\n## Next\n\n| `D` | hooks | z |\n",
    );
    expect([...table]).toEqual([
      ["A_B", ["hooks", "rtp-video"]],
      ["C", ["hooks"]],
    ]);
    expect(() =>
      vocabularyErrorCodes("### Error codes\n| `A` | x | y |\n| `A` | z | w |\n"),
    ).toThrow(/twice/);
  });

  it("lists every code every package raises, with exactly the packages that raise it", () => {
    const raisedBy = new Map<string, string[]>();
    for (const dir of packageDirs()) {
      for (const code of errorCodeReport(dir).raised) {
        raisedBy.set(code, [...(raisedBy.get(code) ?? []), basename(dir)].sort());
      }
    }
    expect(raisedBy.size).toBeGreaterThan(40);
    const table = vocabularyErrorCodes(
      readFileSync(join(WORKSPACE_ROOT, "docs", "vocabulary.md"), "utf8"),
    );
    expect(Object.fromEntries(table)).toEqual(Object.fromEntries([...raisedBy].sort()));
  });
});
