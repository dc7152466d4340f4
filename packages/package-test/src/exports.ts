// The public export names of a package, read from its `src/index.ts` (which, by the house rule,
// lists every export explicitly).
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import ts from "typescript";

/** ExportNames are the names an entry point exports, split into values and type-only names. */
export interface ExportNames {
  readonly values: readonly string[];
  readonly types: readonly string[];
}

/**
 * exportNames reads the export declarations of an entry point's source. `export *` is refused:
 * an entry point must name what it exports.
 */
export function exportNames(source: string, fileName = "index.ts"): ExportNames {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true);
  const values: string[] = [];
  const types: string[] = [];
  for (const statement of file.statements) {
    if (!ts.isExportDeclaration(statement)) {
      const exported = ts.canHaveModifiers(statement)
        ? (ts.getModifiers(statement) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
        : false;
      if (!exported) continue;
      if (ts.isVariableStatement(statement)) {
        for (const d of statement.declarationList.declarations)
          if (ts.isIdentifier(d.name)) values.push(d.name.text);
      } else if (ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) {
        types.push(statement.name.text);
      } else if (
        (ts.isFunctionDeclaration(statement) ||
          ts.isClassDeclaration(statement) ||
          ts.isEnumDeclaration(statement)) &&
        statement.name !== undefined
      ) {
        values.push(statement.name.text);
      }
      continue;
    }
    const clause = statement.exportClause;
    if (clause === undefined || !ts.isNamedExports(clause)) {
      throw new TypeError(`${fileName}: \`export *\` hides what is exported; name the exports`);
    }
    for (const element of clause.elements) {
      const list = statement.isTypeOnly || element.isTypeOnly ? types : values;
      list.push(element.name.text);
    }
  }
  return { values: values.sort(), types: types.sort() };
}

/**
 * entryExportNames reads the entry point at `path` like `exportNames`, except that an
 * `export * from "./other.js"` is followed into that file, which must itself name its exports
 * (rtp-video's `index.ts` is `./core.js` and `./node.js`, each an explicit list): the names are
 * still listed once, in the file that exports them. Any other `export *` is refused.
 */
export function entryExportNames(path: string, seen: ReadonlySet<string> = new Set()): ExportNames {
  if (seen.has(path)) throw new TypeError(`${path}: \`export *\` cycle`);
  const source = readFileSync(path, "utf8");
  const file = ts.createSourceFile(path, source, ts.ScriptTarget.ES2022, true);
  const values: string[] = [];
  const types: string[] = [];
  const rest: ts.Statement[] = [];
  for (const statement of file.statements) {
    const spec = ts.isExportDeclaration(statement) ? statement.moduleSpecifier : undefined;
    if (
      ts.isExportDeclaration(statement) &&
      statement.exportClause === undefined &&
      spec !== undefined &&
      ts.isStringLiteral(spec) &&
      /^\.\/[\w./-]+\.js$/.test(spec.text)
    ) {
      const inner = entryExportNames(
        join(dirname(path), spec.text.replace(/\.js$/, ".ts")),
        new Set([...seen, path]),
      );
      (statement.isTypeOnly ? types : values).push(...inner.values);
      types.push(...inner.types);
    } else {
      rest.push(statement);
    }
  }
  const own = exportNames(
    rest.map((st) => source.slice(st.getFullStart(), st.getEnd())).join("\n"),
    path,
  );
  const all = (a: readonly string[], b: readonly string[]) => [...new Set([...a, ...b])].sort();
  return { values: all(values, own.values), types: all(types, own.types) };
}
