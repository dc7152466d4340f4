// The error codes of a package, three ways: those its error classes declare, those its source
// raises, and those its README documents. Each package's `src/error-codes.test.ts` wants the
// three to be one set.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { entryExportNames } from "./exports.js";
import { documentedErrorCodes } from "./readme.js";

/** ErrorCodeReport is what `errorCodeReport` found in one package; every list is sorted. */
export interface ErrorCodeReport {
  /** errorClasses are the package's error classes (`class X extends FramewireError<Code>` or `Error`, and their subclasses). */
  readonly errorClasses: readonly string[];
  /** declared are the string literals of the types of those classes' `code` property. */
  readonly declared: readonly string[];
  /** raised are the declared codes that `src` uses as a value (see `raisedErrorCodes`). */
  readonly raised: readonly string[];
  /** where says, per raised code, the first place (`file:line`) that raises it. */
  readonly where: Readonly<Record<string, string>>;
  /**
   * documented are the codes the README's `## Errors` section names: its upper-case code spans,
   * less those that name an export of `src/index.ts` (a constant such as `SDP_LIMITS`).
   */
  readonly documented: readonly string[];
}

/** sourceFiles lists the `.ts` files under `dir` that are not tests or declarations. */
export function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.ts$/.test(entry.name) && !/\.(test|d)\.ts$/.test(entry.name)) out.push(path);
  }
  return out.sort();
}

/**
 * errorCodeReport reads `<packageDir>/src` (its entry point is `src/index.ts`) and
 * `<packageDir>/README.md`. A code counts as raised
 * where it appears as a string value in `src`: thrown (`new XError("CODE", …)`), returned or
 * handed on as a parse result that is thrown later, or put in an error reported on an Observable.
 * Not counted: the type declarations themselves, comments, object keys, and operands of `===`,
 * `!==` or `case` (reading a code is not raising it).
 */
