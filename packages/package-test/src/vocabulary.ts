// docs/vocabulary.md's table of every error code, read the way the vocabulary test checks it.

/** VocabularyCodes maps each code of the `### Error codes` table to the packages that raise it. */
export type VocabularyCodes = ReadonlyMap<string, readonly string[]>;

/**
 * vocabularyErrorCodes reads the `### Error codes` table of docs/vocabulary.md: one row per code,
 * `` | `CODE` | pkg-a, pkg-b | meaning | ``. A code listed twice is an error.
 */
export function vocabularyErrorCodes(markdown: string): VocabularyCodes {
  const start = /(^|\n)### Error codes\n/.exec(markdown);
  if (start === null) throw new Error("docs/vocabulary.md has no ### Error codes section");
  const rest = markdown.slice(start.index + start[1]!.length);
  const next = rest.slice(1).search(/\n#{1,3} /);
  const section = next < 0 ? rest : rest.slice(0, next + 1);
  const out = new Map<string, readonly string[]>();
  for (const line of section.split("\n")) {
    const m = /^\| `([A-Z][A-Z0-9_]*)` \| ([^|]+) \|/.exec(line);
    if (m === null) continue;
    const code = m[1]!;
    if (out.has(code)) throw new Error(`docs/vocabulary.md lists ${code} twice`);
    out.set(
      code,
      m[2]!
        .split(",")
        .map((p) => p.trim())
        .filter((p) => p !== "")
        .sort(),
    );
  }
  return out;
}
