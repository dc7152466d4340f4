import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { entryExportNames } from "@framewire/package-test";
import { describe, expect, it } from "vitest";

// The three entry points (issue 13): "." exports everything, "./core" the pure part (nothing it
// reaches touches node:*), "./node" the sockets, sessions and backends.

const SRC = dirname(fileURLToPath(import.meta.url));
const names = (file: string) => {
  const { values, types } = entryExportNames(join(SRC, file));
  return [...values, ...types].sort();
};

/** imports lists the module specifiers a source file imports or re-exports (types too). */
function imports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"/gms)].map((m) => m[1]!);
}

/** graph is every source file reached from `entry` through relative imports. */
function graph(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const todo = [join(SRC, entry)];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    const specs = imports(file);
    seen.set(file, specs);
    for (const s of specs)
      if (s.startsWith(".")) todo.push(resolve(dirname(file), s.replace(/\.js$/, ".ts")));
  }
  return seen;
}

describe("entry points", () => {
  it('"." exports exactly what "./core" and "./node" export, and they share no name', () => {
    const core = names("core.ts");
    const node = names("node.ts");
    expect(core.filter((n) => node.includes(n))).toEqual([]);
    expect(names("index.ts")).toEqual([...core, ...node].sort());
  });

  it('nothing "./core" reaches imports node:* (its declarations need no Node types)', () => {
    const offending = [...graph("core.ts")].flatMap(([file, specs]) =>
      specs.filter((s) => s.startsWith("node:")).map((s) => `${relative(SRC, file)}: ${s}`),
    );
    expect(offending).toEqual([]);
    expect(graph("core.ts").size).toBeGreaterThan(20);
  });

  it('"./node" is where node:* is imported (dgram for the sockets, crypto for session ids)', () => {
    const nodeImports = [...graph("node.ts").values()].flat().filter((s) => s.startsWith("node:"));
    expect(new Set(nodeImports)).toEqual(new Set(["node:dgram", "node:crypto"]));
  });
});