export function errorCodeReport(packageDir: string): ErrorCodeReport {
  const files = sourceFiles(join(packageDir, "src")).map((path) =>
    ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.ES2022, true),
  );
  const aliases = new Map<string, ts.TypeNode>();
  const classes = new Map<string, ts.ClassDeclaration>();
  for (const file of files) {
    for (const statement of file.statements) {
      if (ts.isTypeAliasDeclaration(statement)) aliases.set(statement.name.text, statement.type);
      if (ts.isClassDeclaration(statement) && statement.name !== undefined)
        classes.set(statement.name.text, statement);
    }
  }

  // error classes: extend Error, or extend an error class of the package
  const errorClasses = new Map<string, ts.ClassDeclaration>();
  for (let grew = true; grew; ) {
    grew = false;
    for (const [name, c] of classes) {
      const base = baseClass(c);
      if (
        !errorClasses.has(name) &&
        (ROOT_ERRORS.has(base ?? "") || errorClasses.has(base ?? ""))
      ) {
        errorClasses.set(name, c);
        grew = true;
      }
    }
  }
  const declared = new Set<string>();
  for (const c of errorClasses.values()) {
    // `extends FramewireError<Code>`: the code union is the type argument
    const argument = baseTypeArgument(c);
    if (argument !== undefined)
      for (const code of literals(argument, aliases, new Set())) declared.add(code);
    for (const member of c.members) {
      if (!ts.isPropertyDeclaration(member) || member.type === undefined) continue;
      if (!ts.isIdentifier(member.name) || member.name.text !== "code") continue;
      for (const code of literals(member.type, aliases, new Set())) declared.add(code);
    }
  }

  const index = entryExportNames(join(packageDir, "src", "index.ts"));
  const exported = new Set([...index.values, ...index.types]);
  const where: Record<string, string> = {};
  for (const file of files) {
    const visit = (node: ts.Node): void => {
      if (
        (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) &&
        declared.has(node.text) &&
        raises(node)
      ) {
        const { line } = file.getLineAndCharacterOfPosition(node.getStart(file));
        where[node.text] ??= `${relative(packageDir, file.fileName)}:${line + 1}`;
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return {
    errorClasses: [...errorClasses.keys()].sort(),
    declared: [...declared].sort(),
    raised: Object.keys(where).sort(),
    where,
    documented: documentedErrorCodes(readFileSync(join(packageDir, "README.md"), "utf8")).filter(
      (code) => !exported.has(code),
    ),
  };
}

/** ROOT_ERRORS are the classes a package's own error class may extend. */
const ROOT_ERRORS: ReadonlySet<string> = new Set(["Error", "FramewireError"]);

function baseTypeArgument(c: ts.ClassDeclaration): ts.TypeNode | undefined {
  for (const clause of c.heritageClauses ?? []) {
    if (clause.token !== ts.SyntaxKind.ExtendsKeyword) continue;
    const base = clause.types[0];
    if (
      base !== undefined &&
      ts.isIdentifier(base.expression) &&
      base.expression.text === "FramewireError"
    )
      return base.typeArguments?.[0];
  }
  return undefined;
}

function baseClass(c: ts.ClassDeclaration): string | undefined {
  for (const clause of c.heritageClauses ?? []) {
    if (clause.token !== ts.SyntaxKind.ExtendsKeyword) continue;
    const expression = clause.types[0]?.expression;
    if (expression !== undefined && ts.isIdentifier(expression)) return expression.text;
  }
  return undefined;
}

function literals(
  type: ts.TypeNode,
  aliases: ReadonlyMap<string, ts.TypeNode>,
  seen: Set<string>,
): string[] {
  if (ts.isLiteralTypeNode(type) && ts.isStringLiteral(type.literal)) return [type.literal.text];
  if (ts.isUnionTypeNode(type)) return type.types.flatMap((t) => literals(t, aliases, seen));
  if (ts.isParenthesizedTypeNode(type)) return literals(type.type, aliases, seen);
  if (ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName)) {
    const name = type.typeName.text;
    const target = aliases.get(name);
    if (target === undefined || seen.has(name)) return [];
    seen.add(name);
    return literals(target, aliases, seen);
  }
  return [];
}

function raises(node: ts.StringLiteral | ts.NoSubstitutionTemplateLiteral): boolean {
  const parent = node.parent;
  if (ts.isLiteralTypeNode(parent)) return false;
  if ((ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && parent.name === node)
    return false;
  if (ts.isCaseClause(parent)) return false;
  if (ts.isBinaryExpression(parent)) {
    const op = parent.operatorToken.kind;
    if (
      op === ts.SyntaxKind.EqualsEqualsEqualsToken ||
      op === ts.SyntaxKind.ExclamationEqualsEqualsToken ||
      op === ts.SyntaxKind.EqualsEqualsToken ||
      op === ts.SyntaxKind.ExclamationEqualsToken
    )
      return false;
  }
  return true;
}

/** ErrorCodeMismatch lists how the three sets of a report differ; all empty when they agree. */
export interface ErrorCodeMismatch {
  /** undocumented: raised by the source, missing from the README's Errors section. */
  readonly undocumented: readonly string[];
  /** documentedNotRaised: named in the Errors section, raised nowhere in the source. */
  readonly documentedNotRaised: readonly string[];
  /** declaredNotRaised: in an error class's code type, raised nowhere (dead vocabulary). */
  readonly declaredNotRaised: readonly string[];
}

/** errorCodeMismatch compares a report's declared, raised and documented codes. */
export function errorCodeMismatch(report: ErrorCodeReport): ErrorCodeMismatch {
  const raised = new Set(report.raised);
  const documented = new Set(report.documented);
  return {
    undocumented: report.raised
      .filter((c) => !documented.has(c))
      .map((c) => `${c} (${report.where[c]})`),
    documentedNotRaised: report.documented.filter((c) => !raised.has(c)),
    declaredNotRaised: report.declared.filter((c) => !raised.has(c)),
  };
}
