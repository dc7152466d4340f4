import { describe, expect, it } from "vitest";
import { exportNames } from "./exports.js";
import {
  documentedErrorCodes,
  fencedBlocks,
  mainExample,
  markdownLinks,
  section,
} from "./readme.js";

const README = [
  "# pkg",
  "",
  "```ts",
  'import { a } from "pkg";',
  "```",
  "",
  "```js",
  'import { b } from "pkg";',
  "console.log(b);",
  "```",
  "",
  "It prints:",
  "",
  "```text",
  "b",
  "  indented",
  "```",
  "",
  "See [the source](src/index.ts), [docs](https://example.com/x) and [a part](#errors).",
  "",
  "## Errors",
  "",
  "`PkgError` with `code`: `BAD_OPTION` (a bad `mtu`), `UNSUPPORTED`, `RTP_*` and `X`.",
  "",
  "## Tests",
  "",
  "`NOT_A_CODE_HERE`",
  "",
  "[label]: ../outside/x.md",
].join("\n");

describe("README reading", () => {
  it("fencedBlocks lists every fenced block with its info string and line", () => {
    expect(fencedBlocks(README).map((b) => [b.info, b.line])).toEqual([
      ["ts", 3],
      ["js", 7],
      ["text", 14],
    ]);
  });

  it("mainExample is the first ```js block; a ```text block right after it is its output", () => {
    expect(mainExample(README)).toEqual({
      code: 'import { b } from "pkg";\nconsole.log(b);\n',
      line: 7,
      expectedOutput: ["b", "  indented"],
    });
    expect(mainExample("```ts\nx\n```\n")).toBeUndefined();
    expect(mainExample("```js\nx\n```\n\n```sh\nnode x\n```\n")?.expectedOutput).toEqual([]);
  });

  it("section ends at the next heading of level 1 or 2; documentedErrorCodes takes the upper-case code spans", () => {
    expect(section(README, "Tests")?.trim()).toBe("`NOT_A_CODE_HERE`\n\n[label]: ../outside/x.md");
    expect(documentedErrorCodes(README)).toEqual(["BAD_OPTION", "UNSUPPORTED"]);
    expect(documentedErrorCodes("# no errors section")).toEqual([]);
  });

  it("markdownLinks finds inline links and link definitions outside code", () => {
    expect(markdownLinks(README).map((l) => l.target)).toEqual([
      "src/index.ts",
      "https://example.com/x",
      "#errors",
      "../outside/x.md",
    ]);
    expect(markdownLinks("```md\n[x](inside.md)\n```\n`[y](span.md)`")).toEqual([]);
  });
});

describe("exportNames", () => {
  it("splits an entry point's exports (re-exports and declarations) into values and type-only names", () => {
    const source = [
      'export { A, type B, c } from "./a.js";',
      'export type { D } from "./d.js";',
      "export const e = 1;",
      "export function f() {}",
      "export interface G {}",
      "const local = 2;",
    ].join("\n");
    expect(exportNames(source)).toEqual({ values: ["A", "c", "e", "f"], types: ["B", "D", "G"] });
  });

  it("refuses export * (an entry point names what it exports)", () => {
    expect(() => exportNames('export * from "./a.js";')).toThrow(/export \*/);
  });
});
